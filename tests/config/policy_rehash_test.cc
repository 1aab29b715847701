// The trust policy's "rehash" key: never | small | always, default small, anything else an error.
#include <catch2/catch.hpp>

#include <string>

#include "provbadge/config/config.h"
#include "provbadge/verifier/policy.h"
#include "test_support.h"

namespace provbadge::config {
namespace {

using verifier::RehashMode;

std::string Policy(const std::string& extra) {
  return R"({"identities": [], "rules": [])" + extra + "}";
}

TEST_CASE("policy rehash: default small, the three modes, and errors") {
  testing::TempDir dir;
  auto parsed = ParsePolicy(Policy(""), dir.path());
  REQUIRE(parsed.ok());
  CHECK(parsed->rehash == RehashMode::kSmall);
  CHECK(ParsePolicy(Policy(R"(, "rehash": "never")"), dir.path())->rehash == RehashMode::kNever);
  CHECK(ParsePolicy(Policy(R"(, "rehash": "always")"), dir.path())->rehash == RehashMode::kAlways);
  for (const std::string bad : {R"("sometimes")", "1", "true", R"("NEVER")", "null"}) {
    INFO(bad);
    auto p = ParsePolicy(Policy(R"(, "rehash": )" + bad), dir.path());
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().message().find("rehash") != std::string::npos);
  }
}

}  // namespace
}  // namespace provbadge::config
