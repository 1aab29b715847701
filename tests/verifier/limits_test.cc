// Bounds of provbadge/common/limits.h on GGUF and safetensors headers and the fidelity source
// (config.json, the shard index): each input exactly at its limit passes that check (it is
// accepted, or fails later for another reason), one past it fails with its specific code.
// The fidelity row bound is tested on sparse files (their tensor data is generated zeros).
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "../common/memory_source.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/fidelity.h"
#include "provbadge/verifier/gguf.h"
#include "provbadge/verifier/quant.h"
#include "provbadge/verifier/safetensors.h"

namespace provbadge::verifier {
namespace {

// Little-endian GGUF v3 header bytes: no tensors, the given metadata entries.
struct GgufBytes {
  std::string bytes = "GGUF";
  explicit GgufBytes(uint64_t n_kv) {
    U32(3);
    U64(0);
    U64(n_kv);
  }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void Str(const std::string& s) {
    U64(s.size());
    bytes += s;
  }
};

constexpr uint32_t kTypeU8 = 0;
constexpr uint32_t kTypeArray = 9;

std::string GgufCode(const std::string& bytes) {
  testing::MemoryReader reader(bytes);
  Result<GgufFile> r = ParseGguf(reader);
  return r.ok() ? "ok" : std::string(FindingCodeOf(r.error()));
}

// One metadata entry "a" whose value nests `depth` arrays, the innermost empty.
std::string NestedArrays(int depth) {
  GgufBytes g(1);
  g.Str("a");
  g.U32(kTypeArray);
  for (int i = 1; i < depth; ++i) {
    g.U32(kTypeArray);
    g.U64(1);
  }
  g.U32(kTypeU8);
  g.U64(0);
  return g.bytes;
}

TEST_CASE("limits: GGUF metadata arrays nest at most kMaxGgufArrayDepth", "[limits]") {
  CHECK(GgufCode(NestedArrays(limits::kMaxGgufArrayDepth)) == "ok");
  CHECK(GgufCode(NestedArrays(limits::kMaxGgufArrayDepth + 2)) == "gguf.array_too_deep");
}

TEST_CASE("limits: a GGUF metadata key is at most kMaxGgufKeyBytes", "[limits]") {
  auto with_key = [](size_t key_bytes) {
    GgufBytes g(1);
    g.Str(std::string(key_bytes, 'k'));
    g.U32(kTypeU8);
    g.bytes += '\x01';
    return g.bytes;
  };
  CHECK(GgufCode(with_key(limits::kMaxGgufKeyBytes)) == "ok");
  CHECK(GgufCode(with_key(limits::kMaxGgufKeyBytes + 1)) == "gguf.bad_key");
}

std::string SafetensorsCode(const std::string& header) {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header;
  testing::MemoryReader reader(bytes);
  auto r = ParseSafetensors(reader);
  return r.ok() ? "ok" : std::string(FindingCodeOf(r.error()));
}

TEST_CASE("limits: a safetensors tensor has at most kMaxSafetensorsRank dimensions", "[limits]") {
  auto tensor = [](size_t rank) {
    std::string shape;
    for (size_t i = 0; i < rank; ++i) shape += std::string(i ? "," : "") + "0";
    return R"({"t":{"dtype":"F32","shape":[)" + shape + R"(],"data_offsets":[0,0]}})";
  };
  CHECK(SafetensorsCode(tensor(limits::kMaxSafetensorsRank)) == "ok");
  CHECK(SafetensorsCode(tensor(limits::kMaxSafetensorsRank + 1)) == "safetensors.tensor_invalid");
}

TEST_CASE("limits: a safetensors header nests JSON at most kMaxSafetensorsJsonDepth", "[limits]") {
  auto nested = [](size_t depth) {  // the header object plus depth - 1 levels in __metadata__
    return R"({"__metadata__":{"a":)" + std::string(depth - 2, '[') + std::string(depth - 2, ']') +
           "}}";
  };
  CHECK(SafetensorsCode(nested(limits::kMaxSafetensorsJsonDepth + 1)) ==
        "safetensors.header_invalid");
}

TEST_CASE("limits: a GGUF lists at most kMaxGgufTensors tensors and kMaxGgufKvs entries",
          "[limits]") {
  auto header = [](uint64_t n_tensors, uint64_t n_kv) {
    GgufBytes g(n_kv);
    g.bytes.resize(8);  // magic and version; the counts follow
    g.U64(n_tensors);
    g.U64(n_kv);
    return g.bytes;
  };
  // At the limit the count is accepted and the file is simply too short for it (nothing is
  // allocated for the claimed entries); one past it is refused before reading any.
  CHECK(GgufCode(header(limits::kMaxGgufTensors, 0)) == "gguf.truncated");
  CHECK(GgufCode(header(limits::kMaxGgufTensors + 1, 0)) == "gguf.too_many_tensors");
  CHECK(GgufCode(header(0, limits::kMaxGgufKvs)) == "gguf.truncated");
  CHECK(GgufCode(header(0, limits::kMaxGgufKvs + 1)) == "gguf.too_many_kvs");
}

TEST_CASE("limits: GGUF string values up to kMaxGgufStoredString are kept, longer skipped",
          "[limits]") {
  auto stored = [](size_t bytes) {
    GgufBytes g(1);
    g.Str("s");
    g.U32(8);  // string
    g.Str(std::string(bytes, 'v'));
    testing::MemoryReader reader(g.bytes);
    Result<GgufFile> r = ParseGguf(reader);
    REQUIRE(r.ok());
    const GgufValue* v = r->Find("s");
    REQUIRE(v != nullptr);
    return v->s.size();
  };
  CHECK(stored(limits::kMaxGgufStoredString) == limits::kMaxGgufStoredString);
  CHECK(stored(limits::kMaxGgufStoredString + 1) == 0);
}

TEST_CASE("limits: general.alignment is at most kMaxGgufAlignment", "[limits]") {
  auto with_alignment = [](uint64_t a) {
    GgufBytes g(1);
    g.Str("general.alignment");
    g.U32(4);  // u32
    g.U32(static_cast<uint32_t>(a));
    return GgufCode(g.bytes);
  };
  CHECK(with_alignment(limits::kMaxGgufAlignment) == "ok");
  CHECK(with_alignment(limits::kMaxGgufAlignment * 2) == "gguf.bad_alignment");
}

TEST_CASE("limits: a safetensors header is at most kMaxSafetensorsHeaderBytes", "[limits]") {
  auto declaring = [](uint64_t n) {  // only the length prefix and a few header bytes exist
    std::string bytes;
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>((n >> (8 * i)) & 0xff);
    testing::MemoryReader reader(bytes + "{}");
    auto r = ParseSafetensors(reader);
    return r.ok() ? "ok" : std::string(FindingCodeOf(r.error()));
  };
  CHECK(declaring(limits::kMaxSafetensorsHeaderBytes) == "safetensors.truncated");
  CHECK(declaring(limits::kMaxSafetensorsHeaderBytes + 1) == "safetensors.header_too_large");
}

TEST_CASE("limits: a safetensors header lists at most kMaxSafetensorsTensors entries", "[limits]") {
  // Entries that are not tensors: the count is checked while parsing, before any entry is.
  auto entries = [](size_t n) {
    std::string header = "{";
    char key[16];
    for (size_t i = 0; i < n; ++i) {
      const int len = std::snprintf(key, sizeof key, "%s\"%zx\":0", i ? "," : "", i);
      header.append(key, static_cast<size_t>(len));
    }
    return SafetensorsCode(header + "}");
  };
  CHECK(entries(limits::kMaxSafetensorsTensors) == "safetensors.tensor_invalid");
  CHECK(entries(limits::kMaxSafetensorsTensors + 1) == "safetensors.too_many_tensors");
}

// The code of the fidelity finding about the source (config.json, index, shards): the GGUF is
// a valid empty one, so the source is the first thing that can fail.
std::string SourceCode(testing::MemorySource& source) {
  GgufBytes gguf(0);
  testing::MemorySource quantized({{"m.gguf", gguf.bytes}});
  auto r = CheckFidelity(source, quantized, "m.gguf");
  REQUIRE(r.ok());
  return r->findings.empty() ? "" : r->findings[0].code;
}

// `json` padded with spaces to exactly `bytes`.
std::string PaddedJson(const std::string& json, size_t bytes) {
  return json + std::string(bytes - json.size(), ' ');
}

TEST_CASE("limits: the fidelity source's config.json is at most kMaxModelConfigBytes", "[limits]") {
  testing::MemorySource at({{"config.json", PaddedJson("{}", limits::kMaxModelConfigBytes)}});
  CHECK(SourceCode(at) == "fidelity.source_incomplete");  // no model.safetensors
  testing::MemorySource over({{"config.json", PaddedJson("{}", limits::kMaxModelConfigBytes + 1)}});
  CHECK(SourceCode(over) == "fidelity.config_invalid");
}

TEST_CASE("limits: model.safetensors.index.json is at most kMaxSafetensorsIndexBytes", "[limits]") {
  const std::string index = R"({"weight_map":{"a":"model-1.safetensors"}})";
  testing::MemorySource at(
      {{"config.json", "{}"},
       {"model.safetensors.index.json", PaddedJson(index, limits::kMaxSafetensorsIndexBytes)}});
  CHECK(SourceCode(at) == "fidelity.source_incomplete");  // no model-1.safetensors
  testing::MemorySource over(
      {{"config.json", "{}"},
       {"model.safetensors.index.json", PaddedJson(index, limits::kMaxSafetensorsIndexBytes + 1)}});
  CHECK(SourceCode(over) == "fidelity.source_index_invalid");
}

TEST_CASE("limits: a shard index names at most kMaxSafetensorsShards shards", "[limits]") {
  auto with_shards = [](size_t n) {
    nlohmann::json map = nlohmann::json::object();
    for (size_t i = 0; i < n; ++i)
      map["t" + std::to_string(i)] = "s" + std::to_string(i) + ".safetensors";
    testing::MemorySource source(
        {{"config.json", "{}"},
         {"model.safetensors.index.json", nlohmann::json{{"weight_map", map}}.dump()}});
    return SourceCode(source);
  };
  CHECK(with_shards(limits::kMaxSafetensorsShards) == "fidelity.source_incomplete");
  CHECK(with_shards(limits::kMaxSafetensorsShards + 1) == "fidelity.source_index_invalid");
}

// A file of `size` bytes: `prefix`, then zeros that are never held in memory. Counts the
// reads that start in `data` (the tensor data; a buffered header read or the check of the
// padding after it starts elsewhere).
class SparseReader : public FileReader {
 public:
  SparseReader(std::string prefix, uint64_t size, std::pair<uint64_t, uint64_t> data,
               int* data_reads)
      : prefix_(std::move(prefix)), size_(size), data_(data), data_reads_(data_reads) {}
  uint64_t Size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= size_) return size_t{0};
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset));
    if (offset >= data_.first && offset < data_.second) ++*data_reads_;
    std::fill_n(buf.data(), n, std::byte{0});
    if (offset < prefix_.size()) {
      std::memcpy(buf.data(), prefix_.data() + offset,
                  std::min<size_t>(n, prefix_.size() - offset));
    }
    return n;
  }

 private:
  std::string prefix_;
  uint64_t size_;
  std::pair<uint64_t, uint64_t> data_;
  int* data_reads_;
};

// A revision of sparse files (path -> prefix, size, [begin, end) of the tensor data).
class SparseSource : public RevisionSource {
 public:
  struct File {
    std::string prefix;
    uint64_t size = 0;
    std::pair<uint64_t, uint64_t> data;
  };
  std::map<std::string, File> files;
  int data_reads = 0;

  Result<std::vector<FileInfo>> ListFiles() override {
    std::vector<FileInfo> out;
    for (const auto& [path, f] : files) {
      out.emplace_back();
      out.back().path = path;
      out.back().size = f.size;
    }
    return out;
  }
  Result<std::unique_ptr<FileReader>> Open(std::string_view path) override {
    auto it = files.find(std::string(path));
    if (it == files.end()) return NotFound(std::string(path) + ": not in the revision");
    const File& f = it->second;
    return std::unique_ptr<FileReader>(
        std::make_unique<SparseReader>(f.prefix, f.size, f.data, &data_reads));
  }
};

// CheckFidelity of a llama GGUF holding one Q8_0 ffn_down row of `ne0` zeros against a BF16
// source row of zeros (the all-zero blocks are its exact quantization). `data_reads` gets the
// reads of either side's tensor data.
FidelityReport ZeroRowFidelity(uint64_t ne0, int* data_reads) {
  const std::string tensor = "model.layers.0.mlp.down_proj.weight";
  const std::string header = R"({")" + tensor + R"(":{"dtype":"BF16","shape":[1,)" +
                             std::to_string(ne0) + R"(],"data_offsets":[0,)" +
                             std::to_string(2 * ne0) + "]}}";
  std::string st;
  for (int i = 0; i < 8; ++i) st += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  st += header;
  SparseSource source;
  const std::string config =
      R"({"architectures":["LlamaForCausalLM"],"num_attention_heads":1,"hidden_size":32,)"
      R"("num_hidden_layers":1})";
  source.files["config.json"] = {config, config.size(), {0, 0}};
  source.files["model.safetensors"] = {st, st.size() + 2 * ne0, {st.size(), st.size() + 2 * ne0}};
  GgufBytes g(1);
  g.bytes.resize(8);  // magic and version; the counts follow
  g.U64(1);
  g.U64(1);
  g.Str("general.architecture");
  g.U32(8);  // string
  g.Str("llama");
  g.Str("blk.0.ffn_down.weight");
  g.U32(2);
  g.U64(ne0);
  g.U64(1);
  g.U32(static_cast<uint32_t>(GgmlType::kQ8_0));
  g.U64(0);
  const uint64_t data_from = (g.bytes.size() + 31) / 32 * 32;
  const uint64_t data_bytes = ne0 / 32 * 34, padded = (data_bytes + 31) / 32 * 32;
  SparseSource quantized;
  quantized.files["m.gguf"] = {g.bytes, data_from + padded, {data_from, data_from + data_bytes}};
  auto r = CheckFidelity(source, quantized, "m.gguf");
  REQUIRE(r.ok());
  *data_reads = source.data_reads + quantized.data_reads;
  return *r;
}

const Finding* FindingWithCode(const FidelityReport& r, std::string_view code) {
  for (const Finding& f : r.findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

TEST_CASE("limits: a fidelity tensor row is at most kMaxFidelityRowElems elements", "[limits]") {
  int reads = 0;
  const FidelityReport at = ZeroRowFidelity(limits::kMaxFidelityRowElems, &reads);
  REQUIRE(at.tensors.size() == 1);
  CHECK(at.tensors[0].status == TensorStatus::kExact);
  CHECK(FindingWithCode(at, "fidelity.tensor_unverifiable") == nullptr);
  CHECK(reads > 0);
  // One block past it: refused before a byte of either row is read (or a row buffer sized).
  const FidelityReport over = ZeroRowFidelity(limits::kMaxFidelityRowElems + 32, &reads);
  REQUIRE(over.tensors.size() == 1);
  CHECK(over.tensors[0].status == TensorStatus::kUnverifiable);
  const Finding* f = FindingWithCode(over, "fidelity.tensor_unverifiable");
  REQUIRE(f != nullptr);
  CHECK_THAT(f->message, Catch::Contains("rows longer than the limit"));
  CHECK(reads == 0);
}

}  // namespace
}  // namespace provbadge::verifier
