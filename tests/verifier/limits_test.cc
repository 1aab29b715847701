// Bounds of provbadge/common/limits.h on GGUF and safetensors headers and the fidelity source
// (config.json, the shard index): each input exactly at its limit passes that check (it is
// accepted, or fails later for another reason), one past it fails with its specific code.
// The fidelity row bound is checked on CheckTensor (fidelity_tensor.h), whose unverifiable
// result CheckFidelity reports as fidelity.tensor_unverifiable.
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "../../verifier/src/fidelity_tensor.h"
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

// A file of `size` zero bytes that holds none of them in memory, counting its reads.
class ZeroReader : public FileReader {
 public:
  explicit ZeroReader(uint64_t size) : size_(size) {}
  uint64_t Size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    ++reads;
    if (offset >= size_) return size_t{0};
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset));
    std::fill_n(buf.data(), n, std::byte{0});
    return n;
  }
  int reads = 0;

 private:
  uint64_t size_;
};

// CheckTensor on one Q8_0 row of `ne0` zeros quantized from a BF16 source of zeros (the
// all-zero Q8_0 blocks are that row's exact quantization); `reads` gets the readers' reads.
fidelity::TensorCheckResult CheckZeroRow(uint64_t ne0, int* reads) {
  const GgmlTypeInfo q8 = *LookupGgmlType(static_cast<uint32_t>(GgmlType::kQ8_0));
  GgufTensorInfo info;
  info.name = "t";
  info.n_dims = 2;
  info.ne = {ne0, 1, 1, 1};
  info.type = q8.id;
  info.size = ne0 / q8.block_elems * q8.block_bytes;
  SafetensorsTensor source;
  source.name = "t";
  source.dtype = "BF16";
  source.shape = {1, ne0};
  source.end = 2 * ne0;
  ZeroReader gguf(info.size), src(source.end);
  fidelity::TensorCheckInput in;
  in.info = &info;
  in.gguf = &gguf;
  in.source = &source;
  in.source_reader = &src;
  auto r = fidelity::CheckTensor(in, FidelityOptions{});
  REQUIRE(r.ok());
  *reads = gguf.reads + src.reads;
  return *r;
}

TEST_CASE("limits: a fidelity tensor row is at most kMaxFidelityRowElems elements", "[limits]") {
  int reads = 0;
  const fidelity::TensorCheckResult at = CheckZeroRow(limits::kMaxFidelityRowElems, &reads);
  CHECK_FALSE(at.unverifiable);
  CHECK(at.note.empty());
  CHECK(at.blocks_total == limits::kMaxFidelityRowElems / 32);
  CHECK(at.candidates[0].enabled);
  CHECK(at.candidates[0].blocks_mismatch == 0);
  CHECK(reads > 0);
  // One block past it: refused before a byte of the row is read (or its buffers sized).
  const fidelity::TensorCheckResult over = CheckZeroRow(limits::kMaxFidelityRowElems + 32, &reads);
  CHECK(over.unverifiable);
  CHECK(over.note == "rows longer than the limit");
  CHECK(reads == 0);
}

}  // namespace
}  // namespace provbadge::verifier
