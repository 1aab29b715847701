// Every width of the vectorized K-quant kernels (16 lanes AVX-512, 8 AVX2, 4 portable) against
// the scalar port, on the data that reaches their rare paths: tails (odd super-block counts),
// zero and flat sub-blocks, sub-blocks whose stored scale rounds to 0 next to large ones (stage 2
// keeps the stage-1 levels there), subnormals, huge values, infinities and NaNs.
#include <catch2/catch.hpp>

#include <cmath>
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

}  // namespace

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
