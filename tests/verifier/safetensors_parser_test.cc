// Hostile and malformed safetensors files built in memory: each is rejected with its own code.
#include <catch2/catch.hpp>

#include "../common/memory_source.h"
#include "provbadge/verifier/gguf.h"
#include "provbadge/verifier/safetensors.h"

namespace provbadge::verifier {
namespace {

std::string File(const std::string& header, size_t data_bytes, uint64_t declared = ~uint64_t{0}) {
  const uint64_t n = declared == ~uint64_t{0} ? header.size() : declared;
  std::string out(reinterpret_cast<const char*>(&n), 8);
  return out + header + std::string(data_bytes, '\x01');
}

std::string CodeOf(const std::string& bytes) {
  testing::MemoryReader reader(bytes);
  auto r = ParseSafetensors(reader);
  return r.ok() ? "ok" : std::string(FindingCodeOf(r.error()));
}

const std::string kTwo =
    R"({"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[8,16]},)"
    R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

}  // namespace

TEST_CASE("a valid safetensors file parses, sorted by offset", "[safetensors]") {
  testing::MemoryReader reader(File(kTwo + "  ", 16));
  auto r = ParseSafetensors(reader);
  REQUIRE(r.ok());
  REQUIRE(r->tensors.size() == 2);
  CHECK(r->tensors[0].name == "a");
  CHECK(r->tensors[1].shape == std::vector<uint64_t>{2, 2});
  CHECK(r->metadata.at("format") == "pt");
  CHECK(r->tensors[1].begin == 8 + kTwo.size() + 2 + 8);
}

TEST_CASE("malformed safetensors files get their own codes", "[safetensors]") {
  CHECK(CodeOf("1234") == "safetensors.truncated");
  CHECK(CodeOf(File("{}", 0, uint64_t{1} << 40)) == "safetensors.header_too_large");
  CHECK(CodeOf(File("{}", 0, 100)) == "safetensors.truncated");
  CHECK(CodeOf(File("[]", 0)) == "safetensors.header_invalid");
  CHECK(CodeOf(File("{\"a\":", 0)) == "safetensors.header_invalid");
  CHECK(CodeOf(File("{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}", 0)) ==
        "safetensors.header_invalid");
  CHECK(
      CodeOf(File(
          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
          8)) == "safetensors.duplicate_key");
  CHECK(CodeOf(File(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,4]}})", 4)) ==
        "safetensors.dtype_unknown");
  CHECK(CodeOf(File(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4)) ==
        "safetensors.size_mismatch");
  CHECK(CodeOf(File(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})",
                    4)) == "safetensors.size_overflow");
  CHECK(
      CodeOf(File(
          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
          8)) == "safetensors.overlap");
  CHECK(CodeOf(File(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8)) ==
        "safetensors.gap");
  CHECK(CodeOf(File(kTwo, 17)) == "safetensors.trailing_bytes");
  CHECK(CodeOf(File(kTwo, 15)) == "safetensors.truncated");
  CHECK(CodeOf(File(R"({"__metadata__":{"format":1}})", 0)) == "safetensors.metadata_invalid");
  CHECK(CodeOf(File(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", 4)) ==
        "safetensors.tensor_invalid");
}

}  // namespace provbadge::verifier
