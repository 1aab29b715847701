// Bounds of provbadge/common/limits.h on operator files: the configuration file, the trust
// policy, its key files and the strict JSON reader's nesting. At the limit the file is read
// (and accepted, or judged on its content), one past it is refused as too large or too deep.
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <catch2/catch.hpp>
#include <string>

#include "provbadge/common/limits.h"
#include "provbadge/config/config.h"
#include "provbadge/verifier/policy.h"
#include "test_support.h"

namespace provbadge::config {
namespace {

using Catch::Matchers::Contains;
using testing::GenerateEcPublicKeyPem;
using testing::TempDir;

// `text` followed by spaces (or newlines) up to exactly `bytes`.
std::string Padded(const std::string& text, size_t bytes, char pad = ' ') {
  return text + std::string(bytes - text.size(), pad);
}

TEST_CASE("limits: the configuration file is at most kMaxConfigFileBytes", "[limits]") {
  TempDir dir;
  CHECK(LoadConfig(dir.Write("at.json", Padded("{}", limits::kMaxConfigFileBytes)), {}).ok());
  auto over = LoadConfig(dir.Write("over.json", Padded("{}", limits::kMaxConfigFileBytes + 1)), {});
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Contains("file is too large"));
}

constexpr char kPolicy[] = R"({
  "identities": [{"name": "acme", "key": "acme.pub.pem"}],
  "rules": [{"repos": "acme/*", "publishers": ["acme"]}]
})";

TEST_CASE("limits: the trust policy file is at most kMaxPolicyFileBytes", "[limits]") {
  TempDir dir;
  dir.Write("acme.pub.pem", GenerateEcPublicKeyPem());
  auto at = LoadPolicy(dir.Write("at.json", Padded(kPolicy, limits::kMaxPolicyFileBytes)));
  if (!at.ok()) FAIL(at.error().message());
  auto over = LoadPolicy(dir.Write("over.json", Padded(kPolicy, limits::kMaxPolicyFileBytes + 1)));
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Contains("file is too large"));
}

TEST_CASE("limits: a policy key file is at most kMaxKeyFileBytes", "[limits]") {
  TempDir dir;
  const std::string pem = GenerateEcPublicKeyPem();
  dir.Write("acme.pub.pem", Padded(pem, limits::kMaxKeyFileBytes, '\n'));
  auto at = ParsePolicy(kPolicy, dir.path());
  if (!at.ok()) FAIL(at.error().message());
  dir.Write("acme.pub.pem", Padded(pem, limits::kMaxKeyFileBytes + 1, '\n'));
  auto over = ParsePolicy(kPolicy, dir.path());
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Contains("file is too large"));
}

TEST_CASE("limits: operator JSON nests at most kMaxConfigJsonDepth deep", "[limits]") {
  auto with_depth = [](size_t depth) {  // the object, then depth - 1 arrays under "x"
    auto r = ParseConfig(
        R"({"x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}", {}, "");
    REQUIRE_FALSE(r.ok());
    return r.error().message();
  };
  // At the limit the whole text is read and the unknown section is named; past it, the nesting.
  CHECK_THAT(with_depth(limits::kMaxConfigJsonDepth), Contains("x: unknown section"));
  CHECK_THAT(with_depth(limits::kMaxConfigJsonDepth + 1), Contains("nesting deeper than"));
}

}  // namespace
}  // namespace provbadge::config
