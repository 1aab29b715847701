// The fidelity check on several threads (fidelity_parallel.h): tensors cut into row ranges,
// checked by threads with readers of their own and merged, give the reported results of the
// whole-tensor check on any number of threads and parts; the detail cap and NaN deviations
// merge in row order. Faults, shards and limits: fidelity_parallel_faults_test.cc.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../verifier/src/fidelity_parallel.h"
#include "../common/memory_source.h"
#include "../common/test_paths.h"
#include "fidelity_tensor_fixture.h"
#include "provbadge/verifier/fidelity.h"

namespace provbadge::verifier {
namespace {

using fidelity::CandidateStats;
using fidelity::kCandidates;
using fidelity::TensorCheckResult;
using testing_fixture::RandomRow;
using testing_fixture::SpecialRow;
using testing_fixture::Tensor;

bool Clean(const CandidateStats& c) { return c.enabled && c.complete && c.blocks_mismatch == 0; }

bool SameDev(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// Every field a report can show: which candidates are clean, the clean ones', and the kept
// candidate's (keep_candidate, evaluated on every row: the report's re-check of a mismatching
// tensor; -1 none).
void RequireReportedSame(const TensorCheckResult& whole, const TensorCheckResult& parted,
                         int kept) {
  REQUIRE(whole.blocks_total == parted.blocks_total);
  for (int c = 0; c < kCandidates; ++c) {
    INFO("candidate " << c);
    const CandidateStats &a = whole.candidates[c], &b = parted.candidates[c];
    CHECK(a.enabled == b.enabled);
    CHECK(Clean(a) == Clean(b));
    if (c == kept && a.enabled) CHECK(a.complete);
    if (c != kept && !Clean(a)) continue;
    CHECK(a.complete == b.complete);
    CHECK(a.blocks_mismatch == b.blocks_mismatch);
    CHECK(a.first_block == b.first_block);
    CHECK(a.first_row == b.first_row);
    CHECK(SameDev(a.max_abs_dev, b.max_abs_dev));
    CHECK(a.grid_bad_weights == b.grid_bad_weights);
    CHECK(a.detailed == b.detailed);
  }
}

// One crafted tensor as the files "t.gguf" and "t.src" of a revision, checked whole or in parts.
class OneTensor {
 public:
  explicit OneTensor(const Tensor& t)
      : files_(
            {{"t.gguf", std::string(t.gguf.begin(), t.gguf.end())}, {"t.src", t.SourceBytes()}}) {
    info_.name = "t";
    info_.n_dims = 2;
    info_.ne = {t.ne0, t.rows, 1, 1};
    info_.type = static_cast<uint32_t>(t.type);
    info_.size = t.gguf.size();
    source_.name = "t";
    source_.dtype = t.dtype;
    source_.shape = {t.rows, t.ne0};
    source_.end = files_.Get("t.src").size();
    gguf_ = std::move(files_.Open("t.gguf").value());
    src_ = std::move(files_.Open("t.src").value());
  }

  int keep_candidate = -1;

  fidelity::TensorCheckInput Input() {
    fidelity::TensorCheckInput in;
    in.keep_candidate = keep_candidate;
    in.info = &info_;
    in.source = &source_;
    in.gguf = gguf_.get();
    in.source_reader = src_.get();
    return in;
  }

  TensorCheckResult Whole(const FidelityOptions& options) {
    auto r = fidelity::CheckTensor(Input(), options);
    REQUIRE(r.ok());
    return *r;
  }

  TensorCheckResult Parted(const FidelityOptions& options) {
    fidelity::TensorJob job;
    job.input = Input();
    fidelity::JobFiles files{&files_, "t.gguf", gguf_.get(), &files_, {"t.src"}, {src_.get()}};
    auto r = fidelity::CheckTensors({job}, files, options);
    REQUIRE(r.ok());
    REQUIRE(r->size() == 1);
    return r->front();
  }

 private:
  testing::MemorySource files_;
  GgufTensorInfo info_;
  SafetensorsTensor source_;
  std::unique_ptr<FileReader> gguf_, src_;
};

// A random tensor like fidelity_lazy_test's: mostly one candidate's bytes, rows of others,
// blocks the f16 trip changes, special values, a few flipped bytes.
Tensor RandomTensor(std::mt19937& rng, GgmlType type, const char* dtype) {
  Tensor t;
  t.type = type;
  t.dtype = dtype;
  t.ne0 = 256;
  const int rows = 1 + static_cast<int>(rng() % 40);
  const int made_by = static_cast<int>(rng() % kCandidates);
  for (int r = 0; r < rows; ++r) {
    std::vector<int> tiny;
    if (rng() % 4 == 0) tiny.push_back(static_cast<int>(rng() % 8));
    const std::vector<float> row = rng() % 5 ? RandomRow(rng, t.ne0, tiny) : SpecialRow(rng, t.ne0);
    t.Add(row, rng() % 8 ? made_by : static_cast<int>(rng() % 4));
  }
  for (uint64_t flips = rng() % 4; flips-- > 0;) {
    const uint64_t row = rng() % t.rows, block = rng() % (t.ne0 / t.Info().block_elems);
    t.FlipByte(row, block, static_cast<uint32_t>(rng() % t.Info().block_bytes));
  }
  return t;
}

}  // namespace

TEST_CASE("fidelity parallel: parts of random tensors give the whole tensor's reported result",
          "[fidelity][parallel]") {
  const GgmlType types[] = {GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ5_0,
                            GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kQ4_K,
                            GgmlType::kQ6_K, GgmlType::kF16,  GgmlType::kBF16};
  const char* dtypes[] = {"BF16", "BF16", "F32", "F16"};
  std::mt19937 rng(77);
  for (int i = 0; i < 144; ++i) {
    const Tensor t = RandomTensor(rng, types[i % 9], dtypes[(i / 9) % 4]);
    OneTensor one(t);
    one.keep_candidate = static_cast<int>(rng() % (kCandidates + 1)) - 1;
    FidelityOptions options;
    options.max_detailed_mismatches = rng() % 2 ? 1024 : rng() % 4;
    options.eager_candidates = rng() % 5 == 0;
    const TensorCheckResult whole = one.Whole(options);
    options.threads = 2 + static_cast<unsigned>(rng() % 4);
    options.part_weights = t.ne0 * (1 + rng() % 6);  // 1 to 6 rows per part
    INFO("case " << i << " type " << t.Info().name << " source " << t.dtype << " rows " << t.rows
                 << " threads " << options.threads << " part " << options.part_weights
                 << " detailed " << options.max_detailed_mismatches << " kept candidate "
                 << one.keep_candidate);
    RequireReportedSame(whole, one.Parted(options), one.keep_candidate);
  }
}

TEST_CASE("fidelity parallel: the detail cap takes the tensor's first mismatches across parts",
          "[fidelity][parallel]") {
  std::mt19937 rng(3);
  Tensor t;
  t.type = GgmlType::kQ8_0;
  t.ne0 = 64;
  for (int r = 0; r < 24; ++r) t.Add(RandomRow(rng, t.ne0), 0);
  for (uint64_t r = 5; r < 24; r += 3) t.FlipByte(r, r % 2, 9);  // 7 rows, one block each
  OneTensor one(t);
  one.keep_candidate = 0;  // as the report's re-check of a mismatching tensor
  for (uint64_t cap : {0, 1, 3, 6, 7, 100}) {
    FidelityOptions options;
    options.max_detailed_mismatches = cap;
    const TensorCheckResult whole = one.Whole(options);
    options.threads = 3;
    options.part_weights = t.ne0;  // one row per part
    const TensorCheckResult parted = one.Parted(options);
    INFO("cap " << cap);
    RequireReportedSame(whole, parted, 0);
    CHECK(parted.candidates[0].blocks_mismatch == 7);
    CHECK(parted.candidates[0].first_row == 5);
    CHECK(parted.candidates[0].first_block == 5 * 2 + 1);
    CHECK(parted.candidates[0].detailed == std::min<uint64_t>(cap, 7));
    CHECK((parted.candidates[0].max_abs_dev > 0) == (cap > 0));
  }
}

TEST_CASE("fidelity parallel: MergeTensorParts folds details in row order",
          "[fidelity][parallel]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto part = [](uint64_t mismatches, int64_t first_row, std::vector<fidelity::BlockDetail> d) {
    fidelity::TensorPart p;
    p.result.blocks_total = 1000;
    CandidateStats& c = p.result.candidates[0];
    c.enabled = true;
    c.blocks_mismatch = mismatches;
    c.first_row = mismatches ? first_row : -1;
    c.first_block = mismatches ? first_row * 10 : -1;
    c.detailed = d.size();
    p.details[0] = std::move(d);
    return p;
  };
  auto merge = [&](uint64_t cap) {
    std::vector<fidelity::TensorPart> parts;
    parts.push_back(part(0, -1, {}));
    parts.push_back(part(2, 4, {{0.5, 1}, {1.0, 2}}));
    parts.push_back(part(3, 9, {{nan, 4}, {2.0, 8}, {3.0, 16}}));
    parts.back().result.candidates[0].complete = false;
    return fidelity::MergeTensorParts(std::move(parts), cap).candidates[0];
  };
  const CandidateStats two = merge(2), three = merge(3), all = merge(10);
  CHECK(two.blocks_mismatch == 5);
  CHECK(two.first_row == 4);
  CHECK(two.first_block == 40);
  CHECK(!two.complete);
  CHECK(two.detailed == 2);
  CHECK(two.max_abs_dev == 1.0);
  CHECK(two.grid_bad_weights == 3);
  CHECK(three.detailed == 3);
  CHECK(std::isnan(three.max_abs_dev));  // a NaN deviation stays, whatever follows
  CHECK(three.grid_bad_weights == 7);
  CHECK(all.detailed == 5);
  CHECK(std::isnan(all.max_abs_dev));
  CHECK(all.grid_bad_weights == 31);
  CHECK(merge(0).detailed == 0);
  CHECK(merge(0).max_abs_dev == 0);
}

TEST_CASE("fidelity parallel: parts cover every row of every tensor once, in order",
          "[fidelity][parallel]") {
  std::vector<GgufTensorInfo> infos(4);
  const uint64_t shapes[4][2] = {{4096, 1000}, {64, 1}, {256, 0}, {32, 70000}};
  std::vector<fidelity::TensorJob> jobs(4);
  for (size_t j = 0; j < 4; ++j) {
    infos[j].ne = {shapes[j][0], shapes[j][1], 1, 1};
    infos[j].n_dims = 2;
    jobs[j].input.info = &infos[j];
  }
  for (unsigned threads : {1u, 2u, 7u, 64u}) {
    for (uint64_t part_weights : {uint64_t{0}, uint64_t{1}, uint64_t{100000}}) {
      INFO("threads " << threads << " part " << part_weights);
      const auto parts = fidelity::PlanParts(jobs, threads, part_weights);
      size_t p = 0;
      for (size_t j = 0; j < jobs.size(); ++j) {
        uint64_t next = 0, count = 0;
        for (; p < parts.size() && parts[p].job == j; ++p, ++count) {
          CHECK(parts[p].begin == next);
          CHECK((parts[p].end > parts[p].begin || infos[j].ne[1] == 0));
          next = parts[p].end;
        }
        CHECK(next == infos[j].ne[1]);
        CHECK(count >= 1);
        if (threads == 1) CHECK(count == 1);
      }
      CHECK(p == parts.size());
    }
  }
  // 2 threads, parts of at least kMinPartWeights: 4096 x 1000 is below it, so one part.
  CHECK(fidelity::PlanParts(jobs, 2, 0)[0].end == 1000);
  // Parts of 1 weight asked: at least 1/32 of the 6,336,064 weights (16 parts per thread), 48
  // rows of 4096, so 21 parts of 47 or 48 rows.
  const auto parts = fidelity::PlanParts(jobs, 2, 1);
  size_t first_job = 0;
  for (const auto& part : parts) {
    if (part.job != 0) continue;
    ++first_job;
    CHECK(part.end - part.begin >= 47);
    CHECK(part.end - part.begin <= 48);
  }
  CHECK(first_job == 21);
}

TEST_CASE("fidelity parallel: the shared vectors give the same report on any number of threads",
          "[fidelity][parallel][vectors]") {
  testing::MemorySource files = testing::LoadFolder(testing::SharedDir() + "/vectors/gguf");
  for (const char* gguf : {"tiny-BF16.gguf", "tiny-Q4_0.gguf", "tiny-Q4_K_M-from-F16.gguf",
                           "tiny-Q4_K_M-tampered.gguf", "tiny-Q4_K_M.gguf", "tiny-Q8_0.gguf"}) {
    FidelityOptions one;
    one.threads = 1;
    auto reference = CheckFidelity(files, files, gguf, one);
    REQUIRE(reference.ok());
    const std::string want = FidelityReportToJson(*reference);
    for (unsigned threads : {2u, 3u, 8u}) {
      for (uint64_t part_weights : {uint64_t{1}, uint64_t{1000}, uint64_t{0}}) {
        INFO(gguf << " threads " << threads << " part " << part_weights);
        FidelityOptions options;
        options.threads = threads;
        options.part_weights = part_weights;
        auto r = CheckFidelity(files, files, gguf, options);
        REQUIRE(r.ok());
        CHECK(FidelityReportToJson(*r) == want);
      }
    }
  }
}

}  // namespace provbadge::verifier
