// The AVX-512 group kernels that prove a block from its stored scale
// (quant_legacy_group16_by_scale.h): stored blocks crafted so that the quants agree with the
// stored scale, each defeating one point of that proof, are rejected. Q4_0/Q5_0: the scale's
// sign flipped (the block's first weight of largest magnitude has the sign of the scale, not of
// -scale), the scale doubled (no weight reaches 8 |d|), a source weight just beyond the largest
// magnitude the scale allows, a binary16 scale with a low mantissa bit set, an all-zero block
// with +0 for a scale. Q8_0: the scale of twice the largest magnitude, a weight one bf16 step
// beyond it that still rounds to 127, a neighbouring binary16 scale (the same bf16 amax), the
// scale's sign flipped. Through FusedLegacyCheckBf16 at every width, for each rounding variant,
// with the crafted block at any position of two groups of 16 and faithful blocks around it;
// the faithful row is accepted. Without flags the f16 trip's effects are sound: blocks the trip
// provably reproduces are settled untested (kTripSame, whether it changes them or not), a block
// with a weight beyond binary16's range is tested and found changed.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "../../verifier/src/quant_internal.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

struct WidthGuard {
  ~WidthGuard() { SetQuantKernelLanes(0); }
};

float Bf(float f) { return Bf16ToFp32(Fp32ToBf16(f)); }

// A checkpoint-like block whose largest magnitude occurs once, at *at.
std::vector<float> Block(std::mt19937& rng, int* at) {
  std::normal_distribution<float> normal(0.f, 0.02f);
  for (;;) {
    std::vector<float> x;
    for (int j = 0; j < 32; ++j) x.push_back(Bf(normal(rng)));
    int first = 0, count = 0;
    for (int j = 0; j < 32; ++j) {
      if (std::fabs(x[j]) > std::fabs(x[first])) first = j;
    }
    for (float v : x) count += std::fabs(v) == std::fabs(x[first]);
    if (count == 1) {
      *at = first;
      return x;
    }
  }
}

// Sets level j of a stored Q4_0 or Q5_0 block (the low four bits in the nibbles, Q5_0's fifth
// in qh).
void SetLevel(GgmlType type, uint8_t* block, int j, int level) {
  uint8_t* qs = block + 2;
  if (type == GgmlType::kQ5_0) {
    uint32_t qh;
    std::memcpy(&qh, block + 2, 4);
    qh = (qh & ~(1u << j)) | static_cast<uint32_t>(level >> 4 & 1) << j;
    std::memcpy(block + 2, &qh, 4);
    qs += 4;
  }
  const int shift = j < 16 ? 0 : 4;
  qs[j % 16] = static_cast<uint8_t>((qs[j % 16] & ~(15 << shift)) | (level & 15) << shift);
}

enum class Craft { kSignFlipped, kScaleDoubled, kWeightBeyond, kLowScaleBit, kZeroPlusScale };

// The Q8_0 quant of x with the reference's scale for a block of largest magnitude amax.
int Q8Level(float x, float amax) {
  const float d = amax / 127;
  return static_cast<int>(std::round(x * (1.0f / d)));
}

// A Q8_0 source block (*x) and its stored block (*y) of one crafted kind.
void MakeCraftedQ8(Craft craft, std::mt19937& rng, std::vector<float>* x, std::vector<uint8_t>* y) {
  int f = 0;
  *x = Block(rng, &f);
  std::vector<float> made = *x;
  if (craft == Craft::kWeightBeyond) {
    // amax 1.9921875 * 2^-5 (the last bf16 mantissa) and a weight 2^-4, one step beyond it:
    // 2^-4 * 127 / amax = 127.498 still rounds to 127.
    made[f] = std::copysign(0x1.fep-5f, made[f]);
    *x = made;
    (*x)[(f + 1) % 32] = 0x1p-4f;
  }
  if (craft == Craft::kScaleDoubled) made[f] = 2 * made[f];
  y->assign(34, 0);
  REQUIRE(
      QuantizeRowRefScalar(GgmlType::kQ8_0, made.data(), 32, RoundingVariant::kPlain, y->data()));
  switch (craft) {
    case Craft::kScaleDoubled:  // the quant of x[f] with the doubled scale
      (*y)[2 + f] = static_cast<uint8_t>(Q8Level((*x)[f], std::fabs(made[f])));
      break;
    case Craft::kWeightBeyond:
      REQUIRE(Q8Level(0x1p-4f, 0x1.fep-5f) == 127);
      (*y)[2 + (f + 1) % 32] = 127;
      break;
    case Craft::kLowScaleBit:  // the neighbouring scale names the same bf16 amax
      (*y)[0] ^= 1;
      break;
    default:  // the sign flipped
      (*y)[1] ^= 0x80;
      break;
  }
}

// The source block (*x) and its stored block (*y) of one crafted kind.
void MakeCrafted(Craft craft, GgmlType type, RoundingVariant v, std::mt19937& rng,
                 std::vector<float>* x, std::vector<uint8_t>* y) {
  const int top = type == GgmlType::kQ5_0 ? 31 : 15;  // the clamp
  int f = 0;
  *x = Block(rng, &f);
  std::vector<float> made = *x;  // what the stored block is the quantization of
  switch (craft) {
    case Craft::kSignFlipped:  // made: the max's sign flipped, so d flips; in x it is -8 d
      made[f] = -made[f];
      break;
    case Craft::kScaleDoubled:  // made: the max doubled, so d doubles; in x it is max / 2
      made[f] = 2 * made[f];
      break;
    case Craft::kWeightBeyond:  // x: a weight one bf16 step beyond the max, on its side
      (*x)[(f + 1) % 32] = Bf16ToFp32(static_cast<uint16_t>(Fp32ToBf16(made[f]) + 1));
      break;
    case Craft::kLowScaleBit:
    case Craft::kZeroPlusScale:
      break;
  }
  if (craft == Craft::kZeroPlusScale) made.assign(32, 0.f), *x = made;
  y->assign(LookupGgmlType(static_cast<uint32_t>(type))->block_bytes, 0);
  REQUIRE(QuantizeRowRefScalar(type, made.data(), 32, v, y->data()));
  switch (craft) {  // the quants the kernel computes from x with the stored scale
    case Craft::kSignFlipped:
      SetLevel(type, y->data(), f, top);  // x[f] = -8 d: 16.5 (32.5), clamped
      break;
    case Craft::kScaleDoubled:
      SetLevel(type, y->data(), f, (top + 1) / 4);  // x[f] = -4 d (-8 d): 4.5 (8.5)
      break;
    case Craft::kWeightBeyond:
      SetLevel(type, y->data(), (f + 1) % 32, 0);  // x * id in (-8.5, -8) (-16.5, -16)
      break;
    case Craft::kLowScaleBit:
      (*y)[0] ^= 1;  // the quants of d and of d's neighbour agree in nearly every block
      break;
    case Craft::kZeroPlusScale:
      REQUIRE((*y)[1] == 0x80);  // the reference stores -0
      (*y)[1] = 0;
      break;
  }
}

}  // namespace

TEST_CASE("group kernels from the stored scale: crafted blocks that agree with it are rejected",
          "[quant][fused]") {
  WidthGuard guard;
  std::mt19937 rng(1603);
  const Craft crafts[] = {Craft::kSignFlipped, Craft::kScaleDoubled, Craft::kWeightBeyond,
                          Craft::kLowScaleBit, Craft::kZeroPlusScale};
  for (int lanes : {16, 8, 4}) {
    if (!SetQuantKernelLanes(lanes)) continue;
    for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ8_0}) {
      for (RoundingVariant v : {RoundingVariant::kPlain, RoundingVariant::kFma}) {
        if (type == GgmlType::kQ8_0 && v == RoundingVariant::kFma) continue;  // Q8_0 has one
        for (Craft craft : crafts) {
          for (int rep = 0; rep < 12; ++rep) {
            const int nb = 32, at = static_cast<int>(rng() % nb);
            const uint32_t bb = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
            std::vector<float> x;
            for (int b = 0; b < nb; ++b) {
              int unused;
              const std::vector<float> block = Block(rng, &unused);
              x.insert(x.end(), block.begin(), block.end());
            }
            std::vector<uint8_t> stored(nb * bb);
            REQUIRE(QuantizeRowRefScalar(type, x.data(), nb * 32, v, stored.data()));
            std::vector<float> cx;
            std::vector<uint8_t> cy;
            if (type == GgmlType::kQ8_0) {
              MakeCraftedQ8(craft, rng, &cx, &cy);
            } else {
              MakeCrafted(craft, type, v, rng, &cx, &cy);
            }
            std::vector<uint8_t> faithful(bb);
            REQUIRE(QuantizeRowRefScalar(type, cx.data(), 32, v, faithful.data()));
            REQUIRE(faithful != cy);  // the crafted block is not the reference's
            std::vector<uint8_t> src(nb * 64);
            for (int i = 0; i < nb * 32; ++i) {
              const uint16_t h = Fp32ToBf16(i / 32 == at ? cx[i % 32] : x[i]);
              std::memcpy(&src[2 * i], &h, 2);
            }
            INFO("lanes " << lanes << " type " << static_cast<int>(type) << " variant "
                          << static_cast<int>(v) << " craft " << static_cast<int>(craft)
                          << " block " << at);
            std::memcpy(&stored[at * bb], faithful.data(), bb);
            std::vector<uint8_t> changed(nb), may(nb);
            CHECK(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                       changed.data(), may.data(), v));
            std::memcpy(&stored[at * bb], cy.data(), bb);
            CHECK_FALSE(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                             changed.data(), may.data(), v));
            CHECK_FALSE(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                             nullptr, nullptr, v));
            CHECK_FALSE(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                             changed.data(), nullptr, v));
          }
        }
      }
    }
  }
}

TEST_CASE("group kernels from the stored scale: the f16 trip settled untested only where sound",
          "[quant][fused]") {
  WidthGuard guard;
  std::mt19937 rng(1717);
  for (int lanes : {16, 8, 4}) {
    if (!SetQuantKernelLanes(lanes)) continue;
    int untested = 0, beyond = 0;
    for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ8_0}) {
      for (RoundingVariant v : {RoundingVariant::kPlain, RoundingVariant::kFma}) {
        const int nb = 64;
        std::vector<float> x;
        std::vector<bool> big(nb, false);
        for (int b = 0; b < nb; ++b) {
          int f;
          std::vector<float> block = Block(rng, &f);
          if (rng() % 3 == 0) {  // a weight the trip changes (below 2^-17)
            block[(f + 1 + rng() % 31) % 32] =
                (rng() % 2 ? 1.f : -1.f) * 0x1p-20f * (1 + static_cast<float>(rng() % 128) / 128);
          }
          if (rng() % 8 == 0) {  // a maximum beyond binary16's range: the trip makes it infinite
            block[f] = std::copysign(65536.f, block[f]);
            big[b] = true;
          }
          x.insert(x.end(), block.begin(), block.end());
        }
        const uint32_t bb = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
        std::vector<uint8_t> stored(nb * bb), own16(nb * bb), src(nb * 64);
        std::vector<float> x16(x.size());
        for (size_t i = 0; i < x.size(); ++i) {
          x16[i] = Fp16ToFp32(Fp32ToFp16(x[i]));
          const uint16_t h = Fp32ToBf16(x[i]);
          std::memcpy(&src[2 * i], &h, 2);
        }
        REQUIRE(QuantizeRowRefScalar(type, x.data(), nb * 32, v, stored.data()));
        REQUIRE(QuantizeRowRefScalar(type, x16.data(), nb * 32, v, own16.data()));
        std::vector<uint8_t> changed(nb, 7);
        REQUIRE(quant_internal::FusedLegacyCheckBf16(type, src.data(), stored.data(), nb,
                                                     changed.data(), nullptr, v));
        for (int b = 0; b < nb; ++b) {
          INFO("lanes " << lanes << " type " << static_cast<int>(type) << " block " << b);
          const bool trip = std::memcmp(&x[b * 32], &x16[b * 32], 128) != 0;
          if (changed[b] == quant_internal::kTripKeeps) CHECK_FALSE(trip);
          if (changed[b] == quant_internal::kTripChanges) CHECK(trip);
          if (changed[b] == quant_internal::kTripSame) {
            CHECK(std::memcmp(&own16[b * bb], &stored[b * bb], bb) == 0);
            untested += !trip;
          }
          if (big[b]) {
            CHECK(changed[b] == quant_internal::kTripChanges);
            ++beyond;
          }
        }
      }
    }
    CHECK(beyond > 0);
    if (lanes == 16) CHECK(untested > 0);  // only the AVX-512 kernels settle them untested
    if (lanes != 16) CHECK(untested == 0);
  }
}

}  // namespace provbadge::verifier
