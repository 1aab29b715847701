// The GGUF files of the example hub (examples/make-gguf.py) are valid GGUF v3 files that the
// strict parser accepts, with the base-model hints the lineage claims read.
#include <catch2/catch.hpp>

#include <filesystem>

#include "provbadge/verifier/gguf.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

TEST_CASE("every example GGUF parses and names its base model") {
  int seen = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(testing::SourceDir() + "/examples/hub")) {
    if (entry.path().extension() != ".gguf") continue;
    INFO(entry.path().string());
    ++seen;
    testing::MemoryReader reader(testing::ReadFileBytes(entry.path().string()));
    Result<GgufFile> gguf = ParseGguf(reader);
    REQUIRE(gguf.ok());
    CHECK(gguf->version == 3);
    CHECK(gguf->GetString("general.architecture") == "llama");
    CHECK(gguf->GetUint("general.file_type") == 15u);  // MOSTLY_Q4_K_M
    CHECK(gguf->GetUint("general.base_model.count") == 1u);
    CHECK(gguf->GetString("general.base_model.0.organization") == "acme");
    const auto name = gguf->GetString("general.base_model.0.name");
    REQUIRE(name.has_value());
    CHECK(gguf->GetString("general.base_model.0.repo_url") ==
          "https://huggingface.co/acme/" + *name);
    CHECK(gguf->tensors.size() == 4);
  }
  CHECK(seen == 5);
}

}  // namespace
}  // namespace provbadge::verifier
