// The lazy candidate evaluation of CheckTensor (fidelity_tensor.cc) against the eager one
// (FidelityOptions::eager_candidates): identical TensorCheckResult on crafted and random
// tensors, identical reports on the shared vectors, and the soundness of the FMA flags it
// relies on (QuantizeRowRefPlainFlagged).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../verifier/src/fidelity_tensor.h"
#include "../common/memory_source.h"
#include "../common/test_paths.h"
#include "fidelity_tensor_fixture.h"
#include "provbadge/verifier/fidelity.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

using fidelity::CandidateStats;
using fidelity::kCandidates;
using fidelity::TensorCheckResult;
using testing_fixture::RandomRow;
using testing_fixture::SpecialRow;
using testing_fixture::Tensor;

TensorCheckResult Check(const Tensor& t, bool eager, uint64_t max_detailed = 1024,
                        bool keep_candidate0 = false) {
  GgufTensorInfo info;
  info.name = "t";
  info.n_dims = 2;
  info.ne = {t.ne0, t.rows, 1, 1};
  info.type = static_cast<uint32_t>(t.type);
  info.size = t.gguf.size();
  SafetensorsTensor source;
  source.name = "t";
  source.dtype = t.dtype;
  source.shape = {t.rows, t.ne0};
  const std::string bytes = t.SourceBytes();
  source.end = bytes.size();
  testing::MemoryReader gguf(std::string(t.gguf.begin(), t.gguf.end())), src(bytes);
  fidelity::TensorCheckInput in;
  in.keep_candidate = keep_candidate0 ? 0 : -1;
  in.info = &info;
  in.gguf = &gguf;
  in.source = &source;
  in.source_reader = &src;
  FidelityOptions options;
  options.eager_candidates = eager;
  options.max_detailed_mismatches = max_detailed;
  auto r = fidelity::CheckTensor(in, options);
  REQUIRE(r.ok());
  return *r;
}

void RequireSame(const TensorCheckResult& lazy, const TensorCheckResult& eager) {
  REQUIRE(lazy.unverifiable == eager.unverifiable);
  REQUIRE(lazy.note == eager.note);
  REQUIRE(lazy.blocks_total == eager.blocks_total);
  for (int c = 0; c < kCandidates; ++c) {
    INFO("candidate " << c);
    const CandidateStats &a = lazy.candidates[c], &b = eager.candidates[c];
    CHECK(a.enabled == b.enabled);
    CHECK(a.complete == b.complete);
    CHECK(a.blocks_mismatch == b.blocks_mismatch);
    CHECK(a.first_block == b.first_block);
    CHECK(a.first_row == b.first_row);
    // A NaN deviation (a NaN weight) is the same result on both sides.
    CHECK((a.max_abs_dev == b.max_abs_dev ||
           (std::isnan(a.max_abs_dev) && std::isnan(b.max_abs_dev))));
    CHECK(a.grid_bad_weights == b.grid_bad_weights);
    CHECK(a.detailed == b.detailed);
  }
}

// Checks both ways, requires identical results and returns the lazy one.
TensorCheckResult CheckBoth(const Tensor& t, uint64_t max_detailed = 1024,
                            bool keep_candidate0 = false) {
  TensorCheckResult lazy = Check(t, false, max_detailed, keep_candidate0);
  RequireSame(lazy, Check(t, true, max_detailed, keep_candidate0));
  return lazy;
}

bool Clean(const CandidateStats& c) { return c.enabled && c.complete && c.blocks_mismatch == 0; }

bool Same(const Tensor& t, const std::vector<float>& row, int c1, int c2) {
  Tensor a = t, b = t;
  a.Add(row, c1);
  b.Add(row, c2);
  return std::memcmp(a.gguf.data() + t.rows * t.RowBytes(), b.gguf.data() + t.rows * t.RowBytes(),
                     t.RowBytes()) == 0;
}

// A random row whose quantizations by candidates c1 and c2 are (or are not) the same bytes.
std::vector<float> RowWhere(std::mt19937& rng, const Tensor& t, int c1, int c2, bool same,
                            std::vector<int> tiny = {}) {
  for (;;) {
    std::vector<float> row = RandomRow(rng, t.ne0, tiny);
    if (Same(t, row, c1, c2) == same) return row;
  }
}

// A random row that every candidate quantizes to the same bytes.
std::vector<float> AgreedRow(std::mt19937& rng, const Tensor& t) {
  for (;;) {
    std::vector<float> row = RandomRow(rng, t.ne0);
    if (Same(t, row, 0, 1) && Same(t, row, 0, 2) && Same(t, row, 0, 3)) return row;
  }
}

// A Q4_0 tensor of `rows` rows made by `made_by`, on which candidate 0 (plain, direct) agrees
// except at row `k`.
Tensor LateDivergence(int made_by, uint64_t rows, uint64_t k) {
  std::mt19937 rng(11 + made_by);
  Tensor t;
  for (uint64_t r = 0; r < rows; ++r) {
    if (r != k) {
      t.Add(RowWhere(rng, t, 0, made_by, true), made_by);
    } else {  // the f16 trip changes blocks in f16's subnormal range
      t.Add(RowWhere(rng, t, 0, made_by, false, {1, 2}), made_by);
    }
  }
  return t;
}

}  // namespace

TEST_CASE("fidelity lazy: the FMA variant exact while the primary fails only at the last rows",
          "[fidelity][lazy]") {
  // Candidate 0 stops after its mismatching row 38, as any candidate that mismatches while
  // another is clean; kept (the report's re-check), it is evaluated on row 39 too.
  const TensorCheckResult r = CheckBoth(LateDivergence(1, 40, 38));
  CHECK(r.candidates[0].first_row == 38);
  CHECK_FALSE(r.candidates[0].complete);
  CHECK(Clean(r.candidates[1]));
  const TensorCheckResult kept = CheckBoth(LateDivergence(1, 40, 38), 1024, true);
  CHECK(kept.candidates[0].first_row == 38);
  CHECK(kept.candidates[0].complete);
  CHECK(Clean(kept.candidates[1]));
}

TEST_CASE("fidelity lazy: the f16 path exact while the primary fails only at the last row",
          "[fidelity][lazy]") {
  const TensorCheckResult r = CheckBoth(LateDivergence(2, 30, 29));
  CHECK(r.candidates[0].first_row == 29);
  CHECK(r.candidates[0].first_block >= 29 * 4);
  CHECK(Clean(r.candidates[2]));
  CHECK(!Clean(r.candidates[1]));
}

TEST_CASE("fidelity lazy: a late tamper that no candidate explains", "[fidelity][lazy]") {
  std::mt19937 rng(5);
  Tensor t;
  for (int r = 0; r < 50; ++r) t.Add(AgreedRow(rng, t), 0);
  t.FlipByte(47, 3, 7);
  t.FlipByte(48, 0, 2);
  const TensorCheckResult r = CheckBoth(t);
  for (int c = 0; c < kCandidates; ++c) CHECK(!Clean(r.candidates[c]));
  CHECK(r.candidates[0].first_block == 47 * 4 + 3);
  CHECK(r.candidates[0].first_row == 47);
  CHECK(r.candidates[0].blocks_mismatch == 2);
  CHECK(r.candidates[0].max_abs_dev > 0);
}

TEST_CASE("fidelity lazy: a tamper at row 0", "[fidelity][lazy]") {
  std::mt19937 rng(6);
  Tensor t;
  for (int r = 0; r < 20; ++r) t.Add(AgreedRow(rng, t), 0);
  t.FlipByte(0, 0, 5);
  const TensorCheckResult r = CheckBoth(t);
  for (int c = 0; c < kCandidates; ++c) {
    CHECK(r.candidates[c].first_block == 0);
    CHECK(r.candidates[c].blocks_mismatch == 1);
    CHECK(r.candidates[c].complete);  // no candidate was clean after row 0: all kept going
  }
}

TEST_CASE("fidelity lazy: all candidates exact", "[fidelity][lazy]") {
  std::mt19937 rng(7);
  Tensor t;
  for (int r = 0; r < 30; ++r) t.Add(AgreedRow(rng, t), 0);
  const TensorCheckResult r = CheckBoth(t);
  for (int c = 0; c < kCandidates; ++c) CHECK(Clean(r.candidates[c]));
}

TEST_CASE("fidelity lazy: random tensors give the eager result", "[fidelity][lazy]") {
  const GgmlType types[] = {GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0, GgmlType::kQ5_1,
                            GgmlType::kQ8_0, GgmlType::kQ4_K, GgmlType::kQ6_K, GgmlType::kF16};
  const char* dtypes[] = {"BF16", "F32", "F16"};
  std::mt19937 rng(2026);
  for (int i = 0; i < 120; ++i) {
    Tensor t;
    t.type = types[i % 8];
    t.dtype = dtypes[(i / 8) % 3];
    t.ne0 = 256;
    const int rows = 1 + static_cast<int>(rng() % 24);
    const int made_by = static_cast<int>(rng() % kCandidates);
    for (int r = 0; r < rows; ++r) {
      std::vector<int> tiny;
      if (rng() % 4 == 0) tiny.push_back(static_cast<int>(rng() % 8));
      // Mostly one candidate, sometimes another one for a row.
      t.Add(RandomRow(rng, t.ne0, tiny), rng() % 8 ? made_by : static_cast<int>(rng() % 4));
    }
    if (rng() % 3 == 0) {
      const uint64_t row = rng() % t.rows, block = rng() % (t.ne0 / t.Info().block_elems);
      t.FlipByte(row, block, static_cast<uint32_t>(rng() % t.Info().block_bytes));
    }
    INFO("case " << i << " type " << t.Info().name << " source " << t.dtype);
    CheckBoth(t, rng() % 2 ? 1024 : rng() % 3);
  }
}

TEST_CASE("fidelity lazy: bf16 legacy files through the fused fast path give the eager result",
          "[fidelity][lazy][fused]") {
  std::mt19937 rng(4242);
  for (GgmlType type :
       {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0, GgmlType::kQ5_1}) {
    for (uint64_t ne0 : {96u, 192u}) {  // 3 blocks (odd), 6 (every special kind)
      for (int made_by = 0; made_by < kCandidates; ++made_by) {
        for (int tamper = 0; tamper < 2; ++tamper) {
          Tensor t;
          t.type = type;
          t.ne0 = ne0;
          for (int r = 0; r < 12; ++r) {
            t.Add(r % 3 ? RandomRow(rng, ne0, {static_cast<int>(r % (ne0 / 32))})
                        : SpecialRow(rng, ne0),
                  made_by);
          }
          if (tamper) t.FlipByte(t.rows - 1, ne0 / 32 - 1, t.Info().block_bytes - 1);  // the tail
          INFO(t.Info().name << " ne0 " << ne0 << " made by " << made_by << " tamper " << tamper);
          const TensorCheckResult r = CheckBoth(t);
          if (tamper) CHECK(!Clean(r.candidates[0]));
          if (made_by == 0 && !tamper) CHECK(Clean(r.candidates[0]));
        }
      }
    }
  }
}

TEST_CASE(
    "fidelity lazy: a file the FMA variant made, candidate 0 stopped after its first mismatching "
    "row, or kept and its mismatches taken from the fused path, as the eager result",
    "[fidelity][lazy][fused]") {
  std::mt19937 rng(977);
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ5_0}) {
    for (int made_by : {1, 3}) {
      for (uint64_t max_detailed : {uint64_t{1024}, uint64_t{3}, uint64_t{0}}) {
        for (int tamper = 0; tamper < 2; ++tamper) {
          Tensor t;
          t.type = type;
          t.ne0 = 512;  // one group of 16 blocks
          // Rows where the two variants differ (candidate 0 mismatches) between agreeing ones.
          for (int r = 0; r < 16; ++r) {
            t.Add(r % 2 ? RowWhere(rng, t, 0, 1, false) : RowWhere(rng, t, 0, 1, true), made_by);
          }
          if (tamper) t.FlipByte(12, 7, 5);
          INFO("type " << static_cast<int>(type) << " made by " << made_by << " max detailed "
                       << max_detailed << " tamper " << tamper);
          const TensorCheckResult r = CheckBoth(t, max_detailed, true);
          CHECK(r.candidates[0].complete);
          CHECK(r.candidates[0].blocks_mismatch >= 8);
          CHECK(r.candidates[0].detailed ==
                std::min(max_detailed, r.candidates[0].blocks_mismatch));
          if (tamper) CHECK(!Clean(r.candidates[1]));
          if (!tamper && made_by == 1) CHECK(Clean(r.candidates[1]));
          // Not kept: candidate 0 stops after row 1 while candidate 1 is clean; the tamper at row
          // 12 leaves no candidate clean, and from there every one is evaluated again.
          const TensorCheckResult d = CheckBoth(t, max_detailed);
          CHECK_FALSE(d.candidates[0].complete);
          CHECK(d.candidates[0].first_row == 1);
          CHECK(d.candidates[0].blocks_mismatch < r.candidates[0].blocks_mismatch);
          if (!tamper && made_by == 1) CHECK(Clean(d.candidates[1]));
        }
      }
    }
  }
}

TEST_CASE("fidelity lazy: the shared GGUF vectors give the eager reports",
          "[fidelity][lazy][vectors]") {
  testing::MemorySource files = testing::LoadFolder(testing::SharedDir() + "/vectors/gguf");
  for (const char* gguf : {"tiny-BF16.gguf", "tiny-Q4_0.gguf", "tiny-Q4_K_M-from-F16.gguf",
                           "tiny-Q4_K_M-tampered.gguf", "tiny-Q4_K_M.gguf", "tiny-Q8_0.gguf"}) {
    INFO(gguf);
    FidelityOptions eager;
    eager.eager_candidates = true;
    auto a = CheckFidelity(files, files, gguf);
    auto b = CheckFidelity(files, files, gguf, eager);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(FidelityReportToJson(*a) == FidelityReportToJson(*b));
  }
}

TEST_CASE("quant flags (QuantizeRowRefPlainFlagged): unflagged blocks have equal FMA bytes",
          "[quant][lazy]") {
  const GgmlType types[] = {GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0, GgmlType::kQ5_1};
  std::mt19937 rng(9);
  std::vector<float> x(32 * 8192);
  for (size_t b = 0; b < x.size() / 32; ++b) {
    std::vector<float> row = RandomRow(rng, 32);
    if (b % 1000 == 7) row.assign(32, 1e-38f);  // scalar fallbacks (tiny scale, zero min)
    if (b % 1000 == 507) row[b % 32] = 0.0f;
    std::copy(row.begin(), row.end(), x.begin() + static_cast<int64_t>(b * 32));
  }
  for (int lanes : {4, 8, 16}) {
    if (!SetQuantKernelLanes(lanes)) continue;
    for (GgmlType type : types) {
      const uint32_t bb = LookupGgmlType(static_cast<uint32_t>(type))->block_bytes;
      const int64_t nb = static_cast<int64_t>(x.size() / 32);
      std::vector<uint8_t> plain(nb * bb), fma(nb * bb), flagged(nb * bb), may(nb);
      QuantizeRowRef(type, x.data(), nb * 32, RoundingVariant::kPlain, plain.data());
      QuantizeRowRef(type, x.data(), nb * 32, RoundingVariant::kFma, fma.data());
      REQUIRE(QuantizeRowRefPlainFlagged(type, x.data(), nb * 32, flagged.data(), may.data()));
      INFO("lanes " << lanes << " type " << static_cast<int>(type));
      CHECK(flagged == plain);
      int differ = 0, flags = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const bool d = std::memcmp(&plain[b * bb], &fma[b * bb], bb) != 0;
        differ += d;
        flags += may[b];
        if (d) CHECK(may[b] == 1);
      }
      CHECK(flags >= differ);
      CHECK(flags < nb / 10);  // rare enough to pay
    }
  }
  SetQuantKernelLanes(0);
  uint8_t out[34], may[1];
  std::vector<float> block(32, 0.5f);
  CHECK(!QuantizeRowRefPlainFlagged(GgmlType::kQ8_0, block.data(), 32, out, may));
}

}  // namespace provbadge::verifier
