// The fidelity check's fused fast path against the scalar ports, at every kernel width:
// FusedLegacyCheckBf16 (quant_legacy_fused.cc: bf16 -> f32, f16-trip test, quantization and
// compare in one pass) gives the scalar port's verdict for files of either rounding variant,
// the exact f16-trip block flags and sound flags of the other variant (every block where it
// differs, within QuantizeLegacy's flags; exactly those blocks in the AVX-512 group kernel);
// FusedRowChecker::Clean is true exactly when every evaluated candidate, quantized in full by
// the scalar port, reproduces the stored row, and with the FMA candidate primary it reports
// exactly candidate 0's mismatching blocks; the inline binary16 rounding of the block scales
// equals Fp32ToFp16.
#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "../../verifier/src/fidelity_fused.h"
#include "../../verifier/src/quant_internal.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

struct WidthGuard {
  ~WidthGuard() { SetQuantKernelLanes(0); }
};

constexpr GgmlType kTypes[] = {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0,
                               GgmlType::kQ5_1};
constexpr int kKinds = 15;

uint16_t Bf16(float f) { return Fp32ToBf16(f); }

// bf16 bits of weight j of a block of `kind`.
uint16_t Weight(int kind, int j, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.f, 0.02f);
  switch (kind) {
    case 0:  // checkpoint-like weights with an outlier
      return Bf16(normal(rng) * (j == 5 ? 8.f : 1.f));
    case 1:  // f16's subnormal range: the f16 trip changes some
      return Bf16(normal(rng) * 1e-4f);
    case 2:  // zeros
      return 0;
    case 3:  // signed zeros next to positives
      return j % 2 ? 0x8000 : (j % 5 == 0 ? Bf16(0.25f) : 0);
    case 4:  // +a and -a of the largest magnitude
      return j == 3 ? Bf16(-0.5f) : (j == 9 ? Bf16(0.5f) : Bf16(normal(rng)));
    case 5:  // binary32 subnormals
      return static_cast<uint16_t>((j % 2 ? 0x8000 : 0) | (1 + rng() % 0x7f));
    case 6:  // beyond f16's range (the trip makes infinities)
      return Bf16(normal(rng) * 1e7f);
    case 7:  // infinities
      return j == 7 ? 0x7f80 : (j == 12 ? 0xff80 : Bf16(normal(rng)));
    case 8:  // NaNs, one not quiet (the trip changes its bits)
      return j == 20 ? 0x7f81 : (j == 2 ? 0xffc0 : Bf16(normal(rng)));
    case 9:  // random bit patterns
      return static_cast<uint16_t>(rng());
    case 10:  // half-integer levels (rounding ties, truncation edges)
      return j == 0 ? Bf16(-8.f)
                    : Bf16(static_cast<float>(static_cast<int>(rng() % 15) - 7) + 0.5f);
    case 11:  // maxima around 2^-100 (the kernels' limit)
      return Bf16((j % 2 ? 0x1p-100f : 0x1.fep-101f) * static_cast<float>(j % 7 - 3));
    case 12:  // all equal
      return Bf16(-0.125f);
    case 13: {  // a scale of 2^-13 over values the f16 trip rounds (it moves some levels)
      if (j == 0) return Bf16(0x1p-13f);
      const uint32_t exponent = 103 + rng() % 10, mantissa = rng() % 0x80;  // 2^-24 .. 2^-15
      return static_cast<uint16_t>((rng() % 2) << 15 | exponent << 7 | mantissa);
    }
    default:  // all negative
      return Bf16(-std::fabs(normal(rng)) - 0.01f);
  }
}

// A row of nb blocks: little-endian bf16 bytes and the same values as binary32.
struct Row {
  std::vector<uint8_t> src;
  std::vector<float> x;
};

Row MakeRow(int nb, int kind, std::mt19937& rng) {  // kind < 0: every kind in turn
  Row r;
  for (int b = 0; b < nb; ++b) {
    for (int j = 0; j < 32; ++j) {
      const uint16_t h = Weight(kind < 0 ? b % kKinds : kind, j, rng);
      r.src.push_back(static_cast<uint8_t>(h & 0xff));
      r.src.push_back(static_cast<uint8_t>(h >> 8));
      r.x.push_back(Bf16ToFp32(h));
    }
  }
  return r;
}

std::vector<uint8_t> Scalar(GgmlType type, const std::vector<float>& x, RoundingVariant v) {
  std::vector<uint8_t> out(x.size() / 32 *
                           LookupGgmlType(static_cast<uint32_t>(type))->block_bytes);
  REQUIRE(QuantizeRowRefScalar(type, x.data(), static_cast<int64_t>(x.size()), v, out.data()));
  return out;
}

std::vector<float> Trip(const std::vector<float>& x) {
  std::vector<float> t(x.size());
  for (size_t i = 0; i < x.size(); ++i) t[i] = Fp16ToFp32(Fp32ToFp16(x[i]));
  return t;
}

// A checkpoint-like block whose plain and FMA quantizations (Q4_0 or Q5_0) differ.
Row VariantsDifferBlock(GgmlType type, std::mt19937& rng) {
  for (;;) {
    Row r = MakeRow(1, 0, rng);
    if (Scalar(type, r.x, RoundingVariant::kPlain) != Scalar(type, r.x, RoundingVariant::kFma)) {
      return r;
    }
  }
}

// One row through FusedLegacyCheckBf16 with the variant's stored blocks: the verdict, the
// f16-trip effects (counted in trip_blocks: [0] kTripChanges, [1] kTripSame), the flags of the
// other variant (QuantizeLegacy's, and set wherever that variant's block differs), and one
// changed byte anywhere failing the row.
void CheckKernelRow(GgmlType type, RoundingVariant variant, const Row& row,
                    const std::vector<float>& trip, std::mt19937& rng, int* trip_blocks) {
  const int nb = static_cast<int>(row.x.size() / 32);
  const RoundingVariant other =
      variant == RoundingVariant::kFma ? RoundingVariant::kPlain : RoundingVariant::kFma;
  const uint32_t bb = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
  std::vector<uint8_t> stored = Scalar(type, row.x, variant);
  const std::vector<uint8_t> alt = Scalar(type, row.x, other);
  std::vector<uint8_t> changed(nb, 7), may(nb, 7), ref_may(nb), out(stored.size());
  REQUIRE(quant_internal::FusedLegacyCheckBf16(type, row.src.data(), stored.data(), nb,
                                               changed.data(), may.data(), variant));
  CHECK(quant_internal::FusedLegacyCheckBf16(type, row.src.data(), stored.data(), nb, nullptr,
                                             nullptr, variant));
  quant_internal::QuantizeLegacy(type, row.x.data(), out.data(), nb, variant, ref_may.data());
  const std::vector<uint8_t> same16 = Scalar(type, trip, variant);
  const std::vector<uint8_t> other16 = Scalar(type, trip, other);
  for (int b = 0; b < nb; ++b) {
    const bool trip_changes = std::memcmp(&trip[b * 32], &row.x[b * 32], 128) != 0;
    CHECK((changed[b] != quant_internal::kTripKeeps) == trip_changes);
    CHECK(changed[b] <= quant_internal::kTripChanges);
    // kTripSame only where both trip candidates reproduce the block (the other variant's too,
    // since may_differ was asked for).
    if (changed[b] == quant_internal::kTripSame) {
      CHECK(std::memcmp(&same16[b * bb], &stored[b * bb], bb) == 0);
      if (type != GgmlType::kQ8_0) CHECK(std::memcmp(&other16[b * bb], &stored[b * bb], bb) == 0);
    }
    if (trip_changes) ++trip_blocks[changed[b] == quant_internal::kTripSame];
    if (type == GgmlType::kQ8_0) continue;
    // Flagged: every block where the other variant differs, and only blocks that
    // QuantizeLegacy's flags (FmaWatch) name too.
    CHECK(may[b] <= ref_may[b]);
    if (std::memcmp(&stored[b * bb], &alt[b * bb], bb) != 0) CHECK(may[b] == 1);
  }
  // One changed byte anywhere (the last block included) fails the row.
  for (int b : {0, nb / 2, nb - 1}) {
    const size_t at = b * bb + rng() % bb;
    stored[at] ^= 0x04;
    CHECK(!quant_internal::FusedLegacyCheckBf16(type, row.src.data(), stored.data(), nb,
                                                changed.data(), may.data(), variant));
    stored[at] ^= 0x04;
  }
}

}  // namespace

TEST_CASE("fused legacy check: the scalar port's verdict and exact block flags at every width",
          "[quant][fused]") {
  WidthGuard guard;
  std::mt19937 rng(314);
  int widths = 0;
  int trip_blocks[2] = {};  // blocks the f16 trip changes: [0] kTripChanges, [1] kTripSame
  for (int lanes : {4, 8, 16}) {
    if (!SetQuantKernelLanes(lanes)) continue;
    ++widths;
    for (int kind = -1; kind < kKinds; ++kind) {
      const int nb = kind < 0 ? 3 * kKinds + 1 : 3;
      const Row row = MakeRow(nb, kind, rng);
      const std::vector<float> trip = Trip(row.x);
      for (GgmlType type : kTypes) {
        for (int v = 0; v < (HasFmaVariant(type) ? 2 : 1); ++v) {
          INFO("lanes " << lanes << " kind " << kind << " type " << static_cast<int>(type)
                        << " variant " << v);
          CheckKernelRow(type, v ? RoundingVariant::kFma : RoundingVariant::kPlain, row, trip, rng,
                         trip_blocks);
        }
      }
    }
  }
  CHECK(widths >= 1);
  // Both outcomes of the trip's verdict occur (kinds 1, 5, 9 and 13 make kTripChanges).
  CHECK(trip_blocks[0] > 10);
  CHECK(trip_blocks[1] > 10);
  std::vector<uint8_t> src(64), stored(144);
  CHECK(!quant_internal::FusedLegacyCheckBf16(GgmlType::kQ4_K, src.data(), stored.data(), 1,
                                              nullptr, nullptr));
}

TEST_CASE("group kernel: on checkpoint-like rows, flags exactly where the other variant differs",
          "[quant][fused]") {
  WidthGuard guard;
  if (!SetQuantKernelLanes(16)) return;
  std::mt19937 rng(61);
  int differing = 0;
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ4_1, GgmlType::kQ5_1}) {
    constexpr int nb = 64;  // four groups, no tail
    Row row = MakeRow(nb, 0, rng);
    if (type == GgmlType::kQ4_0 || type == GgmlType::kQ5_0) {
      for (int b = 0; b < nb; b += 3) {
        const Row special = VariantsDifferBlock(type, rng);
        std::copy(special.src.begin(), special.src.end(), row.src.begin() + b * 64);
        std::copy(special.x.begin(), special.x.end(), row.x.begin() + b * 32);
      }
    }
    const uint32_t bb = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
    for (RoundingVariant v : {RoundingVariant::kPlain, RoundingVariant::kFma}) {
      INFO("type " << static_cast<int>(type) << " variant " << static_cast<int>(v));
      const std::vector<uint8_t> stored = Scalar(type, row.x, v);
      const std::vector<uint8_t> alt =
          Scalar(type, row.x,
                 v == RoundingVariant::kFma ? RoundingVariant::kPlain : RoundingVariant::kFma);
      std::vector<uint8_t> may(nb, 7);
      REQUIRE(quant_internal::FusedLegacyCheckBf16(type, row.src.data(), stored.data(), nb, nullptr,
                                                   may.data(), v));
      for (int b = 0; b < nb; ++b) {
        const bool differs = std::memcmp(&stored[b * bb], &alt[b * bb], bb) != 0;
        CHECK(may[b] == (differs ? 1 : 0));
        differing += differs;
      }
    }
  }
  CHECK(differing > 20);
}

TEST_CASE("fused row checker: clean exactly when every evaluated candidate reproduces the row",
          "[fidelity][fused]") {
  WidthGuard guard;
  std::mt19937 rng(2718);
  int clean = 0, unclean = 0, fma_settled = 0;
  for (int lanes : {4, 8, 16}) {
    if (!SetQuantKernelLanes(lanes)) continue;
    for (int i = 0; i < 200; ++i) {
      const GgmlType type = kTypes[i % 5];
      const bool has_fma = HasFmaVariant(type);
      // 1 to 40 blocks: several 8-block flag words, 16-block groups and their tails.
      const int nb = 1 + static_cast<int>(rng() % 40);
      // Mostly weights, some special blocks (f16-changed ones often).
      Row row = MakeRow(nb, 0, rng);
      for (int b = 0; b < nb; ++b) {
        if (rng() % 3 != 0) continue;
        const int kind = rng() % 2 ? 1 : static_cast<int>(rng() % kKinds);
        const Row special = MakeRow(1, kind, rng);
        std::copy(special.src.begin(), special.src.end(), row.src.begin() + b * 64);
        std::copy(special.x.begin(), special.x.end(), row.x.begin() + b * 32);
      }
      // Q4_0/Q5_0: often a block where the two variants differ, so that rows the FMA variant
      // made have candidate 0 mismatches to report.
      if (type == GgmlType::kQ4_0 || type == GgmlType::kQ5_0) {
        for (int b = 0; b < nb; ++b) {
          if (rng() % 4 != 0) continue;
          const Row special = VariantsDifferBlock(type, rng);
          std::copy(special.src.begin(), special.src.end(), row.src.begin() + b * 64);
          std::copy(special.x.begin(), special.x.end(), row.x.begin() + b * 32);
        }
      }
      const std::vector<float> trip = Trip(row.x);
      std::array<std::vector<uint8_t>, 4> cand;
      for (int c = 0; c < 4; ++c) {
        cand[c] = Scalar(type, c / 2 ? trip : row.x,
                         c % 2 && has_fma ? RoundingVariant::kFma : RoundingVariant::kPlain);
      }
      std::vector<uint8_t> stored = cand[rng() % 4];
      const uint32_t bb = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
      if (rng() % 4 == 0) stored[rng() % stored.size()] ^= 0x10;
      fidelity::FusedRowChecker checker(type, nb);
      // The blocks where candidate 0 differs from the stored row.
      std::vector<uint64_t> differs0;
      for (int b = 0; b < nb; ++b) {
        if (std::memcmp(&cand[0][b * bb], &stored[b * bb], bb) != 0) differs0.push_back(b);
      }
      for (int primary = 0; primary < (has_fma ? 2 : 1); ++primary) {
        for (int mask = 1; mask < 16; ++mask) {  // the primary candidate always evaluated
          if ((mask >> primary & 1) == 0) continue;
          std::array<bool, 4> evaluate = {};
          bool expected = true;
          for (int c = 0; c < 4; ++c) {
            evaluate[c] = (mask >> c & 1) && (has_fma || c % 2 == 0);
            // Primary 1 settles a row where candidate 0 differs, reporting its blocks.
            if (evaluate[c] && !(c == 0 && primary == 1)) expected &= cand[c] == stored;
          }
          INFO("lanes " << lanes << " case " << i << " primary " << primary << " mask " << mask);
          std::vector<uint64_t> mismatches0;
          const bool got =
              checker.Clean(evaluate, primary, row.src.data(), stored.data(), &mismatches0);
          CHECK(got == expected);
          (got ? clean : unclean) += 1;
          if (!got || primary == 0) continue;
          CHECK(mismatches0 == (evaluate[0] ? differs0 : std::vector<uint64_t>{}));
          if (evaluate[0] && !differs0.empty()) ++fma_settled;
          // Without a place for them, candidate 0's mismatches make the row unsettled.
          CHECK(checker.Clean(evaluate, primary, row.src.data(), stored.data()) ==
                (!evaluate[0] || differs0.empty()));
        }
      }
    }
  }
  CHECK(clean > 100);
  CHECK(unclean > 100);
  CHECK(fma_settled > 10);  // rows of the FMA variant settled with candidate 0's blocks reported
}

TEST_CASE("the block scales' inline binary16 rounding equals Fp32ToFp16", "[quant][fused]") {
  std::mt19937 rng(1);
  // Every exponent, both signs, every value of the 13 bits rounded away, a few of the 10 kept.
  for (uint32_t e = 0; e < 256; ++e) {
    for (uint32_t hi : {0u, 1u, 0x3feu, 0x3ffu, static_cast<uint32_t>(rng() % 0x400)}) {
      for (uint32_t lo = 0; lo < 0x2000; ++lo) {
        for (uint32_t sign : {0u, 0x80000000u}) {
          const uint32_t w = sign | e << 23 | hi << 13 | lo;
          float f;
          std::memcpy(&f, &w, 4);
          if (quant_internal::Fp32ToFp16Inline(f) != Fp32ToFp16(f)) {
            FAIL("bits " << w);
          }
        }
      }
    }
  }
}

}  // namespace provbadge::verifier
