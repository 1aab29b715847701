// The AVX-512 fused check of 16 Q8_0 blocks at once from a bf16 source (Group16Q8): the group
// kernels' steps (quant_legacy_group16.h) on the bf16 words as loaded. Private to
// quant_legacy_fused.cc; every function carries the AVX-512 target. Thread-safety: pure functions.
#ifndef PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_Q8_H_
#define PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_Q8_H_

#include "quant_legacy_group16.h"

#if PB_QUANT_WIDE

namespace provbadge::verifier::quant_internal::group16 {

#define PB_G16 PB_TARGET_AVX512 PB_INLINE

// Weights of block b as Group16Q8 widens them from the bf16 words at src (interleaved with zeros:
// k = 0 the low four, 1 the high four words of each 128-bit lane), widened again where needed
// from the L1-resident source instead of kept (fused_kernel_bench Q8_0: 14 % faster than
// spilling them).
struct InterleavedWeights {
  const uint8_t* src;
  PB_G16 __m512i operator()(int b, int k) const {
    const __m512i raw = _mm512_loadu_si512(src + 64 * b);
    return k == 0 ? _mm512_unpacklo_epi16(_mm512_setzero_si512(), raw)
                  : _mm512_unpackhi_epi16(_mm512_setzero_si512(), raw);
  }
};

// TripBlocks' differ for Group16Q8.
struct Q8Differ {
  PB_G16 bool operator()(__m512i t0, __m512i t1, __m512 idb, const uint8_t* s) const {
    __m512i diff = _mm512_setzero_si512();
    AddQ8Diff(t0, t1, idb, s, &diff);
    return _mm512_test_epi32_mask(diff, diff) != 0;
  }
};

// Q8_0 by the group kernels' steps, on the bf16 words as loaded. One 512-bit load holds a block;
// its weights widen to binary32 by interleaving with zero words (vpunpck{l,h}wd: x0 holds weights
// 8L..8L+3 and x1 8L+4..8L+7 of each 128-bit lane L), and the rounded quants of x0, x1 pack back
// to the block's order with one signed saturating pack (vpackssdw undoes the interleave lane by
// lane; |q| < 2^15 packs exactly, and a larger one differs from every int8 either way). The block
// extremes come from one reduction tree of 16-bit maxima: per 32-bit lane, the high word holds
// the largest |u| (bf16 bits, so amax is that word << 16) and the low word the largest -|u| mod
// 2^16, i.e. 2^16 minus the smallest nonzero |u| (0 when all are zero), which gives the blocks
// the f16 trip may change. Results, flags and redo as the group kernels' contract states them (Q8_0
// has no FMA variant: no may_differ).
template <bool kTrip>
PB_G16 bool Group16Q8(const uint8_t* src, const uint8_t* stored, uint32_t* trip, uint32_t* same,
                      uint32_t* redo) {
  constexpr int kBb = 34;
  const __m512i zero = _mm512_setzero_si512();
  const InterleavedWeights x{src};
  __m512i m[16];
  for (int b = 0; b < 16; ++b) {
    const __m512i raw = _mm512_loadu_si512(src + 64 * b);
    const __m512i abs = _mm512_and_si512(raw, _mm512_set1_epi16(0x7fff));
    if constexpr (kTrip) {
      // Words (low, high) of each 32-bit lane: (-|u_lo|, |u_hi|) against (-|u_hi|, |u_lo|), the
      // latter the former rotated and negated.
      const __m512i a = _mm512_mask_sub_epi16(abs, 0x55555555, zero, abs);
      m[b] = _mm512_max_epu16(a, _mm512_sub_epi16(zero, _mm512_rol_epi32(a, 16)));
    } else {
      m[b] = _mm512_max_epu16(abs, _mm512_rol_epi32(abs, 16));
    }
  }
  const __m512i top = MaxTree(m, MaxU16());
  const __m512i amax = _mm512_and_si512(top, _mm512_set1_epi32(0x7fff0000));
  const __mmask16 safe = SafeBlocks(amax);
  // kTrip: a nonzero magnitude below 2^-17 (kTripExactFromBf16: the low word above 2^16 minus
  // it) or a maximum above 65280 (quant_legacy_group16.h).
  __mmask16 may_trip = 0;
  if constexpr (kTrip) {
    may_trip = _mm512_cmpgt_epu32_mask(_mm512_and_si512(top, _mm512_set1_epi32(0xffff)),
                                       _mm512_set1_epi32(0x10000 - kTripExactFromBf16)) |
               _mm512_cmpgt_epu32_mask(amax, _mm512_set1_epi32(0x477f0000));
  }
  const __m512 d = _mm512_div_ps(_mm512_castsi512_ps(amax), _mm512_set1_ps(127.f));
  __m512 id;
  const __mmask16 bad_scale = ScalesDiffer<kBb>(d, stored, &id);
  alignas(64) float ids[16];  // broadcast from memory: a load, no shuffle
  _mm512_store_ps(ids, id);
  __m512i ne = _mm512_setzero_si512();  // quants that differ, any block (OR of the XORs)
  for (int b = 0; b < 16; ++b) {
    AddQ8Diff(x(b, 0), x(b, 1), _mm512_set1_ps(ids[b]), stored + kBb * b + 2, &ne);
  }
  if constexpr (kTrip) {
    TripBlocks<kBb>(may_trip, TripKeepsScale(amax), x, Q8Differ(), id, stored, trip, same);
  }
  return GroupVerdict(safe, bad_scale, _mm512_test_epi32_mask(ne, ne) != 0, redo);
}

#undef PB_G16

}  // namespace provbadge::verifier::quant_internal::group16

#endif  // PB_QUANT_WIDE

#endif  // PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_Q8_H_
