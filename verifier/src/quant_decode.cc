// Dequantization (dequantize_row_<type>) and the K-quant grid-consistency check (quant.h).
// Compiled with -ffp-contract=off.
#include <cstring>

#include "quant_internal.h"

namespace provbadge::verifier {
namespace {

using quant_internal::kQk;
using quant_internal::kQkK;
using quant_internal::LoadFp16;
using quant_internal::NearestInt;
using quant_internal::ScaleMinK4;

uint32_t Load32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }

// Quant values of one K super-block, in element order, plus per-element scale and offset such
// that value = d[i] * q[i] - m[i] (Q3_K and Q6_K subtract their bias from q).
struct KBlock {
  int q[kQkK];
  float d[kQkK / 16];  // per 16 elements (Q4_K/Q5_K repeat a 32-element scale twice)
  float m[kQkK / 16];
};

// The 6-bit Q3_K scale of sub-block j, minus its bias of 32.
int Q3Scale(const uint8_t* sc, int j) {
  int s = j < 8 ? sc[j] & 0xF : sc[j - 8] >> 4;
  return (s | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
}

void DecodeK(GgmlType type, const uint8_t* b, KBlock* k) {
  switch (type) {
    case GgmlType::kQ2_K: {
      const float d = LoadFp16(b + 80), dmin = LoadFp16(b + 82);
      for (int j = 0; j < 16; ++j) {
        k->d[j] = d * (b[j] & 0xF);
        k->m[j] = dmin * (b[j] >> 4);
      }
      for (int i = 0; i < kQkK; ++i)
        k->q[i] = (b[16 + (i / 128) * 32 + i % 32] >> (2 * ((i % 128) / 32))) & 3;
      return;
    }
    case GgmlType::kQ3_K: {
      const float d = LoadFp16(b + 108);
      for (int j = 0; j < 16; ++j) {
        k->d[j] = d * static_cast<int8_t>(Q3Scale(b + 96, j));
        k->m[j] = 0;
      }
      for (int i = 0; i < kQkK; ++i) {
        const int low = (b[32 + (i / 128) * 32 + i % 32] >> (2 * ((i % 128) / 32))) & 3;
        const bool high = b[i % 32] & (1 << (i / 32));
        k->q[i] = low - (high ? 0 : 4);
      }
      return;
    }
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K: {
      const float d = LoadFp16(b), dmin = LoadFp16(b + 2);
      for (int j = 0; j < 8; ++j) {
        uint8_t s, m;
        ScaleMinK4(j, b + 4, &s, &m);
        k->d[2 * j] = k->d[2 * j + 1] = d * s;
        k->m[2 * j] = k->m[2 * j + 1] = dmin * m;
      }
      const bool five = type == GgmlType::kQ5_K;
      const uint8_t* qs = b + (five ? 48 : 16);
      for (int i = 0; i < kQkK; ++i) {
        const int byte = (i / 64) * 32 + i % 32;
        const bool hi_nibble = (i % 64) >= 32;
        int q = hi_nibble ? qs[byte] >> 4 : qs[byte] & 0xF;
        if (five && (b[16 + i % 32] >> (i / 32) & 1)) q += 16;
        k->q[i] = q;
      }
      return;
    }
    case GgmlType::kQ6_K: {
      const float d = LoadFp16(b + 208);
      const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
      for (int j = 0; j < 16; ++j) {
        k->d[j] = d * sc[j];
        k->m[j] = 0;
      }
      for (int i = 0; i < kQkK; ++i) {
        const int half = i / 128, r = i % 128, l = r % 32, g = r / 32;
        const uint8_t* ql = b + 64 * half;
        const uint8_t* qh = b + 128 + 32 * half;
        const int lo = (g & 1 ? ql[l + 32] : ql[l]) >> (g >= 2 ? 4 : 0) & 0xF;
        const int hi = (qh[l] >> (2 * g)) & 3;
        k->q[i] = (lo | hi << 4) - 32;
      }
      return;
    }
    default:
      return;
  }
}

bool IsKQuant(GgmlType t) {
  return t == GgmlType::kQ2_K || t == GgmlType::kQ3_K || t == GgmlType::kQ4_K ||
         t == GgmlType::kQ5_K || t == GgmlType::kQ6_K;
}

void DequantLegacy(GgmlType type, const uint8_t* b, float* y) {
  const float d = LoadFp16(b);
  switch (type) {
    case GgmlType::kQ8_0:
      for (int j = 0; j < kQk; ++j) y[j] = static_cast<int8_t>(b[2 + j]) * d;
      return;
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_1: {
      const bool one = type == GgmlType::kQ4_1;
      const float m = one ? LoadFp16(b + 2) : 0.f;
      const uint8_t* qs = b + (one ? 4 : 2);
      for (int j = 0; j < kQk / 2; ++j) {
        const int x0 = (qs[j] & 0x0F) - (one ? 0 : 8), x1 = (qs[j] >> 4) - (one ? 0 : 8);
        y[j] = one ? x0 * d + m : x0 * d;
        y[j + kQk / 2] = one ? x1 * d + m : x1 * d;
      }
      return;
    }
    default: {  // Q5_0, Q5_1
      const bool one = type == GgmlType::kQ5_1;
      const float m = one ? LoadFp16(b + 2) : 0.f;
      const uint32_t qh = Load32(b + (one ? 4 : 2));
      const uint8_t* qs = b + (one ? 8 : 6);
      for (int j = 0; j < kQk / 2; ++j) {
        const int h0 = ((qh >> j) << 4) & 0x10, h1 = (qh >> (j + 12)) & 0x10;
        const int x0 = ((qs[j] & 0x0F) | h0) - (one ? 0 : 16);
        const int x1 = ((qs[j] >> 4) | h1) - (one ? 0 : 16);
        y[j] = one ? x0 * d + m : x0 * d;
        y[j + kQk / 2] = one ? x1 * d + m : x1 * d;
      }
      return;
    }
  }
}

}  // namespace

bool DequantizeRow(GgmlType type, const uint8_t* in, int64_t n, float* out) {
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(out, in, static_cast<size_t>(n) * 4);
      return true;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = static_cast<uint16_t>(in[2 * i] | in[2 * i + 1] << 8);
        out[i] = type == GgmlType::kF16 ? Fp16ToFp32(h) : Bf16ToFp32(h);
      }
      return true;
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1:
    case GgmlType::kQ8_0: {
      const uint32_t bytes = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
      for (int64_t b = 0; b < n / kQk; ++b) DequantLegacy(type, in + b * bytes, out + b * kQk);
      return true;
    }
    default:
      break;
  }
  if (!IsKQuant(type)) return false;
  const uint32_t bytes = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
  KBlock k;
  for (int64_t b = 0; b < n / kQkK; ++b) {
    DecodeK(type, in + b * bytes, &k);
    for (int i = 0; i < kQkK; ++i) out[b * kQkK + i] = k.d[i / 16] * k.q[i] - k.m[i / 16];
  }
  return true;
}

int GridInconsistentWeights(GgmlType type, const float* x, const uint8_t* block) {
  if (!IsKQuant(type)) return -1;
  KBlock k;
  DecodeK(type, block, &k);
  // The final step of every K quantizer: q = clamp(nearest_int((x + m) / d)) with the stored
  // (fp16-decoded) scales; sub-blocks whose scale decodes to zero keep stage-1 values and are
  // not constrained.
  int lo = 0, hi = 3;
  switch (type) {
    case GgmlType::kQ3_K:
      lo = -4, hi = 3;
      break;
    case GgmlType::kQ4_K:
      hi = 15;
      break;
    case GgmlType::kQ5_K:
      hi = 31;
      break;
    case GgmlType::kQ6_K:
      lo = -32, hi = 31;
      break;
    default:
      break;
  }
  int bad = 0;
  for (int i = 0; i < kQkK; ++i) {
    const float d = k.d[i / 16];
    if (!d) continue;
    int l = NearestInt((x[i] + k.m[i / 16]) / d);
    l = l < lo ? lo : (l > hi ? hi : l);
    if (l != k.q[i]) ++bad;
  }
  return bad;
}

}  // namespace provbadge::verifier
