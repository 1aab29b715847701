// The AVX-512 fused check of 16 Q4_1 or Q5_1 blocks at once from a bf16 source, on the bf16
// words as loaded (Group16MinMax): the group kernels' steps (quant_legacy_group16.h) with a
// block maximum and minimum. Private to quant_legacy_fused.cc; every function carries the
// AVX-512 target. Thread-safety: pure functions.
#ifndef PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_MINMAX_H_
#define PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_MINMAX_H_

#include "quant_legacy_group16.h"

#if PB_QUANT_WIDE

namespace provbadge::verifier::quant_internal::group16 {

#define PB_G16 PB_TARGET_AVX512 PB_INLINE

// bf16 words <-> 16-bit integers of the same order (an involution on each word: -0 just below
// +0, NaNs beyond the infinities).
PB_G16 __m512i OrderedWords(__m512i w) {
  // w ^ (sign-extended sign & 0x7fff)
  return _mm512_ternarylogic_epi32(w, _mm512_srai_epi16(w, 15), _mm512_set1_epi16(0x7fff), 0x78);
}

// Binary32 bits of the bf16 values whose ordered words (OrderedWords) are the sign-extended
// 32-bit lanes of k.
PB_G16 __m512 FromOrderedKeys(__m512i k) {
  const __m512i w =
      _mm512_xor_si512(k, _mm512_and_si512(_mm512_srai_epi32(k, 31), _mm512_set1_epi32(0x7fff)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16));
}

// Adds to *diff how the levels of one block of T (Q4_1, Q5_1; its even weights x0 and odd
// weights x1 as EvenOddWeights holds them, minimum minb and inverse scale idb in every lane)
// differ from the stored quants at s (past d and m): (x - min)*id + 0.5, rounded as the variant
// kFma rounds it, truncated (each level of a block the kernel judges is in [0, 32]), Q4_1's
// clamped to 15 (AddLevelDiff). kFlag: *other gets the lanes where the other variant's
// truncation differs.
template <GgmlType T, bool kFlag, bool kFma>
PB_G16 void EvenOddMinMaxDiff(__m512i x0, __m512i x1, __m512 minb, __m512 idb, const uint8_t* s,
                              LevelDiff* diff, __mmask16* other) {
  constexpr bool kQ5 = T == GgmlType::kQ5_1;
  const __m512 half = _mm512_set1_ps(0.5f);
  const __m512 x[2] = {_mm512_sub_ps(_mm512_castsi512_ps(x0), minb),
                       _mm512_sub_ps(_mm512_castsi512_ps(x1), minb)};
  __m512i t[2];
  for (int k = 0; k < 2; ++k) {
    t[k] = _mm512_cvttps_epi32(MulAdd<kFma>(x[k], idb, half));
    if constexpr (kFlag) {
      *other |= _mm512_cmpneq_epi32_mask(_mm512_cvttps_epi32(MulAdd<!kFma>(x[k], idb, half)), t[k]);
    }
  }
  AddLevelDiff<kQ5, kQ5 ? 0 : 15>(t[0], t[1], s, diff);
}

// Q4_1 (NMAX 15) / Q5_1 (31) on the bf16 words as loaded: the block maximum and minimum from one
// tree of 16-bit signed maxima of ordered words (OrderedWords; per 32-bit lane the low word
// holds the largest, the high word the complement of the smallest), d = (max - min)/NMAX and
// id = 1/d in lanes, the fp16 d and m compared as one 32-bit gather; q = (int)((x - min)*id +
// 0.5) (clamped to 15 for Q4_1). Declined as MinMaxBlock declines: a NaN or infinity (beyond the
// infinities' order), a zero max or min, a range neither 0 nor in [2^-100, FLT_MAX]. The trip:
// the blocks with a nonzero magnitude below 2^-17 (HasTinyWeight) or an extreme beyond 65280
// are tested exactly (TripChanges); *same is left as is (the caller judges every block the trip
// changes). Results, flags and redo as the group kernels' contract states them.
template <GgmlType T, bool kFlag, bool kTrip, bool kFma>
PB_G16 bool Group16MinMax(const uint8_t* src, const uint8_t* stored, uint32_t* trip,
                          [[maybe_unused]] uint32_t* same, uint8_t* may_differ, uint32_t* redo) {
  constexpr bool kQ5 = T == GgmlType::kQ5_1;
  constexpr int kBb = kQ5 ? 24 : 20, kNmax = kQ5 ? 31 : 15;
  const EvenOddWeights x{src};
  __m512i m[16];
  uint32_t tiny = 0;  // kTrip: the blocks with a nonzero magnitude below 2^-17 (HasTinyWeight)
  for (int b = 0; b < 16; ++b) {
    const __m512i raw = _mm512_loadu_si512(src + 64 * b);
    // Words (low, high) of each 32-bit lane: (key, ~key) against the swapped pair (formed with
    // a rotation of one XOR-ed vector instead, two operations fewer: slower from memory).
    const __m512i key = OrderedWords(raw);
    const __m512i not_key = _mm512_ternarylogic_epi32(key, key, key, 0x55);
    const __m512i a = _mm512_mask_blend_epi16(0xaaaaaaaa, key, not_key);
    const __m512i c = _mm512_rol_epi32(_mm512_mask_blend_epi16(0xaaaaaaaa, not_key, key), 16);
    m[b] = _mm512_max_epi16(a, c);
    if constexpr (kTrip) tiny |= static_cast<uint32_t>(HasTinyWeight(raw)) << b;
  }
  const __m512i top = MaxTree(m, MaxI16());
  const __m512 max = FromOrderedKeys(_mm512_srai_epi32(_mm512_slli_epi32(top, 16), 16));
  const __m512i high = _mm512_srai_epi32(top, 16);  // ~(smallest key), sign-extended
  const __m512 min = FromOrderedKeys(_mm512_ternarylogic_epi32(high, high, high, 0x55));
  const __m512 range = _mm512_sub_ps(max, min);
  const __m512 inf = _mm512_set1_ps(INFINITY);
  const __mmask16 finite =
      _mm512_cmp_ps_mask(max, inf, _CMP_LT_OQ) & _mm512_cmp_ps_mask(min, -inf, _CMP_GT_OQ);
  const __mmask16 nonzero = _mm512_cmp_ps_mask(max, _mm512_setzero_ps(), _CMP_NEQ_OQ) &
                            _mm512_cmp_ps_mask(min, _mm512_setzero_ps(), _CMP_NEQ_OQ);
  const __mmask16 range_ok = _mm512_cmp_ps_mask(range, _mm512_setzero_ps(), _CMP_EQ_OQ) |
                             (_mm512_cmp_ps_mask(range, _mm512_set1_ps(0x1p-100f), _CMP_GE_OQ) &
                              _mm512_cmp_ps_mask(range, _mm512_set1_ps(FLT_MAX), _CMP_LE_OQ));
  const __mmask16 safe = finite & nonzero & range_ok;
  const __m512 d = _mm512_div_ps(range, _mm512_set1_ps(static_cast<float>(kNmax)));
  const __m512 id = _mm512_maskz_div_ps(_mm512_cmp_ps_mask(d, _mm512_setzero_ps(), _CMP_NEQ_UQ),
                                        _mm512_set1_ps(1.0f), d);
  const __m512i at =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(kBb));
  const __m512i want = _mm512_or_si512(Fp16BitsV(d), _mm512_slli_epi32(Fp16BitsV(min), 16));
  const __mmask16 bad_scale = _mm512_cmpneq_epi32_mask(_mm512_i32gather_epi32(at, stored, 1), want);
  alignas(64) float ids[16], mins[16];  // broadcast from memory: a load, no shuffle
  _mm512_store_ps(ids, id);
  _mm512_store_ps(mins, min);
  LevelDiff diff = LevelDiff::None();  // quants that differ, any block
  alignas(32) uint16_t others[16];     // kFlag: per block, the lanes the other variant differs in
  for (int b = 0; b < 16; ++b) {
    __mmask16 other = 0;
    EvenOddMinMaxDiff<T, kFlag, kFma>(x(b, 0), x(b, 1), _mm512_set1_ps(mins[b]),
                                      _mm512_set1_ps(ids[b]), stored + kBb * b + 4, &diff, &other);
    if constexpr (kFlag) others[b] = other;
  }
  if constexpr (kFlag) StoreFlags(others, may_differ);
  if constexpr (kTrip) {
    const __m512i amax =
        _mm512_max_epu32(_mm512_and_si512(_mm512_castps_si512(max), _mm512_set1_epi32(0x7fffffff)),
                         _mm512_and_si512(_mm512_castps_si512(min), _mm512_set1_epi32(0x7fffffff)));
    for (uint32_t t = tiny | _mm512_cmpgt_epu32_mask(amax, _mm512_set1_epi32(0x477f0000)); t != 0;
         t &= t - 1) {
      const int b = __builtin_ctz(t);
      *trip |= static_cast<uint32_t>(TripChanges(x(b, 0), x(b, 1))) << b;
    }
  }
  return GroupVerdict(safe, bad_scale, diff.Any(), redo);
}

#undef PB_G16

}  // namespace provbadge::verifier::quant_internal::group16

#endif  // PB_QUANT_WIDE

#endif  // PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_MINMAX_H_
