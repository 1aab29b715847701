// Casts and the 32-element legacy quantizers (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), plus the
// QuantizeRowRef dispatcher. Compiled with -ffp-contract=off (verifier/CMakeLists.txt).
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "provbadge/verifier/quant.h"
#include "quant_internal.h"

namespace provbadge::verifier {
namespace {

using quant_internal::kQk;
using quant_internal::StoreFp16;

// `x*id + c`, contracted into one rounding when the build fused it.
inline float MulAdd(float x, float id, float c, RoundingVariant v) {
  return v == RoundingVariant::kFma ? std::fma(x, id, c) : x * id + c;
}

// The low byte of a float converted to an integer exactly as the reference binary does it on
// x86-64 (cvttss2si to 32 bits, then the low byte; GCC's code for a float -> 8-bit cast). C++
// leaves the conversion of NaN, infinities and values outside the type undefined; this gives
// them the hardware's "integer indefinite" 0x80000000 (low byte 0). In-range values truncate.
inline uint8_t LowByteX86(float f) {
  const int32_t i = f >= -2147483648.0f && f < 2147483648.0f ? static_cast<int32_t>(f) : INT32_MIN;
  return static_cast<uint8_t>(static_cast<uint32_t>(i) & 0xFFu);
}
inline int Int8X86(float f) { return static_cast<int8_t>(LowByteX86(f)); }

// The signed value of largest magnitude (first one on ties), as the reference scans.
inline float SignedAbsMax(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kQk; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

inline void MinMax(const float* x, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < kQk; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

void QuantizeQ4_0(const float* x, uint8_t* y, int64_t nb, RoundingVariant v) {
  for (int64_t i = 0; i < nb; ++i, x += kQk, y += 18) {
    const float d = SignedAbsMax(x) / -8;
    const float id = d ? 1.0f / d : 0.0f;
    StoreFp16(y, d);
    for (int j = 0; j < kQk / 2; ++j) {
      const int a = Int8X86(MulAdd(x[j], id, 8.5f, v));
      const int b = Int8X86(MulAdd(x[j + kQk / 2], id, 8.5f, v));
      y[2 + j] = static_cast<uint8_t>((a < 15 ? a : 15) | ((b < 15 ? b : 15) << 4));
    }
  }
}

void QuantizeQ4_1(const float* x, uint8_t* y, int64_t nb, RoundingVariant v) {
  for (int64_t i = 0; i < nb; ++i, x += kQk, y += 20) {
    float min, max;
    MinMax(x, &min, &max);
    const float d = (max - min) / 15;
    const float id = d ? 1.0f / d : 0.0f;
    StoreFp16(y, d);
    StoreFp16(y + 2, min);
    for (int j = 0; j < kQk / 2; ++j) {
      const int a = Int8X86(MulAdd(x[j] - min, id, 0.5f, v));
      const int b = Int8X86(MulAdd(x[j + kQk / 2] - min, id, 0.5f, v));
      y[4 + j] = static_cast<uint8_t>((a < 15 ? a : 15) | ((b < 15 ? b : 15) << 4));
    }
  }
}

void QuantizeQ5_0(const float* x, uint8_t* y, int64_t nb, RoundingVariant v) {
  for (int64_t i = 0; i < nb; ++i, x += kQk, y += 22) {
    const float d = SignedAbsMax(x) / -16;
    const float id = d ? 1.0f / d : 0.0f;
    StoreFp16(y, d);
    uint32_t qh = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      int a = Int8X86(MulAdd(x[j], id, 16.5f, v));
      int b = Int8X86(MulAdd(x[j + kQk / 2], id, 16.5f, v));
      const uint8_t xa = static_cast<uint8_t>(a < 31 ? a : 31);
      const uint8_t xb = static_cast<uint8_t>(b < 31 ? b : 31);
      y[6 + j] = static_cast<uint8_t>((xa & 0x0F) | ((xb & 0x0F) << 4));
      qh |= ((xa & 0x10u) >> 4) << j;
      qh |= ((xb & 0x10u) >> 4) << (j + kQk / 2);
    }
    for (int k = 0; k < 4; ++k) y[2 + k] = static_cast<uint8_t>(qh >> (8 * k));
  }
}

void QuantizeQ5_1(const float* x, uint8_t* y, int64_t nb, RoundingVariant v) {
  for (int64_t i = 0; i < nb; ++i, x += kQk, y += 24) {
    float min, max;
    MinMax(x, &min, &max);
    const float d = (max - min) / 31;
    const float id = d ? 1.0f / d : 0.0f;
    StoreFp16(y, d);
    StoreFp16(y + 2, min);
    uint32_t qh = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      const uint8_t xa = LowByteX86(MulAdd(x[j] - min, id, 0.5f, v));
      const uint8_t xb = LowByteX86(MulAdd(x[j + kQk / 2] - min, id, 0.5f, v));
      y[8 + j] = static_cast<uint8_t>((xa & 0x0F) | ((xb & 0x0F) << 4));
      qh |= ((xa & 0x10u) >> 4) << j;
      qh |= ((xb & 0x10u) >> 4) << (j + kQk / 2);
    }
    for (int k = 0; k < 4; ++k) y[4 + k] = static_cast<uint8_t>(qh >> (8 * k));
  }
}

void QuantizeQ8_0(const float* x, uint8_t* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk, y += 34) {
    float amax = 0.0f;
    for (int j = 0; j < kQk; ++j) {
      const float ax = std::fabs(x[j]);
      amax = amax > ax ? amax : ax;  // MAX(), not fmax: NaN behaves as in the reference
    }
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    StoreFp16(y, d);
    for (int j = 0; j < kQk; ++j) {
      y[2 + j] = LowByteX86(std::round(x[j] * id));
    }
  }
}

bool IsLegacy(GgmlType t) { return HasFmaVariant(t) || t == GgmlType::kQ8_0; }

}  // namespace

void quant_internal::QuantizeLegacyScalar(GgmlType type, const float* x, uint8_t* y, int64_t nb,
                                          RoundingVariant v) {
  switch (type) {
    case GgmlType::kQ4_0:
      return QuantizeQ4_0(x, y, nb, v);
    case GgmlType::kQ4_1:
      return QuantizeQ4_1(x, y, nb, v);
    case GgmlType::kQ5_0:
      return QuantizeQ5_0(x, y, nb, v);
    case GgmlType::kQ5_1:
      return QuantizeQ5_1(x, y, nb, v);
    case GgmlType::kQ8_0:
      return QuantizeQ8_0(x, y, nb);
    default:
      return;
  }
}

bool QuantizeRowRef(GgmlType type, const float* x, int64_t n, RoundingVariant variant,
                    uint8_t* out) {
  using namespace quant_internal;
  if (IsLegacy(type)) {
    QuantizeLegacy(type, x, out, n / kQk, variant);
    return true;
  }
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(out, x, static_cast<size_t>(n) * 4);
      return true;
    case GgmlType::kF16:
      Fp32RowToFp16(x, n, out);
      return true;
    case GgmlType::kBF16:
      Fp32RowToBf16(x, n, out);
      return true;
    case GgmlType::kQ2_K:
      QuantizeQ2K(x, out, n / kQkK);
      return true;
    case GgmlType::kQ3_K:
      QuantizeQ3K(x, out, n / kQkK);
      return true;
    case GgmlType::kQ4_K:
      QuantizeQ4K(x, out, n / kQkK);
      return true;
    case GgmlType::kQ5_K:
      QuantizeQ5K(x, out, n / kQkK);
      return true;
    case GgmlType::kQ6_K:
      QuantizeQ6K(x, out, n / kQkK);
      return true;
    default:
      return false;
  }
}

bool QuantizeRowRefPlainFlagged(GgmlType type, const float* x, int64_t n, uint8_t* out,
                                uint8_t* may_differ) {
  if (!HasFmaVariant(type)) return false;
  quant_internal::QuantizeLegacy(type, x, out, n / kQk, RoundingVariant::kPlain, may_differ);
  return true;
}

bool QuantizeRowRefReusing(GgmlType type, const float* x2, const float* x, const uint8_t* base,
                           int64_t n, RoundingVariant variant, uint8_t* out) {
  const auto info = LookupGgmlType(static_cast<uint32_t>(type));
  if (!info) return false;
  const int64_t be = info->block_elems, bb = info->block_bytes;
  for (int64_t b = 0; b < n / be; ++b) {
    const size_t at = static_cast<size_t>(b * bb);
    if (std::memcmp(x2 + b * be, x + b * be, static_cast<size_t>(be) * 4) == 0) {
      std::memcpy(out + at, base + at, static_cast<size_t>(bb));
    } else if (!QuantizeRowRef(type, x2 + b * be, be, variant, out + at)) {
      return false;
    }
  }
  return true;
}

bool QuantizeRowRefScalar(GgmlType type, const float* x, int64_t n, RoundingVariant variant,
                          uint8_t* out) {
  using namespace quant_internal;
  if (IsLegacy(type)) {
    QuantizeLegacyScalar(type, x, out, n / kQk, variant);
    return true;
  }
  switch (type) {
    case GgmlType::kQ2_K:
      QuantizeQ2KScalar(x, out, n / kQkK);
      return true;
    case GgmlType::kQ4_K:
      QuantizeQ45KScalar(x, out, n / kQkK, 15);
      return true;
    case GgmlType::kQ5_K:
      QuantizeQ45KScalar(x, out, n / kQkK, 31);
      return true;
    case GgmlType::kQ6_K:
      QuantizeQ6KScalar(x, out, n / kQkK);
      return true;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == GgmlType::kF16 ? Fp32ToFp16(x[i]) : Fp32ToBf16(x[i]);
        out[2 * i] = static_cast<uint8_t>(h & 0xff);
        out[2 * i + 1] = static_cast<uint8_t>(h >> 8);
      }
      return true;
    default:
      return QuantizeRowRef(type, x, n, variant, out);
  }
}

}  // namespace provbadge::verifier
