// Vectorized Q6_K (quantize_row_q6_K_ref): make_qx_quants on W sub-blocks at once, one per lane,
// with the scalar operation order per lane (-ffp-contract=off), then stage 2 element-wise on 16
// consecutive weights. Equal bytes to quant_kquants.cc's scalar port (tests/verifier/
// quant_kernels_test.cc holds every width to it). Thread-safety: pure functions.
#include <cmath>
#include <cstring>
#include <limits>

#include "quant_simd.h"

namespace provbadge::verifier::quant_internal {
namespace {

using simd::Abs;
using simd::Load;
using simd::NearestIntV;
using simd::StageOne;
using simd::Transpose;
using simd::Vec;

// make_qx_quants(n = N, nmax, rmse_type 1, no imatrix) on W sub-blocks, as Q6_K uses it (nmax
// 32). Lane k's scale goes to out->scale[first + k]; its levels are re-derived by
// QxLevels from out->sel_iscale (the inverse scale of the chosen candidate) and out->flat
// (|x| below kGroupMaxEps everywhere: levels 0).
template <int W, int N>
PB_INLINE void Qx(const typename Vec<W>::F* x, int nmax, StageOne* out, int first) {
  using F = typename Vec<W>::F;
  using I = typename Vec<W>::I;
  const F zero = F{} + 0.f;
  F max = zero, amax = zero;
  F w[N], wx[N];  // x*x and x*x*x, as the reference computes them inside its loops
  for (int i = 0; i < N; ++i) {
    const F ax = Abs<W>(x[i]);
    max = ax > amax ? x[i] : max;
    amax = ax > amax ? ax : amax;
    w[i] = x[i] * x[i];
    wx[i] = w[i] * x[i];
  }
  const I lo = I{} - nmax, hi = I{} + (nmax - 1);
  auto sums = [&](F iscale, F* sumlx, F* suml2) {
    F slx = zero, sl2 = zero;
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i) {
      I li = NearestIntV<W>(iscale * x[i]);
      li = li < lo ? lo : li;
      li = li > hi ? hi : li;
      const F l = __builtin_convertvector(li, F);
      slx += wx[i] * l;
      sl2 += w[i] * l * l;
    }
    *sumlx = slx;
    *suml2 = sl2;
  };
  F iscale = static_cast<float>(-nmax) / max;
  F sumlx, suml2;
  sums(iscale, &sumlx, &suml2);
  F scale = suml2 != zero ? sumlx / suml2 : zero;
  F best = scale * sumlx;
  F sel_iscale = iscale;
  const F nan = F{} + std::numeric_limits<float>::quiet_NaN();
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sums(iscale, &sumlx, &suml2);
    // `if (suml2 > 0 && sumlx * sumlx > best * suml2)`: NaN where suml2 > 0 fails, so one
    // compare feeds each select (see Qkx2).
    const F lhs = suml2 > zero ? sumlx * sumlx : nan;
    const F rhs = best * suml2;
    const F new_scale = sumlx / suml2;
    sel_iscale = lhs > rhs ? iscale : sel_iscale;
    scale = lhs > rhs ? new_scale : scale;
    best = lhs > rhs ? new_scale * sumlx : best;
  }
  for (int k = 0; k < W; ++k) {
    const bool flat = amax[k] < kGroupMaxEps;
    out->flat[first + k] = flat;
    out->scale[first + k] = flat ? 0.f : scale[k];
    out->sel_iscale[first + k] = sel_iscale[k];
  }
}

// Q6_K stage-1 levels (0..63, or 0 for a flat sub-block) of sub-block k, re-derived.
void QxLevels(const StageOne& o, int k, const float* x, int nmax, int8_t* L) {
  for (int i = 0; i < 16; ++i) {
    int l = NearestInt(o.sel_iscale[k] * x[i]);
    l = l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l);
    L[i] = static_cast<int8_t>(o.flat[k] ? 0 : l + nmax);
  }
}

// Q6_K: the 16 sub-blocks of 16 weights of one super-block.
template <int W>
PB_INLINE void Q6KImpl(const float* x, uint8_t* y, int64_t nb) {
  using F = typename Vec<W>::F;
  using I = typename Vec<W>::I;
  StageOne st;
  const I lo = I{} - 32, hi = I{} + 31;
  for (int64_t i = 0; i < nb; ++i, x += kQkK, y += 210) {
    for (int g = 0; g < 16; g += W) {
      F xs[16];
      for (int h = 0; h < 16; h += W) {
        const float* rows[W];
        for (int k = 0; k < W; ++k) rows[k] = x + (g + k) * 16 + h;
        Transpose<W>(rows, xs + h);
      }
      Qx<W, 16>(xs, 32, &st, g);
    }
    if (!ScaleCodesQ6K(st.scale, y)) continue;
    const int8_t* sc = reinterpret_cast<const int8_t*>(y + 192);
    const float d_all = LoadFp16(y + 208);
    int32_t Li[kQkK];
    int8_t L[kQkK];
    bool fallback = false;
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * sc[j];
      if (!d) {
        fallback = true;  // QxLevels below
        std::memset(Li + 16 * j, 0, 16 * sizeof(int32_t));
        continue;
      }
      for (int ii = 0; ii < 16; ii += W) {
        I l = NearestIntV<W>(Load<W>(x + 16 * j + ii) / d);
        l = l < lo ? lo : l;
        l = (l > hi ? hi : l) + 32;
        std::memcpy(Li + 16 * j + ii, &l, sizeof l);
      }
    }
    for (int k = 0; k < kQkK; ++k) L[k] = static_cast<int8_t>(Li[k]);
    if (fallback) {
      for (int j = 0; j < 16; ++j) {
        if (d_all * sc[j] == 0.f) QxLevels(st, j, x + 16 * j, 32, L + 16 * j);
      }
    }
    PackQ6K(L, y);
  }
}

void Q6K4(const float* x, uint8_t* y, int64_t nb) { Q6KImpl<4>(x, y, nb); }
#if PB_QUANT_WIDE
PB_TARGET_AVX2 void Q6K8(const float* x, uint8_t* y, int64_t nb) { Q6KImpl<8>(x, y, nb); }
PB_TARGET_AVX512 void Q6K16(const float* x, uint8_t* y, int64_t nb) { Q6KImpl<16>(x, y, nb); }
#else
void Q6K8(const float* x, uint8_t* y, int64_t nb) { Q6K4(x, y, nb); }
void Q6K16(const float* x, uint8_t* y, int64_t nb) { Q6K4(x, y, nb); }
#endif

}  // namespace

void QuantizeQ6K(const float* x, uint8_t* y, int64_t nb) {
  const int w = KernelWidth();
  w == 16 ? Q6K16(x, y, nb) : (w == 8 ? Q6K8(x, y, nb) : Q6K4(x, y, nb));
}

}  // namespace provbadge::verifier::quant_internal
