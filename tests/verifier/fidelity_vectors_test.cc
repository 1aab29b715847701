// The GGUF fidelity vectors (../shared/vectors/gguf, expected.json): real llama.cpp outputs
// re-derived from model.safetensors, and the documented tampers located exactly.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../common/memory_source.h"
#include "../common/test_paths.h"
#include "provbadge/verifier/fidelity.h"
#include "provbadge/verifier/gguf.h"

namespace provbadge::verifier {
namespace {

using testing::LoadFolder;

std::string VectorDir() { return testing::SharedDir() + "/vectors/gguf"; }

testing::MemorySource& Fixtures() {
  static testing::MemorySource source = LoadFolder(VectorDir());
  return source;
}

FidelityReport Check(const std::string& gguf) {
  auto r = CheckFidelity(Fixtures(), Fixtures(), gguf);
  REQUIRE(r.ok());
  return std::move(*r);
}

const TensorFidelity& Tensor(const FidelityReport& r, const std::string& name) {
  for (const TensorFidelity& t : r.tensors) {
    if (t.name == name) return t;
  }
  FAIL("no tensor " << name);
  return r.tensors.front();
}

}  // namespace

TEST_CASE("every faithful fixture is bit-exact", "[fidelity][vectors]") {
  for (const char* file :
       {"tiny-BF16.gguf", "tiny-Q8_0.gguf", "tiny-Q4_0.gguf", "tiny-Q4_K_M.gguf"}) {
    INFO(file);
    const FidelityReport r = Check(file);
    INFO(FidelityReportToText(r));
    CHECK(r.verdict == FidelityVerdict::kFaithful);
    CHECK(r.tier == "bit-exact");
    CHECK(r.path == "bf16");
    CHECK(r.tensors.size() == 11);
    for (const TensorFidelity& t : r.tensors) {
      CHECK(t.status == TensorStatus::kExact);
      CHECK(t.blocks_mismatch == 0);
    }
  }
}

TEST_CASE("the Q4_K_M made through an F16 intermediate is exact only on the f16 path",
          "[fidelity][vectors]") {
  const FidelityReport r = Check("tiny-Q4_K_M-from-F16.gguf");
  INFO(FidelityReportToText(r));
  CHECK(r.verdict == FidelityVerdict::kFaithful);
  CHECK(r.path == "bf16->f16");
  const TensorFidelity& embd = Tensor(r, "token_embd.weight");
  CHECK(embd.status == TensorStatus::kExact);
  CHECK(embd.path == "bf16->f16");
  CHECK(embd.gguf_type == "Q6_K");
  CHECK(Tensor(r, "output_norm.weight").path == "bf16");  // F32 norms are not re-rounded
}

TEST_CASE("the types and transforms of the Q4_K_M fixture", "[fidelity][vectors]") {
  const FidelityReport r = Check("tiny-Q4_K_M.gguf");
  CHECK(Tensor(r, "token_embd.weight").gguf_type == "Q6_K");
  CHECK(Tensor(r, "blk.0.attn_q.weight").gguf_type == "Q4_K");
  CHECK(Tensor(r, "blk.0.attn_q.weight").transform == "permute(n_head=4)");
  CHECK(Tensor(r, "blk.0.attn_k.weight").transform == "permute(n_head=2)");
  CHECK(Tensor(r, "blk.0.attn_v.weight").gguf_type == "Q6_K");
  CHECK(Tensor(r, "blk.0.ffn_down.weight").gguf_type == "Q6_K");
  CHECK(Tensor(r, "blk.0.attn_norm.weight").gguf_type == "F32");
  CHECK(Tensor(r, "blk.0.attn_norm.weight").variant == "cast");
}

TEST_CASE("the tampered fixture is located block by block", "[fidelity][vectors]") {
  const FidelityReport r = Check("tiny-Q4_K_M-tampered.gguf");
  INFO(FidelityReportToText(r));
  CHECK(r.verdict == FidelityVerdict::kNotFaithful);
  CHECK(r.tier.empty());
  const TensorFidelity& q = Tensor(r, "blk.0.attn_q.weight");
  CHECK(q.status == TensorStatus::kMismatch);
  CHECK(q.blocks_mismatch == 1);
  CHECK(q.first_mismatch_block == 37);
  CHECK(q.first_mismatch_row == 37);
  CHECK(q.grid_inconsistent_weights == 1);
  CHECK(q.max_abs_dev > 0);
  const TensorFidelity& g = Tensor(r, "blk.0.ffn_gate.weight");
  CHECK(g.status == TensorStatus::kMismatch);
  CHECK(g.blocks_mismatch == 2);
  CHECK(g.first_mismatch_block == 100);
  CHECK(g.grid_inconsistent_weights == 31);
  int mismatching = 0;
  for (const TensorFidelity& t : r.tensors) mismatching += t.status == TensorStatus::kMismatch;
  CHECK(mismatching == 2);
  int errors = 0;
  for (const Finding& f : r.findings) errors += f.code == "fidelity.tensor_mismatch";
  CHECK(errors == 2);
}

TEST_CASE("the GGUF parser's tensor table matches expected.json and the file layout",
          "[gguf][vectors]") {
  const auto expected =
      nlohmann::json::parse(testing::ReadFileBytes(VectorDir() + "/expected.json"));
  for (const char* file : {"tiny-BF16.gguf", "tiny-Q8_0.gguf", "tiny-Q4_0.gguf", "tiny-Q4_K_M.gguf",
                           "tiny-Q4_K_M-tampered.gguf", "tiny-Q4_K_M-from-F16.gguf"}) {
    INFO(file);
    auto reader = Fixtures().Open(file);
    REQUIRE(reader.ok());
    auto g = ParseGguf(**reader);
    REQUIRE(g.ok());
    CHECK(g->version == 3);
    CHECK(g->tensors.size() == 11);
    CHECK(g->alignment == 32);
    CHECK((g->data_offset == 1248 || g->data_offset == 1280));
    CHECK(g->GetString("general.architecture") == std::optional<std::string>("llama"));
    const GgufTensorInfo& last = g->tensors.back();
    CHECK((g->data_offset + last.offset + last.size + 31) / 32 * 32 == g->file_size);
  }
  for (const auto& tamper : expected["files"]["tiny-Q4_K_M-tampered.gguf"]["tampers"]) {
    auto reader = Fixtures().Open("tiny-Q4_K_M-tampered.gguf");
    auto g = ParseGguf(**reader);
    REQUIRE(g.ok());
    const GgufTensorInfo* t = g->FindTensor(tamper["tensor"].get<std::string>());
    REQUIRE(t != nullptr);
    CHECK(t->type == 12);
    const uint64_t first_block = tamper.contains("block") ? tamper["block"].get<uint64_t>()
                                                          : tamper["blocks"][0].get<uint64_t>();
    const uint64_t block_start = g->data_offset + t->offset + first_block * 144;
    const uint64_t off = tamper["file_offset"].get<uint64_t>();
    CHECK(off >= block_start);
    CHECK(off < block_start + 144);
  }
}

}  // namespace provbadge::verifier
