// The quantizer primitives: float conversions against the hardware (F16C), and the vectorized
// K-quant kernels against the scalar port on data that exercises every lane and tail path.
#include <catch2/catch.hpp>

#include <cpuid.h>
#include <immintrin.h>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

__attribute__((target("f16c"))) uint16_t HardwareToFp16(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) float HardwareFromFp16(uint16_t h) { return _cvtsh_ss(h); }

bool SameBits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

// CPUID.1:ECX.F16C (clang 14 lacks __builtin_cpu_supports("f16c")).
bool HasF16c() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

}  // namespace

TEST_CASE("fp16 conversions match the hardware", "[quant]") {
  if (!HasF16c()) return;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = Fp16ToFp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    REQUIRE(SameBits(f, HardwareFromFp16(static_cast<uint16_t>(h))));
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 2000000; ++i) {
    uint32_t u = rng();
    float f;
    std::memcpy(&f, &u, 4);
    if (std::isnan(f)) continue;
    REQUIRE(Fp32ToFp16(f) == HardwareToFp16(f));
  }
  for (float f : {65519.f, 65520.f, 0x1p-25f, 0x1.000002p-25f, 0x1p-24f, 0x1.8p-24f, 6.1e-5f}) {
    CHECK(Fp32ToFp16(f) == HardwareToFp16(f));
  }
}

TEST_CASE("bf16 conversion rounds to nearest even", "[quant]") {
  CHECK(Fp32ToBf16(1.0f) == 0x3f80);
  CHECK(Bf16ToFp32(0x3f80) == 1.0f);
  float f;
  uint32_t u = 0x3f808000;  // exactly halfway, even below
  std::memcpy(&f, &u, 4);
  CHECK(Fp32ToBf16(f) == 0x3f80);
  u = 0x3f818000;  // halfway, odd below: rounds up
  std::memcpy(&f, &u, 4);
  CHECK(Fp32ToBf16(f) == 0x3f82);
}

TEST_CASE("vectorized K-quants equal the scalar reference port", "[quant]") {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.f, 0.02f);
  for (GgmlType type : {GgmlType::kQ2_K, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K}) {
    const auto info = *LookupGgmlType(static_cast<uint32_t>(type));
    for (int nb : {1, 2, 3, 7}) {
      std::vector<float> x(static_cast<size_t>(nb) * 256);
      for (size_t i = 0; i < x.size(); ++i) {
        x[i] = normal(rng);
        if (i % 97 == 5) x[i] *= 8;
        if (i % 256 < 32 && nb == 3) x[i] = 0;      // an all-zero sub-block
        if (i % 256 < 16 && nb == 7) x[i] = 1e-3f;  // a flat sub-block
      }
      std::vector<uint8_t> a(nb * info.block_bytes), b(nb * info.block_bytes);
      REQUIRE(QuantizeRowRef(type, x.data(), nb * 256, RoundingVariant::kPlain, a.data()));
      REQUIRE(QuantizeRowRefScalar(type, x.data(), nb * 256, RoundingVariant::kPlain, b.data()));
      INFO(info.name << " nb=" << nb);
      CHECK(a == b);
      for (int blk = 0; blk < nb; ++blk) {
        CHECK(GridInconsistentWeights(type, x.data() + blk * 256,
                                      a.data() + blk * info.block_bytes) == 0);
      }
    }
  }
}

TEST_CASE("the FMA variant differs from the plain rounding on some Q4_0 blocks", "[quant]") {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> x(32 * 4096);
  for (float& v : x) v = Bf16ToFp32(Fp32ToBf16(normal(rng)));
  std::vector<uint8_t> plain(18 * 4096), fma(18 * 4096);
  QuantizeRowRef(GgmlType::kQ4_0, x.data(), x.size(), RoundingVariant::kPlain, plain.data());
  QuantizeRowRef(GgmlType::kQ4_0, x.data(), x.size(), RoundingVariant::kFma, fma.data());
  int differ = 0;
  for (int b = 0; b < 4096; ++b) differ += std::memcmp(&plain[b * 18], &fma[b * 18], 18) != 0;
  CHECK(differ > 0);
  CHECK(differ < 4096 / 20);
}

}  // namespace provbadge::verifier
