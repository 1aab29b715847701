// Private helpers shared by the quantizer sources (quant_*.cc). Not part of the public API.
//
// Thread-safety: pure functions.
#ifndef PROVBADGE_VERIFIER_SRC_QUANT_INTERNAL_H_
#define PROVBADGE_VERIFIER_SRC_QUANT_INTERNAL_H_

#include <cstdint>
#include <cstring>

#include "provbadge/verifier/quant.h"

namespace provbadge::verifier::quant_internal {

inline constexpr int kQk = 32;    // legacy block
inline constexpr int kQkK = 256;  // K-quant super-block
inline constexpr float kGroupMaxEps = 1e-15f;

// ggml's nearest_int: round half to even through the 1.5*2^23 magic number. Defined (no UB)
// for every input; matches the reference for |f| <= 4194303.
inline int NearestInt(float f) {
  const float v = f + 12582912.f;
  int32_t i;
  std::memcpy(&i, &v, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// Fp32ToFp16, inline for |f| in f16's normal range [2^-14, 65520) (the rounding of the low 13
// mantissa bits to nearest even, as Fp32ToFp16 does there), the function otherwise.
inline uint16_t Fp32ToFp16Inline(float f) {
  uint32_t w;
  std::memcpy(&w, &f, 4);
  const uint32_t abs = w & 0x7fffffffu;
  if (abs - 0x38800000u >= 0x477ff000u - 0x38800000u) return Fp32ToFp16(f);
  const uint32_t h = ((abs + 0xfffu + ((abs >> 13) & 1u)) >> 13) - (112u << 10);
  return static_cast<uint16_t>(((w >> 16) & 0x8000u) | h);
}

inline void StoreFp16(uint8_t* p, float f) {
  const uint16_t h = Fp32ToFp16Inline(f);
  p[0] = static_cast<uint8_t>(h & 0xff);
  p[1] = static_cast<uint8_t>(h >> 8);
}

inline float LoadFp16(const uint8_t* p) {
  return Fp16ToFp32(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}

// Q4_K / Q5_K 6-bit scale and min of sub-block j (get_scale_min_k4).
inline void ScaleMinK4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Row quantizers; `nb` blocks of `x` into `y`.
// Legacy types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): the vectorized kernels (quant_legacy_simd.cc) and
// the scalar port they fall back to and are tested against (quant_legacy.cc).
// fma_may_differ (optional, nb bytes): 1 where the other rounding variant's block might differ.
void QuantizeLegacy(GgmlType type, const float* x, uint8_t* y, int64_t nb, RoundingVariant v,
                    uint8_t* fma_may_differ = nullptr);
void QuantizeLegacyScalar(GgmlType type, const float* x, uint8_t* y, int64_t nb, RoundingVariant v);
// The fidelity check's fused step (quant_legacy_fused.cc), legacy types only: whether
// QuantizeLegacy(type, x, y, nb, variant) gives exactly the nb stored blocks at `stored`, where
// x is the 32 * nb little-endian bf16 values at `src` as binary32 (no row of x is formed).
// False at the first block that differs (the outputs are then unspecified); when true,
// changed[b] (if not null) says what the f16 trip x16 = Fp16ToFp32(Fp32ToFp16(x)) does to block
// b (TripEffect), and may_differ[b] (if not null; ignored for Q8_0) is 1 where the other
// rounding variant's block may differ: at least where it does, at most where
// QuantizeLegacy(type, x, y, nb, variant, may_differ) flags (FmaWatch); the AVX-512 group kernel
// flags exactly where the other variant's truncations differ. Q8_0 has one rounding: its variant
// is ignored. Any other type: false.
enum TripEffect : uint8_t {
  kTripKeeps = 0,    // x16 == x in every weight of the block
  kTripSame = 1,     // x16 != x, yet the variant's quantization of x16 is the stored block too
                     // and, when may_differ was asked for, so is the other variant's; without
                     // may_differ also a block whose x16 may equal x but provably quantizes to
                     // the stored block (the AVX-512 kernels from the stored scales report such
                     // blocks untested: quant_legacy_group16_by_scale.h)
  kTripChanges = 2,  // x16 != x; its blocks are not known to equal the stored one
};
bool FusedLegacyCheckBf16(GgmlType type, const uint8_t* src, const uint8_t* stored, int64_t nb,
                          uint8_t* changed, uint8_t* may_differ,
                          RoundingVariant variant = RoundingVariant::kPlain);
void QuantizeQ2K(const float* x, uint8_t* y, int64_t nb);
void QuantizeQ3K(const float* x, uint8_t* y, int64_t nb);
void QuantizeQ4K(const float* x, uint8_t* y, int64_t nb);
void QuantizeQ5K(const float* x, uint8_t* y, int64_t nb);
void QuantizeQ6K(const float* x, uint8_t* y, int64_t nb);

// The straightforward scalar ports (quant_kquants.cc): the oracle of the vectorized kernels.
void QuantizeQ2KScalar(const float* x, uint8_t* y, int64_t nb);
void QuantizeQ45KScalar(const float* x, uint8_t* y, int64_t nb, int nmax);
void QuantizeQ6KScalar(const float* x, uint8_t* y, int64_t nb);
// Pieces of stage 2 shared by the scalar and vectorized paths: scale codes and fp16 super-scales
// into the block header, and the packing of the final levels L[0..255].
void ScaleCodesQ2K(const float* scales, const float* mins, uint8_t* y);
void ScaleCodesQ45K(const float* scales, const float* mins, uint8_t* y);
void Pack2Bit(const uint8_t* L, uint8_t* qs);  // Q2_K / Q3_K qs[64]
void PackQ45K(const uint8_t* L, uint8_t* y, int nmax);
// Q6_K: false (block zeroed, nothing left to do) when every scale is below kGroupMaxEps.
bool ScaleCodesQ6K(const float* scales, uint8_t* y);
void PackQ6K(const int8_t* L, uint8_t* y);
// Stage 2 (scale codes, fp16 super-scales, final re-rounding, packing) from stage-1 results.
void FinishQ2K(const float* x, const float* scales, const float* mins, uint8_t* L, uint8_t* y);
void FinishQ45K(const float* x, const float* scales, const float* mins, uint8_t* L, uint8_t* y,
                int nmax);
void FinishQ6K(const float* x, const float* scales, int8_t* L, uint8_t* y);

}  // namespace provbadge::verifier::quant_internal

#endif  // PROVBADGE_VERIFIER_SRC_QUANT_INTERNAL_H_
