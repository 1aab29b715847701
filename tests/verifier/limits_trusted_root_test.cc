// Bounds of provbadge/common/limits.h on trusted_root.json: at the limit the root loads, one
// past it TrustedRoot::FromJson refuses it with a message naming the bound.
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <catch2/catch.hpp>
#include <string>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "../common/test_paths.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/sigstore_trusted_root.h"
#include "sigstore_test_log.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

std::string LoadError(const std::string& text) {
  auto r = TrustedRoot::FromJson(text);
  return r.ok() ? "" : r.error().message();
}

TEST_CASE("limits: trusted_root.json size and list lengths", "[limits]") {
  SECTION("kMaxTrustedRootBytes") {
    const std::string root = testing_log::TestLog().TrustedRoot();
    const std::string at = root + std::string(limits::kMaxTrustedRootBytes - root.size(), ' ');
    CHECK(LoadError(at).empty());
    CHECK_THAT(LoadError(at + " "), Catch::Contains("too large"));
  }
  SECTION("kMaxTrustedRootItems") {
    json root = json::parse(testing_log::TestLog().TrustedRoot());
    json& tlogs = root["tlogs"];
    while (tlogs.size() < limits::kMaxTrustedRootItems) tlogs.push_back(tlogs[0]);
    CHECK(LoadError(root.dump()).empty());
    tlogs.push_back(tlogs[0]);
    CHECK_THAT(LoadError(root.dump()),
               Catch::Contains("tlogs: more than " + std::to_string(limits::kMaxTrustedRootItems)));
  }
}

TEST_CASE("limits: trusted_root.json nests JSON at most kMaxJsonDepth deep", "[limits]") {
  const std::string root = testing_log::TestLog().TrustedRoot();
  auto with_depth = [&](size_t depth) {  // "x" nests depth - 1 arrays inside the root object
    return R"({"x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "," +
           root.substr(1);
  };
  CHECK(LoadError(with_depth(limits::kMaxJsonDepth)).empty());
  CHECK_THAT(LoadError(with_depth(limits::kMaxJsonDepth + 1)),
             Catch::Contains("not a JSON object"));
}

TEST_CASE("limits: a trusted-root CA chain holds at most kMaxCertChain certificates", "[limits]") {
  std::ifstream in(testing::SharedDir() +
                   "/vectors/sigstore-conformance/public-good/trusted_root.json");
  REQUIRE(in);
  json root = json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
  json& certs = root["certificateAuthorities"][0]["certChain"]["certificates"];
  REQUIRE(certs.size() == 1);
  while (certs.size() < limits::kMaxCertChain) certs.push_back(certs[0]);
  CHECK(LoadError(root.dump()).empty());
  certs.push_back(certs[0]);
  CHECK_THAT(LoadError(root.dump()), Catch::Contains("missing, empty or too long"));
}

}  // namespace
}  // namespace provbadge::verifier
