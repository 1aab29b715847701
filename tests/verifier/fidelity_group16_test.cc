// The AVX-512 group kernels of the fused check (quant_legacy_group16*.h: 16 blocks of a legacy
// type at once) through FusedLegacyCheckBf16 at every width: on rows of several groups whose blocks
// are of random kinds (each edge of the kernel's arguments: ties, f16-subnormal and overflowing
// scales, the 2^-100 limit, NaN/infinity declined to the scalar port, Q4_0's largest magnitude
// at both signs in either order, signed zeros), for stored blocks of either rounding variant,
// the verdict is the scalar port's, the f16-trip effects are exact where the flags are asked for
// and sound without them (kTripSame there also for blocks the trip provably reproduces), the
// other variant is flagged wherever it differs (and only where QuantizeLegacy flags too), and
// one changed byte in any block of a group fails the row.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "../../verifier/src/quant_internal.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

struct WidthGuard {
  ~WidthGuard() { SetQuantKernelLanes(0); }
};

constexpr int kKinds = 14;

float Bf(float f) { return Bf16ToFp32(Fp32ToBf16(f)); }

// Weight j of a block of `kind`, a bf16 value as binary32; a, b: the block's two positions.
float Weight(int kind, int j, int a, int b, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.f, 0.02f);
  const float n = normal(rng);
  switch (kind) {
    case 0:  // checkpoint-like
      return Bf(n * (j == a ? 8.f : 1.f));
    case 1:  // f16-subnormal scales, the trip changes weights
      return Bf(n * 1e-4f);
    case 2:  // signed zeros
      return j == a ? -0.0f : 0.0f;
    case 3:  // the largest magnitude at both signs, positions a and b in random order
      return j == a ? 0.75f : (j == b ? -0.75f : Bf(n));
    case 4:  // Q8_0 scale 1 (amax 127) and Q4_0 scale 1 (max -8): exact ties and level edges
      return j == a ? 127.f
                    : (j == b ? -8.f : static_cast<float>(rng() % 15) - 7.f + 0.5f * (rng() % 2));
    case 5:  // around 2^-100: some blocks declined, some not
      return Bf((j == a ? 0x1p-100f : 0x1.8p-101f) * (rng() % 2 ? 1.f : -1.f) *
                (j % 3 ? 1.f : 0.5f));
    case 6:  // NaN or infinity (declined)
      return j == a ? (rng() % 2 ? NAN : -INFINITY) : Bf(n);
    case 7:  // scales overflowing binary16 (amax near 65520 * 127 and beyond)
      return Bf(j == a ? 8.2e6f + static_cast<float>(rng() % 400000) : n * 1e6f);
    case 8:  // random bit patterns
      return Bf16ToFp32(static_cast<uint16_t>(rng()));
    case 9:  // all equal, negative
      return -0.125f;
    case 10:  // binary32 subnormals (declined)
      return Bf16ToFp32(static_cast<uint16_t>(1 + rng() % 0x7f));
    case 12:  // one weight just beyond f16's range (65280 < |x| <= 2^17): the trip changes it
      return j == a ? Bf(65281.f + static_cast<float>(rng() % 65536)) * (rng() % 2 ? 1 : -1)
                    : Bf(n);
    case 13:  // weights below f16's normal range: exact in f16 (a) or changed by the trip (b;
              // just below 2^-17, where bf16's last bit is first worth less than 2^-24, or deeper)
      return j == a   ? Bf(0x1p-15f + static_cast<float>(rng() % 64) * 0x1p-22f)
             : j == b ? (rng() % 2 ? 0x1p-18f : 0x1p-20f) *
                            (1 + static_cast<float>(2 * (rng() % 64) + 1) / 128)
                      : Bf(n);
    default:  // largest magnitude first negative, then the positive twice
      return j == b ? -2.f : (j == a || j == 31 ? 2.f : Bf(n));
  }
}

// A TripEffect is sound: kTripKeeps only where the f16 trip leaves the block as is,
// kTripChanges only where it changes it (kTripSame's own claim is checked against the trip's
// quantization by the callers).
void CheckSound(uint8_t effect, bool trip) {
  CHECK(effect <= quant_internal::kTripChanges);
  if (effect == quant_internal::kTripKeeps) CHECK_FALSE(trip);
  if (effect == quant_internal::kTripChanges) CHECK(trip);
}

std::vector<float> MakeRow(int nb, std::mt19937& rng) {
  std::vector<float> x;
  for (int blk = 0; blk < nb; ++blk) {
    const int kind = static_cast<int>(rng() % kKinds);
    const int a = static_cast<int>(rng() % 32), b = static_cast<int>(rng() % 32);
    for (int j = 0; j < 32; ++j) x.push_back(Weight(kind, j, a, b, rng));
  }
  return x;
}

std::vector<uint8_t> Bf16Bytes(const std::vector<float>& x) {
  std::vector<uint8_t> src;
  for (float f : x) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    src.push_back(static_cast<uint8_t>(u >> 16));
    src.push_back(static_cast<uint8_t>(u >> 24));
  }
  return src;
}

// Every type with each of its rounding variants (the kernel checks the stored blocks of either).
constexpr std::pair<GgmlType, RoundingVariant> kTypeVariants[] = {
    {GgmlType::kQ8_0, RoundingVariant::kPlain}, {GgmlType::kQ4_0, RoundingVariant::kPlain},
    {GgmlType::kQ4_0, RoundingVariant::kFma},   {GgmlType::kQ5_0, RoundingVariant::kPlain},
    {GgmlType::kQ5_0, RoundingVariant::kFma},   {GgmlType::kQ4_1, RoundingVariant::kPlain},
    {GgmlType::kQ4_1, RoundingVariant::kFma},   {GgmlType::kQ5_1, RoundingVariant::kPlain},
    {GgmlType::kQ5_1, RoundingVariant::kFma}};

}  // namespace

TEST_CASE("fused check, groups of 16 blocks: the scalar port's verdict and flags",
          "[quant][fused]") {
  WidthGuard guard;
  std::mt19937 rng(16);
  for (int lanes : {16, 8, 4}) {
    if (!SetQuantKernelLanes(lanes)) continue;
    for (int rep = 0; rep < 24; ++rep) {
      const int nb = 16 * (1 + rep % 3) + rep % 5;
      const std::vector<float> x = MakeRow(nb, rng);
      const std::vector<uint8_t> src = Bf16Bytes(x);
      for (auto [type, v] : kTypeVariants) {
        INFO("lanes " << lanes << " rep " << rep << " type " << static_cast<int>(type)
                      << " variant " << static_cast<int>(v));
        const uint32_t bb = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
        std::vector<uint8_t> stored(nb * bb), out(nb * bb);
        REQUIRE(QuantizeRowRefScalar(type, x.data(), nb * 32, v, stored.data()));
        std::vector<uint8_t> changed(nb, 7), may(nb, 7), ref_may(nb, 7);
        REQUIRE(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                     changed.data(), may.data(), v));
        CHECK(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb, nullptr,
                                                   nullptr, v));
        CHECK(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb, nullptr,
                                                   may.data(), v));
        quant_internal::QuantizeLegacy(type, x.data(), out.data(), nb, v, ref_may.data());
        std::vector<uint8_t> trip_only(nb, 7);
        REQUIRE(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                     trip_only.data(), nullptr, v));
        std::vector<float> x16(x.size());
        for (size_t i = 0; i < x.size(); ++i) x16[i] = Fp16ToFp32(Fp32ToFp16(x[i]));
        const RoundingVariant other =
            v == RoundingVariant::kFma ? RoundingVariant::kPlain : RoundingVariant::kFma;
        std::vector<uint8_t> alt(nb * bb);
        REQUIRE(QuantizeRowRefScalar(type, x.data(), nb * 32, other, alt.data()));
        std::vector<uint8_t> plain16(nb * bb), fma16(nb * bb), own16(nb * bb);
        REQUIRE(QuantizeRowRefScalar(type, x16.data(), nb * 32, v, own16.data()));
        REQUIRE(QuantizeRowRefScalar(type, x16.data(), nb * 32, RoundingVariant::kPlain,
                                     plain16.data()));
        REQUIRE(
            QuantizeRowRefScalar(type, x16.data(), nb * 32, RoundingVariant::kFma, fma16.data()));
        for (int b = 0; b < nb; ++b) {
          const bool trip = std::memcmp(&x[b * 32], &x16[b * 32], 128) != 0;
          // With flags asked, exact (Q8_0 has no flags: sound, as without them).
          if (type != GgmlType::kQ8_0) CHECK((changed[b] != quant_internal::kTripKeeps) == trip);
          CheckSound(changed[b], trip);
          if (changed[b] == quant_internal::kTripSame) {  // both trip candidates reproduce it
            CHECK(std::memcmp(&plain16[b * bb], &stored[b * bb], bb) == 0);
            CHECK(std::memcmp(&fma16[b * bb], &stored[b * bb], bb) == 0);
          }
          // Without flags, sound: kTripSame also for a block the trip provably reproduces,
          // whether it changes it or not (the AVX-512 kernels from the stored scales).
          if (trip_only[b] == quant_internal::kTripSame) {  // without flags: the variant's own
            CHECK(std::memcmp(&own16[b * bb], &stored[b * bb], bb) == 0);
          }
          CheckSound(trip_only[b], trip);
          if (type == GgmlType::kQ8_0) continue;
          // Flagged: every block where the other variant differs, and only blocks that
          // QuantizeLegacy's flags (FmaWatch) name too.
          CHECK(may[b] <= ref_may[b]);
          if (std::memcmp(&alt[b * bb], &stored[b * bb], bb) != 0) CHECK(may[b] == 1);
        }
        // A changed bit in the scale or a random quant byte of any block fails the row.
        for (int b = 0; b < nb; ++b) {
          for (uint32_t at : {b * bb + rng() % 2, b * bb + 2 + rng() % (bb - 2)}) {
            const uint8_t bit = static_cast<uint8_t>(1u << (rng() % 8));
            stored[at] ^= bit;
            CHECK(!quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                        changed.data(), may.data(), v));
            CHECK(!quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                        nullptr, nullptr, v));
            stored[at] ^= bit;
          }
        }
      }
    }
  }
}

TEST_CASE("group kernel: a lone weight the f16 trip changes, just below 2^-17, is found",
          "[quant][fused]") {
  // Checkpoint-like groups with no magnitude below 2^-10 but, in some blocks, one weight in
  // [2^-18, 2^-17) (an odd count of 2^-25: the trip changes it) or at 2^-17 and up (kept): the
  // kernels' test for tiny weights must find exactly those blocks (in the other tests nearly
  // every group also holds deeper tiny weights, which hide a threshold set too low).
  WidthGuard guard;
  std::mt19937 rng(217);
  std::normal_distribution<float> normal(0.f, 0.02f);
  for (int rep = 0; rep < 40; ++rep) {
    const int nb = 48;
    std::vector<float> x;
    for (int i = 0; i < nb * 32; ++i) {
      const float n = normal(rng);
      x.push_back(Bf(std::copysign(std::max(std::fabs(n), 0x1p-10f), n)));
    }
    std::vector<bool> trip(nb, false);
    for (int b = 0; b < nb; ++b) {
      if (rng() % 4 != 0) continue;
      const int j = static_cast<int>(rng() % 32);
      const int k = static_cast<int>(rng() % 128);
      const float sign = rng() % 2 ? 1.f : -1.f;
      // k odd: (1 + k/128) * 2^-18, changed by the trip; else 2^-17 or beyond, exact in f16.
      x[b * 32 + j] = sign * (k % 2 ? 0x1p-18f * (1 + static_cast<float>(k) / 128)
                                    : 0x1p-17f * (1 + static_cast<float>(k) / 128));
      trip[b] = k % 2 != 0;
    }
    const std::vector<uint8_t> src = Bf16Bytes(x);
    for (auto [type, v] : kTypeVariants) {
      if (!SetQuantKernelLanes(16 >> (rep % 3))) continue;  // every width on some rows
      INFO("rep " << rep << " lanes " << (16 >> (rep % 3)) << " type " << static_cast<int>(type)
                  << " variant " << static_cast<int>(v));
      const uint32_t bb = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
      std::vector<uint8_t> stored(nb * bb);
      REQUIRE(QuantizeRowRefScalar(type, x.data(), nb * 32, v, stored.data()));
      std::vector<uint8_t> changed(nb, 7), may(nb, 7);
      REQUIRE(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                   changed.data(), may.data(), v));
      for (int b = 0; b < nb; ++b) {  // exact with flags (Q8_0 has none: sound)
        INFO("block " << b);
        if (type != GgmlType::kQ8_0) CHECK((changed[b] != quant_internal::kTripKeeps) == trip[b]);
        CheckSound(changed[b], trip[b]);
      }
      std::fill(changed.begin(), changed.end(), 7);
      REQUIRE(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                   changed.data(), nullptr, v));
      for (int b = 0; b < nb; ++b) CheckSound(changed[b], trip[b]);  // sound without flags
    }
  }
}

}  // namespace provbadge::verifier
