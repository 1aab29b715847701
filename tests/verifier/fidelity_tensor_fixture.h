// Crafted tensors for the fidelity check's tests: a source tensor with its GGUF bytes made by
// a chosen candidate (source path x rounding variant), and random rows like real checkpoints.
//
// Ownership: plain values. Thread-safety: none needed (test set-up).
#ifndef PROVBADGE_TESTS_VERIFIER_FIDELITY_TENSOR_FIXTURE_H_
#define PROVBADGE_TESTS_VERIFIER_FIDELITY_TENSOR_FIXTURE_H_

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "provbadge/verifier/quant.h"

namespace provbadge::verifier::testing_fixture {

// A source tensor (rows x ne0 floats, exactly representable in `dtype`) and its GGUF bytes.
struct Tensor {
  GgmlType type = GgmlType::kQ4_0;
  std::string dtype = "BF16";
  uint64_t ne0 = 128, rows = 0;
  std::vector<float> x;
  std::vector<uint8_t> gguf;

  GgmlTypeInfo Info() const { return *LookupGgmlType(static_cast<uint32_t>(type)); }
  uint64_t RowBytes() const { return ne0 / Info().block_elems * Info().block_bytes; }
  float* Row(uint64_t r) { return x.data() + r * ne0; }
  // Appends a row and its quantization by candidate path * 2 + variant.
  void Add(const std::vector<float>& row, int candidate) {
    x.insert(x.end(), row.begin(), row.end());
    std::vector<float> in(row), trip(ne0);
    if (candidate / 2 == 1) {
      Fp16RoundTripRow(row.data(), static_cast<int64_t>(ne0), trip.data());
      in = trip;
    }
    gguf.resize((rows + 1) * RowBytes());
    REQUIRE(QuantizeRowRef(type, in.data(), static_cast<int64_t>(ne0),
                           candidate % 2 ? RoundingVariant::kFma : RoundingVariant::kPlain,
                           gguf.data() + rows * RowBytes()));
    ++rows;
  }
  void FlipByte(uint64_t row, uint64_t block, uint32_t at) {
    gguf[row * RowBytes() + block * Info().block_bytes + at] ^= 0x11;
  }
  std::string SourceBytes() const {
    std::string s;
    for (float f : x) {
      uint8_t b[4];
      if (dtype == "F32") {
        std::memcpy(b, &f, 4);
        s.append(reinterpret_cast<char*>(b), 4);
        continue;
      }
      const uint16_t h = dtype == "F16" ? Fp32ToFp16(f) : Fp32ToBf16(f);
      b[0] = static_cast<uint8_t>(h & 0xff);
      b[1] = static_cast<uint8_t>(h >> 8);
      s.append(reinterpret_cast<char*>(b), 2);
    }
    return s;
  }
};

// bf16-rounded N(0, 0.02) weights; `tiny` blocks (by index) scaled into f16's subnormal range,
// where the f16 trip changes them.
inline std::vector<float> RandomRow(std::mt19937& rng, uint64_t n, std::vector<int> tiny = {}) {
  std::normal_distribution<float> normal(0.f, 0.02f);
  std::vector<float> row(n);
  for (float& v : row) v = Bf16ToFp32(Fp32ToBf16(normal(rng)));
  for (int b : tiny) {
    for (int i = 0; i < 32; ++i) row[b * 32 + i] = Bf16ToFp32(Fp32ToBf16(row[b * 32 + i] * 1e-4f));
  }
  return row;
}

// bf16-exact weights with blocks the fused fast path (fidelity_fused.cc) treats specially:
// block b % 6 == 1 in f16's subnormal range (the trip changes it), 2 a NaN, 3 infinities, 4
// binary32 subnormals, 5 beyond f16's range.
inline std::vector<float> SpecialRow(std::mt19937& rng, uint64_t n) {
  std::vector<float> row = RandomRow(rng, n);
  for (uint64_t i = 0; i < n; ++i) {
    float& v = row[i];
    const uint64_t kind = (i / 32) % 6;
    if (kind == 1) v *= 1e-4f;
    if (kind == 2 && i % 32 == 9) v = std::numeric_limits<float>::quiet_NaN();
    if (kind == 3 && i % 32 == 4) v = i % 2 ? -std::numeric_limits<float>::infinity() : INFINITY;
    if (kind == 4) v *= 1e-37f;
    if (kind == 5 && i % 32 == 17) v = 1e6f;
    v = Bf16ToFp32(Fp32ToBf16(v));
  }
  return row;
}

}  // namespace provbadge::verifier::testing_fixture

#endif  // PROVBADGE_TESTS_VERIFIER_FIDELITY_TENSOR_FIXTURE_H_
