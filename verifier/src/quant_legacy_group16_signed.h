// The AVX-512 fused check of 16 Q4_0 or Q5_0 blocks at once from a bf16 source, on the bf16
// words as loaded (Group16Signed): the group kernels' steps (quant_legacy_group16.h) in Group16Q8's
// form. Private to quant_legacy_fused.cc; every function carries the AVX-512 target. Thread-safety:
// pure functions.
#ifndef PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_SIGNED_H_
#define PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_SIGNED_H_

#include "quant_legacy_group16_q8.h"

#if PB_QUANT_WIDE

namespace provbadge::verifier::quant_internal::group16 {

#define PB_G16 PB_TARGET_AVX512 PB_INLINE

// Adds to *diff how the levels of one block of T (Q4_0, Q5_0; its even weights x0 and odd
// weights x1 as EvenOddWeights holds them) differ from the stored quants at s (past the scale):
// x*id + 8.5 (16.5) rounded as the variant kFma rounds it and truncated (each level of a block
// SafeBlocks judges is in [0, 32]; the other blocks' results are not used), clamped to NMAX
// (AddLevelDiff). kFlag: *other gets the lanes where the other variant's truncation differs
// (before the clamp: a superset of the lanes whose levels differ).
template <GgmlType T, bool kFlag, bool kFma>
PB_G16 void EvenOddSignedDiff(__m512i x0, __m512i x1, __m512 idb, const uint8_t* s, LevelDiff* diff,
                              __mmask16* other) {
  constexpr bool kQ5 = T == GgmlType::kQ5_0;
  const __m512 bias = _mm512_set1_ps(kQ5 ? 16.5f : 8.5f);
  const __m512 x[2] = {_mm512_castsi512_ps(x0), _mm512_castsi512_ps(x1)};
  __m512i t[2];
  for (int k = 0; k < 2; ++k) {
    t[k] = _mm512_cvttps_epi32(MulAdd<kFma>(x[k], idb, bias));
    if constexpr (kFlag) {
      *other |= _mm512_cmpneq_epi32_mask(_mm512_cvttps_epi32(MulAdd<!kFma>(x[k], idb, bias)), t[k]);
    }
  }
  AddLevelDiff<kQ5, kQ5 ? 31 : 15>(t[0], t[1], s, diff);
}

// TripBlocks' differ for Group16Signed.
template <GgmlType T, bool kFlag, bool kFma>
struct EvenOddDiffer {
  PB_G16 bool operator()(__m512i t0, __m512i t1, __m512 idb, const uint8_t* s) const {
    __mmask16 other = 0;
    LevelDiff diff = LevelDiff::None();
    EvenOddSignedDiff<T, kFlag, kFma>(t0, t1, idb, s, &diff, &other);
    return diff.Any() || other != 0;
  }
};

// The first value of largest magnitude's sign of a block whose largest magnitude a (bf16 bits)
// occurs at both signs: that of the first weight of magnitude a.
PB_G16 bool FirstMaxNegative(__m512i raw, uint16_t a) {
  const uint32_t at = _cvtmask32_u32(_mm512_cmpeq_epi16_mask(
      _mm512_and_si512(raw, _mm512_set1_epi16(0x7fff)), _mm512_set1_epi16(static_cast<short>(a))));
  return (at & (0u - at) & _cvtmask32_u32(_mm512_movepi16_mask(raw))) != 0;
}

// Q4_0/Q5_0 by the group kernels' steps on the bf16 words as loaded. The block extremes come from
// one tree of 16-bit maxima of the raw words, with no key: per 32-bit lane the high word holds the
// unsigned maximum U (the largest-magnitude negative weight when there is one, sign bit set,
// else the largest non-negative) and the low word that of the words with the sign bit flipped,
// i.e. the signed maximum S (the largest non-negative weight when there is one, else the
// largest-magnitude negative). So amax = max(|U|, |S|), a negative weight of magnitude amax
// exists iff U is one, a non-negative one iff S is one, and where both exist (rare) the first of
// them decides the sign (FirstMaxNegative); an all-zero block's max is +0 as the reference's.
// The blocks the f16 trip may change: a nonzero magnitude below 2^-17 (HasTinyWeight) or a maximum
// above 65280. The weights widen with no shuffle (EvenOddWeights) and their levels meet the
// stored nibbles with one permutation and one multiply-add (AddLevelDiff), the differences of
// the 16 blocks accumulated and tested once; the inverse scales are broadcast from memory. Results,
// flags and redo as the group kernels' contract states them.
template <GgmlType T, bool kFlag, bool kTrip, bool kFma>
PB_G16 bool Group16Signed(const uint8_t* src, const uint8_t* stored, uint32_t* trip, uint32_t* same,
                          uint8_t* may_differ, uint32_t* redo) {
  static_assert(T == GgmlType::kQ4_0 || T == GgmlType::kQ5_0, "signed-maximum types");
  constexpr bool kQ5 = T == GgmlType::kQ5_0;
  constexpr int kBb = kQ5 ? 22 : 18;
  const EvenOddWeights x{src};
  __m512i m[16];
  uint32_t tiny = 0;  // kTrip: the blocks with a nonzero magnitude below 2^-17 (HasTinyWeight)
  for (int b = 0; b < 16; ++b) {
    const __m512i raw = _mm512_loadu_si512(src + 64 * b);
    // Words (low, high) of each 32-bit lane: (S-order low, U-order high) against the swapped.
    // (Formed as (raw ^ 0x8000) and rol(raw, 16) ^ 0x8000 instead, one operation fewer: as fast
    // in L2, about 10 % slower from memory beyond L3; bench/README, session 10.)
    const __m512i rx = _mm512_xor_si512(raw, _mm512_set1_epi16(static_cast<short>(0x8000)));
    const __m512i a = _mm512_mask_blend_epi16(0x55555555, raw, rx);
    const __m512i c = _mm512_rol_epi32(_mm512_mask_blend_epi16(0x55555555, rx, raw), 16);
    m[b] = _mm512_max_epu16(a, c);
    if constexpr (kTrip) tiny |= static_cast<uint32_t>(HasTinyWeight(raw)) << b;
  }
  const __m512i top = MaxTree(m, MaxU16());
  const __m512i u = _mm512_srli_epi32(top, 16);
  const __m512i s =
      _mm512_xor_si512(_mm512_and_si512(top, _mm512_set1_epi32(0xffff)), _mm512_set1_epi32(0x8000));
  const __m512i mag = _mm512_set1_epi32(0x7fff);
  const __m512i a = _mm512_max_epu32(_mm512_and_si512(u, mag), _mm512_and_si512(s, mag));
  const __m512i amax = _mm512_slli_epi32(a, 16);
  const __mmask16 zero = _mm512_testn_epi32_mask(a, a);
  const __mmask16 neg = _mm512_cmpeq_epi32_mask(u, _mm512_or_si512(a, _mm512_set1_epi32(0x8000)));
  const __mmask16 pos = _mm512_cmpeq_epi32_mask(s, a);
  __mmask16 negative = neg & ~pos & ~zero;
  for (__mmask16 both = neg & pos & ~zero; both != 0; both &= both - 1) {
    const int b = __builtin_ctz(both);
    const uint16_t ab = static_cast<uint16_t>(
        _mm512_cvtsi512_si32(_mm512_permutexvar_epi32(_mm512_set1_epi32(b), a)));
    if (FirstMaxNegative(_mm512_loadu_si512(src + 64 * b), ab)) negative |= 1u << b;
  }
  const __mmask16 safe = SafeBlocks(amax);
  __mmask16 may_trip = 0;
  if constexpr (kTrip) {
    may_trip =
        static_cast<__mmask16>(tiny) | _mm512_cmpgt_epu32_mask(amax, _mm512_set1_epi32(0x477f0000));
  }
  const __m512i max = _mm512_mask_or_epi32(amax, negative, amax, _mm512_set1_epi32(INT32_MIN));
  const __m512 d = _mm512_div_ps(_mm512_castsi512_ps(max), _mm512_set1_ps(kQ5 ? -16.f : -8.f));
  __m512 id;
  const __mmask16 bad_scale = ScalesDiffer<kBb>(d, stored, &id);
  alignas(64) float ids[16];
  _mm512_store_ps(ids, id);
  LevelDiff diff = LevelDiff::None();  // quants that differ, any block
  alignas(32) uint16_t others[16];     // kFlag: per block, the lanes the other variant differs in
  for (int b = 0; b < 16; ++b) {
    __mmask16 other = 0;
    EvenOddSignedDiff<T, kFlag, kFma>(x(b, 0), x(b, 1), _mm512_set1_ps(ids[b]),
                                      stored + kBb * b + 2, &diff, &other);
    if constexpr (kFlag) others[b] = other;
  }
  if constexpr (kFlag) StoreFlags(others, may_differ);
  if constexpr (kTrip) {
    TripBlocks<kBb>(may_trip, TripKeepsScale(amax), x, EvenOddDiffer<T, kFlag, kFma>(), id, stored,
                    trip, same);
  }
  return GroupVerdict(safe, bad_scale, diff.Any(), redo);
}

#undef PB_G16

}  // namespace provbadge::verifier::quant_internal::group16

#endif  // PB_QUANT_WIDE

#endif  // PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_SIGNED_H_
