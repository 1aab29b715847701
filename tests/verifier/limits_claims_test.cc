// Bounds of provbadge/common/limits.h on the base-model hints a node reads besides its
// provenance (verifier/src/node_claims.h): README.md up to kMaxCardBytes and at most
// kMaxClaimGgufFiles .gguf files. Past a bound nothing more is read, so it claims nothing
// (hints never verify anything; they only explain a missing provenance).
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "provbadge/common/limits.h"
#include "test_helpers.h"
#include "verifier/src/node_claims.h"

namespace provbadge::verifier {
namespace {

internal::Claims ClaimsOf(testing::MemorySource& source) {
  auto files = source.ListFiles();
  REQUIRE(files.ok());
  auto claims = internal::ReadClaims(source, *files);
  REQUIRE(claims.ok());
  return *claims;
}

TEST_CASE("limits: README.md is read for claims up to kMaxCardBytes", "[limits]") {
  const std::string card = "---\nbase_model: org/base\n---\n";
  testing::MemorySource at(
      {{"README.md", card + std::string(limits::kMaxCardBytes - card.size(), 'x')}});
  CHECK(ClaimsOf(at).base == "org/base");
  testing::MemorySource over(
      {{"README.md", card + std::string(limits::kMaxCardBytes + 1 - card.size(), 'x')}});
  CHECK(ClaimsOf(over).base.empty());
}

TEST_CASE("limits: at most kMaxClaimGgufFiles GGUF files are read for claims", "[limits]") {
  const std::string hinted = testing::ReadFileBytes(
      testing::SourceDir() +
      "/examples/hub/community/tiny-llama-base-GGUF/dab1f5ee85db8239441f1949b7df260eb33643b8/"
      "tiny-llama-base-Q4_K_M.gguf");
  // `before` unparsable GGUF files sort before the one with the base-model hint.
  auto with_before = [&](size_t before) {
    testing::MemorySource source;
    for (size_t i = 0; i < before; ++i) source.Set("a" + std::to_string(i) + ".gguf", "x");
    source.Set("z.gguf", hinted);
    return ClaimsOf(source);
  };
  CHECK(with_before(limits::kMaxClaimGgufFiles - 1).quantization);    // the hint is file 8
  CHECK_FALSE(with_before(limits::kMaxClaimGgufFiles).quantization);  // file 9: not read
}

}  // namespace
}  // namespace provbadge::verifier
