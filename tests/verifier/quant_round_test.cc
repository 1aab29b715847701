// The exactness arguments of the fused Q8_0/Q4_0 check (quant_simd.h, quant_legacy_group16.h),
// proven over their whole input ranges: RoundHalfAwayV equals std::roundf for every float with
// 0 <= t <= 128 (about 1.1e9 values; a
// dense sample of the negative ones, which the sign symmetry covers); the AVX-512 group kernel's
// binary16 scale bits (Fp16BitsV) equal Fp32ToFp16 for every scale a bf16 block can have (d =
// amax/127 and max/-8 for each of the 2^16 bf16 values) and for a dense sample of all non-NaN
// floats; its reduction tree puts each block's maximum in that block's lane.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>

#include "../../verifier/src/quant_legacy_group16.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

using quant_internal::simd::Vec;

float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Mismatches of RoundHalfAwayV<4> over the bit patterns [lo, hi] (both inclusive) of one sign.
uint64_t RoundMismatches(uint32_t lo, uint32_t hi) {
  uint64_t bad = 0;
  for (uint64_t u = lo; u <= hi; u += 4) {
    Vec<4>::F t;
    for (int k = 0; k < 4; ++k)
      t[k] = FromBits(static_cast<uint32_t>(std::min<uint64_t>(u + k, hi)));
    const Vec<4>::I r = quant_internal::simd::RoundHalfAwayV<4>(t);
    for (int k = 0; k < 4; ++k) bad += r[k] != static_cast<int32_t>(std::roundf(t[k]));
  }
  return bad;
}

#if PB_QUANT_WIDE
bool HasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

PB_TARGET_AVX512 void Fp16Bits16(const float* d, uint32_t* h) {
  const __m512i r = quant_internal::group16::Fp16BitsV(_mm512_loadu_ps(d));
  _mm512_storeu_si512(h, r);
}

PB_TARGET_AVX512 void MaxTree16(const uint32_t* m, uint32_t* out) {
  __m512i v[16];
  for (int b = 0; b < 16; ++b) v[b] = _mm512_loadu_si512(m + 16 * b);
  _mm512_storeu_si512(out, quant_internal::group16::MaxTree(v));
}

// Mismatches of Fp16BitsV against Fp32ToFp16 over d[0..n) (n a multiple of 16).
uint64_t Fp16Mismatches(const std::vector<float>& d) {
  uint64_t bad = 0;
  uint32_t h[16];
  for (size_t i = 0; i < d.size(); i += 16) {
    Fp16Bits16(&d[i], h);
    for (int k = 0; k < 16; ++k) bad += h[k] != Fp32ToFp16(d[i + k]);
  }
  return bad;
}
#endif

}  // namespace

TEST_CASE("RoundHalfAwayV is roundf for every float of magnitude <= 128", "[quant][round]") {
  const uint32_t k128 = 0x43000000;  // 128.0f
  CHECK(RoundMismatches(0, k128) == 0);
  // Negative t: the same sums and truncations negated (round to nearest even and truncation are
  // odd functions); a sample of one in 7 confirms it.
  uint64_t bad = 0;
  for (uint32_t u = 0x80000000u; u <= (0x80000000u | k128) - 7 * 1024; u += 7 * 1024)
    bad += RoundMismatches(u, u + 1023);
  CHECK(bad == 0);
  // The neighbours of the halves, where a cheaper form (t + 0.5 truncated) goes wrong.
  for (float k = 0; k <= 127; ++k) {
    const float half = k + 0.5f;
    Vec<4>::F t = {half, std::nextafter(half, 0.f), std::nextafter(half, 200.f), -half};
    const Vec<4>::I r = quant_internal::simd::RoundHalfAwayV<4>(t);
    CHECK(r[0] == static_cast<int32_t>(k) + 1);
    CHECK(r[1] == static_cast<int32_t>(k));
    CHECK(r[2] == static_cast<int32_t>(k) + 1);
    CHECK(r[3] == -static_cast<int32_t>(k) - 1);
  }
}

#if PB_QUANT_WIDE
TEST_CASE("group kernel: binary16 scale bits equal Fp32ToFp16", "[quant][fused]") {
  if (!HasAvx512()) return;
  std::vector<float> d;
  for (uint32_t b = 0; b < 0x10000; ++b) {  // every scale of a block of bf16 values
    const float x = Bf16ToFp32(static_cast<uint16_t>(b));
    if (std::isnan(x)) continue;
    d.push_back(x / 127);
    d.push_back(x / -8.f);
    d.push_back(x);
  }
  for (uint32_t u = 0; u < 0x7f800000u; u += 997) {  // dense sample, both signs
    d.push_back(FromBits(u));
    d.push_back(-FromBits(u));
  }
  for (uint32_t u : {0x387fe000u, 0x387ff000u, 0x387fffffu, 0x38800000u, 0x477fefffu, 0x477ff000u,
                     0x477fffffu, 0x7f7fffffu, 0x7f800000u, 0x33000000u, 0x33000001u, 0x1u})
    d.push_back(FromBits(u));
  while (d.size() % 16) d.push_back(0.f);
  CHECK(Fp16Mismatches(d) == 0);
}

TEST_CASE("group kernel: the reduction tree puts block b's maximum in lane b", "[quant][fused]") {
  if (!HasAvx512()) return;
  std::mt19937 rng(7);
  for (int rep = 0; rep < 200; ++rep) {
    uint32_t m[256], out[16];
    for (uint32_t& v : m) v = rng() >> (rng() % 32);
    MaxTree16(m, out);
    for (int b = 0; b < 16; ++b) {
      uint32_t want = 0;
      for (int k = 0; k < 16; ++k) want = std::max(want, m[16 * b + k]);
      CHECK(out[b] == want);
    }
  }
}
#endif

}  // namespace provbadge::verifier
