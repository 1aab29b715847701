// Private to the vectorized kernels (quant_kquants_simd.cc, quant_kquants_q6k.cc,
// quant_legacy_simd.cc, quant_legacy_fused.cc, quant_convert_simd.cc): GCC vector types of one
// width W (16 lanes AVX-512, 8 AVX2, 4 portable), the per-lane primitives with exactly the scalar
// port's roundings (fma per lane, exact horizontal max/min/or), the sub-block -> lane transpose,
// and the kernel width dispatch. Everything here is always inlined into width-specific functions
// compiled with `target` attributes (see the .cc files), so no vector crosses an ABI boundary.
//
// Thread-safety: pure functions; the kernel width is a process-wide atomic.
#ifndef PROVBADGE_VERIFIER_SRC_QUANT_SIMD_H_
#define PROVBADGE_VERIFIER_SRC_QUANT_SIMD_H_

#include <cstdint>
#include <cstring>
#include <utility>

#include "quant_internal.h"

// The vector helpers below are internal and always inlined, so the note that passing 64-byte
// vectors by value would change the ABI between targets does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// Clang 14 refuses to pass these vectors by value from a target("avx512f") function to a helper
// compiled without it (even always-inlined), so clang builds (sanitizers, fuzzing) and other
// architectures use the portable width only.
#if defined(__clang__) || !defined(__x86_64__)
#define PB_QUANT_WIDE 0
#else
#define PB_QUANT_WIDE 1
// DQ/BW/VL and BMI2 too (every AVX-512 CPU since Skylake-SP has them; the dispatch checks them).
#define PB_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,bmi2")))
#define PB_TARGET_AVX2 __attribute__((target("avx2")))
// The legacy quantizers' FMA variant needs the instruction too (checked by their dispatch).
#define PB_TARGET_AVX2_FMA __attribute__((target("avx2,fma")))
#endif

namespace provbadge::verifier::quant_internal {

// 16, 8 or 4: the kernel width in use (the widest this CPU runs, unless SetQuantKernelLanes
// narrowed it), and the widest.
int KernelWidth();
int WidestKernelWidth();
// The legacy kernels' width: KernelWidth(), except 4 where the 8-lane one lacks FMA.
int LegacyKernelWidth();

namespace simd {

#define PB_INLINE inline __attribute__((always_inline))

// The vector types of one width.
template <int W>
struct Vec {
  typedef float F __attribute__((vector_size(W * 4)));
  typedef int32_t I __attribute__((vector_size(W * 4)));
  typedef uint32_t U __attribute__((vector_size(W * 4)));
  typedef uint16_t H __attribute__((vector_size(W * 2)));  // W 16-bit values
};

template <int W>
PB_INLINE typename Vec<W>::F Load(const float* p) {
  typename Vec<W>::F v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <int W>
PB_INLINE typename Vec<W>::I Bits(typename Vec<W>::F v) {
  typename Vec<W>::I i;
  std::memcpy(&i, &v, sizeof i);
  return i;
}

template <int W>
PB_INLINE typename Vec<W>::F FromBits(typename Vec<W>::I i) {
  typename Vec<W>::F v;
  std::memcpy(&v, &i, sizeof v);
  return v;
}

// fma per lane (one rounding). In a function whose target has FMA (AVX-512, "avx2,fma") GCC
// turns the loop into one vfmadd; elsewhere it calls fmaf, which is exact but slow.
template <int W>
PB_INLINE typename Vec<W>::F FmaV(typename Vec<W>::F a, typename Vec<W>::F b,
                                  typename Vec<W>::F c) {
  typename Vec<W>::F r;
  for (int k = 0; k < W; ++k) r[k] = __builtin_fmaf(a[k], b[k], c[k]);
  return r;
}

// Horizontal reductions: halves combined with `op` down to one lane (any N a power of two).
struct MaxOp {
  template <typename V>
  PB_INLINE V operator()(V a, V b) const {
    return a > b ? a : b;
  }
};
struct MinOp {
  template <typename V>
  PB_INLINE V operator()(V a, V b) const {
    return a < b ? a : b;
  }
};
struct OrOp {
  template <typename V>
  PB_INLINE V operator()(V a, V b) const {
    return a | b;
  }
};

template <int H, typename V, typename Op, int... C>
PB_INLINE auto ReduceStep(V v, Op op, std::integer_sequence<int, C...>) {
  return op(__builtin_shufflevector(v, v, C...), __builtin_shufflevector(v, v, (C + H)...));
}

template <int N, typename V, typename Op>
PB_INLINE auto Reduce(V v, Op op) {
  if constexpr (N == 1) {
    return v[0];
  } else {
    return Reduce<N / 2>(ReduceStep<N / 2>(v, op, std::make_integer_sequence<int, N / 2>()), op);
  }
}

// ggml's nearest_int per lane (the integer trick, so out-of-range inputs behave the same).
template <int W>
PB_INLINE typename Vec<W>::I NearestIntV(typename Vec<W>::F f) {
  const typename Vec<W>::F v = f + 12582912.f;
  typename Vec<W>::I i;
  std::memcpy(&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

// roundf(t) (half away from zero) per lane for |t| <= 128, as trunc(t + copysign(0.5 - 2^-25, t)):
// one rounded addition and a truncation. Proven exhaustively against std::roundf over every
// float with |t| <= 128 (tests/verifier/quant_round_test.cc); Q8_0's |x * id| stays below 127.5.
template <int W>
PB_INLINE typename Vec<W>::I RoundHalfAwayV(typename Vec<W>::F t) {
  const typename Vec<W>::I c = (Bits<W>(t) & INT32_MIN) | 0x3effffff;  // +-(0.5 - 2^-25)
  return __builtin_convertvector(t + FromBits<W>(c), typename Vec<W>::I);
}

// clamp(NearestInt(f), 0, nmax) as integers.
template <int W>
PB_INLINE typename Vec<W>::I LevelV(typename Vec<W>::F f, typename Vec<W>::I nmax) {
  typename Vec<W>::I l = NearestIntV<W>(f);
  l = l < 0 ? 0 : l;
  return l > nmax ? nmax : l;
}

template <int W>
PB_INLINE typename Vec<W>::F Abs(typename Vec<W>::F v) {
  typename Vec<W>::I i;
  std::memcpy(&i, &v, sizeof i);
  i &= 0x7fffffff;
  std::memcpy(&v, &i, sizeof v);
  return v;
}

// One butterfly stage of a WxW transpose: swaps bit D of the row index with bit D of the
// column index (rows i and i + D, for i with bit D clear). __builtin_shufflevector (GCC >= 12
// and clang) takes the lane indices as constants, hence the index pack.
template <int W, int D, int... C>
PB_INLINE void TransposeStage(typename Vec<W>::F* r, std::integer_sequence<int, C...>) {
  for (int i = 0; i < W; ++i) {
    if (i & D) continue;
    const typename Vec<W>::F a = r[i], b = r[i + D];
    r[i] = __builtin_shufflevector(a, b, ((C & D) ? W + C - D : C)...);
    r[i + D] = __builtin_shufflevector(a, b, ((C & D) ? W + C : C + D)...);
  }
}

template <int W, int D>
PB_INLINE void TransposeStage(typename Vec<W>::F* r) {
  TransposeStage<W, D>(r, std::make_integer_sequence<int, W>());
}

// out[l][k] = rows[k][l] for a WxW block whose row k starts at rows[k].
template <int W>
PB_INLINE void Transpose(const float* const* rows, typename Vec<W>::F* out) {
  for (int k = 0; k < W; ++k) out[k] = Load<W>(rows[k]);
  if constexpr (W >= 16) TransposeStage<W, 8>(out);
  if constexpr (W >= 8) TransposeStage<W, 4>(out);
  TransposeStage<W, 2>(out);
  TransposeStage<W, 1>(out);
}

// Fp16ToFp32(Fp32ToFp16(x)) per lane without forming the binary16 bits: the same roundings
// (integer rounding of the low 13 mantissa bits; |x| + 0.5 - 0.5 below 2^-14), the same
// infinities (|x| rounds to >= 65520) and NaN (0x7E00 | sign -> quiet NaN with x's sign).
template <int W>
PB_INLINE typename Vec<W>::U Fp16RoundTripV(typename Vec<W>::U w) {
  using U = typename Vec<W>::U;
  const U abs = w & 0x7fffffffu;
  const U normal = (abs + 0xfffu + ((abs >> 13) & 1u)) & ~0x1fffu;
  const typename Vec<W>::F af = FromBits<W>(reinterpret_cast<typename Vec<W>::I>(abs));
  const U sub = reinterpret_cast<U>(Bits<W>((af + 0.5f) - 0.5f));
  U r = abs < 0x38800000u ? sub : normal;
  r = abs >= 0x477ff000u ? (abs > 0x7f800000u ? U{} + 0x7fc00000u : U{} + 0x7f800000u) : r;
  return r | (w & 0x80000000u);
}

// Per sub-block results of stage 1: the scale and the_min, and what re-derives the chosen
// levels (StageOneLevels): `flat` (all levels 0), the inverse scale and min they came from.
struct StageOne {
  float scale[16], the_min[16], sel_iscale[16], sel_min[16];  // the_min, sel_min: Qkx2 only
  bool flat[16];
};

}  // namespace simd
}  // namespace provbadge::verifier::quant_internal

#endif  // PROVBADGE_VERIFIER_SRC_QUANT_SIMD_H_
