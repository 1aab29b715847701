// Vectorized K-quant stage 1 (notes/quant.md §5): make_qkx2_quants runs on 16 independent
// sub-blocks at once, one per SIMD lane, with exactly the scalar operation order per lane (no
// reassociation; -ffp-contract=off), and branches turned into per-lane selects. So the bytes
// equal quant_kquants.cc's scalar port, which the tests and the benchmark cross-check.
// Stage 2 (scale codes and the final re-rounding) is shared scalar code.
#include <cmath>
#include <cstring>

#include "quant_internal.h"

// The vector helpers below are internal and always inlined, so the note that passing 64-byte
// vectors by value would change the ABI between targets does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace provbadge::verifier::quant_internal {
namespace {

constexpr int kLanes = 16;
typedef float VF __attribute__((vector_size(kLanes * 4)));
typedef int32_t VI __attribute__((vector_size(kLanes * 4)));

#define PB_INLINE inline __attribute__((always_inline))

PB_INLINE VF Splat(float f) { return VF{} + f; }

PB_INLINE VI NearestIntV(VF f) {
  const VF v = f + 12582912.f;
  VI i;
  std::memcpy(&i, &v, sizeof i);
  return (i & 0x007fffff) - 0x00400000;
}

PB_INLINE VF Select(VI mask, VF a, VF b) { return mask ? a : b; }

PB_INLINE VF Abs(VF v) {
  VI i;
  std::memcpy(&i, &v, sizeof i);
  i &= 0x7fffffff;
  std::memcpy(&v, &i, sizeof v);
  return v;
}

// make_qkx2_quants on kLanes sub-blocks of N weights: x[i], w[i] hold weight i of every lane.
// Writes per-lane scale, the_min and L[i] (as floats).
template <int N>
PB_INLINE void Qkx2(const VF* x, const VF* w, int nmax, float rmin, float rdelta, int nstep,
                    bool use_mad, VF* scale_out, VF* the_min_out, VF* L) {
  VF min = x[0], max = x[0];
  VF sum_w = w[0];
  VF sum_x = sum_w * x[0];
  for (int i = 1; i < N; ++i) {
    min = Select(x[i] < min, x[i], min);
    max = Select(x[i] > max, x[i], max);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  const VF zero = Splat(0.f), fmax_l = Splat(static_cast<float>(nmax));
  min = Select(min > zero, zero, min);
  const VI flat = max == min;
  const VF min0 = min;
  VF iscale = static_cast<float>(nmax) / (max - min);
  VF scale = 1 / iscale;
  VF best_error = zero;
  auto quant = [&](VF is, VF xi, VF mn) {
    VF l = __builtin_convertvector(NearestIntV(is * (xi - mn)), VF);
    l = Select(l < zero, zero, l);
    return Select(l > fmax_l, fmax_l, l);
  };
  for (int i = 0; i < N; ++i) {
    L[i] = quant(iscale, x[i], min);
    VF diff = scale * L[i] + min - x[i];
    diff = use_mad ? Abs(diff) : diff * diff;
    best_error += w[i] * diff;
  }
  VF laux[N];
  for (int is = 0; is <= nstep; ++is) {
    const float num = rmin + rdelta * is + nmax;
    iscale = num / (max - min);
    VF sum_l = zero, sum_l2 = zero, sum_xl = zero;
    for (int i = 0; i < N; ++i) {
      const VF l = quant(iscale, x[i], min);
      laux[i] = l;
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const VF D = sum_w * sum_l2 - sum_l * sum_l;
    VF this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    VF this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    const VI pos = this_min > zero;
    this_min = Select(pos, zero, this_min);
    this_scale = Select(pos, sum_xl / sum_l2, this_scale);
    VF cur_error = zero;
    for (int i = 0; i < N; ++i) {
      VF diff = this_scale * laux[i] + this_min - x[i];
      diff = use_mad ? Abs(diff) : diff * diff;
      cur_error += w[i] * diff;
    }
    const VI better = (D > zero) & (cur_error < best_error);
    for (int i = 0; i < N; ++i) L[i] = Select(better, laux[i], L[i]);
    best_error = Select(better, cur_error, best_error);
    scale = Select(better, this_scale, scale);
    min = Select(better, this_min, min);
  }
  for (int i = 0; i < N; ++i) L[i] = Select(flat, zero, L[i]);
  *scale_out = Select(flat, zero, scale);
  *the_min_out = -Select(flat, min0, min);
}

// Q4_K (nmax 15) / Q5_K (nmax 31): lanes = 8 sub-blocks of each of two super-blocks.
__attribute__((target_clones("avx512f", "avx2", "default"))) void Q45KVec(const float* x,
                                                                          uint8_t* y, int64_t nb,
                                                                          int nmax) {
  const float rmin = nmax == 15 ? -1.f : -0.5f;
  const int nstep = nmax == 15 ? 20 : 15;
  const int block_bytes = nmax == 15 ? 144 : 176;
  VF xs[32], ws[32], Ls[32];
  for (int64_t i = 0; i < nb; i += 2) {
    const int count = nb - i >= 2 ? 2 : 1;
    VF sum_x2{};
    for (int l = 0; l < 32; ++l) {
      for (int k = 0; k < kLanes; ++k)
        xs[l][k] = k / 8 < count ? x[(i + k / 8) * kQkK + (k % 8) * 32 + l] : 0.f;
      sum_x2 += xs[l] * xs[l];
    }
    VF av_x;
    for (int k = 0; k < kLanes; ++k) av_x[k] = std::sqrt(sum_x2[k] / 32);
    for (int l = 0; l < 32; ++l) ws[l] = av_x + Abs(xs[l]);
    VF scales, mins;
    Qkx2<32>(xs, ws, nmax, rmin, 0.1f, nstep, false, &scales, &mins, Ls);
    for (int s = 0; s < count; ++s) {
      float sc[8], mn[8];
      uint8_t L[kQkK];
      for (int j = 0; j < 8; ++j) {
        sc[j] = scales[s * 8 + j];
        mn[j] = mins[s * 8 + j];
        for (int l = 0; l < 32; ++l) L[j * 32 + l] = static_cast<uint8_t>(Ls[l][s * 8 + j]);
      }
      FinishQ45K(x + (i + s) * kQkK, sc, mn, L, y + (i + s) * block_bytes, nmax);
    }
  }
}

// Q2_K: the 16 sub-blocks of 16 weights of one super-block, MAD error, weights |x|.
__attribute__((target_clones("avx512f", "avx2", "default"))) void Q2KVec(const float* x, uint8_t* y,
                                                                         int64_t nb) {
  VF xs[16], ws[16], Ls[16];
  for (int64_t i = 0; i < nb; ++i, x += kQkK, y += 84) {
    for (int l = 0; l < 16; ++l) {
      for (int k = 0; k < kLanes; ++k) xs[l][k] = x[k * 16 + l];
      ws[l] = Abs(xs[l]);
    }
    VF scales, mins;
    Qkx2<16>(xs, ws, 3, -0.5f, 0.1f, 15, true, &scales, &mins, Ls);
    float sc[16], mn[16];
    uint8_t L[kQkK];
    for (int j = 0; j < 16; ++j) {
      sc[j] = scales[j];
      mn[j] = mins[j];
      for (int l = 0; l < 16; ++l) L[j * 16 + l] = static_cast<uint8_t>(Ls[l][j]);
    }
    FinishQ2K(x, sc, mn, L, y);
  }
}

}  // namespace

void QuantizeQ2K(const float* x, uint8_t* y, int64_t nb) { Q2KVec(x, y, nb); }
void QuantizeQ4K(const float* x, uint8_t* y, int64_t nb) { Q45KVec(x, y, nb, 15); }
void QuantizeQ5K(const float* x, uint8_t* y, int64_t nb) { Q45KVec(x, y, nb, 31); }
void QuantizeQ6K(const float* x, uint8_t* y, int64_t nb) { QuantizeQ6KScalar(x, y, nb); }

}  // namespace provbadge::verifier::quant_internal
