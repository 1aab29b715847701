// Every width of the vectorized kernels (16 lanes AVX-512, 8 AVX2, 4 portable) against the
// scalar port, on the data that reaches their rare paths. K-quants: tails (odd super-block
// counts), zero and flat sub-blocks, sub-blocks whose stored scale rounds to 0 next to large ones
// (stage 2 keeps the stage-1 levels there), subnormals, huge values, infinities and NaNs. Legacy
// types (both rounding variants): rounding ties, zero and signed-zero blocks, equal-magnitude
// maxima of both signs, tiny and subnormal scales, overflowing ranges, infinities, NaNs, random
// bit patterns. Row conversions: every binary16 value, the rounding midpoints and their
// neighbours, random bit patterns, tails.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

// Resets the kernel width when a test ends, however it ends.
struct WidthGuard {
  ~WidthGuard() { SetQuantKernelLanes(0); }
};

std::vector<float> Pattern(const std::string& name, int nb, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> x(static_cast<size_t>(nb) * 256);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = normal(rng);
    const size_t in_block = i % 256;
    if (name == "zero-subblock" && in_block < 32) x[i] = 0.f;
    if (name == "flat-subblock" && in_block >= 64 && in_block < 96) x[i] = 1e-3f;
    if (name == "tiny-next-to-huge") x[i] *= in_block < 32 ? 1e-6f : (in_block < 64 ? 1e3f : 1.f);
    if (name == "subnormal" && i % 3 == 0) x[i] = 1e-40f * static_cast<float>(i % 7);
    if (name == "huge" && i % 17 == 0) x[i] = (i % 2 ? -1 : 1) * 3e38f;
    if (name == "inf" && i % 61 == 7)
      x[i] = (i % 2 ? -1 : 1) * std::numeric_limits<float>::infinity();
    if (name == "nan" && i % 89 == 11) x[i] = std::numeric_limits<float>::quiet_NaN();
    if (name == "all-negative") x[i] = -std::fabs(x[i]) - 0.01f;
  }
  return x;
}

// Blocks of 32 named by what they exercise; block b of pattern "mixed" cycles through them all.
float LegacyValue(int kind, int j, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::uniform_int_distribution<int> level(-127, 126);
  std::uniform_int_distribution<uint32_t> bits;
  const float inf = std::numeric_limits<float>::infinity();
  switch (kind) {
    case 0:  // normal weights with an outlier
      return normal(rng) * (j == 5 ? 8.f : 1.f);
    case 1:  // Q8_0 ties: d = 1, x = k + 0.5
      return j == 0 ? 127.f : static_cast<float>(level(rng)) + 0.5f;
    case 2:  // Q4_0/Q5_0 truncation edges: d = +-1 or 2, half-integers and their neighbours
    {
      const float h = static_cast<float>(level(rng) % 16) + 0.5f;
      return j == 0 ? -8.f : (j % 3 == 0 ? std::nextafter(h, 0.f) : (j % 3 == 1 ? h : -h));
    }
    case 3:  // all zeros
      return 0.f;
    case 4:  // signed zeros, and zero next to positives (Q4_1's min is a zero)
      return j % 2 ? -0.f : (j % 5 == 0 ? 0.25f : 0.f);
    case 5:  // +a and -a both of the largest magnitude
      return j == 3 ? -0.5f : (j == 9 ? 0.5f : normal(rng));
    case 6:  // the same with the positive first
      return j == 3 ? 0.5f : (j == 9 ? -0.5f : normal(rng));
    case 7:  // subnormal block
      return 1e-40f * static_cast<float>(j - 16);
    case 8:  // maxima around 2^-100 (the fast path's limit)
      return (j % 2 ? 0x1p-100f : 0x1.fffffep-101f) * static_cast<float>(j % 7 - 3);
    case 9:  // largest magnitudes: max - min overflows
      return j % 2 ? std::numeric_limits<float>::max() : -3e38f;
    case 10:  // infinities
      return j == 7 ? inf : (j == 12 ? -inf : normal(rng));
    case 11:  // NaN
      return j == 20 ? std::numeric_limits<float>::quiet_NaN() : normal(rng);
    case 12:  // all equal
      return -0.125f;
    case 13:  // all negative
      return -std::fabs(normal(rng)) - 0.01f;
    case 14: {  // random bit patterns (any float)
      const uint32_t u = bits(rng);
      float f;
      std::memcpy(&f, &u, 4);
      return f;
    }
    default:  // huge but finite, ranges that stay finite
      return normal(rng) * 1e36f;
  }
}
constexpr int kLegacyKinds = 16;

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

}  // namespace

TEST_CASE("every legacy kernel width gives the scalar port's bytes", "[quant]") {
  WidthGuard guard;
  std::mt19937 rng(99);
  int widths_run = 0;
  for (int lanes : {4, 8, 16}) {
    if (!SetQuantKernelLanes(lanes)) continue;
    ++widths_run;
    for (int kind = 0; kind <= kLegacyKinds; ++kind) {  // kLegacyKinds: every kind in one row
      const int nb = kind == kLegacyKinds ? 4 * kLegacyKinds : 3;
      std::vector<float> x(static_cast<size_t>(nb) * 32);
      for (size_t i = 0; i < x.size(); ++i) {
        const int k = kind == kLegacyKinds ? static_cast<int>(i / 32) % kLegacyKinds : kind;
        x[i] = LegacyValue(k, static_cast<int>(i % 32), rng);
      }
      for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0,
                            GgmlType::kQ5_1, GgmlType::kF16, GgmlType::kBF16}) {
        for (RoundingVariant v : {RoundingVariant::kPlain, RoundingVariant::kFma}) {
          const auto info = *LookupGgmlType(static_cast<uint32_t>(type));
          const size_t bytes = x.size() / info.block_elems * info.block_bytes;
          std::vector<uint8_t> fast(bytes, 0xAA), ref(bytes, 0x55);
          REQUIRE(QuantizeRowRef(type, x.data(), nb * 32, v, fast.data()));
          REQUIRE(QuantizeRowRefScalar(type, x.data(), nb * 32, v, ref.data()));
          INFO(info.name << " lanes=" << lanes << " kind=" << kind << " "
                         << RoundingVariantName(v));
          CHECK(fast == ref);
        }
      }
    }
  }
  CHECK(widths_run >= 1);
}

TEST_CASE("the row conversions equal the scalar ones at every width", "[quant]") {
  WidthGuard guard;
  // Every binary16 value as input; as binary32 inputs: every binary16 value, the midpoint to the
  // next one (rounding ties), one binary32 ulp either side, and random bit patterns. Odd
  // lengths leave tails for the scalar code.
  std::vector<uint8_t> halves;
  for (uint32_t h = 0; h < 65536; ++h) halves.insert(halves.end(), {uint8_t(h), uint8_t(h >> 8)});
  halves.insert(halves.end(), {1, 0x3c, 7, 0x80});
  const int64_t nh = static_cast<int64_t>(halves.size() / 2);
  std::vector<float> x;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float v = Fp16ToFp32(static_cast<uint16_t>(h)), next = Fp16ToFp32(uint16_t(h + 1));
    const float mid = v + (next - v) / 2;
    x.insert(x.end(), {v, mid, std::nextafter(mid, 0.f), std::nextafter(mid, 1e38f),
                       std::nextafter(v, -1e38f)});
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 100003; ++i) {
    const uint32_t u = rng();
    float f;
    std::memcpy(&f, &u, 4);
    x.push_back(f);
  }
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> want_h(nh), want_b(nh), want_rt(n);
  std::vector<uint8_t> want16(2 * n), want_bf(2 * n);
  for (int64_t i = 0; i < nh; ++i) {
    const uint16_t h = static_cast<uint16_t>(halves[2 * i] | halves[2 * i + 1] << 8);
    want_h[i] = Fp16ToFp32(h);
    want_b[i] = Bf16ToFp32(h);
  }
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = Fp32ToFp16(x[i]), b = Fp32ToBf16(x[i]);
    std::memcpy(&want16[2 * i], &h, 2);
    std::memcpy(&want_bf[2 * i], &b, 2);
    want_rt[i] = Fp16ToFp32(h);
  }
  int widths_run = 0;
  for (int lanes : {4, 8, 16}) {
    if (!SetQuantKernelLanes(lanes)) continue;
    ++widths_run;
    INFO("lanes=" << lanes);
    std::vector<float> got_h(nh), got_b(nh), got_rt(n);
    std::vector<uint8_t> got16(2 * n), got_bf(2 * n);
    Fp16RowToFp32(halves.data(), nh, got_h.data());
    Bf16RowToFp32(halves.data(), nh, got_b.data());
    Fp32RowToFp16(x.data(), n, got16.data());
    Fp32RowToBf16(x.data(), n, got_bf.data());
    CHECK(SameBits(got_h, want_h));
    CHECK(SameBits(got_b, want_b));
    CHECK(got16 == want16);
    CHECK(got_bf == want_bf);
    CHECK_FALSE(Fp16RoundTripRow(x.data(), n, got_rt.data()));
    CHECK(SameBits(got_rt, want_rt));
    // Values that are binary16 already come back unchanged, and the result says so.
    std::vector<float> exact(want_h.begin(), want_h.begin() + 0x7c00), back(0x7c00);
    CHECK(Fp16RoundTripRow(exact.data(), 0x7c00, back.data()));
    CHECK(SameBits(back, exact));
  }
  CHECK(widths_run >= 1);
}

TEST_CASE("re-using the blocks an f16 trip left unchanged gives QuantizeRowRef's bytes",
          "[quant]") {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> x(4096), x16(4096);
  for (size_t i = 0; i < x.size(); ++i) x[i] = normal(rng) * (i % 300 == 1 ? 1e-3f : 1.f);
  CHECK_FALSE(Fp16RoundTripRow(x.data(), 4096, x16.data()));
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_1, GgmlType::kQ4_K,
                        GgmlType::kQ6_K, GgmlType::kBF16}) {
    for (RoundingVariant v : {RoundingVariant::kPlain, RoundingVariant::kFma}) {
      const auto info = *LookupGgmlType(static_cast<uint32_t>(type));
      const size_t bytes = 4096 / info.block_elems * info.block_bytes;
      std::vector<uint8_t> base(bytes), want(bytes, 1), got(bytes, 2);
      REQUIRE(QuantizeRowRef(type, x.data(), 4096, v, base.data()));
      REQUIRE(QuantizeRowRef(type, x16.data(), 4096, v, want.data()));
      REQUIRE(QuantizeRowRefReusing(type, x16.data(), x.data(), base.data(), 4096, v, got.data()));
      INFO(info.name);
      CHECK(got == want);
      CHECK(want != base);  // the trip changed some blocks' bytes
    }
  }
}

TEST_CASE("every K-quant kernel width gives the scalar port's bytes", "[quant]") {
  WidthGuard guard;
  std::mt19937 rng(1234);
  int widths_run = 0;
  for (int lanes : {4, 8, 16}) {
    if (!SetQuantKernelLanes(lanes)) continue;  // not on this CPU or build
    REQUIRE(QuantKernelLanes() == lanes);
    ++widths_run;
    for (const char* name : {"normal", "zero-subblock", "flat-subblock", "tiny-next-to-huge",
                             "subnormal", "huge", "inf", "nan", "all-negative"}) {
      for (int nb : {1, 2, 3, 6}) {
        const std::vector<float> x = Pattern(name, nb, rng);
        for (GgmlType type : {GgmlType::kQ2_K, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K}) {
          const auto info = *LookupGgmlType(static_cast<uint32_t>(type));
          std::vector<uint8_t> fast(nb * info.block_bytes, 0xAA), ref(nb * info.block_bytes, 0x55);
          REQUIRE(QuantizeRowRef(type, x.data(), nb * 256, RoundingVariant::kPlain, fast.data()));
          REQUIRE(
              QuantizeRowRefScalar(type, x.data(), nb * 256, RoundingVariant::kPlain, ref.data()));
          INFO(info.name << " lanes=" << lanes << " pattern=" << name << " nb=" << nb);
          CHECK(fast == ref);
        }
      }
    }
  }
  CHECK(widths_run >= 1);
  CHECK_FALSE(SetQuantKernelLanes(3));
  CHECK_FALSE(SetQuantKernelLanes(32));
}

}  // namespace provbadge::verifier
