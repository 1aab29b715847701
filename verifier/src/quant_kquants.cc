// K-quant reference quantizers (quantize_row_q{2,3,4,5,6}_K_ref), scalar. Each super-block is
// independent: a per-sub-block scale search (stage 1), scale codes against an fp16 super-scale,
// then every weight re-rounded under the stored scales (stage 2). The vectorized Q2_K/Q4_K/
// Q5_K/Q6_K kernels (quant_kquants_simd.cc) must give identical bytes; these scalar versions
// are their oracle. Compiled with -ffp-contract=off.
#include <cmath>
#include <cstring>

#include "quant_internal.h"

namespace provbadge::verifier::quant_internal {
namespace {

// make_qkx2_quants: weighted (scale, min) search over nstep+1 inverse scales.
float MakeQkx2(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
               float rmin, float rdelta, int nstep, bool use_mad) {
  uint8_t laux[32];
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::memset(L, 0, n);
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = NearestInt(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(l < 0 ? 0 : (l > nmax ? nmax : l));
    float diff = scale * L[i] + min - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    best_error += weights[i] * diff;
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = NearestInt(iscale * (x[i] - min));
      l = l < 0 ? 0 : (l > nmax ? nmax : l);
      laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * laux[i] + this_min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        cur_error += weights[i] * diff;
      }
      if (cur_error < best_error) {
        std::memcpy(L, laux, n);
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// make_qx_quants with rmse_type 1 and no imatrix (weights x^2), as Q6_K uses it.
float MakeQx(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::memset(L, 0, n);
    return 0.f;
  }
  auto clamp = [nmax](int l) { return l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l); };
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp(NearestInt(iscale * x[i]));
    L[i] = static_cast<int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = clamp(NearestInt(iscale * x[i]));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i)
        L[i] = static_cast<int8_t>(nmax + clamp(NearestInt(iscale * x[i])));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// make_q3_quants(n, nmax, x, L, do_rmse = true): coordinate descent on x^2-weighted error.
float MakeQ3(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::memset(L, 0, n);
    return 0.f;
  }
  auto clamp = [nmax](int l) { return l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l); };
  const float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp(NearestInt(iscale * x[i]));
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  for (int itry = 0; itry < 5; ++itry) {
    int n_changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * L[i] * L[i];
        const int new_l = clamp(NearestInt(x[i] * sl2 / slx));
        if (new_l != L[i]) {
          slx += w * x[i] * new_l;
          sl2 += w * new_l * new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = static_cast<int8_t>(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++n_changed;
          }
        }
      }
    }
    if (!n_changed) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

}  // namespace

// Packs 2-bit values L[0..255] the way Q2_K and Q3_K store qs[64].
void Pack2Bit(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kQkK; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                                           (L[j + l + 96] << 6));
    }
  }
}

void ScaleCodesQ2K(const float* scales, const float* mins, uint8_t* y) {
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 16; ++j) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  uint8_t* sc = y;  // scales[16], qs[64], d, dmin
  if (max_scale > 0) {
    const float iscale = 15.f / max_scale;
    for (int j = 0; j < 16; ++j) sc[j] = static_cast<uint8_t>(NearestInt(iscale * scales[j]));
    StoreFp16(y + 80, max_scale / 15.f);
  } else {
    std::memset(sc, 0, 16);
    StoreFp16(y + 80, 0.f);
  }
  if (max_min > 0) {
    const float iscale = 15.f / max_min;
    for (int j = 0; j < 16; ++j) sc[j] |= static_cast<uint8_t>(NearestInt(iscale * mins[j]) << 4);
    StoreFp16(y + 82, max_min / 15.f);
  } else {
    StoreFp16(y + 82, 0.f);
  }
}

void FinishQ2K(const float* x, const float* scales, const float* mins, uint8_t* L, uint8_t* y) {
  ScaleCodesQ2K(scales, mins, y);
  const uint8_t* sc = y;
  const float d_all = LoadFp16(y + 80), m_all = LoadFp16(y + 82);
  for (int j = 0; j < 16; ++j) {
    const float d = d_all * (sc[j] & 0xF);
    if (!d) continue;
    const float dm = m_all * (sc[j] >> 4);
    for (int ii = 0; ii < 16; ++ii) {
      const int l = NearestInt((x[16 * j + ii] + dm) / d);
      L[16 * j + ii] = static_cast<uint8_t>(l < 0 ? 0 : (l > 3 ? 3 : l));
    }
  }
  Pack2Bit(L, y + 16);
}

void ScaleCodesQ45K(const float* scales, const float* mins, uint8_t* y) {
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  uint8_t* sc = y + 4;  // d, dmin, scales[12], (qh[32]), qs[128]
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < 8; ++j) {
    uint8_t ls = static_cast<uint8_t>(NearestInt(inv_scale * scales[j]));
    uint8_t lm = static_cast<uint8_t>(NearestInt(inv_min * mins[j]));
    ls = ls < 63 ? ls : 63;
    lm = lm < 63 ? lm : 63;
    if (j < 4) {
      sc[j] = ls;
      sc[j + 4] = lm;
    } else {
      sc[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      sc[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
      sc[j] |= static_cast<uint8_t>((lm >> 4) << 6);
    }
  }
  StoreFp16(y, max_scale / 63.f);
  StoreFp16(y + 2, max_min / 63.f);
}

void PackQ45K(const uint8_t* L, uint8_t* y, int nmax) {
  if (nmax == 15) {
    uint8_t* q = y + 16;
    for (int j = 0; j < kQkK; j += 64, q += 32) {
      for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
    }
    return;
  }
  uint8_t* qh = y + 16;
  uint8_t* ql = y + 48;
  std::memset(qh, 0, 32);
  uint8_t m1 = 1, m2 = 2;
  for (int n = 0; n < kQkK; n += 64, ql += 32) {
    for (int j = 0; j < 32; ++j) {
      int l1 = L[n + j], l2 = L[n + j + 32];
      if (l1 > 15) {
        l1 -= 16;
        qh[j] |= m1;
      }
      if (l2 > 15) {
        l2 -= 16;
        qh[j] |= m2;
      }
      ql[j] = static_cast<uint8_t>(l1 | (l2 << 4));
    }
    m1 = static_cast<uint8_t>(m1 << 2);
    m2 = static_cast<uint8_t>(m2 << 2);
  }
}

// Stage 2 of Q4_K (nmax 15) and Q5_K (nmax 31).
void FinishQ45K(const float* x, const float* scales, const float* mins, uint8_t* L, uint8_t* y,
                int nmax) {
  ScaleCodesQ45K(scales, mins, y);
  const uint8_t* sc = y + 4;
  const float d_all = LoadFp16(y), m_all = LoadFp16(y + 2);
  for (int j = 0; j < 8; ++j) {
    uint8_t s, m;
    ScaleMinK4(j, sc, &s, &m);
    const float d = d_all * s;
    if (!d) continue;
    const float dm = m_all * m;
    for (int ii = 0; ii < 32; ++ii) {
      const int l = NearestInt((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = static_cast<uint8_t>(l < 0 ? 0 : (l > nmax ? nmax : l));
    }
  }
  PackQ45K(L, y, nmax);
}

bool ScaleCodesQ6K(const float* scales, uint8_t* y) {
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < 16; ++ib) {
    const float abs_scale = std::fabs(scales[ib]);
    if (abs_scale > max_abs_scale) {
      max_abs_scale = abs_scale;
      max_scale = scales[ib];
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(y, 0, 210);
    return false;
  }
  const float iscale = -128.f / max_scale;
  StoreFp16(y + 208, 1 / iscale);
  int8_t* sc = reinterpret_cast<int8_t*>(y + 192);
  for (int ib = 0; ib < 16; ++ib) {
    const int l = NearestInt(iscale * scales[ib]);
    sc[ib] = static_cast<int8_t>(l < 127 ? l : 127);
  }
  return true;
}

void PackQ6K(const int8_t* L, uint8_t* y) {
  uint8_t* ql = y;
  uint8_t* qh = y + 128;
  for (int j = 0; j < kQkK; j += 128, ql += 64, qh += 32) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF;
      const uint8_t q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
      ql[l] = static_cast<uint8_t>(q1 | (q3 << 4));
      ql[l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
      qh[l] = static_cast<uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) |
                                   ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
    }
  }
}

// Stage 2 of Q6_K given the 16 stage-1 scales and L (values 0..63).
void FinishQ6K(const float* x, const float* scales, int8_t* L, uint8_t* y) {
  if (!ScaleCodesQ6K(scales, y)) return;
  const int8_t* sc = reinterpret_cast<const int8_t*>(y + 192);
  const float d_all = LoadFp16(y + 208);
  for (int j = 0; j < 16; ++j) {
    const float d = d_all * sc[j];
    if (!d) continue;
    for (int ii = 0; ii < 16; ++ii) {
      int l = NearestInt(x[16 * j + ii] / d);
      l = l < -32 ? -32 : (l > 31 ? 31 : l);
      L[16 * j + ii] = static_cast<int8_t>(l + 32);
    }
  }
  PackQ6K(L, y);
}

void QuantizeQ2KScalar(const float* x, uint8_t* y, int64_t nb) {
  uint8_t L[kQkK];
  float weights[16], mins[16], scales[16];
  for (int64_t i = 0; i < nb; ++i, x += kQkK, y += 84) {
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = MakeQkx2(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, true);
    }
    FinishQ2K(x, scales, mins, L, y);
  }
}

void QuantizeQ3K(const float* x, uint8_t* y, int64_t nb) {
  int8_t L[kQkK];
  float scales[16];
  for (int64_t i = 0; i < nb; ++i, x += kQkK, y += 110) {
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = MakeQ3(16, 4, x + 16 * j, L + 16 * j);
      const float scale = std::fabs(scales[j]);
      if (scale > amax) {
        amax = scale;
        max_scale = scales[j];
      }
    }
    uint8_t* hmask = y;  // hmask[32], qs[64], scales[12], d
    uint8_t* sc = y + 96;
    std::memset(sc, 0, 12);
    if (max_scale) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        int8_t l = static_cast<int8_t>(NearestInt(iscale * scales[j]));
        l = static_cast<int8_t>((l < -32 ? -32 : (l > 31 ? 31 : l)) + 32);
        if (j < 8) {
          sc[j] = l & 0xF;
        } else {
          sc[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
        }
        l = static_cast<int8_t>(l >> 4);
        sc[j % 4 + 8] |= static_cast<uint8_t>(l << (2 * (j / 4)));
      }
      StoreFp16(y + 108, 1 / iscale);
    } else {
      StoreFp16(y + 108, 0.f);
    }
    const float d_all = LoadFp16(y + 108);
    for (int j = 0; j < 16; ++j) {
      int s = j < 8 ? sc[j] & 0xF : sc[j - 8] >> 4;
      s = (s | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
      const float d = d_all * static_cast<int8_t>(s);
      if (!d) continue;
      for (int ii = 0; ii < 16; ++ii) {
        int l = NearestInt(x[16 * j + ii] / d);
        l = l < -4 ? -4 : (l > 3 ? 3 : l);
        L[16 * j + ii] = static_cast<int8_t>(l + 4);
      }
    }
    std::memset(hmask, 0, 32);
    uint8_t low[kQkK];
    int m = 0;
    uint8_t hm = 1;
    for (int j = 0; j < kQkK; ++j) {
      low[j] = static_cast<uint8_t>(L[j]);
      if (L[j] > 3) {
        hmask[m] |= hm;
        low[j] = static_cast<uint8_t>(L[j] - 4);
      }
      if (++m == 32) {
        m = 0;
        hm = static_cast<uint8_t>(hm << 1);
      }
    }
    Pack2Bit(low, y + 32);
  }
}

void QuantizeQ45KScalar(const float* x, uint8_t* y, int64_t nb, int nmax) {
  uint8_t L[kQkK];
  float weights[32], mins[8], scales[8];
  const float rmin = nmax == 15 ? -1.f : -0.5f;
  const int nstep = nmax == 15 ? 20 : 15;
  const int block_bytes = nmax == 15 ? 144 : 176;
  for (int64_t i = 0; i < nb; ++i, x += kQkK, y += block_bytes) {
    for (int j = 0; j < 8; ++j) {
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
      scales[j] =
          MakeQkx2(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep, false);
    }
    FinishQ45K(x, scales, mins, L, y, nmax);
  }
}

void QuantizeQ6KScalar(const float* x, uint8_t* y, int64_t nb) {
  int8_t L[kQkK];
  float scales[16];
  for (int64_t i = 0; i < nb; ++i, x += kQkK, y += 210) {
    for (int ib = 0; ib < 16; ++ib) scales[ib] = MakeQx(16, 32, x + 16 * ib, L + 16 * ib);
    FinishQ6K(x, scales, L, y);
  }
}

}  // namespace provbadge::verifier::quant_internal
