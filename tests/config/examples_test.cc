// The example files shipped in config/ parse, and say what the documentation says they say.
#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "provbadge/config/config.h"
#include "test_support.h"

namespace provbadge::config {
namespace {

std::string ExamplePath(const std::string& name) {
  return provbadge::testing::SourceDir() + "/config/" + name;
}

TEST_CASE("config/provbadge.example.json loads and sets every key to its default",
          "[config][examples]") {
  std::string path = ExamplePath("provbadge.example.json");
  Result<Config> loaded = LoadConfig(path, {});
  if (!loaded.ok()) FAIL(loaded.error().message());
  std::string dir = std::filesystem::path(path).lexically_normal().parent_path().string();
  // Every key appears in the example with the built-in default (paths resolved).
  Result<Config> defaults = ParseConfig(R"({"policy":"policy.example.json"})", {}, dir);
  REQUIRE(defaults.ok());
  const Config& a = *loaded;
  const Config& b = *defaults;
  CHECK(a.queue.kind == b.queue.kind);
  CHECK(a.queue.path == b.queue.path);
  CHECK(a.queue.path == dir + "/var/queue.db");
  CHECK(a.queue.max_attempts == b.queue.max_attempts);
  CHECK(a.queue.retry_base_ms == b.queue.retry_base_ms);
  CHECK(a.store.kind == b.store.kind);
  CHECK(a.store.path == dir + "/var/badges.db");
  CHECK(a.queue.url == b.queue.url);
  CHECK(a.queue.ca_file == b.queue.ca_file);
  CHECK(a.queue.prefetch == b.queue.prefetch);
  CHECK(a.queue.name == b.queue.name);
  CHECK(a.store.url == b.store.url);
  CHECK(a.store.read_cache == b.store.read_cache);
  CHECK(a.store.read_cache_max_entries == b.store.read_cache_max_entries);
  CHECK(a.store.read_cache_max_mb == b.store.read_cache_max_mb);
  CHECK(a.hub.kind == b.hub.kind);
  CHECK(a.hub.path == dir + "/hub");
  CHECK(a.http.listen == "127.0.0.1:8080");
  CHECK(a.http.threads == b.http.threads);
  CHECK(a.worker.threads == b.worker.threads);
  CHECK(a.log.level == b.log.level);
  CHECK(a.log.format == b.log.format);
  CHECK(a.policy == dir + "/policy.example.json");
}

TEST_CASE("config/policy.example.json is a well-formed policy", "[config][examples]") {
  std::string path = ExamplePath("policy.example.json");
  std::string text = testing::ReadFileOrThrow(path);
  std::string key = ExamplePath("keys/example-publisher.pub.pem");
  if (std::filesystem::exists(key)) {
    Result<verifier::TrustPolicy> policy = LoadPolicy(path);
    if (!policy.ok()) FAIL(policy.error().message());
    REQUIRE(policy->identities.size() == 1);
    CHECK(policy->identities[0].name == "example-publisher");
    CHECK(policy->rules.size() == 1);
    CHECK(policy->max_depth == 8);
  }
  // Whether or not the example key exists yet, everything else must check out: parse the
  // same text against a folder holding a freshly generated key at the same relative path.
  testing::TempDir dir;
  dir.Write("keys/example-publisher.pub.pem", testing::GenerateEcPublicKeyPem());
  Result<verifier::TrustPolicy> policy = ParsePolicy(text, dir.path());
  if (!policy.ok()) FAIL(policy.error().message());
  REQUIRE(policy->identities.size() == 1);
  CHECK(policy->identities[0].name == "example-publisher");
  REQUIRE(policy->rules.size() == 1);
  CHECK(policy->rules[0].repos == "example-org/*");
  CHECK(policy->rules[0].publishers == std::vector<std::string>{"example-publisher"});
  CHECK(policy->max_depth == 8);
}

// Every configuration key, as the documentation spells it.
const std::vector<std::string> kAllKeys = {
    "queue.kind", "queue.path", "queue.max_attempts", "queue.retry_base_ms", "store.kind",
    "store.path", "hub.kind", "hub.path", "http.listen", "http.threads", "worker.threads",
    "log.level", "log.format", "policy",
    // hub over HTTP, webhook ingest, shutdown
    "hub.url", "hub.token", "hub.token_file", "hub.ca_file", "hub.connect_timeout_ms",
    "hub.read_timeout_ms", "hub.max_attempts", "hub.retry_base_ms", "http.webhook_secret",
    "http.webhook_secret_file", "worker.shutdown_grace_ms",
    // admin API
    "http.admin_token", "http.admin_token_file",
    // signed verdicts
    "worker.verdict_key", "worker.verdict_key_id",
    // rabbitmq queue, redis store
    "queue.url", "queue.ca_file", "queue.prefetch", "queue.name", "store.url", "store.read_cache",
    "store.read_cache_max_entries", "store.read_cache_max_mb"};

std::string VariableFor(std::string key) {
  std::string name = "PROVBADGE_";
  for (char c : key)
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

TEST_CASE("the example file spells out exactly every key", "[config][examples]") {
  nlohmann::json example =
      nlohmann::json::parse(testing::ReadFileOrThrow(ExamplePath("provbadge.example.json")));
  std::set<std::string> present;
  for (const auto& [name, value] : example.items()) {
    if (!value.is_object()) {
      present.insert(name);
      continue;
    }
    for (const auto& [key, unused] : value.items()) present.insert(name + "." + key);
  }
  CHECK(present == std::set<std::string>(kAllKeys.begin(), kAllKeys.end()));
}

TEST_CASE("docs/configuration.md documents every key and its variable", "[config][examples]") {
  std::string docs =
      testing::ReadFileOrThrow(provbadge::testing::SourceDir() + "/docs/configuration.md");
  for (const std::string& key : kAllKeys) {
    INFO(key);
    CHECK(docs.find("`" + key + "`") != std::string::npos);
    CHECK(docs.find(VariableFor(key)) != std::string::npos);
    // And the variable really is the override for that key.
    Result<Config> config = ParseConfig("{}", {{VariableFor(key), "x"}}, "");
    if (!config.ok()) CHECK_THAT(config.error().message(), !Catch::Contains("unknown"));
  }
}

}  // namespace
}  // namespace provbadge::config
