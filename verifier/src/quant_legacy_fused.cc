// The fidelity check's fused step for legacy types from a bf16 source (FusedLegacyCheckBf16,
// quant_internal.h): per block of 32, the bf16 values widened to binary32 in registers (a shift,
// exact), the f16-trip test on the same vectors (Fp16RoundTripV, the lanes of
// Fp16RoundTripRow), the block kernel of quant_legacy_block.h (the scalar port for the blocks
// it declines, exactly as QuantizeLegacy) into a block on the stack, and one compare with the
// stored block; for a block the trip changes, the block kernel once more on the tripped weights
// (TripVerdict), so that the caller re-derives the f16 path's blocks only where that differs.
// No row of floats or quantized bytes is formed. Widths and dispatch as
// QuantizeLegacy (LegacyKernelWidth). At 16 lanes every type goes 16 blocks at a time through
// the group kernels (Grouped16: quant_legacy_group16.h, _q8.h, _signed.h, _minmax.h; Q4_0, Q5_0
// and Q8_0 first through _by_scale.h, which proves a faithful group from its stored scales or
// declines it to _signed.h or _q8.h), the blocks they decline through the per-block path. Either
// rounding variant can be the one checked (a file the plain or the FMA build made); the flags then
// name the other's blocks.
#include "quant_legacy_block.h"
#include "quant_legacy_group16.h"
#include "quant_legacy_group16_by_scale.h"
#include "quant_legacy_group16_minmax.h"
#include "quant_legacy_group16_q8.h"
#include "quant_legacy_group16_signed.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the fused check loads little-endian 16-bit values directly"
#endif

namespace provbadge::verifier::quant_internal {
namespace {

using legacy::QuantizeBlock;
using simd::OrOp;
using simd::Reduce;
using simd::Vec;

constexpr int BlockBytes(GgmlType t) {
  switch (t) {
    case GgmlType::kQ8_0:
      return 34;
    case GgmlType::kQ4_0:
      return 18;
    case GgmlType::kQ4_1:
      return 20;
    case GgmlType::kQ5_0:
      return 22;
    default:  // Q5_1
      return 24;
  }
}

// y == s for blocks of T, compared piece by piece as the kernels store them (fp16 scale, fp16
// min, qh, quants), so that no load spans two stores (a whole-block compare right after the
// stores stalls on store forwarding).
template <GgmlType T>
PB_INLINE bool SameBlock(const uint8_t* y, const uint8_t* s) {
  constexpr bool kMin = T == GgmlType::kQ4_1 || T == GgmlType::kQ5_1;
  constexpr bool kHigh = T == GgmlType::kQ5_0 || T == GgmlType::kQ5_1;
  constexpr int kQuants = T == GgmlType::kQ8_0 ? 32 : 16;
  bool same = std::memcmp(y, s, 2) == 0;
  int at = 2;
  if constexpr (kMin) {
    same &= std::memcmp(y + at, s + at, 2) == 0;
    at += 2;
  }
  if constexpr (kHigh) {
    same &= std::memcmp(y + at, s + at, 4) == 0;
    at += 4;
  }
  return same && std::memcmp(y + at, s + at, kQuants) == 0;
}

// Bit 31 set in some lane unless the f16 trip provably leaves each weight u (binary32 bits of a
// bf16 value) as is: a zero, or |u| in f16's normal range [2^-14, 65280] (bits 0x38800000 to
// 0x477f0000), where a bf16 value's 8 significant bits fit in f16's 11. Integer arithmetic only
// (GCC scalarizes combined compares of some widths): with a = |u| (< 2^31) and d = a - 1,
// 0x477f0000 - a is negative iff a > 0x477f0000, and (d - 0x387fffff) & ~d iff 0 < a < 2^-14
// (a = 0 makes ~d zero).
template <int W>
PB_INLINE typename Vec<W>::U TripMayChange(typename Vec<W>::U u) {
  const typename Vec<W>::U a = u & 0x7fffffffu, d = a - 1u;
  return (0x477f0000u - a) | ((d - 0x387fffffu) & ~d);
}

// W bf16 values at p as binary32 bits (exact: a shift).
template <int W>
PB_INLINE typename Vec<W>::U WidenBf16(const uint8_t* p) {
  typename Vec<W>::H h;
  std::memcpy(&h, p, sizeof h);
  return __builtin_convertvector(h, typename Vec<W>::U) << 16;
}

// The TripEffect of a block whose f16 trip x16 (32 floats) differs from its weights, given that
// the variant checked (fma) reproduced `stored`: kTripSame when the block kernel (as
// QuantizeLegacy runs it) quantizes x16 to the stored block with that variant and, with kFlag,
// flags no weight where the other variant might round differently; else (also when the kernel
// declines x16) kTripChanges.
template <int W, GgmlType T, bool kFlag>
PB_INLINE TripEffect TripVerdict(const float* x16, const uint8_t* stored, bool fma) {
  uint8_t y[BlockBytes(T)];
  uint8_t md = 0;
  const bool same =
      QuantizeBlock<W, T, kFlag>(x16, y, fma, &md) && md == 0 && SameBlock<T>(y, stored);
  return same ? kTripSame : kTripChanges;
}

// The TripEffect of the block of 32 weights at x (binary32 bits of bf16 values, 64-byte
// aligned): the f16 trip's change tested exactly (its vectors, Fp16RoundTripV) and judged by
// TripVerdict.
template <int W, GgmlType T, bool kFlag>
PB_INLINE TripEffect TripEffectOf(const float* x, const uint8_t* stored, bool fma) {
  using U = typename Vec<W>::U;
  alignas(64) float x16[kQk];
  U diff{};
  for (int k = 0; k < kQk / W; ++k) {
    U u;
    std::memcpy(&u, x + k * W, sizeof u);
    const U t = simd::Fp16RoundTripV<W>(u);
    diff |= t ^ u;
    std::memcpy(x16 + k * W, &t, sizeof t);
  }
  if (Reduce<W>(diff, OrOp()) == 0) return kTripKeeps;
  return TripVerdict<W, T, kFlag>(x16, stored, fma);
}

// kFlag: set may_differ; kTrip: set changed; fma: the FMA variant's blocks (else plain).
template <int W, GgmlType T, bool kFlag, bool kTrip>
PB_INLINE bool FusedRow(const uint8_t* src, const uint8_t* stored, int64_t nb, uint8_t* changed,
                        uint8_t* may_differ, bool fma) {
  using U = typename Vec<W>::U;
  constexpr int kBb = BlockBytes(T);
  for (int64_t i = 0; i < nb; ++i, src += 2 * kQk, stored += kBb) {
    alignas(64) float x[kQk];
    U may{};
    for (int k = 0; k < kQk / W; ++k) {
      const U u = WidenBf16<W>(src + 2 * k * W);
      std::memcpy(x + k * W, &u, sizeof u);
      if constexpr (kTrip) may |= TripMayChange<W>(u);
    }
    uint8_t y[kBb];
    uint8_t md = 0;
    if (!QuantizeBlock<W, T, kFlag>(x, y, fma, &md)) {
      QuantizeLegacyScalar(T, x, y, 1, fma ? RoundingVariant::kFma : RoundingVariant::kPlain);
      md = 1;
    }
    if (!SameBlock<T>(y, stored)) return false;
    if constexpr (kTrip) {
      const bool may_change = (Reduce<W>(may, OrOp()) & 0x80000000u) != 0;
      changed[i] = may_change ? TripEffectOf<W, T, kFlag>(x, stored, fma) : kTripKeeps;
    }
    if constexpr (kFlag) may_differ[i] = md;
  }
  return true;
}

template <int W, GgmlType T>
PB_INLINE bool Fused(const uint8_t* src, const uint8_t* stored, int64_t nb, uint8_t* ch,
                     uint8_t* md, bool fma) {
  if constexpr (T != GgmlType::kQ8_0) {  // Q8_0 has no FMA variant, so never flags
    if (md && ch) return FusedRow<W, T, true, true>(src, stored, nb, ch, md, fma);
    if (md) return FusedRow<W, T, true, false>(src, stored, nb, ch, md, fma);
  }
  if (ch) return FusedRow<W, T, false, true>(src, stored, nb, ch, md, fma);
  return FusedRow<W, T, false, false>(src, stored, nb, ch, md, fma);
}

template <int W>
PB_INLINE bool FusedImpl(GgmlType t, const uint8_t* src, const uint8_t* stored, int64_t nb,
                         uint8_t* ch, uint8_t* md, bool fma) {
  switch (t) {
    case GgmlType::kQ8_0:
      return Fused<W, GgmlType::kQ8_0>(src, stored, nb, ch, md, false);
    case GgmlType::kQ4_0:
      return Fused<W, GgmlType::kQ4_0>(src, stored, nb, ch, md, fma);
    case GgmlType::kQ4_1:
      return Fused<W, GgmlType::kQ4_1>(src, stored, nb, ch, md, fma);
    case GgmlType::kQ5_0:
      return Fused<W, GgmlType::kQ5_0>(src, stored, nb, ch, md, fma);
    case GgmlType::kQ5_1:
      return Fused<W, GgmlType::kQ5_1>(src, stored, nb, ch, md, fma);
    default:
      return false;
  }
}

bool Fused4(GgmlType t, const uint8_t* src, const uint8_t* stored, int64_t nb, uint8_t* ch,
            uint8_t* md, bool fma) {
  return FusedImpl<4>(t, src, stored, nb, ch, md, fma);
}
#if PB_QUANT_WIDE
PB_TARGET_AVX2_FMA bool Fused8(GgmlType t, const uint8_t* src, const uint8_t* stored, int64_t nb,
                               uint8_t* ch, uint8_t* md, bool fma) {
  return FusedImpl<8>(t, src, stored, nb, ch, md, fma);
}
// What a group kernel left of the group of 16 blocks at block i: the trip effects of the blocks
// the f16 trip changes that the kernel did not settle (the block kernel on the tripped weights;
// the caller has stored kTripSame for the settled ones) and the blocks it did not judge (redo),
// one by one. Out of line and called
// only for such a group, which keeps Grouped16's loop small (2-5 %: bench/README, session 11).
template <GgmlType T, bool kFlag, bool kTrip, bool kFma>
PB_TARGET_AVX512 __attribute__((noinline, cold)) bool GroupRest(const uint8_t* src,
                                                                const uint8_t* stored, int64_t i,
                                                                uint32_t trip, uint32_t same_trip,
                                                                uint32_t redo, uint8_t* ch,
                                                                uint8_t* md) {
  constexpr int kBb = BlockBytes(T);
  if constexpr (kTrip) {
    // The blocks the trip changes that the kernel did not settle: the block kernel on the
    // tripped weights.
    for (trip &= ~same_trip & ~redo; trip != 0; trip &= trip - 1) {
      const int64_t b = i + __builtin_ctz(trip);
      alignas(64) float x[kQk];
      for (int k = 0; k < 2; ++k) {
        const typename Vec<16>::U u = WidenBf16<16>(src + 64 * b + 32 * k);
        std::memcpy(x + 16 * k, &u, sizeof u);
      }
      ch[b] = TripEffectOf<16, T, kFlag>(x, stored + kBb * b, kFma);
    }
  }
  for (; redo != 0; redo &= redo - 1) {
    const int64_t b = i + __builtin_ctz(redo);
    if (!FusedRow<16, T, kFlag, kTrip>(src + 64 * b, stored + kBb * b, 1, kTrip ? ch + b : nullptr,
                                       kFlag ? md + b : nullptr, kFma)) {
      return false;
    }
  }
  return true;
}

// Every legacy type at 16 lanes: groups of 16 blocks (quant_legacy_group16.h), what a group leaves
// (GroupRest) and the last nb % 16 blocks one by one.
template <GgmlType T, bool kFlag, bool kTrip, bool kFma>
PB_TARGET_AVX512 PB_INLINE bool Grouped16(const uint8_t* src, const uint8_t* stored, int64_t nb,
                                          uint8_t* ch, uint8_t* md) {
  constexpr int kBb = BlockBytes(T);
  int64_t i = 0;
  for (; i + 16 <= nb; i += 16) {
    uint32_t redo = 0, trip = 0, same_trip = 0;
    constexpr bool kMinMax = T == GgmlType::kQ4_1 || T == GgmlType::kQ5_1;
    uint8_t* const m = kFlag ? md + i : nullptr;
    const uint8_t *const s = src + 64 * i, *const q = stored + kBb * i;
    bool same;
    if constexpr (T == GgmlType::kQ8_0) {
      same = group16::Group16Q8ByScale<kTrip>(s, q, &trip, &same_trip) ||
             group16::Group16Q8<kTrip>(s, q, &trip, &same_trip, &redo);
    } else if constexpr (kMinMax) {
      same = group16::Group16MinMax<T, kFlag, kTrip, kFma>(s, q, &trip, &same_trip, m, &redo);
    } else {
      same = group16::Group16SignedByScale<T, kFlag, kTrip, kFma>(s, q, &trip, &same_trip, m) ||
             group16::Group16Signed<T, kFlag, kTrip, kFma>(s, q, &trip, &same_trip, m, &redo);
    }
    if (!same) return false;
    if constexpr (kTrip) {  // kTripSame where the kernel settled the trip, else kTripKeeps
      static_assert(kTripKeeps == 0, "the masked store's zeros are kTripKeeps");
      _mm_storeu_si128(
          reinterpret_cast<__m128i*>(ch + i),
          _mm_maskz_mov_epi8(static_cast<__mmask16>(same_trip & ~redo), _mm_set1_epi8(kTripSame)));
    }
    if (((trip & ~same_trip) | redo) != 0 &&
        !GroupRest<T, kFlag, kTrip, kFma>(src, stored, i, trip, same_trip, redo, ch, md)) {
      return false;
    }
  }
  return FusedRow<16, T, kFlag, kTrip>(src + 64 * i, stored + kBb * i, nb - i,
                                       kTrip ? ch + i : nullptr, kFlag ? md + i : nullptr, kFma);
}

template <GgmlType T, bool kFma>
PB_TARGET_AVX512 PB_INLINE bool Grouped16(const uint8_t* src, const uint8_t* stored, int64_t nb,
                                          uint8_t* ch, uint8_t* md) {
  if constexpr (T != GgmlType::kQ8_0) {
    if (md && ch) return Grouped16<T, true, true, kFma>(src, stored, nb, ch, md);
    if (md) return Grouped16<T, true, false, kFma>(src, stored, nb, ch, md);
  }
  if (ch) return Grouped16<T, false, true, kFma>(src, stored, nb, ch, md);
  return Grouped16<T, false, false, kFma>(src, stored, nb, ch, md);
}

template <GgmlType T>
PB_TARGET_AVX512 PB_INLINE bool Grouped16(const uint8_t* src, const uint8_t* stored, int64_t nb,
                                          uint8_t* ch, uint8_t* md, bool fma) {
  if (fma) return Grouped16<T, true>(src, stored, nb, ch, md);
  return Grouped16<T, false>(src, stored, nb, ch, md);
}

PB_TARGET_AVX512 bool Fused16(GgmlType t, const uint8_t* src, const uint8_t* stored, int64_t nb,
                              uint8_t* ch, uint8_t* md, bool fma) {
  if (t == GgmlType::kQ8_0) return Grouped16<GgmlType::kQ8_0, false>(src, stored, nb, ch, md);
  if (t == GgmlType::kQ4_0) return Grouped16<GgmlType::kQ4_0>(src, stored, nb, ch, md, fma);
  if (t == GgmlType::kQ5_0) return Grouped16<GgmlType::kQ5_0>(src, stored, nb, ch, md, fma);
  if (t == GgmlType::kQ4_1) return Grouped16<GgmlType::kQ4_1>(src, stored, nb, ch, md, fma);
  if (t == GgmlType::kQ5_1) return Grouped16<GgmlType::kQ5_1>(src, stored, nb, ch, md, fma);
  return false;
}
#endif

}  // namespace

bool FusedLegacyCheckBf16(GgmlType type, const uint8_t* src, const uint8_t* stored, int64_t nb,
                          uint8_t* changed, uint8_t* may_differ, RoundingVariant variant) {
  if (type == GgmlType::kQ8_0) may_differ = nullptr;
  const bool fma = variant == RoundingVariant::kFma;
#if PB_QUANT_WIDE
  const int w = LegacyKernelWidth();
  if (w == 16) return Fused16(type, src, stored, nb, changed, may_differ, fma);
  if (w == 8) return Fused8(type, src, stored, nb, changed, may_differ, fma);
#endif
  return Fused4(type, src, stored, nb, changed, may_differ, fma);
}

}  // namespace provbadge::verifier::quant_internal
