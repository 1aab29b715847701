// The AVX-512 fused check of 16 Q4_0, Q5_0 or Q8_0 blocks at once from a bf16 source, from their
// stored scales (Group16SignedByScale, Group16Q8ByScale): a faster first try that Group16Signed
// (quant_legacy_group16_signed.h) and Group16Q8 (_q8.h) stand behind. It either proves that
// every block of the group is the one the reference makes from its weights, with the rounding
// variant checked, and gives the tree kernel's outputs for that case (but the f16 trip's, sound
// rather than exact without flags: TripTested), or declines the group (false, no output
// written), and the caller runs the tree kernel on it. A declined group is not a verdict.
//
// Why the stored scale can stand in for a Q4_0/Q5_0 block's maximum (Q8_0: Group16Q8ByScale's
// comment): the reference's scale is
// d = max / -8 (Q5_0: / -16), max the first weight of largest magnitude. For a bf16 weight max
// this division is exact and d has bf16's 8 significant bits, which binary16 holds exactly
// wherever d is a normal binary16 value (|d| in [2^-14, 65504]); so there the stored binary16
// scale, if it is the reference's, is d itself, its three lowest mantissa bits are zero, and
// A = 8 |d| (16 |d|) is the block's largest magnitude. Conversely, the group is accepted only
// when for each block, from its stored scale h alone:
//   - h is a normal binary16 value with its three lowest bits zero, or h = 0x8000 (the -0 an
//     all-zero block stores: its max is +0 and +0 / -8 = -0);
//   - no weight's magnitude exceeds A, and some weight's equals it (bf16 magnitudes compare as
//     16-bit integers; a NaN or an infinity exceeds every finite A), so A is the block's largest
//     magnitude;
//   - the first weight of magnitude A has the sign of -h, so it is -8 d (-16 d): the
//     reference's max is that weight and its d is the stored scale's value, exactly;
//   - with that d's inverse, every quant is the stored one (the same element-wise rounding,
//     clamp and compare as Group16Signed: EvenOddSignedDiff).
// Then the reference's scale bits are h (d is exactly h's value) and its quants are the stored
// ones: the block is the reference's. Every block Group16Signed would decline (SafeBlocks: NaN,
// infinity, a maximum in (0, 2^-100)) fails the first two points, so an accepted group has no
// block for the caller to redo. Blocks whose scale is outside binary16's normal range (a maximum
// below 2^-11 or above 524032, a rare checkpoint block) decline their group.
//
// What this saves against Group16Signed: the block extremes (five operations a block and a
// 46-operation reduction tree per group), the scale's binary16 bits, and the wait for the tree
// before the rounding: the inverses come from the stored scales, read at once. In their place
// two compares a block and a few scalar operations.
//
// Private to quant_legacy_fused.cc; every function carries the AVX-512 target (the dispatch
// checks the CPU). Thread-safety: pure functions.
#ifndef PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_BY_SCALE_H_
#define PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_BY_SCALE_H_

#include "quant_legacy_group16_signed.h"

#if PB_QUANT_WIDE

namespace provbadge::verifier::quant_internal::group16 {

#define PB_G16 PB_TARGET_AVX512 PB_INLINE

// The lanes whose binary16 exponent field (32 or more with the sign bit above it) is a normal
// value's: 1 to 30.
PB_G16 __mmask16 NormalExponent(__m512i exponent) {
  return _mm512_cmpgt_epi32_mask(exponent, _mm512_setzero_si512()) &
         _mm512_cmplt_epi32_mask(exponent, _mm512_set1_epi32(31));
}

// The lanes whose stored scale h is one a bf16 block's maximum can give exactly: a normal
// binary16 value with its three lowest mantissa bits zero, or 0x8000.
PB_G16 __mmask16 ExactScales(__m512i h) {
  const __m512i exponent = _mm512_and_si512(_mm512_srli_epi32(h, 10), _mm512_set1_epi32(31));
  return (NormalExponent(exponent) & _mm512_testn_epi32_mask(h, _mm512_set1_epi32(7))) |
         _mm512_cmpeq_epi32_mask(h, _mm512_set1_epi32(0x8000));
}

// The smallest largest magnitude (binary32 bits) from which the f16 trip provably leaves a
// block's quants as they are: 2^-11 for Q4_0/Q5_0, 2^-8 for Q8_0 (every nonzero block these
// kernels accept has at least that much: d >= 2^-14). The trip changes only magnitudes below
// 2^-17 (kTripExactFromBf16; to at most 2^-17) and above 65280. With the block's largest
// magnitude A in [2^-11, 65280] its maximum, d and id stay (TripKeepsScale) and |id| = 8 / A
// (16 / A) <= 2^15, so a weight the trip changes has |x * id| <= 2^-17 * 2^15 = 1/4 before and
// after: its level is 8 (Q5_0: 16) in both, x * id + 8.5 (16.5) rounded in either variant
// staying in [8.25, 8.75] ([16.25, 16.75]). For Q8_0 from A >= 2^-8, |id| = 127 / A (rounded)
// < 2^15 likewise, so |x * id| < 1/4 and its quant is 0 in both.
constexpr int32_t kProvenFromSigned = 0x3a000000;  // 2^-11
constexpr int32_t kProvenFromQ8 = 0x3b800000;      // 2^-8

// The blocks whose f16 trip a kernel from the stored scales tests: all with kFlag (the flags
// ask which blocks the trip changes, exactly), else only those whose largest magnitude amax
// (binary32 bits) is outside [proven_from, 65280]. The others it reports as settled (bits of
// *trip and *same, kTripSame) whether the trip changes a weight of theirs or not: the trip
// provably reproduces them, so the report is sound (TripEffect, quant_internal.h) and the
// per-block test, about 13 % of the kernel, is skipped.
template <bool kFlag>
PB_G16 __mmask16 TripTested(__m512i amax, int32_t proven_from) {
  if constexpr (kFlag) return 0xffff;
  return static_cast<__mmask16>(~(_mm512_cmpge_epi32_mask(amax, _mm512_set1_epi32(proven_from)) &
                                  _mm512_cmple_epi32_mask(amax, _mm512_set1_epi32(0x477f0000))));
}

// Q4_0/Q5_0 from the stored scales, as the file comment states: true only when every block of
// the group is the reference's with the variant kFma; then, as Group16Signed's contract for such
// a group, may_differ[b] (kFlag) and bits b of *trip and *same (kTrip) are set, and no block is
// left to the caller. False: nothing written, the caller checks the group with Group16Signed.
template <GgmlType T, bool kFlag, bool kTrip, bool kFma>
PB_G16 bool Group16SignedByScale(const uint8_t* src, const uint8_t* stored, uint32_t* trip,
                                 uint32_t* same, uint8_t* may_differ) {
  static_assert(T == GgmlType::kQ4_0 || T == GgmlType::kQ5_0, "signed-maximum types");
  constexpr bool kQ5 = T == GgmlType::kQ5_0;
  constexpr int kBb = kQ5 ? 22 : 18;
  const __m512i h = StoredScales<kBb>(stored);
  if (ExactScales(h) != 0xffff) return false;
  const __m512 d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(h));
  const __mmask16 nonzero = _mm512_cmpneq_epi32_mask(h, _mm512_set1_epi32(0x8000));
  // A = |d| * 8 (16): the exponent raised by 3 (4), 0 where d is -0.
  const __m512i amax = _mm512_maskz_add_epi32(
      nonzero, _mm512_and_si512(_mm512_castps_si512(d), _mm512_set1_epi32(0x7fffffff)),
      _mm512_set1_epi32((kQ5 ? 4 : 3) << 23));
  alignas(64) float ids[16];
  alignas(64) uint32_t bound[16];  // A's bf16 bits in both 16-bit halves
  alignas(64) uint32_t sign[16];   // h: bit 15 is the sign the block's max must not have
  _mm512_store_ps(ids, _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(1.0f), d));
  const __m512i a16 = _mm512_srli_epi32(amax, 16);
  _mm512_store_si512(bound, _mm512_or_si512(a16, _mm512_slli_epi32(a16, 16)));
  _mm512_store_si512(sign, h);
  const EvenOddWeights x{src};
  const __mmask16 test = kTrip ? TripTested<kFlag>(amax, kProvenFromSigned) : 0;
  __mmask32 over = 0;    // some weight's magnitude exceeds its block's A
  uint32_t not_max = 0;  // bit 15: a block's first weight of magnitude A is not -8 d (or none)
  uint32_t tiny = 0;     // kTrip: the blocks with a nonzero magnitude below 2^-17
  LevelDiff diff = LevelDiff::None();  // quants that differ, any block
  alignas(32) uint16_t others[16];     // kFlag: per block, the lanes the other variant differs in
  for (int b = 0; b < 16; ++b) {
    const uint8_t* const block = src + 64 * b;
    const __m512i raw = _mm512_loadu_si512(block);
    const __m512i mag = _mm512_and_si512(raw, _mm512_set1_epi16(0x7fff));
    const __m512i a = _mm512_set1_epi32(static_cast<int>(bound[b]));
    over |= _mm512_cmpgt_epu16_mask(mag, a);
    const uint32_t at = _cvtmask32_u32(_mm512_cmpeq_epu16_mask(mag, a));
    uint16_t first;  // the first weight of magnitude A (the last weight when there is none)
    std::memcpy(&first, block + 2 * __builtin_ctz(at | 0x80000000u), 2);
    not_max |= ~(first ^ sign[b]) | (at == 0 ? 0x8000u : 0u);
    if (kTrip && (test >> b & 1) != 0) tiny |= static_cast<uint32_t>(HasTinyMagnitude(mag)) << b;
    __mmask16 other = 0;
    EvenOddSignedDiff<T, kFlag, kFma>(x(b, 0), x(b, 1), _mm512_set1_ps(ids[b]),
                                      stored + kBb * b + 2, &diff, &other);
    if constexpr (kFlag) others[b] = other;
  }
  if (over != 0 || (not_max & 0x8000u) != 0 || diff.Any()) return false;
  if constexpr (kFlag) StoreFlags(others, may_differ);
  if constexpr (kTrip) {
    const __mmask16 may_trip =
        static_cast<__mmask16>(tiny) |
        (test & _mm512_cmpgt_epu32_mask(amax, _mm512_set1_epi32(0x477f0000)));
    TripBlocks<kBb>(may_trip, TripKeepsScale(amax), x, EvenOddDiffer<T, kFlag, kFma>(),
                    _mm512_load_ps(ids), stored, trip, same);
    *trip |= static_cast<uint16_t>(~test);  // settled untested: the trip reproduces them
    *same |= static_cast<uint16_t>(~test);
  }
  return true;
}

// The lanes whose stored Q8_0 scale h is one a bf16 block's largest magnitude can give: a
// positive normal binary16 value, or +0 (an all-zero block's 0 / 127).
PB_G16 __mmask16 Q8Scales(__m512i h) {
  return NormalExponent(_mm512_srli_epi32(h, 10)) | _mm512_testn_epi32_mask(h, h);
}

// Q8_0 from the stored scales (Group16Q8's outputs for a group it accepts; the same contract as
// Group16SignedByScale). Q8_0's d = amax / 127 is not exact, but a bf16 amax has 8 significant
// bits against binary16's 11, so the stored scale h names one amax: A, the bf16 rounding of
// h's value * 127, checked by forming d = A / 127 and its binary16 bits again (Fp16BitsV, the
// reference's rounding), which must be h. The group is accepted only when, for each block, h is
// a positive normal binary16 value or +0, that round trip gives h, no weight's magnitude exceeds
// A and one reaches it (A is the block's amax, so d and its inverse are the reference's), and
// every quant is the stored one.
template <bool kTrip>
PB_G16 bool Group16Q8ByScale(const uint8_t* src, const uint8_t* stored, uint32_t* trip,
                             uint32_t* same) {
  constexpr int kBb = 34;
  const __m512i h = StoredScales<kBb>(stored);
  if (Q8Scales(h) != 0xffff) return false;
  const __m512i v = _mm512_castps_si512(
      _mm512_mul_ps(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(h)), _mm512_set1_ps(127.f)));
  // A: v rounded to bf16 (to nearest, ties to even; v is finite and positive or +0).
  const __m512i amax = _mm512_and_si512(
      _mm512_add_epi32(_mm512_add_epi32(v, _mm512_set1_epi32(0x7fff)),
                       _mm512_and_si512(_mm512_srli_epi32(v, 16), _mm512_set1_epi32(1))),
      _mm512_set1_epi32(static_cast<int>(0xffff0000u)));
  const __m512 d = _mm512_div_ps(_mm512_castsi512_ps(amax), _mm512_set1_ps(127.f));
  if (_mm512_cmpneq_epi32_mask(Fp16BitsV(d), h) != 0) return false;
  alignas(64) float ids[16];
  alignas(64) uint32_t bound[16];  // A's bf16 bits in both 16-bit halves
  _mm512_store_ps(ids, _mm512_maskz_div_ps(_mm512_cmpneq_ps_mask(d, _mm512_setzero_ps()),
                                           _mm512_set1_ps(1.0f), d));
  const __m512i a16 = _mm512_srli_epi32(amax, 16);
  _mm512_store_si512(bound, _mm512_or_si512(a16, _mm512_slli_epi32(a16, 16)));
  const InterleavedWeights x{src};
  const __mmask16 test = kTrip ? TripTested<false>(amax, kProvenFromQ8) : 0;
  __mmask32 over = 0;                   // some weight's magnitude exceeds its block's A
  bool missing = false;                 // in some block no weight's magnitude is A
  uint32_t tiny = 0;                    // kTrip: the blocks with a nonzero magnitude below 2^-17
  __m512i ne = _mm512_setzero_si512();  // quants that differ, any block (OR of the XORs)
  for (int b = 0; b < 16; ++b) {
    const __m512i raw = _mm512_loadu_si512(src + 64 * b);
    const __m512i mag = _mm512_and_si512(raw, _mm512_set1_epi16(0x7fff));
    const __m512i a = _mm512_set1_epi32(static_cast<int>(bound[b]));
    over |= _mm512_cmpgt_epu16_mask(mag, a);
    missing |= _mm512_cmpeq_epu16_mask(mag, a) == 0;
    if (kTrip && (test >> b & 1) != 0) tiny |= static_cast<uint32_t>(HasTinyMagnitude(mag)) << b;
    AddQ8Diff(x(b, 0), x(b, 1), _mm512_set1_ps(ids[b]), stored + kBb * b + 2, &ne);
  }
  if (over != 0 || missing || _mm512_test_epi32_mask(ne, ne) != 0) return false;
  if constexpr (kTrip) {
    const __mmask16 may_trip =
        static_cast<__mmask16>(tiny) |
        (test & _mm512_cmpgt_epu32_mask(amax, _mm512_set1_epi32(0x477f0000)));
    TripBlocks<kBb>(may_trip, TripKeepsScale(amax), x, Q8Differ(), _mm512_load_ps(ids), stored,
                    trip, same);
    *trip |= static_cast<uint16_t>(~test);  // settled untested: the trip reproduces them
    *same |= static_cast<uint16_t>(~test);
  }
  return true;
}

#undef PB_G16

}  // namespace provbadge::verifier::quant_internal::group16

#endif  // PB_QUANT_WIDE

#endif  // PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_BY_SCALE_H_
