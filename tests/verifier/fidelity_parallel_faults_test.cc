// The fidelity check on several threads (fidelity_parallel.h) when things go wrong or get large:
// a file that changes between opens, a failed read, a failed reopen and an exception in any
// thread end the check without a verdict; a sharded source keeps one shard open per thread; the
// thread count stays within kMaxFidelityThreads and kFidelityMemoryBudget.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../../verifier/src/fidelity_parallel.h"
#include "../common/memory_source.h"
#include "../common/test_paths.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/fidelity.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier {
namespace {

using testing::MemoryReader;

// Delegates to `inner`, but the readers of `path` after its first Open are made by `later`
// (from the file's content) and the first one by `first` (or inner's when unset).
class SwappingSource : public RevisionSource {
 public:
  using Make = std::function<Result<std::unique_ptr<FileReader>>(const std::string& content)>;
  SwappingSource(testing::MemorySource& inner, std::string path, Make first, Make later)
      : inner_(inner), path_(std::move(path)), first_(std::move(first)), later_(std::move(later)) {}
  Result<std::vector<FileInfo>> ListFiles() override { return inner_.ListFiles(); }
  Result<std::unique_ptr<FileReader>> Open(std::string_view path) override {
    if (path != path_) return inner_.Open(path);
    if (opens_.fetch_add(1) == 0) return first_ ? first_(inner_.Get(path_)) : inner_.Open(path);
    return later_(inner_.Get(path_));
  }
  int opens() const { return opens_.load(); }

 private:
  testing::MemorySource& inner_;
  std::string path_;
  Make first_, later_;
  std::atomic<int> opens_{0};
};

// A MemoryReader with a ContentTag, whose reads take `delay` (so other threads surely take
// parts while the calling thread reads), or fail, or throw.
class TestReader : public MemoryReader {
 public:
  enum class Reads { kOk, kSlow, kFail, kThrow };
  TestReader(std::string content, std::string tag, Reads reads)
      : MemoryReader(std::move(content)), tag_(std::move(tag)), reads_(reads) {}
  std::string ContentTag() const override { return tag_; }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    if (reads_ == Reads::kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (reads_ == Reads::kFail && offset > 0) return Unavailable("storage: read failed");
    if (reads_ == Reads::kThrow && offset > 0) throw std::runtime_error("reader exploded");
    return MemoryReader::ReadAt(offset, buf);
  }

 private:
  std::string tag_;
  Reads reads_;
};

SwappingSource::Make Reader(std::string tag, TestReader::Reads reads, size_t extra_bytes = 0) {
  return [=](const std::string& content) -> Result<std::unique_ptr<FileReader>> {
    return std::unique_ptr<FileReader>(
        std::make_unique<TestReader>(content + std::string(extra_bytes, '\0'), tag, reads));
  };
}

// The check failed with kUnavailable, its message naming `what`; no report.
void RequireUnavailable(const Result<FidelityReport>& r, const std::string& what) {
  REQUIRE(!r.ok());
  CHECK(r.error().code() == ErrorCode::kUnavailable);
  CHECK(r.error().message().find(what) != std::string::npos);
}

FidelityOptions Spread() {
  FidelityOptions options;
  options.threads = 4;
  options.part_weights = 256;  // one row per part: ~2,300 parts over the tiny model
  return options;
}

}  // namespace

TEST_CASE("fidelity parallel: a file that changed between opens fails the check",
          "[fidelity][parallel]") {
  testing::MemorySource files = testing::LoadFolder(testing::SharedDir() + "/vectors/gguf");
  using Reads = TestReader::Reads;
  SECTION("the GGUF with another content tag") {
    SwappingSource q(files, "tiny-Q8_0.gguf", Reader("v1", Reads::kSlow), Reader("v2", Reads::kOk));
    auto r = CheckFidelity(files, q, "tiny-Q8_0.gguf", Spread());
    RequireUnavailable(r, "file changed while reading");
    CHECK(q.opens() >= 2);
  }
  SECTION("the safetensors shard with another size") {
    SwappingSource s(files, "model.safetensors", Reader("", Reads::kSlow),
                     Reader("", Reads::kOk, 1));
    SwappingSource q(files, "tiny-Q8_0.gguf", Reader("", Reads::kSlow), Reader("", Reads::kOk));
    auto r = CheckFidelity(s, q, "tiny-Q8_0.gguf", Spread());
    RequireUnavailable(r, "file changed while reading");
  }
  SECTION("the same tag and size: the check runs") {
    SwappingSource q(files, "tiny-Q8_0.gguf", Reader("v1", Reads::kSlow), Reader("v1", Reads::kOk));
    auto r = CheckFidelity(files, q, "tiny-Q8_0.gguf", Spread());
    REQUIRE(r.ok());
    CHECK(r->verdict == FidelityVerdict::kFaithful);
    CHECK(q.opens() >= 2);
  }
}

TEST_CASE("fidelity parallel: a failed read or an exception in another thread ends the check",
          "[fidelity][parallel]") {
  testing::MemorySource files = testing::LoadFolder(testing::SharedDir() + "/vectors/gguf");
  using Reads = TestReader::Reads;
  SECTION("a read fails: kUnavailable, no verdict") {
    SwappingSource q(files, "tiny-Q8_0.gguf", Reader("", Reads::kSlow), Reader("", Reads::kFail));
    auto r = CheckFidelity(files, q, "tiny-Q8_0.gguf", Spread());
    RequireUnavailable(r, "storage: read failed");
  }
  SECTION("a reader throws: the exception reaches the caller after every thread stopped") {
    SwappingSource q(files, "tiny-Q8_0.gguf", Reader("", Reads::kSlow), Reader("", Reads::kThrow));
    CHECK_THROWS_WITH(CheckFidelity(files, q, "tiny-Q8_0.gguf", Spread()), "reader exploded");
  }
  SECTION("the reopen fails: a transient fault stays one, a vanished file is a changed file") {
    SwappingSource busy(files, "tiny-Q8_0.gguf", Reader("", Reads::kSlow),
                        [](const std::string&) -> Result<std::unique_ptr<FileReader>> {
                          return Unavailable("hub: 503");
                        });
    auto r = CheckFidelity(files, busy, "tiny-Q8_0.gguf", Spread());
    RequireUnavailable(r, "hub: 503");
    SwappingSource gone(files, "tiny-Q8_0.gguf", Reader("", Reads::kSlow),
                        [](const std::string&) -> Result<std::unique_ptr<FileReader>> {
                          return NotFound("no such file");
                        });
    r = CheckFidelity(files, gone, "tiny-Q8_0.gguf", Spread());
    RequireUnavailable(r, "file changed while reading");
  }
}

}  // namespace provbadge::verifier

namespace provbadge::verifier {
namespace {

// The vectors' model.safetensors split into one shard per tensor with its index, as a sharded
// checkpoint is published.
void ShardSource(testing::MemorySource* files) {
  const std::string whole = files->Get("model.safetensors");
  uint64_t n = 0;
  std::memcpy(&n, whole.data(), 8);
  const nlohmann::json header = nlohmann::json::parse(whole.substr(8, n));
  nlohmann::json map = nlohmann::json::object();
  int i = 0;
  for (const auto& [name, t] : header.items()) {
    if (name == "__metadata__") continue;
    const uint64_t begin = t["data_offsets"][0], end = t["data_offsets"][1];
    nlohmann::json h = {{name, t}};
    h[name]["data_offsets"] = {0, end - begin};
    std::string text = h.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::string shard(8, '\0');
    const uint64_t len = text.size();
    std::memcpy(shard.data(), &len, 8);
    shard += text + whole.substr(8 + n + begin, end - begin);
    const std::string path = "model-" + std::to_string(++i) + ".safetensors";
    files->Set(path, shard);
    map[name] = path;
  }
  files->Remove("model.safetensors");
  files->Set("model.safetensors.index.json", nlohmann::json{{"weight_map", map}}.dump());
}

// Counts the readers open at once (the most seen), through `inner`.
class CountingSource : public RevisionSource {
 public:
  explicit CountingSource(RevisionSource& inner) : inner_(inner) {}
  Result<std::vector<FileInfo>> ListFiles() override { return inner_.ListFiles(); }
  Result<std::unique_ptr<FileReader>> Open(std::string_view path) override {
    auto r = inner_.Open(path);
    if (!r.ok()) return r.error();
    return std::unique_ptr<FileReader>(std::make_unique<Counted>(std::move(*r), this));
  }
  int most() const { return most_.load(); }

 private:
  class Counted : public FileReader {
   public:
    Counted(std::unique_ptr<FileReader> inner, CountingSource* source)
        : inner_(std::move(inner)), source_(source) {
      const int now = ++source_->open_;
      for (int seen = source_->most_.load(); now > seen;) {
        if (source_->most_.compare_exchange_weak(seen, now)) break;
      }
    }
    ~Counted() override { --source_->open_; }
    uint64_t Size() const override { return inner_->Size(); }
    Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
      return inner_->ReadAt(offset, buf);
    }

   private:
    std::unique_ptr<FileReader> inner_;
    CountingSource* source_;
  };
  RevisionSource& inner_;
  std::atomic<int> open_{0}, most_{0};
};

}  // namespace

TEST_CASE("fidelity parallel: a sharded source, each thread keeping one shard open",
          "[fidelity][parallel]") {
  testing::MemorySource files = testing::LoadFolder(testing::SharedDir() + "/vectors/gguf");
  ShardSource(&files);
  REQUIRE(!files.Has("model.safetensors"));  // the check can only read the shards
  for (const char* gguf : {"tiny-Q4_K_M-tampered.gguf", "tiny-Q8_0.gguf"}) {
    FidelityOptions one;
    one.threads = 1;
    auto reference = CheckFidelity(files, files, gguf, one);
    REQUIRE(reference.ok());
    INFO(FidelityReportToText(*reference));
    for (const Finding& f : reference->findings) CHECK(f.code.rfind("fidelity.source", 0) != 0);
    CountingSource counted(files);
    FidelityOptions options;
    options.threads = 6;
    options.part_weights = 256;
    // The calling thread reads its GGUF slowly, so that the others surely take parts.
    SwappingSource slow(files, gguf, Reader("", TestReader::Reads::kSlow),
                        Reader("", TestReader::Reads::kOk));
    auto r = CheckFidelity(counted, slow, gguf, options);
    REQUIRE(r.ok());
    CHECK(FidelityReportToJson(*r) == FidelityReportToJson(*reference));
    // The calling thread's 11 shards, and one more per other thread at most.
    CHECK(counted.most() <= 11 + 5);
    CHECK(counted.most() > 11);  // the other threads did open shards of their own
  }
}

TEST_CASE(
    "verifier.limits: a fidelity check runs on at most kMaxFidelityThreads threads, within "
    "kFidelityMemoryBudget",
    "[fidelity][parallel][limits]") {
  FidelityOptions options;
  options.threads = 100000;
  CHECK(fidelity::FidelityThreads(options) == limits::kMaxFidelityThreads);
  options.threads = 0;  // the hardware's
  CHECK(fidelity::FidelityThreads(options) >= 1);
  options.threads = 3;
  CHECK(fidelity::FidelityThreads(options) == 3);

  GgufTensorInfo usual, hostile;
  usual.ne = {8192, 28672, 1, 1};
  usual.type = static_cast<uint32_t>(GgmlType::kQ8_0);
  hostile.ne = {limits::kMaxFidelityRowElems, 4, 1, 1};  // the longest rows checked, as F32
  hostile.type = static_cast<uint32_t>(GgmlType::kF32);
  usual.size = 8192 / 32 * 34 * 28672;
  hostile.size = limits::kMaxFidelityRowElems * 4 * 4;
  std::vector<fidelity::TensorJob> jobs(1);
  jobs[0].input.info = &usual;
  CHECK(fidelity::ThreadsWithin(jobs, limits::kMaxFidelityThreads) == limits::kMaxFidelityThreads);
  jobs.resize(2);
  jobs[1].input.info = &hostile;
  const uint64_t per_thread = fidelity::PartMemoryBytes(jobs[1]);
  CHECK(per_thread >= limits::kMaxFidelityRowElems * (8 + 4 * 4));  // x, x16, 4 rows of f32
  const unsigned fit = fidelity::ThreadsWithin(jobs, limits::kMaxFidelityThreads);
  CHECK(fit == limits::kFidelityMemoryBudget / per_thread);
  CHECK(fit * per_thread <= limits::kFidelityMemoryBudget);
  CHECK(fit < 16);
  CHECK(fidelity::ThreadsWithin(jobs, 2) == 2);
  hostile.ne[0] = uint64_t{1} << 40;  // never checked (UnverifiableReason), still at least 1
  hostile.size = hostile.ne[0] * 4 * 4;
  CHECK(fidelity::ThreadsWithin(jobs, 8) == 1);
}

}  // namespace provbadge::verifier
