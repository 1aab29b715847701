// Row conversions between binary32, binary16 and bfloat16 (quant.h), vectorized with the same
// widths and dispatch as the quantizers (quant_simd.h). Each lane computes exactly what the
// scalar Fp32ToFp16 / Fp16ToFp32 / Fp32ToBf16 / Bf16ToFp32 (quant_types.cc) compute, with the
// rounding done in the integer domain (normal range) or by one float addition whose ulp is the
// binary16 subnormal quantum (|x| < 2^-14): both round to nearest even. Tails use the scalars.
#include <cstring>

#include "quant_simd.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the row conversions load little-endian 16-bit values directly"
#endif

namespace provbadge::verifier::quant_internal {
namespace {

using simd::Bits;
using simd::Fp16RoundTripV;
using simd::FromBits;
using simd::Load;
using simd::OrOp;
using simd::Reduce;
using simd::Vec;

template <int W>
using Lanes = Vec<W>;

template <int W>
PB_INLINE typename Lanes<W>::U LoadHalves(const uint8_t* p) {
  typename Lanes<W>::H h;
  std::memcpy(&h, p, sizeof h);
  return __builtin_convertvector(h, typename Lanes<W>::U);
}

// Stores the low 16 bits of each lane, little-endian.
template <int W>
PB_INLINE void StoreHalves(typename Lanes<W>::U v, uint8_t* p) {
  uint32_t tmp[W];
  std::memcpy(tmp, &v, sizeof v);
  uint16_t h[W];
  for (int k = 0; k < W; ++k) h[k] = static_cast<uint16_t>(tmp[k]);
  std::memcpy(p, h, sizeof h);
}

// Fp32ToFp16 per lane (bits in the low 16).
template <int W>
PB_INLINE typename Lanes<W>::U ToFp16Bits(typename Lanes<W>::F x) {
  using U = typename Lanes<W>::U;
  const U w = reinterpret_cast<U>(Bits<W>(x));
  const U sign = (w >> 16) & 0x8000u;
  const U abs = w & 0x7fffffffu;
  const U normal = ((abs + 0xfffu + ((abs >> 13) & 1u)) >> 13) - (112u << 10);
  // |x| + 0.5 = 0.5 + q 2^-24 with q = |x| / 2^-24 rounded to nearest even (q <= 1024).
  const U sub = reinterpret_cast<U>(
                    Bits<W>(FromBits<W>(reinterpret_cast<typename Lanes<W>::I>(abs)) + 0.5f)) -
                0x3f000000u;
  U h = abs < 0x38800000u ? sub : normal;
  h = abs >= 0x477ff000u ? U{} + 0x7c00u : h;
  h = abs > 0x7f800000u ? U{} + 0x7e00u : h;
  return h | sign;
}

// Fp16ToFp32 per lane of binary16 bits.
template <int W>
PB_INLINE typename Lanes<W>::F FromFp16Bits(typename Lanes<W>::U h) {
  using U = typename Lanes<W>::U;
  using I = typename Lanes<W>::I;
  const U sign = (h & 0x8000u) << 16;
  const U a = h & 0x7fffu;
  const U e = a >> 10;
  const U normal = (a << 13) + (112u << 23);
  const U special = (a << 13) | 0x7f800000u;  // infinity, NaN
  const typename Lanes<W>::F sub =
      __builtin_convertvector(reinterpret_cast<I>(a), typename Lanes<W>::F) * 0x1p-24f;
  U r = e == 0 ? reinterpret_cast<U>(Bits<W>(sub)) : (e == 31 ? special : normal);
  return FromBits<W>(reinterpret_cast<I>(r | sign));
}

template <int W>
PB_INLINE void Bf16ToFp32Impl(const uint8_t* in, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    const typename Lanes<W>::U u = LoadHalves<W>(in + 2 * i) << 16;
    std::memcpy(out + i, &u, sizeof u);
  }
  for (; i < n; ++i) out[i] = Bf16ToFp32(static_cast<uint16_t>(in[2 * i] | in[2 * i + 1] << 8));
}

template <int W>
PB_INLINE void Fp16ToFp32Impl(const uint8_t* in, int64_t n, float* out) {
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    const typename Lanes<W>::F f = FromFp16Bits<W>(LoadHalves<W>(in + 2 * i));
    std::memcpy(out + i, &f, sizeof f);
  }
  for (; i < n; ++i) out[i] = Fp16ToFp32(static_cast<uint16_t>(in[2 * i] | in[2 * i + 1] << 8));
}

template <int W>
PB_INLINE void Fp32ToFp16Impl(const float* x, int64_t n, uint8_t* out) {
  int64_t i = 0;
  for (; i + W <= n; i += W) StoreHalves<W>(ToFp16Bits<W>(Load<W>(x + i)), out + 2 * i);
  for (; i < n; ++i) {
    const uint16_t h = Fp32ToFp16(x[i]);
    std::memcpy(out + 2 * i, &h, 2);
  }
}

template <int W>
PB_INLINE void Fp32ToBf16Impl(const float* x, int64_t n, uint8_t* out) {
  using U = typename Lanes<W>::U;
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    U u = reinterpret_cast<U>(Bits<W>(Load<W>(x + i)));
    u = (u & 0x7fffffffu) > 0x7f800000u ? (u & 0xffff0000u) | (64u << 16) : u;  // quiet NaN
    StoreHalves<W>((u + (0x7fffu + ((u >> 16) & 1u))) >> 16, out + 2 * i);
  }
  for (; i < n; ++i) {
    const uint16_t h = Fp32ToBf16(x[i]);
    std::memcpy(out + 2 * i, &h, 2);
  }
}

template <int W>
PB_INLINE bool Fp16RoundTripImpl(const float* x, int64_t n, float* out) {
  using U = typename Vec<W>::U;
  U diff{};
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    const U w = reinterpret_cast<U>(Bits<W>(Load<W>(x + i)));
    const U r = Fp16RoundTripV<W>(w);
    diff |= r ^ w;
    std::memcpy(out + i, &r, sizeof r);
  }
  bool same = Reduce<W>(diff, OrOp()) == 0;
  for (; i < n; ++i) {
    out[i] = Fp16ToFp32(Fp32ToFp16(x[i]));
    same &= std::memcmp(out + i, x + i, 4) == 0;
  }
  return same;
}

// One function per width and conversion; PB_KERNELS(Name, Params, Args) declares the three.
#if PB_QUANT_WIDE
#define PB_KERNELS(R, Name, Params, Args)                                    \
  R Name##4 Params { return Name##Impl<4> Args; }                            \
  PB_TARGET_AVX2 R Name##8 Params { return Name##Impl<8> Args; }             \
  PB_TARGET_AVX512 R Name##16 Params { return Name##Impl<16> Args; }         \
  R Name##Dispatch Params {                                                  \
    const int w = KernelWidth();                                             \
    return w == 16 ? Name##16 Args : (w == 8 ? Name##8 Args : Name##4 Args); \
  }
#else
#define PB_KERNELS(R, Name, Params, Args) \
  R Name##Dispatch Params { return Name##Impl<4> Args; }
#endif

PB_KERNELS(void, Bf16ToFp32, (const uint8_t* in, int64_t n, float* out), (in, n, out))
PB_KERNELS(void, Fp16ToFp32, (const uint8_t* in, int64_t n, float* out), (in, n, out))
PB_KERNELS(void, Fp32ToFp16, (const float* x, int64_t n, uint8_t* out), (x, n, out))
PB_KERNELS(void, Fp32ToBf16, (const float* x, int64_t n, uint8_t* out), (x, n, out))
PB_KERNELS(bool, Fp16RoundTrip, (const float* x, int64_t n, float* out), (x, n, out))
#undef PB_KERNELS

}  // namespace
}  // namespace provbadge::verifier::quant_internal

namespace provbadge::verifier {

void Bf16RowToFp32(const uint8_t* in, int64_t n, float* out) {
  quant_internal::Bf16ToFp32Dispatch(in, n, out);
}
void Fp16RowToFp32(const uint8_t* in, int64_t n, float* out) {
  quant_internal::Fp16ToFp32Dispatch(in, n, out);
}
void Fp32RowToFp16(const float* x, int64_t n, uint8_t* out) {
  quant_internal::Fp32ToFp16Dispatch(x, n, out);
}
void Fp32RowToBf16(const float* x, int64_t n, uint8_t* out) {
  quant_internal::Fp32ToBf16Dispatch(x, n, out);
}
bool Fp16RoundTripRow(const float* x, int64_t n, float* out) {
  return quant_internal::Fp16RoundTripDispatch(x, n, out);
}

}  // namespace provbadge::verifier
