// ParsePolicy / LoadPolicy: identities with keys, rules, maxDepth, digest, and the errors.
#include <catch2/catch.hpp>

#include <string>

#include "common/test_paths.h"
#include "provbadge/config/config.h"
#include "provbadge/verifier/policy.h"
#include "test_support.h"

namespace provbadge::config {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using testing::GenerateEcPublicKeyPem;
using testing::TempDir;
using verifier::TrustPolicy;

constexpr char kTwoIdentityPolicy[] = R"({
  "identities": [
    {"name": "acme", "key": "keys/acme.pub.pem"},
    {"name": "ci", "key": "keys/ci.pub.pem"}
  ],
  "rules": [
    {"repos": "acme/*", "publishers": ["acme"], "builders": ["ci"]},
    {"repos": "acme-labs/*", "publishers": ["ci", "acme"]}
  ],
  "maxDepth": 12
})";

// A scratch folder with keys/acme.pub.pem (P-256) and keys/ci.pub.pem (P-384).
struct PolicyDir {
  PolicyDir() {
    dir.Write("keys/acme.pub.pem", GenerateEcPublicKeyPem("P-256"));
    dir.Write("keys/ci.pub.pem", GenerateEcPublicKeyPem("P-384"));
  }
  std::string Fails(const std::string& json) const {
    Result<TrustPolicy> policy = ParsePolicy(json, dir.path());
    INFO(json);
    REQUIRE_FALSE(policy.ok());
    CHECK(policy.error().code() == ErrorCode::kInvalidInput);
    return policy.error().message();
  }
  TempDir dir;
};

TEST_CASE("a policy with key identities and rules parses", "[config][policy]") {
  PolicyDir keys;
  Result<TrustPolicy> policy = ParsePolicy(kTwoIdentityPolicy, keys.dir.path());
  if (!policy.ok()) FAIL(policy.error().message());
  REQUIRE(policy->identities.size() == 2);
  CHECK(policy->identities[0].name == "acme");
  REQUIRE(policy->identities[0].key != nullptr);
  CHECK(policy->identities[0].key->curve_name() == "P-256");
  CHECK(policy->identities[1].name == "ci");
  REQUIRE(policy->identities[1].key != nullptr);
  CHECK(policy->identities[1].key->curve_name() == "P-384");
  REQUIRE(policy->rules.size() == 2);
  CHECK(policy->rules[0].repos == "acme/*");
  CHECK(policy->rules[0].publishers == std::vector<std::string>{"acme"});
  CHECK(policy->rules[0].builders == std::vector<std::string>{"ci"});
  CHECK(policy->rules[1].publishers == std::vector<std::string>{"ci", "acme"});
  CHECK(policy->rules[1].builders.empty());
  CHECK(policy->max_depth == 12);
  CHECK_THAT(policy->digest, StartsWith("sha256:"));
  CHECK(policy->digest.size() == 7 + 64);
}

TEST_CASE("maxDepth defaults to 8 and is range-checked", "[config][policy]") {
  PolicyDir keys;
  const std::string base = R"({"identities":[],"rules":[])";
  Result<TrustPolicy> policy = ParsePolicy(base + "}", keys.dir.path());
  REQUIRE(policy.ok());
  CHECK(policy->max_depth == 8);
  CHECK(ParsePolicy(base + R"(,"maxDepth":1})", keys.dir.path())->max_depth == 1);
  CHECK(ParsePolicy(base + R"(,"maxDepth":64})", keys.dir.path())->max_depth == 64);
  CHECK(keys.Fails(base + R"(,"maxDepth":0})") == "maxDepth: must be between 1 and 64 (got 0)");
  CHECK(keys.Fails(base + R"(,"maxDepth":65})") == "maxDepth: must be between 1 and 64 (got 65)");
  CHECK(keys.Fails(base + R"(,"maxDepth":-3})") == "maxDepth: must be between 1 and 64 (got -3)");
  CHECK(keys.Fails(base + R"(,"maxDepth":18446744073709551615})") ==
        "maxDepth: must be between 1 and 64 (got 18446744073709551615)");
  CHECK(keys.Fails(base + R"(,"maxDepth":"8"})") == "maxDepth: must be an integer (got a string)");
  CHECK(keys.Fails(base + R"(,"maxDepth":8.5})") ==
        "maxDepth: must be an integer (got a number with a fraction)");
}

TEST_CASE("the shared test-vector key parses (certtool text before the PEM)", "[config][policy]") {
  std::string key_path = provbadge::testing::SharedDir() +
                         "/vectors/model-signing/keys/certificate/signing-key-pub.pem";
  Result<TrustPolicy> policy =
      ParsePolicy(R"({"identities":[{"name":"vector","key":")" + key_path +
                      R"("}],"rules":[{"repos":"*/*","publishers":["vector"]}]})",
                  "/nonexistent-base-dir-absolute-paths-ignore-it");
  if (!policy.ok()) FAIL(policy.error().message());
  REQUIRE(policy->identities.size() == 1);
  CHECK(policy->identities[0].key->curve_name() == "P-384");
}

TEST_CASE("the digest is sha256 over the exact bytes, stable across parses", "[config][policy]") {
  PolicyDir keys;
  const std::string empty = R"({"identities":[],"rules":[]})";
  Result<TrustPolicy> first = ParsePolicy(empty, keys.dir.path());
  Result<TrustPolicy> second = ParsePolicy(empty, "/elsewhere");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  // echo -n '{"identities":[],"rules":[]}' | sha256sum
  CHECK(first->digest == "sha256:d56a65b870b27bd95da83f52646430e511dafeeb533c89506bdd707aa52e8e80");
  CHECK(second->digest == first->digest);
  // The same policy with different whitespace is a different file: a different digest.
  Result<TrustPolicy> spaced = ParsePolicy(R"({"identities": [], "rules": []})", "");
  REQUIRE(spaced.ok());
  CHECK(spaced->digest != first->digest);
}

TEST_CASE("LoadPolicy reads keys relative to the policy file", "[config][policy]") {
  PolicyDir keys;
  std::string path = keys.dir.Write("policy.json", kTwoIdentityPolicy);
  Result<TrustPolicy> loaded = LoadPolicy(path);
  if (!loaded.ok()) FAIL(loaded.error().message());
  CHECK(loaded->identities.size() == 2);
  Result<TrustPolicy> parsed = ParsePolicy(kTwoIdentityPolicy, keys.dir.path());
  REQUIRE(parsed.ok());
  CHECK(loaded->digest == parsed->digest);
}

TEST_CASE("LoadPolicy names the file in errors and reports a missing file", "[config][policy]") {
  PolicyDir keys;
  std::string path = keys.dir.Write("policy.json", R"({"identities":[],"rules":[],"max":1})");
  Result<TrustPolicy> policy = LoadPolicy(path);
  REQUIRE_FALSE(policy.ok());
  CHECK(policy.error().message() == path + ": max: unknown key");
  Result<TrustPolicy> missing = LoadPolicy(keys.dir.path() + "/absent.json");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("a missing or unusable key file names the identity and the path", "[config][policy]") {
  PolicyDir keys;
  keys.dir.Write("keys/garbage.pem", "not a key at all");
  keys.dir.Write("keys/rsa-looking.pem",
                 "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  std::string missing =
      keys.Fails(R"({"identities":[{"name":"acme","key":"keys/missing.pem"}],"rules":[]})");
  CHECK_THAT(missing, StartsWith("identities[0] \"acme\": key keys/missing.pem: "));
  CHECK_THAT(missing, Contains(keys.dir.path() + "/keys/missing.pem: no such file"));
  std::string garbage =
      keys.Fails(R"({"identities":[{"name":"acme","key":"keys/garbage.pem"}],"rules":[]})");
  CHECK_THAT(garbage, StartsWith("identities[0] \"acme\": key keys/garbage.pem: "
                                 "not a usable public key: "));
  std::string broken =
      keys.Fails(R"({"identities":[{"name":"acme","key":"keys/rsa-looking.pem"}],"rules":[]})");
  CHECK_THAT(broken, StartsWith("identities[0] \"acme\": key keys/rsa-looking.pem: "
                                "not a usable public key: "));
  std::string directory = keys.Fails(R"({"identities":[{"name":"acme","key":"keys"}],"rules":[]})");
  CHECK_THAT(directory, Contains("not a regular file"));
}

TEST_CASE("identity names must be present, non-empty and unique", "[config][policy]") {
  PolicyDir keys;
  CHECK(keys.Fails(R"({"identities":[{"key":"keys/acme.pub.pem"}],"rules":[]})") ==
        "identities[0]: missing \"name\"");
  CHECK(keys.Fails(R"({"identities":[{"name":"","key":"keys/acme.pub.pem"}],"rules":[]})") ==
        "identities[0].name: must not be empty");
  CHECK(keys.Fails(R"({"identities":[{"name":7,"key":"keys/acme.pub.pem"}],"rules":[]})") ==
        "identities[0].name: must be a string (got an integer)");
  CHECK(keys.Fails(R"({"identities":[{"name":"acme","key":"keys/acme.pub.pem"},)"
                   R"({"name":"acme","key":"keys/ci.pub.pem"}],"rules":[]})") ==
        "identities[1] \"acme\": duplicate identity name");
  CHECK(keys.Fails(R"({"identities":[{"name":"acme"}],"rules":[]})") ==
        "identities[0] \"acme\": names no signer; give exactly one of \"key\", "
        "\"certificateIdentity\" + \"certificateOidcIssuer\", or \"certificateChain\"");
  CHECK(keys.Fails(R"({"identities":[{"name":"acme","key":""}],"rules":[]})") ==
        "identities[0] \"acme\".key: must not be empty");
  CHECK(keys.Fails(R"({"identities":["acme"],"rules":[]})") ==
        "identities[0]: must be an object (got a string)");
}

TEST_CASE("rules must reference defined identities", "[config][policy]") {
  PolicyDir keys;
  const std::string identities =
      R"({"identities":[{"name":"acme","key":"keys/acme.pub.pem"}],"rules":)";
  CHECK(keys.Fails(identities + R"([{"repos":"acme/*","publishers":["acne"]}]})") ==
        "rules[0].publishers: unknown identity \"acne\" (did you mean acme?)");
  CHECK(keys.Fails(identities + R"([{"repos":"acme/*","publishers":["acme"],)"
                                R"("builders":["ci"]}]})") ==
        "rules[0].builders: unknown identity \"ci\"");
  CHECK(keys.Fails(identities + R"([{"repos":"acme/*","publishers":["acme","acme"]}]})") ==
        "rules[0].publishers: \"acme\" is listed twice");
  CHECK(keys.Fails(identities + R"([{"repos":"acme/*","publishers":[1]}]})") ==
        "rules[0].publishers: every entry must be a string");
  CHECK(keys.Fails(identities + R"([{"repos":"acme/*","publishers":"acme"}]})") ==
        "rules[0].publishers: must be an array of identity names (got a string)");
  CHECK(keys.Fails(identities + R"([{"repos":"acme/*"}]})") ==
        "rules[0]: names no publishers and no builders");
  CHECK(keys.Fails(identities + R"([{"repos":"acme/*","publishers":[],"builders":[]}]})") ==
        "rules[0]: names no publishers and no builders");
}

TEST_CASE("rule repos globs must be non-empty and plain", "[config][policy]") {
  PolicyDir keys;
  const std::string identities =
      R"({"identities":[{"name":"acme","key":"keys/acme.pub.pem"}],"rules":)";
  CHECK(keys.Fails(identities + R"([{"repos":"","publishers":["acme"]}]})") ==
        "rules[0].repos: must not be empty");
  CHECK(keys.Fails(identities + R"([{"publishers":["acme"]}]})") == "rules[0]: missing \"repos\"");
  CHECK(keys.Fails(identities + R"([{"repos":"acme/ x","publishers":["acme"]}]})") ==
        "rules[0].repos: must not contain spaces or control characters");
  CHECK(keys.Fails(identities + R"([{"repos":["acme/*"],"publishers":["acme"]}]})") ==
        "rules[0].repos: must be a string (got an array)");
}

TEST_CASE("unknown keys anywhere in the policy are rejected", "[config][policy]") {
  PolicyDir keys;
  CHECK(keys.Fails(R"({"identities":[],"rules":[],"maxdepth":3})") ==
        "maxdepth: unknown key (did you mean maxDepth?)");
  CHECK(keys.Fails(R"({"identities":[{"name":"acme","key":"keys/acme.pub.pem","kye":1}],)"
                   R"("rules":[]})") ==
        "identities[0] \"acme\".kye: unknown key (did you mean key?)");
  CHECK(keys.Fails(R"({"identities":[{"name":"acme","key":"keys/acme.pub.pem"}],)"
                   R"("rules":[{"repos":"a/*","publishers":["acme"],"publisher":[]}]})") ==
        "rules[0].publisher: unknown key (did you mean publishers?)");
}

TEST_CASE("policy structure errors", "[config][policy]") {
  PolicyDir keys;
  CHECK(keys.Fails(R"({"rules":[]})") == "missing \"identities\"");
  CHECK(keys.Fails(R"({"identities":[]})") == "missing \"rules\"");
  CHECK(keys.Fails(R"({"identities":{},"rules":[]})") ==
        "identities: must be an array (got an object)");
  CHECK(keys.Fails(R"({"identities":[],"rules":{}})") == "rules: must be an array (got an object)");
  CHECK(keys.Fails("[]") == "the policy must be a JSON object (got an array)");
  CHECK_THAT(keys.Fails(R"({"identities":[],)"), StartsWith("invalid JSON: parse error at line 1"));
  CHECK(keys.Fails(R"({"identities":[],"rules":[],"rules":[{"repos":"*/*"}]})") ==
        "invalid JSON: duplicate key \"rules\"");
  CHECK(keys.Fails(R"({"identities":[{"name":"a","name":"b"}],"rules":[]})") ==
        "invalid JSON: duplicate key \"name\" in identities[]");
}

}  // namespace
}  // namespace provbadge::config
