// The file-wide rounding variant on a whole llama model (bench/bench_model.h's synthetic
// checkpoint, made small): a Q4_0 GGUF made by an FMA build is faithful and bit-exact with
// variant "ref-fma", one made by a plain build with "ref", the same report on 1 and 2 threads
// and lazily as eagerly (the fused fast path with candidate 1 primary against every candidate in
// full); a GGUF whose tensors mix the two builds is not faithful
// (fidelity.variant_inconsistent), and neither is an FMA file with one flipped quant. A tensor
// that fails is shown against the file-wide variant, with its complete counts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "../common/memory_source.h"
#include "bench/bench_model.h"
#include "provbadge/verifier/fidelity.h"
#include "provbadge/verifier/gguf.h"

namespace provbadge::verifier {
namespace {

namespace fs = std::filesystem;

// A folder of its own under the system's temporary directory, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("provbadge-variant-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// 2 layers of 256 (Q/K permuted over 4 and 2 heads), a 512-token vocabulary: every Q4_0 tensor
// has thousands of blocks, so each has some where the FMA rounding differs from the plain one.
bench::ModelShape SmallModel() {
  return {.hidden = 256, .ffn = 512, .layers = 2, .vocab = 512, .heads = 4, .heads_kv = 2};
}

bool Has(const FidelityReport& r, const std::string& code) {
  for (const Finding& f : r.findings) {
    if (f.code == code) return true;
  }
  return false;
}

FidelityReport Check(testing::MemorySource& files, const std::string& gguf, unsigned threads,
                     bool eager = false) {
  FidelityOptions options;
  options.threads = threads;
  options.eager_candidates = eager;
  auto r = CheckFidelity(files, files, gguf, options);
  REQUIRE(r.ok());
  return *r;
}

const TensorFidelity& Tensor(const FidelityReport& r, const std::string& name) {
  for (const TensorFidelity& t : r.tensors) {
    if (t.name == name) return t;
  }
  FAIL("no tensor " << name << " in the report");
  return r.tensors.front();
}

// The byte range of tensor `name` in a GGUF's bytes.
std::pair<uint64_t, uint64_t> TensorBytes(const std::string& bytes, const std::string& name) {
  testing::MemoryReader reader(bytes);
  auto file = ParseGguf(reader);
  REQUIRE(file.ok());
  for (const GgufTensorInfo& t : file->tensors) {
    if (t.name == name) return {file->data_offset + t.offset, t.size};
  }
  FAIL("no tensor " << name);
  return {0, 0};
}

// Serves `first` until a read starts at `at` for the second time, then `second` (same size):
// a file rewritten between two reads of one tensor.
class RewrittenReader : public testing::MemoryReader {
 public:
  RewrittenReader(std::string first, std::string second, uint64_t at)
      : MemoryReader(std::move(first)), second_(std::move(second)), at_(at) {}
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    if (offset == at_ && ++reads_at_ >= 2) rewritten_ = true;
    if (!rewritten_) return MemoryReader::ReadAt(offset, buf);
    const size_t n =
        offset >= second_.size() ? 0 : std::min<size_t>(buf.size(), second_.size() - offset);
    std::memcpy(buf.data(), second_.data() + offset, n);
    return n;
  }

 private:
  std::string second_;
  uint64_t at_;
  int reads_at_ = 0;
  bool rewritten_ = false;
};

// `files`, but `path` opened as a RewrittenReader.
class RewritingSource : public RevisionSource {
 public:
  RewritingSource(testing::MemorySource& files, std::string path, std::string second, uint64_t at)
      : files_(files), path_(std::move(path)), second_(std::move(second)), at_(at) {}
  Result<std::vector<FileInfo>> ListFiles() override { return files_.ListFiles(); }
  Result<std::unique_ptr<FileReader>> Open(std::string_view path) override {
    if (path != path_) return files_.Open(path);
    return std::unique_ptr<FileReader>(
        std::make_unique<RewrittenReader>(files_.Get(path_), second_, at_));
  }

 private:
  testing::MemorySource& files_;
  std::string path_, second_;
  uint64_t at_;
};

}  // namespace

TEST_CASE("fidelity variant: a whole model from an FMA build, from a plain build, and mixed",
          "[fidelity][fused]") {
  TempDir dir;
  const std::string fma =
      bench::WriteModel(dir.path.string(), SmallModel(), GgmlType::kQ4_0, RoundingVariant::kFma);
  const std::string plain = bench::WriteModel(dir.path.string(), SmallModel(), GgmlType::kQ4_0);
  testing::MemorySource files = testing::LoadFolder(dir.path.string());
  REQUIRE(files.Get(fma) != files.Get(plain));

  for (const auto& [gguf, variant] : {std::pair{fma, "ref-fma"}, std::pair{plain, "ref"}}) {
    INFO(gguf);
    const FidelityReport one = Check(files, gguf, 1);
    CHECK(one.verdict == FidelityVerdict::kFaithful);
    CHECK(one.tier == "bit-exact");
    CHECK(one.variant == variant);
    for (const TensorFidelity& t : one.tensors) {
      CHECK(t.status == TensorStatus::kExact);
      if (t.gguf_type == "Q4_0") CHECK(t.variant == variant);
    }
    const std::string json = FidelityReportToJson(one);
    CHECK(FidelityReportToJson(Check(files, gguf, 2)) == json);
    CHECK(FidelityReportToJson(Check(files, gguf, 1, true)) == json);
  }

  // attn_q of layer 0 from the FMA build, every other tensor from the plain one.
  std::string mixed = files.Get(plain);
  const auto [at, size] = TensorBytes(mixed, "blk.0.attn_q.weight");
  mixed.replace(at, size, files.Get(fma).substr(at, size));
  files.Set("model-mixed.gguf", mixed);
  const FidelityReport m = Check(files, "model-mixed.gguf", 2);
  CHECK(m.verdict == FidelityVerdict::kNotFaithful);
  CHECK(Has(m, "fidelity.variant_inconsistent"));
  // The plain variant (file-wide) shown for attn_q with its complete counts: every block the two
  // builds round differently, though the check stopped evaluating it after its first such row
  // while the FMA variant was still clean (the report checks such a tensor again).
  const std::string& plain_bytes = files.Get(plain);
  const std::string& fma_bytes = files.Get(fma);
  uint64_t differing = 0;
  int64_t first = -1;
  for (uint64_t b = 0; b < size / 18; ++b) {
    if (plain_bytes.compare(at + b * 18, 18, fma_bytes, at + b * 18, 18) == 0) continue;
    if (differing++ == 0) first = static_cast<int64_t>(b);
  }
  REQUIRE(differing > 1);
  const TensorFidelity& q = Tensor(m, "blk.0.attn_q.weight");
  CHECK(q.status == TensorStatus::kMismatch);
  CHECK(q.variant == "ref");
  CHECK(q.blocks_mismatch == differing);
  CHECK(q.first_mismatch_block == first);
  CHECK(FidelityReportToJson(Check(files, "model-mixed.gguf", 1, true)) == FidelityReportToJson(m));

  // The mixed file rewritten to the plain one between the two reads of attn_q (the check, then
  // the report's re-check of the plain variant it shows): no verdict, never attn_q turned exact.
  {
    RewritingSource rewriting(files, "model-mixed.gguf", plain_bytes, at);
    FidelityOptions one_thread;
    one_thread.threads = 1;
    auto r = CheckFidelity(files, rewriting, "model-mixed.gguf", one_thread);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnavailable);
    CHECK(r.error().message().find("file changed while reading") != std::string::npos);
  }

  // One flipped quant in the FMA file: that tensor matches neither rounding.
  std::string flipped = files.Get(fma);
  const auto [v_at, v_size] = TensorBytes(flipped, "blk.1.attn_v.weight");
  flipped[v_at + v_size / 2 + 5] ^= 0x21;
  files.Set("model-flipped.gguf", flipped);
  const FidelityReport f = Check(files, "model-flipped.gguf", 2);
  CHECK(f.verdict == FidelityVerdict::kNotFaithful);
  CHECK(Has(f, "fidelity.tensor_mismatch"));
  // Shown against the file's variant (FMA): exactly the flipped block.
  const TensorFidelity& v = Tensor(f, "blk.1.attn_v.weight");
  CHECK(v.status == TensorStatus::kMismatch);
  CHECK(v.variant == "ref-fma");
  CHECK(v.blocks_mismatch == 1);
  CHECK(v.first_mismatch_block == static_cast<int64_t>((v_size / 2 + 5) / 18));
  CHECK(FidelityReportToJson(Check(files, "model-flipped.gguf", 1, true)) ==
        FidelityReportToJson(f));
}

}  // namespace provbadge::verifier
