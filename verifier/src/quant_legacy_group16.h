// The AVX-512 fused check of 16 legacy blocks at once from a bf16 source (the group kernels),
// the fast path of quant_legacy_fused.cc's 16-lane FusedRow: the helpers every group kernel
// shares. The per-block work that is not element-wise is done
// for the 16 blocks together: a reduction tree gives the 16 block extremes in one vector
// (MaxTree), one vector division each gives the 16 scales d and inverses id, their binary16 bits
// are formed in lanes (Fp16BitsV) and compared with the 16 stored scales (one gather). Per block
// remain the element-wise rounding with the broadcast id (the scalar port's operations) and the
// compare with the stored quants.
//
// The kernels: Q8_0 in quant_legacy_group16_q8.h (Group16Q8), Q4_0 and Q5_0 in
// quant_legacy_group16_signed.h (Group16Signed), Q4_1 and Q5_1 in quant_legacy_group16_minmax.h
// (Group16MinMax). Q4_0, Q5_0 and Q8_0 first go through quant_legacy_group16_by_scale.h
// (Group16SignedByScale, Group16Q8ByScale), which proves a faithful group from its stored scales
// with no extremes tree and declines any other group to Group16Signed or Group16Q8. Each keeps the
// bf16 words as loaded, takes the block extremes from one tree of 16-bit maxima, and widens the
// weights only for the rounding.
//
// Either rounding variant is checked (kFma: x*id + c as one fma, a file the FMA build made).
// The flags (may_differ) are exact: the other variant's x*id + c is rounded too and its
// truncation compared lane by lane (the scale does not depend on the variant), so a block is
// flagged only where the other variant's levels differ (or, before the clamp, its truncation):
// in files of either variant the caller re-derives only those blocks.
//
// The f16 trip (kTrip, the bf16 -> f16 -> f32 candidates): the blocks it may change are those
// with a nonzero magnitude below 2^-17 (kTripExactFromBf16; HasTinyWeight, or Q8_0's tree) or a
// maximum above 65280 (the block extremes); only those are tripped, by the hardware conversions
// (TripHw), and, where the scale provably stays (TripKeepsScale), their tripped weights are
// compared with the stored quants on the spot (TripBlocks, the kernels' *same).
//
// Blocks where equality is not evident exactly as the block kernels decline them (SafeScale:
// NaN, infinity, maximum in (0, 2^-100)) are not judged here: a group kernel returns them in
// *redo and the caller checks them one by one (FusedRow's per-block path).
//
// The group kernels' contract: the 16 blocks at src (bf16) against the 16 stored blocks; false
// when a block not in *redo differs. *redo: the blocks left to the caller (SafeScale false; all
// 16 when a quant differs in a group with such a block). For the others may_differ[b] (kFlag)
// and, with kTrip, bit b of *trip (the f16 trip changes a weight of block b, exactly) and of
// *same (it does, and the tripped weights quantize to the stored block too, with kFlag in the
// other variant as well) are set. (The kernels from the stored scales, without kFlag, also set
// both bits for a block whose trip provably leaves its quants as they are, whether it changes
// a weight or not: quant_legacy_group16_by_scale.h.)
//
// Private to quant_legacy_fused.cc; every function carries the AVX-512 target (the dispatch
// checks the CPU). Thread-safety: pure functions.
#ifndef PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_H_
#define PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_H_

#include "quant_legacy_block.h"

#if PB_QUANT_WIDE

#include <immintrin.h>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() (a self-initialized variable),
// which -W(maybe-)uninitialized reports where they are inlined, i.e. in the including file (GCC
// bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace provbadge::verifier::quant_internal::group16 {

#define PB_G16 PB_TARGET_AVX512 PB_INLINE

// The smallest bf16 magnitude (bits) from which the f16 trip leaves every value up to 65280 as
// is: 2^-17. A bf16 value has 8 significant bits, so from 2^-17 on its last bit is worth 2^-24
// (f16's smallest subnormal) or more and the value is exact in f16; a smaller nonzero one may
// lose bits. (Tighter than f16's normal range, 2^-14: fewer blocks to trip one by one.)
constexpr int kTripExactFromBf16 = 0x3700;

struct MaxU32 {
  PB_G16 __m512i operator()(__m512i a, __m512i b) const { return _mm512_max_epu32(a, b); }
};
struct MaxU16 {
  PB_G16 __m512i operator()(__m512i a, __m512i b) const { return _mm512_max_epu16(a, b); }
};
struct MaxI16 {
  PB_G16 __m512i operator()(__m512i a, __m512i b) const { return _mm512_max_epi16(a, b); }
};

// Lane b = op (unsigned maximum unless given) of the 16 lanes of m[b]. Pairs are combined at
// 256-, 128-, 64- and 32-bit distance; the last step leaves block q + {0, 8, 4, 12}[r] in lane
// 4q + r, which the final permutation puts back in order.
template <typename Op = MaxU32>
PB_G16 __m512i MaxTree(const __m512i* m, Op op = Op()) {
  __m512i c[8], e[4], f[2];
  for (int i = 0; i < 8; ++i) {
    c[i] = op(_mm512_shuffle_i64x2(m[2 * i], m[2 * i + 1], 0x44),
              _mm512_shuffle_i64x2(m[2 * i], m[2 * i + 1], 0xee));
  }
  for (int i = 0; i < 4; ++i) {
    e[i] = op(_mm512_shuffle_i32x4(c[2 * i], c[2 * i + 1], 0x88),
              _mm512_shuffle_i32x4(c[2 * i], c[2 * i + 1], 0xdd));
  }
  for (int i = 0; i < 2; ++i) {
    f[i] = op(_mm512_unpacklo_epi32(e[2 * i], e[2 * i + 1]),
              _mm512_unpackhi_epi32(e[2 * i], e[2 * i + 1]));
  }
  const __m512i g = op(_mm512_unpacklo_epi32(f[0], f[1]), _mm512_unpackhi_epi32(f[0], f[1]));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 2, 6, 10, 14, 1, 5, 9, 13, 3, 7, 11, 15);
  return _mm512_permutexvar_epi32(order, g);
}

// Whether some of the bf16 words raw has a nonzero magnitude below 2^-17 (kTripExactFromBf16),
// for every block with no branch. (A group-wide smallest-magnitude vector with a branch to
// per-block masks was 3-4 % faster in L2 and no faster from memory: bench/README, session 10.)
// HasTinyMagnitude takes the 16-bit magnitudes (raw & 0x7fff) where a kernel has them already.
PB_G16 bool HasTinyMagnitude(__m512i mag) {
  return _mm512_cmplt_epu16_mask(_mm512_sub_epi16(mag, _mm512_set1_epi16(1)),
                                 _mm512_set1_epi16(kTripExactFromBf16 - 1)) != 0;
}
PB_G16 bool HasTinyWeight(__m512i raw) {
  return HasTinyMagnitude(_mm512_and_si512(raw, _mm512_set1_epi16(0x7fff)));
}

// Fp32ToFp16(d) per lane for non-NaN d: f16's normal range as Fp32ToFp16Inline, below it the
// rounding of |d| + 0.5 to a multiple of 2^-24 (round to nearest even: the f16 subnormal's
// rounding; its count of 2^-24 is the f16 bits, 0x400 when it rounds up to 2^-14), from
// 65520 on infinity.
PB_G16 __m512i Fp16BitsV(__m512 d) {
  const __m512i w = _mm512_castps_si512(d);
  const __m512i abs = _mm512_and_si512(w, _mm512_set1_epi32(0x7fffffff));
  const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(abs, 13), _mm512_set1_epi32(1));
  const __m512i normal = _mm512_sub_epi32(
      _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(abs, _mm512_set1_epi32(0xfff)), odd), 13),
      _mm512_set1_epi32(112 << 10));
  const __m512i sub = _mm512_sub_epi32(
      _mm512_castps_si512(_mm512_add_ps(_mm512_castsi512_ps(abs), _mm512_set1_ps(0.5f))),
      _mm512_set1_epi32(0x3f000000));
  __m512i h = _mm512_mask_mov_epi32(
      normal, _mm512_cmplt_epu32_mask(abs, _mm512_set1_epi32(0x38800000)), sub);
  h = _mm512_mask_mov_epi32(h, _mm512_cmpge_epu32_mask(abs, _mm512_set1_epi32(0x477ff000)),
                            _mm512_set1_epi32(0x7c00));
  return _mm512_or_si512(h, _mm512_and_si512(_mm512_srli_epi32(w, 16), _mm512_set1_epi32(0x8000)));
}

// roundf(t) for |t| <= 2^22 as trunc(t + copysign(0.5 - 2^-25, t)) (RoundHalfAwayV's form).
PB_G16 __m512i RoundHalfAway(__m512 t) {
  const __m512 c = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(  // (t & sign) | pred(0.5)
      _mm512_castps_si512(t), _mm512_set1_epi32(INT32_MIN), _mm512_set1_epi32(0x3effffff), 0xea));
  return _mm512_cvttps_epi32(_mm512_add_ps(t, c));
}

// Whether the f16 trip changes some of the 32 weights u0, u1 (exactly).
PB_G16 bool TripChanges(__m512i u0, __m512i u1) {
  using U = simd::Vec<16>::U;
  const U a = reinterpret_cast<U>(u0), b = reinterpret_cast<U>(u1);
  const U diff = (simd::Fp16RoundTripV<16>(a) ^ a) | (simd::Fp16RoundTripV<16>(b) ^ b);
  return _mm512_test_epi32_mask(reinterpret_cast<__m512i>(diff), reinterpret_cast<__m512i>(diff));
}

// The f16 trip Fp16ToFp32(Fp32ToFp16(.)) of 16 binary32 values by the hardware conversions
// (IEEE round to nearest even to binary16 and back, subnormals kept): bit for bit
// Fp16RoundTripV for every value but NaNs, which only blocks this file declines hold.
PB_G16 __m512i TripHw(__m512i u) {
  const __m256i h =
      _mm512_cvtps_ph(_mm512_castsi512_ps(u), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return _mm512_castps_si512(_mm512_cvtph_ps(h));
}

// Blocks (lanes) whose largest magnitude amax (binary32 bits) stays the largest and as is under
// the f16 trip: amax in (2^-14, 65280]. The trip changes only magnitudes below 2^-14 (to at
// most 2^-14) and above 65280, so the block's maximum (the first of largest magnitude), d and
// id stay, and the tripped block's quants are the same element-wise function of its weights.
PB_G16 __mmask16 TripKeepsScale(__m512i amax) {
  return _mm512_cmpgt_epi32_mask(amax, _mm512_set1_epi32(0x38800000)) &
         _mm512_cmple_epi32_mask(amax, _mm512_set1_epi32(0x477f0000));
}

// The 16 stored binary16 scales (the first two bytes of each block of kBb bytes at `stored`), in
// the low half of 32-bit lanes (one gather).
template <int kBb>
PB_G16 __m512i StoredScales(const uint8_t* stored) {
  const __m512i at =
      _mm512_setr_epi32(0, kBb, 2 * kBb, 3 * kBb, 4 * kBb, 5 * kBb, 6 * kBb, 7 * kBb, 8 * kBb,
                        9 * kBb, 10 * kBb, 11 * kBb, 12 * kBb, 13 * kBb, 14 * kBb, 15 * kBb);
  return _mm512_and_si512(_mm512_i32gather_epi32(at, stored, 1), _mm512_set1_epi32(0xffff));
}

// *id = 1/d (0 where d is 0), and the blocks whose stored fp16 scale (StoredScales) is not d's.
template <int kBb>
PB_G16 __mmask16 ScalesDiffer(__m512 d, const uint8_t* stored, __m512* id) {
  const __mmask16 nonzero = _mm512_cmpneq_ps_mask(d, _mm512_setzero_ps());
  *id = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(1.0f), d);
  return _mm512_cmpneq_epi32_mask(StoredScales<kBb>(stored), Fp16BitsV(d));
}

// x*id + c rounded as the variant rounds it: the product then the sum (plain) or one fma.
template <bool kFma>
PB_G16 __m512 MulAdd(__m512 x, __m512 id, __m512 c) {
  if constexpr (kFma) return _mm512_fmadd_ps(x, id, c);
  return _mm512_add_ps(_mm512_mul_ps(x, id), c);
}

// Weights of block b as Group16Signed and Group16MinMax widen them from the bf16 words at src,
// with no shuffle: k =
// 0 the even weights 0, 2, .., 30 (each word shifted up), 1 the odd ones (masked in place); widened
// again where needed from the L1-resident source instead of kept.
struct EvenOddWeights {
  const uint8_t* src;
  PB_G16 __m512i operator()(int b, int k) const {
    const __m512i raw = _mm512_loadu_si512(src + 64 * b);
    return k == 0 ? _mm512_slli_epi32(raw, 16)
                  : _mm512_and_si512(raw, _mm512_set1_epi32(static_cast<int>(0xffff0000u)));
  }
};

// The differences between computed levels and stored quants, accumulated over blocks: w (the
// nibble bytes' XOR, OR-ed) and qh (the Q5 fifth bits' XOR, OR-ed), so one test per group.
struct LevelDiff {
  __m512i w;
  uint32_t qh;
  PB_G16 static LevelDiff None() { return {_mm512_setzero_si512(), 0}; }
  PB_G16 bool Any() const { return qh != 0 || _mm512_test_epi32_mask(w, w) != 0; }
};

// Adds to *acc how the 32 levels of one block differ from its stored quants at s (for Q5 types
// qh, bit 4 of level j in bit j, then for all the 16 bytes of nibbles, levels j and j + 16 in
// byte j). The levels: the 32-bit results of the block's even weights e (level 2i in lane i)
// and odd weights o (2i + 1), each in [0, 2^15) (a block's other results are not used), clamped
// to kClamp (0: not clamped). One two-source word permutation pairs level j with level j + 16
// in 32-bit lane j and one multiply-add of the pair forms the stored byte's value there, which
// is compared with the stored bytes widened to 32 bits; for Q5 the fifth bits of the pairs are
// one mask whose even and odd bits are qh's low and high half.
template <bool kQ5, int kClamp>
PB_G16 void AddLevelDiff(__m512i e, __m512i o, const uint8_t* s, LevelDiff* acc) {
  // Word 2j: level j, word 2j + 1: level j + 16 (level 2i is e's word 2i, 2i + 1 is o's word 2i).
  alignas(64) static constexpr uint16_t kPairs[32] = {0,  16, 32, 48, 2,  18, 34, 50, 4,  20, 36,
                                                      52, 6,  22, 38, 54, 8,  24, 40, 56, 10, 26,
                                                      42, 58, 12, 28, 44, 60, 14, 30, 46, 62};
  __m512i v = _mm512_permutex2var_epi16(e, _mm512_load_si512(kPairs), o);
  if constexpr (kClamp != 0) v = _mm512_min_epu16(v, _mm512_set1_epi16(kClamp));
  if constexpr (kQ5) {
    const uint32_t bits = _cvtmask32_u32(_mm512_test_epi16_mask(v, _mm512_set1_epi16(16)));
    uint32_t stored_qh;
    std::memcpy(&stored_qh, s, 4);
    acc->qh |= (_pext_u32(bits, 0x55555555u) | _pext_u32(bits, 0xaaaaaaaau) << 16) ^ stored_qh;
    v = _mm512_and_si512(v, _mm512_set1_epi16(15));
    s += 4;
  }
  // Lane j: level j + 16 * level (j + 16), the stored byte j.
  const __m512i packed = _mm512_madd_epi16(v, _mm512_set1_epi32(0x00100001));
  const __m512i want = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
  acc->w = _mm512_ternarylogic_epi32(acc->w, packed, want, 0xf6);  // w | (packed ^ want)
}

// may_differ[b] = (others[b] != 0) for the 16 blocks (one compare, no per-block branch).
PB_G16 void StoreFlags(const uint16_t* others, uint8_t* may_differ) {
  const __m256i o = _mm256_load_si256(reinterpret_cast<const __m256i*>(others));
  const __m128i ones = _mm_maskz_mov_epi8(_mm256_test_epi16_mask(o, o), _mm_set1_epi8(1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(may_differ), ones);
}

// ORs into *acc the Q8_0 quants of one block, its weights interleaved as Group16Q8 holds them
// (x0: weights 8L..8L+3 of each 128-bit lane L, x1: 8L+4..8L+7), rounded (RoundHalfAway of
// x * idb), XOR the 32 stored int8 at s, in 16-bit lanes: nonzero where they differ.
PB_G16 void AddQ8Diff(__m512i x0, __m512i x1, __m512 idb, const uint8_t* s, __m512i* acc) {
  const __m512i r0 = RoundHalfAway(_mm512_mul_ps(_mm512_castsi512_ps(x0), idb));
  const __m512i r1 = RoundHalfAway(_mm512_mul_ps(_mm512_castsi512_ps(x1), idb));
  const __m512i q = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s)));
  *acc = _mm512_ternarylogic_epi32(*acc, _mm512_packs_epi32(r0, r1), q, 0xf6);  // acc | (p ^ q)
}

// Bits b of may_trip: the f16 trip changes a weight of block b (exactly; sets bit b of *trip),
// and where scale_kept says d and id stay, do the tripped weights give the stored quants too
// (differ(t0, t1, id_b, quants of block b) false: they do, and the other variant's too where
// flags are asked for; sets bit b of *same)? x as the group kernel holds the weights; stored:
// the 16 blocks of kBb bytes.
template <int kBb, typename Weights, typename Differ>
PB_G16 void TripBlocks(__mmask16 may_trip, __mmask16 scale_kept, Weights x, Differ differ,
                       __m512 id, const uint8_t* stored, uint32_t* trip, uint32_t* same) {
  for (; may_trip != 0; may_trip &= may_trip - 1) {
    const int b = __builtin_ctz(may_trip);
    const __m512i x0 = x(b, 0), x1 = x(b, 1);
    const __m512i t0 = TripHw(x0), t1 = TripHw(x1);
    if ((_mm512_cmpneq_epi32_mask(t0, x0) | _mm512_cmpneq_epi32_mask(t1, x1)) == 0) {
      continue;
    }
    *trip |= 1u << b;
    if ((scale_kept >> b & 1) == 0) continue;
    const __m512 idb = _mm512_permutexvar_ps(_mm512_set1_epi32(b), id);
    if (!differ(t0, t1, idb, stored + kBb * b + 2)) *same |= 1u << b;
  }
}

// The blocks judged here, by their largest magnitude amax (binary32 bits): zero, or in
// [kMinScaleBits, infinity) as SafeScale.
PB_G16 __mmask16 SafeBlocks(__m512i amax) {
  return _mm512_testn_epi32_mask(amax, amax) |
         (_mm512_cmpge_epi32_mask(amax, _mm512_set1_epi32(legacy::kMinScaleBits)) &
          _mm512_cmplt_epi32_mask(amax, _mm512_set1_epi32(legacy::kInfBits)));
}

// A group's verdict from the blocks judged here (`safe`), the scales that differ and whether a
// quant differs in any block (`ne`, not attributed to its block: with a declined block in the
// group, every block goes to the caller). *redo: the blocks left to the caller.
PB_G16 bool GroupVerdict(__mmask16 safe, __mmask16 bad_scale, __mmask16 ne, uint32_t* redo) {
  *redo = static_cast<uint16_t>(~safe);
  if (ne != 0 && safe != 0xffff) *redo = 0xffff;
  return (bad_scale & safe) == 0 && (ne == 0 || safe != 0xffff);
}

#undef PB_G16

}  // namespace provbadge::verifier::quant_internal::group16

#endif  // PB_QUANT_WIDE

#endif  // PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_GROUP16_H_
