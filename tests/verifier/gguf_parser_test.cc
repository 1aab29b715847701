// Hostile and malformed GGUF files built in memory: each is rejected with its own code.
#include <catch2/catch.hpp>

#include <cstring>

#include "../common/memory_source.h"
#include "provbadge/verifier/gguf.h"

namespace provbadge::verifier {
namespace {

// A little-endian GGUF writer for tests.
class GgufBuilder {
 public:
  GgufBuilder& U32(uint32_t v) { return Raw(&v, 4); }
  GgufBuilder& U64(uint64_t v) { return Raw(&v, 8); }
  GgufBuilder& Str(const std::string& s) {
    U64(s.size());
    bytes_ += s;
    return *this;
  }
  GgufBuilder& Raw(const void* p, size_t n) {
    bytes_.append(static_cast<const char*>(p), n);
    return *this;
  }
  GgufBuilder& Header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
    bytes_ = "GGUF";
    U32(version);
    U64(tensors);
    return U64(kvs);
  }
  GgufBuilder& KvU32(const std::string& k, uint32_t v) {
    Str(k);
    U32(4);
    return U32(v);
  }
  GgufBuilder& KvStr(const std::string& k, const std::string& v) {
    Str(k);
    U32(8);
    return Str(v);
  }
  // An F32 1-D tensor of n elements.
  GgufBuilder& Tensor(const std::string& name, uint64_t n, uint64_t offset, uint32_t type = 0) {
    Str(name);
    U32(1);
    U64(n);
    U32(type);
    return U64(offset);
  }
  GgufBuilder& PadTo(size_t align) {
    while (bytes_.size() % align) bytes_.push_back('\0');
    return *this;
  }
  GgufBuilder& Data(size_t n, char fill = 1) {
    bytes_.append(n, fill);
    return *this;
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Two F32 tensors of 8 elements (32 bytes each), alignment 32.
GgufBuilder Valid() {
  GgufBuilder b;
  b.Header(2, 1).KvStr("general.architecture", "llama");
  b.Tensor("a", 8, 0).Tensor("b", 8, 32).PadTo(32).Data(32).Data(32);
  return b;
}

Result<GgufFile> Parse(const std::string& bytes) {
  testing::MemoryReader reader(bytes);
  return ParseGguf(reader);
}

std::string CodeOf(const std::string& bytes) {
  auto r = Parse(bytes);
  if (r.ok()) return "ok";
  return std::string(FindingCodeOf(r.error()));
}

}  // namespace

TEST_CASE("a minimal valid GGUF parses", "[gguf]") {
  auto r = Parse(Valid().bytes());
  REQUIRE(r.ok());
  CHECK(r->tensors.size() == 2);
  CHECK(r->tensors[1].offset == 32);
  CHECK(r->tensors[1].size == 32);
  CHECK(r->GetString("general.architecture") == std::optional<std::string>("llama"));
}

TEST_CASE("truncated GGUF files are rejected at every length", "[gguf]") {
  const std::string full = Valid().bytes();
  for (size_t n = 0; n < full.size(); ++n) {
    INFO(n);
    const std::string code = CodeOf(full.substr(0, n));
    CHECK((code == "gguf.truncated" || (n < 4 && code == "gguf.truncated") ||
           code == "gguf.bad_magic"));
  }
}

TEST_CASE("malformed GGUF headers get their own codes", "[gguf]") {
  CHECK(CodeOf(std::string("GGUX") + Valid().bytes().substr(4)) == "gguf.bad_magic");
  GgufBuilder v1;
  v1.Header(0, 0, 1);
  CHECK(CodeOf(v1.bytes()) == "gguf.version");
  GgufBuilder be;
  be.Header(0, 0, 3u << 24);
  CHECK(CodeOf(be.bytes()) == "gguf.big_endian");
  GgufBuilder huge_t;
  huge_t.Header(~uint64_t{0}, 0);
  CHECK(CodeOf(huge_t.bytes()) == "gguf.too_many_tensors");
  GgufBuilder huge_kv;
  huge_kv.Header(0, uint64_t{1} << 40);
  CHECK(CodeOf(huge_kv.bytes()) == "gguf.too_many_kvs");
  GgufBuilder huge_str;
  huge_str.Header(0, 1).U64(uint64_t{1} << 60);
  CHECK(CodeOf(huge_str.bytes()) == "gguf.truncated");
  GgufBuilder huge_array;
  huge_array.Header(0, 1).Str("k").U32(9).U32(4).U64(uint64_t{1} << 61);
  CHECK(CodeOf(huge_array.bytes()) == "gguf.truncated");
  GgufBuilder dup;
  dup.Header(0, 2).KvU32("a.b", 1).KvU32("a.b", 2);
  CHECK(CodeOf(dup.bytes()) == "gguf.duplicate_key");
  GgufBuilder bad_type;
  bad_type.Header(0, 1).Str("k").U32(13).U32(0);
  CHECK(CodeOf(bad_type.bytes()) == "gguf.bad_value_type");
  GgufBuilder bad_bool;
  bad_bool.Header(0, 1).Str("k").U32(7).Raw("\x02", 1);
  CHECK(CodeOf(bad_bool.bytes()) == "gguf.bad_bool");
}

TEST_CASE("alignment must be a u32 power of two", "[gguf]") {
  for (uint32_t a : {0u, 3u, 48u, 1u << 30}) {
    GgufBuilder b;
    b.Header(0, 1).KvU32("general.alignment", a);
    CHECK(CodeOf(b.bytes()) == "gguf.bad_alignment");
  }
  GgufBuilder wrong_type;
  wrong_type.Header(0, 1).Str("general.alignment").U32(10).U64(32);
  CHECK(CodeOf(wrong_type.bytes()) == "gguf.bad_alignment");
}

TEST_CASE("tensor infos are checked: names, dims, types, blocks, overflow", "[gguf]") {
  GgufBuilder dup;
  dup.Header(2, 0).Tensor("a", 8, 0).Tensor("a", 8, 32).PadTo(32).Data(64);
  CHECK(CodeOf(dup.bytes()) == "gguf.duplicate_tensor");
  GgufBuilder long_name;
  long_name.Header(1, 0).Tensor(std::string(64, 'n'), 8, 0).PadTo(32).Data(32);
  CHECK(CodeOf(long_name.bytes()) == "gguf.bad_tensor_name");
  GgufBuilder dims;
  dims.Header(1, 0).Str("a").U32(5);
  CHECK(CodeOf(dims.bytes()) == "gguf.bad_dims");
  GgufBuilder type;
  type.Header(1, 0).Tensor("a", 8, 0, 4).PadTo(32).Data(32);  // id 4 was removed from ggml
  CHECK(CodeOf(type.bytes()) == "gguf.bad_type");
  GgufBuilder blocks;
  blocks.Header(1, 0).Tensor("a", 33, 0, 8).PadTo(32).Data(64);  // Q8_0 rows need 32k elements
  CHECK(CodeOf(blocks.bytes()) == "gguf.block_misaligned");
  GgufBuilder overflow;
  overflow.Header(1, 0).Str("a").U32(2).U64(uint64_t{1} << 40).U64(uint64_t{1} << 40).U32(0).U64(0);
  CHECK(CodeOf(overflow.bytes()) == "gguf.size_overflow");
}

TEST_CASE("tensor data must be contiguous, aligned, zero-padded and complete", "[gguf]") {
  GgufBuilder overlap;
  overlap.Header(2, 0).Tensor("a", 8, 0).Tensor("b", 8, 0).PadTo(32).Data(64);
  CHECK(CodeOf(overlap.bytes()) == "gguf.tensor_overlap");
  GgufBuilder gap;
  gap.Header(2, 0).Tensor("a", 8, 0).Tensor("b", 8, 64).PadTo(32).Data(96);
  CHECK(CodeOf(gap.bytes()) == "gguf.tensor_gap");
  GgufBuilder misaligned;
  misaligned.Header(2, 0).Tensor("a", 4, 0).Tensor("b", 8, 16).PadTo(32).Data(64);
  CHECK(CodeOf(misaligned.bytes()) == "gguf.tensor_misaligned");
  std::string trailing = Valid().bytes() + "x";
  CHECK(CodeOf(trailing) == "gguf.trailing_bytes");
  GgufBuilder short_data = Valid();
  short_data.bytes().resize(short_data.bytes().size() - 1);
  CHECK(CodeOf(short_data.bytes()) == "gguf.truncated");
  // A 4-element tensor padded to 32 bytes: a non-zero byte in its padding is a hidden payload.
  GgufBuilder padded;
  padded.Header(1, 0).Tensor("a", 4, 0).PadTo(32).Data(16).Data(16, 0);
  CHECK(CodeOf(padded.bytes()) == "ok");
  padded.bytes()[padded.bytes().size() - 3] = 7;
  CHECK(CodeOf(padded.bytes()) == "gguf.nonzero_padding");
  GgufBuilder header_pad = Valid();
  const size_t data_start = header_pad.bytes().size() - 64;
  header_pad.bytes()[data_start - 1] = 1;  // the last byte of the header padding
  CHECK(CodeOf(header_pad.bytes()) == "gguf.nonzero_padding");
}

}  // namespace provbadge::verifier
