// The vectorized legacy block quantizers (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0; notes/quant.md §3.2), one
// block of 32 weights at a time: 32 / W vectors, horizontal reductions for the block maximum,
// then the element-wise rounding with exactly the scalar port's operations (quant_legacy.cc; same
// divisions, the same multiply then add or one fma, -ffp-contract=off). Reductions are exact
// (max/min of finite values does not depend on the order), so the bytes equal the scalar port's.
//
// A block kernel returns false (writing an unspecified block) whenever equality is not evident:
// a NaN or infinity in it, a scale so small that its inverse loses precision or overflows (block
// maximum below 2^-100, except exactly zero), a max-min range that overflows, and (Q4_1/Q5_1) a
// zero minimum or maximum, whose sign the reference takes from the first zero in the block; the
// caller then runs the scalar port (QuantizeLegacyScalar) on that block.
//
// Either variant can also flag, per block, where the other variant's bytes may differ
// (FmaWatch; QuantizeRowRefPlainFlagged), so the fidelity check re-derives only those blocks.
//
// Private to quant_legacy_simd.cc (rows) and quant_legacy_fused.cc (the fused check); included
// only into functions compiled with a width's `target` attribute (quant_simd.h).
// Thread-safety: pure functions.
#ifndef PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_BLOCK_H_
#define PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_BLOCK_H_

#include <cfloat>
#include <cmath>
#include <cstring>

#include "quant_simd.h"

namespace provbadge::verifier::quant_internal::legacy {

using simd::Bits;
using simd::FmaV;
using simd::Load;
using simd::MaxOp;
using simd::MinOp;
using simd::OrOp;
using simd::Reduce;
using simd::Vec;

constexpr int32_t kMinScaleBits = 0x0d800000;  // 2^-100
constexpr int32_t kInfBits = 0x7f800000;

inline float FloatFromBits(int32_t i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}

// The 32 weights of one block as 32 / W vectors.
template <int W>
struct Block {
  static constexpr int kV = kQk / W;
  typename Vec<W>::F v[kV];

  PB_INLINE explicit Block(const float* x) {
    for (int k = 0; k < kV; ++k) v[k] = Load<W>(x + k * W);
  }
  // The largest |x| as bits (integer order is float order for non-negative values; NaN and
  // infinity come out >= kInfBits whatever the order).
  PB_INLINE int32_t AbsMaxBits() const {
    typename Vec<W>::I m = Bits<W>(v[0]) & 0x7fffffff;
    for (int k = 1; k < kV; ++k) m = MaxOp()(m, Bits<W>(v[k]) & 0x7fffffff);
    return Reduce<W>(m, MaxOp());
  }
  template <typename Op>
  PB_INLINE float Fold(Op op) const {
    typename Vec<W>::F m = v[0];
    for (int k = 1; k < kV; ++k) m = op(m, v[k]);
    return Reduce<W>(m, op);
  }
};

// 0 (block all zeros) or a normal, finite maximum: 1/d is then accurate and finite.
inline bool SafeScale(int32_t amax_bits) {
  return amax_bits == 0 || (amax_bits >= kMinScaleBits && amax_bits < kInfBits);
}

template <int W>
PB_INLINE typename Vec<W>::F MulAddV(typename Vec<W>::F x, float id, float c, bool fma) {
  return fma ? FmaV<W>(x, typename Vec<W>::F{} + id, typename Vec<W>::F{} + c) : x * id + c;
}

// Whether the other rounding variant's levels may differ anywhere in a block from those of the
// variant computed: some v = x*id + c (Q4_1/Q5_1: (x - min)*id + c) as that variant rounds it
// lies outside [2^-14, 64 - 2^-14) or within 2^-14 of an integer. Below 64 the plain and the
// fused value are less than 3 * 2^-18 apart (two roundings of values < 64 against one), so any
// other v truncates to the same level both ways (the bound is symmetric: either variant's v
// may be watched). Add() each v and its truncation l; one float maximum
// of max(|v - l - 1/2|, 1/2 - v, v - 63.5) says it (finite v only: blocks with a NaN or
// infinity go to the scalar port, flagged). Float operations only: the integer masks of
// compares cost more than the quantization at 16 lanes.
template <int W>
struct FmaWatch {
  using F = typename Vec<W>::F;
  F edge = F{} - 1.0f;

  PB_INLINE void Add(F v, typename Vec<W>::I l) {
    const F half = v - __builtin_convertvector(l, F) - 0.5f;
    edge = MaxOp()(MaxOp()(edge, MaxOp()(half, -half)), MaxOp()(0.5f - v, v - 63.5f));
  }
  PB_INLINE bool MayDiffer() const { return !(Reduce<W>(edge, MaxOp()) < 0.5f - 0x1p-14f); }
};

// y[i] = low byte of in[i]: a loop the vectorizer turns into packs.
template <int N>
PB_INLINE void Narrow(const int32_t* in, uint8_t* y) {
  for (int i = 0; i < N; ++i) y[i] = static_cast<uint8_t>(in[i]);
}

// qs[16] of levels q (16 lanes = elements 0..15 low nibbles, 16..31 high) and, for Q5, qh.
template <int W>
PB_INLINE void PackNibbles(const typename Vec<W>::I* q, uint8_t* qs) {
  constexpr int kV = kQk / W;
  int32_t b[kQk / 2];
  for (int k = 0; k < kV / 2; ++k) {
    const typename Vec<W>::I p = (q[k] & 15) | ((q[k + kV / 2] & 15) << 4);
    std::memcpy(b + k * W, &p, sizeof p);
  }
  Narrow<kQk / 2>(b, qs);
}

template <int W>
PB_INLINE void PackHighBits(const typename Vec<W>::I* q, uint8_t* qh) {
  alignas(64) static const uint32_t kBit[kQk] = {
      1u << 0,  1u << 1,  1u << 2,  1u << 3,  1u << 4,  1u << 5,  1u << 6,  1u << 7,
      1u << 8,  1u << 9,  1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15,
      1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21, 1u << 22, 1u << 23,
      1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31};
  typename Vec<W>::I h{};
  for (int k = 0; k < kQk / W; ++k) {
    typename Vec<W>::I bit;
    std::memcpy(&bit, kBit + k * W, sizeof bit);
    h |= ((q[k] & 16) != 0) & bit;
  }
  const uint32_t bits = static_cast<uint32_t>(Reduce<W>(h, OrOp()));
  for (int k = 0; k < 4; ++k) qh[k] = static_cast<uint8_t>(bits >> (8 * k));
}

// The quants after the block's scales at y: 4-bit (NMAX 15) or qh[4] then qs[16] (NMAX 31).
template <int W, int NMAX>
PB_INLINE void Pack(const typename Vec<W>::I* q, uint8_t* y) {
  if constexpr (NMAX == 31) PackHighBits<W>(q, y);
  PackNibbles<W>(q, NMAX == 31 ? y + 4 : y);
}

// Q8_0: d = amax/127, q = roundf(x * id) (RoundHalfAwayV: |x * id| <= 127 * (1 + 2^-22)).
template <int W>
PB_INLINE bool Q8_0Block(const float* x, uint8_t* y) {
  const Block<W> b(x);
  const int32_t amax_bits = b.AbsMaxBits();
  if (!SafeScale(amax_bits)) return false;
  const float d = FloatFromBits(amax_bits) / 127;
  const float id = d ? 1.0f / d : 0.0f;
  StoreFp16(y, d);
  int32_t q[kQk];
  for (int k = 0; k < Block<W>::kV; ++k) {
    const typename Vec<W>::I r = simd::RoundHalfAwayV<W>(b.v[k] * id);
    std::memcpy(q + k * W, &r, sizeof r);
  }
  Narrow<kQk>(q, y + 2);
  return true;
}

// Q4_0 (NMAX 15) / Q5_0 (31): d = max / -(NMAX+1)/2 with `max` the first value of largest
// magnitude; q = min(NMAX, (int)(x*id + bias)).
template <int W, int NMAX, bool kFlag>
PB_INLINE bool SignedMaxBlock(const float* x, uint8_t* y, bool fma, uint8_t* may_differ) {
  const Block<W> b(x);
  const int32_t amax_bits = b.AbsMaxBits();
  if (!SafeScale(amax_bits)) return false;
  const float amax = FloatFromBits(amax_bits);
  float max = 0.0f;
  if (amax_bits != 0) {
    const bool pos = b.Fold(MaxOp()) == amax, neg = b.Fold(MinOp()) == -amax;
    max = pos ? amax : -amax;
    for (int j = 0; pos && neg; ++j) {  // both signs: the first one wins
      if (std::fabs(x[j]) == amax) {
        max = x[j];
        break;
      }
    }
  }
  const float d = max / (NMAX == 15 ? -8.f : -16.f);
  const float id = d ? 1.0f / d : 0.0f;
  const float bias = NMAX == 15 ? 8.5f : 16.5f;
  StoreFp16(y, d);
  typename Vec<W>::I q[Block<W>::kV];
  FmaWatch<W> watch;
  for (int k = 0; k < Block<W>::kV; ++k) {
    const typename Vec<W>::F v = MulAddV<W>(b.v[k], id, bias, fma);
    const typename Vec<W>::I l = __builtin_convertvector(v, typename Vec<W>::I);
    if constexpr (kFlag) watch.Add(v, l);
    q[k] = l < NMAX ? l : NMAX;
  }
  Pack<W, NMAX>(q, y + 2);
  if constexpr (kFlag) *may_differ = watch.MayDiffer();
  return true;
}

// Q4_1 (NMAX 15) / Q5_1 (31): d = (max-min)/NMAX, m = min, q = (int)((x-min)*id + 0.5)
// (clamped to 15 for Q4_1 only, as the reference).
template <int W, int NMAX, bool kFlag>
PB_INLINE bool MinMaxBlock(const float* x, uint8_t* y, bool fma, uint8_t* may_differ) {
  const Block<W> b(x);
  if (b.AbsMaxBits() >= kInfBits) return false;
  const float max = b.Fold(MaxOp()), min = b.Fold(MinOp());
  if (max == 0 || min == 0) return false;
  const float range = max - min;
  if (!(range == 0 || (range >= 0x1p-100f && range <= FLT_MAX))) return false;
  const float d = range / NMAX;
  const float id = d ? 1.0f / d : 0.0f;
  StoreFp16(y, d);
  StoreFp16(y + 2, min);
  typename Vec<W>::I q[Block<W>::kV];
  FmaWatch<W> watch;
  for (int k = 0; k < Block<W>::kV; ++k) {
    const typename Vec<W>::F v = MulAddV<W>(b.v[k] - min, id, 0.5f, fma);
    q[k] = __builtin_convertvector(v, typename Vec<W>::I);
    if constexpr (kFlag) watch.Add(v, q[k]);
    if constexpr (NMAX == 15) q[k] = q[k] < NMAX ? q[k] : NMAX;
  }
  Pack<W, NMAX>(q, y + 4);
  if constexpr (kFlag) *may_differ = watch.MayDiffer();
  return true;
}

// kFlag: also set *may_differ (QuantizeRowRefPlainFlagged); a separate instance, so the
// plain kernels stay as tight as without it.
template <int W, GgmlType T, bool kFlag>
PB_INLINE bool QuantizeBlock(const float* x, uint8_t* y, bool fma, uint8_t* may_differ) {
  if constexpr (T == GgmlType::kQ8_0) return Q8_0Block<W>(x, y);
  if constexpr (T == GgmlType::kQ4_0) return SignedMaxBlock<W, 15, kFlag>(x, y, fma, may_differ);
  if constexpr (T == GgmlType::kQ5_0) return SignedMaxBlock<W, 31, kFlag>(x, y, fma, may_differ);
  if constexpr (T == GgmlType::kQ4_1) return MinMaxBlock<W, 15, kFlag>(x, y, fma, may_differ);
  if constexpr (T == GgmlType::kQ5_1) return MinMaxBlock<W, 31, kFlag>(x, y, fma, may_differ);
}

}  // namespace provbadge::verifier::quant_internal::legacy

#endif  // PROVBADGE_VERIFIER_SRC_QUANT_LEGACY_BLOCK_H_
