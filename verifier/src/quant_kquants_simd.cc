// Vectorized K-quants (notes/quant.md §5). Stage 1 (make_qkx2_quants) runs on 16 independent
// sub-blocks at once, one per SIMD lane, with exactly the scalar operation order per lane (no
// reassociation; -ffp-contract=off) and branches turned into per-lane selects. Stage 2 (the
// final re-rounding of every weight under the stored scales) is element-wise, so it runs on 16
// consecutive weights of one sub-block at a time. The bytes therefore equal quant_kquants.cc's
// scalar port, which the tests and the benchmark cross-check.
//
// One kernel, three widths: 16 lanes (AVX-512), 8 (AVX2), 4 (SSE2 / any), chosen once at run
// time, so every vector maps onto native registers (a 16-lane vector on AVX2 is lowered through
// general registers by GCC, which costs more than it saves).
// Speed notes: sub-blocks are transposed into lanes with 2-input shuffles (no scalar inserts);
// the search keeps, per lane, only the inverse scale and min that produced its best levels, and
// the stage-1 levels are re-derived from them only for the rare sub-blocks whose stored scale
// is zero (the only ones where stage 2 keeps them); levels are clamped in the integer domain.
// Q2_K, Q4_K and Q5_K are here; Q6_K is quant_kquants_q6k.cc (shared pieces: quant_simd.h).
#include <atomic>
#include <cmath>
#include <cstring>

#include "quant_simd.h"

namespace provbadge::verifier::quant_internal {
namespace {

using simd::Abs;
using simd::LevelV;
using simd::Load;
using simd::StageOne;
using simd::Transpose;
using simd::Vec;

// make_qkx2_quants on W sub-blocks of N weights (x[i], w[i]: weight i of every lane); lane k's
// results go to out->...[first + k].
template <int W, int N>
PB_INLINE void Qkx2(const typename Vec<W>::F* x, const typename Vec<W>::F* w, int nmax, float rmin,
                    float rdelta, int nstep, bool use_mad, StageOne* out, int first) {
  using F = typename Vec<W>::F;
  using I = typename Vec<W>::I;
  F min = x[0], max = x[0];
  F sum_w = w[0];
  F sum_x = sum_w * x[0];
  for (int i = 1; i < N; ++i) {
    min = x[i] < min ? x[i] : min;
    max = x[i] > max ? x[i] : max;
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  const F zero = F{} + 0.f;
  const I nmax_v = I{} + nmax;
  min = min > zero ? zero : min;
  const I flat = max == min;
  const F min0 = min;
  F iscale = static_cast<float>(nmax) / (max - min);
  F scale = 1 / iscale;
  F best_error = zero;
  for (int i = 0; i < N; ++i) {
    const F l = __builtin_convertvector(LevelV<W>(iscale * (x[i] - min), nmax_v), F);
    F diff = scale * l + min - x[i];
    diff = use_mad ? Abs<W>(diff) : diff * diff;
    best_error += w[i] * diff;
  }
  F sel_iscale = iscale, sel_min = min;
  F laux[N];
  for (int is = 0; is <= nstep; ++is) {
    const float num = rmin + rdelta * is + nmax;
    iscale = num / (max - min);
    F sum_l = zero, sum_l2 = zero, sum_xl = zero;
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i) {
      const F l = __builtin_convertvector(LevelV<W>(iscale * (x[i] - min), nmax_v), F);
      laux[i] = l;
      const F wl = w[i] * l;
      sum_l += wl;
      sum_l2 += wl * l;
      sum_xl += wl * x[i];
    }
    const F D = sum_w * sum_l2 - sum_l * sum_l;
    F this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
    F this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
    const I pos = this_min > zero;
    this_min = pos ? zero : this_min;
    this_scale = pos ? sum_xl / sum_l2 : this_scale;
    F cur_error = zero;
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i) {
      F diff = this_scale * laux[i] + this_min - x[i];
      diff = use_mad ? Abs<W>(diff) : diff * diff;
      cur_error += w[i] * diff;
    }
    // `if (D > 0 && cur_error < best_error)` per lane, as compares feeding selects directly:
    // GCC 12 lowers a 16-lane `(a > b) & (c < d)` lane by lane. `cand` is cur_error where
    // D > 0, else best_error (never less than itself, NaN included).
    const F cand = D > zero ? cur_error : best_error;
    sel_iscale = cand < best_error ? iscale : sel_iscale;
    sel_min = cand < best_error ? min : sel_min;
    scale = cand < best_error ? this_scale : scale;
    min = cand < best_error ? this_min : min;
    best_error = cand < best_error ? cand : best_error;  // last: the conditions above read it
  }
  for (int k = 0; k < W; ++k) {
    out->flat[first + k] = flat[k] != 0;
    out->scale[first + k] = flat[k] ? 0.f : scale[k];
    out->the_min[first + k] = -(flat[k] ? min0[k] : min[k]);
    out->sel_iscale[first + k] = sel_iscale[k];
    out->sel_min[first + k] = sel_min[k];
  }
}

// The stage-1 levels of sub-block k (n weights at x), re-derived exactly as Qkx2 chose them.
void StageOneLevels(const StageOne& o, int k, const float* x, int n, int nmax, int32_t* L) {
  for (int i = 0; i < n; ++i) {
    const int l = o.flat[k] ? 0 : NearestInt(o.sel_iscale[k] * (x[i] - o.sel_min[k]));
    L[i] = l < 0 ? 0 : (l > nmax ? nmax : l);
  }
}

// Stage 2 for one sub-block of n (16 or 32) weights: clamp(NearestInt((x + dm) / d), 0, nmax).
// Levels stay 32-bit here (GCC lowers a vector int32 -> uint8 conversion element by element);
// Narrow() below is a plain loop the auto-vectorizer turns into packs.
template <int W>
PB_INLINE void Requantize(const float* x, int n, float d, float dm, int nmax, int32_t* L) {
  const typename Vec<W>::I nmax_v = typename Vec<W>::I{} + nmax;
  for (int i = 0; i < n; i += W) {
    const typename Vec<W>::I l = LevelV<W>((Load<W>(x + i) + dm) / d, nmax_v);
    std::memcpy(L + i, &l, sizeof l);
  }
}

PB_INLINE void Narrow(const int32_t* in, uint8_t* out) {
  for (int i = 0; i < kQkK; ++i) out[i] = static_cast<uint8_t>(in[i]);
}

// Stage 1 of up to two super-blocks' 16 sub-blocks of SUB weights (sub-block k at base + SUB k;
// sub-blocks from `valid` on read zeros), W at a time.
template <int W, int SUB>
PB_INLINE void StageOneGroups(const float* base, int valid, int nmax, float rmin, int nstep,
                              bool q2k, StageOne* out) {
  alignas(64) static const float kZeros[32] = {};
  using F = typename Vec<W>::F;
  for (int g = 0; g < 16; g += W) {
    F xs[SUB], ws[SUB];
    for (int h = 0; h < SUB; h += W) {
      const float* rows[W];
      for (int k = 0; k < W; ++k) rows[k] = g + k < valid ? base + (g + k) * SUB + h : kZeros;
      Transpose<W>(rows, xs + h);
    }
    if (q2k) {
      for (int l = 0; l < SUB; ++l) ws[l] = Abs<W>(xs[l]);
      Qkx2<W, SUB>(xs, ws, 3, -0.5f, 0.1f, 15, true, out, g);
      continue;
    }
    F sum_x2{};
    for (int l = 0; l < SUB; ++l) sum_x2 += xs[l] * xs[l];
    F av_x;
    for (int k = 0; k < W; ++k) av_x[k] = std::sqrt(sum_x2[k] / 32);
    for (int l = 0; l < SUB; ++l) ws[l] = av_x + Abs<W>(xs[l]);
    Qkx2<W, SUB>(xs, ws, nmax, rmin, 0.1f, nstep, false, out, g);
  }
}

// Q4_K (nmax 15) / Q5_K (nmax 31): two super-blocks (16 sub-blocks of 32) per stage-1 pass.
template <int W>
PB_INLINE void Q45KImpl(const float* x, uint8_t* y, int64_t nb, int nmax) {
  const float rmin = nmax == 15 ? -1.f : -0.5f;
  const int nstep = nmax == 15 ? 20 : 15;
  const int block_bytes = nmax == 15 ? 144 : 176;
  StageOne st;
  for (int64_t i = 0; i < nb; i += 2) {
    const int count = nb - i >= 2 ? 2 : 1;
    const float* base = x + i * kQkK;
    StageOneGroups<W, 32>(base, count * 8, nmax, rmin, nstep, false, &st);
    for (int s = 0; s < count; ++s) {
      const float* xb = base + s * kQkK;
      uint8_t* yb = y + (i + s) * block_bytes;
      ScaleCodesQ45K(st.scale + 8 * s, st.the_min + 8 * s, yb);
      const float d_all = LoadFp16(yb), m_all = LoadFp16(yb + 2);
      int32_t Li[kQkK];
      for (int j = 0; j < 8; ++j) {
        uint8_t ls, lm;
        ScaleMinK4(j, yb + 4, &ls, &lm);
        const float d = d_all * ls;
        if (!d) {
          StageOneLevels(st, s * 8 + j, xb + 32 * j, 32, nmax, Li + 32 * j);
        } else {
          Requantize<W>(xb + 32 * j, 32, d, m_all * lm, nmax, Li + 32 * j);
        }
      }
      uint8_t L[kQkK];
      Narrow(Li, L);
      PackQ45K(L, yb, nmax);
    }
  }
}

// Q2_K: the 16 sub-blocks of 16 weights of one super-block, MAD error, weights |x|.
template <int W>
PB_INLINE void Q2KImpl(const float* x, uint8_t* y, int64_t nb) {
  StageOne st;
  for (int64_t i = 0; i < nb; ++i, x += kQkK, y += 84) {
    StageOneGroups<W, 16>(x, 16, 3, 0.f, 0, true, &st);
    ScaleCodesQ2K(st.scale, st.the_min, y);
    const float d_all = LoadFp16(y + 80), m_all = LoadFp16(y + 82);
    int32_t Li[kQkK];
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * (y[j] & 0xF);
      if (!d) {
        StageOneLevels(st, j, x + 16 * j, 16, 3, Li + 16 * j);
      } else {
        Requantize<W>(x + 16 * j, 16, d, m_all * (y[j] >> 4), 3, Li + 16 * j);
      }
    }
    uint8_t L[kQkK];
    Narrow(Li, L);
    Pack2Bit(L, y + 16);
  }
}

void Q45K4(const float* x, uint8_t* y, int64_t nb, int nmax) { Q45KImpl<4>(x, y, nb, nmax); }
void Q2K4(const float* x, uint8_t* y, int64_t nb) { Q2KImpl<4>(x, y, nb); }

#if PB_QUANT_WIDE
PB_TARGET_AVX2 void Q45K8(const float* x, uint8_t* y, int64_t nb, int nmax) {
  Q45KImpl<8>(x, y, nb, nmax);
}
PB_TARGET_AVX512 void Q45K16(const float* x, uint8_t* y, int64_t nb, int nmax) {
  Q45KImpl<16>(x, y, nb, nmax);
}
PB_TARGET_AVX2 void Q2K8(const float* x, uint8_t* y, int64_t nb) { Q2KImpl<8>(x, y, nb); }
PB_TARGET_AVX512 void Q2K16(const float* x, uint8_t* y, int64_t nb) { Q2KImpl<16>(x, y, nb); }
#else
void Q45K8(const float* x, uint8_t* y, int64_t nb, int nmax) { Q45K4(x, y, nb, nmax); }
void Q45K16(const float* x, uint8_t* y, int64_t nb, int nmax) { Q45K4(x, y, nb, nmax); }
void Q2K8(const float* x, uint8_t* y, int64_t nb) { Q2K4(x, y, nb); }
void Q2K16(const float* x, uint8_t* y, int64_t nb) { Q2K4(x, y, nb); }
#endif

std::atomic<int> forced_width{0};  // SetQuantKernelLanes; 0: the widest

}  // namespace

int WidestKernelWidth() {
  static const int width = [] {
#if PB_QUANT_WIDE
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("bmi2")) {
      return 16;
    }
    if (__builtin_cpu_supports("avx2")) return 8;
#endif
    return 4;
  }();
  return width;
}

int KernelWidth() {
  const int forced = forced_width.load(std::memory_order_relaxed);
  return forced != 0 ? forced : WidestKernelWidth();
}

void QuantizeQ2K(const float* x, uint8_t* y, int64_t nb) {
  const int w = KernelWidth();
  w == 16 ? Q2K16(x, y, nb) : (w == 8 ? Q2K8(x, y, nb) : Q2K4(x, y, nb));
}
void QuantizeQ4K(const float* x, uint8_t* y, int64_t nb) {
  const int w = KernelWidth();
  w == 16 ? Q45K16(x, y, nb, 15) : (w == 8 ? Q45K8(x, y, nb, 15) : Q45K4(x, y, nb, 15));
}
void QuantizeQ5K(const float* x, uint8_t* y, int64_t nb) {
  const int w = KernelWidth();
  w == 16 ? Q45K16(x, y, nb, 31) : (w == 8 ? Q45K8(x, y, nb, 31) : Q45K4(x, y, nb, 31));
}
}  // namespace provbadge::verifier::quant_internal

namespace provbadge::verifier {

int QuantKernelLanes() { return quant_internal::KernelWidth(); }

bool SetQuantKernelLanes(int lanes) {
  if (lanes != 0 && lanes != 4 && lanes != 8 && lanes != 16) return false;
  if (lanes > quant_internal::WidestKernelWidth()) return false;
  quant_internal::forced_width.store(lanes, std::memory_order_relaxed);
  return true;
}

}  // namespace provbadge::verifier
