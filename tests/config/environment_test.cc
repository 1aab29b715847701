// Environment overrides, ProcessEnvironment and LoadConfig.
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <string>

#include "provbadge/config/config.h"
#include "test_support.h"

namespace provbadge::config {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using testing::TempDir;

std::string EnvFails(const std::string& json, const Environment& env) {
  Result<Config> config = ParseConfig(json, env, "");
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().code() == ErrorCode::kInvalidInput);
  return config.error().message();
}

TEST_CASE("every key can be overridden by its variable", "[config][env]") {
  Environment env = {
      {"PROVBADGE_QUEUE_KIND", "embedded"},      {"PROVBADGE_QUEUE_PATH", "/q.db"},
      {"PROVBADGE_QUEUE_MAX_ATTEMPTS", "7"},     {"PROVBADGE_QUEUE_RETRY_BASE_MS", "50"},
      {"PROVBADGE_STORE_KIND", "embedded"},      {"PROVBADGE_STORE_PATH", "/b.db"},
      {"PROVBADGE_HUB_KIND", "mirror"},          {"PROVBADGE_HUB_PATH", "/hub"},
      {"PROVBADGE_HTTP_LISTEN", "0.0.0.0:9090"}, {"PROVBADGE_HTTP_THREADS", "4"},
      {"PROVBADGE_WORKER_THREADS", "16"},        {"PROVBADGE_LOG_LEVEL", "warn"},
      {"PROVBADGE_LOG_FORMAT", "json"},          {"PROVBADGE_POLICY", "/p.json"},
  };
  Result<Config> config = ParseConfig("{}", env, "");
  REQUIRE(config.ok());
  CHECK(config->queue.path == "/q.db");
  CHECK(config->queue.max_attempts == 7);
  CHECK(config->queue.retry_base_ms == 50);
  CHECK(config->store.path == "/b.db");
  CHECK(config->hub.path == "/hub");
  CHECK(config->http.listen == "0.0.0.0:9090");
  CHECK(config->http.threads == 4);
  CHECK(config->worker.threads == 16);
  CHECK(config->log.level == "warn");
  CHECK(config->log.format == "json");
  CHECK(config->policy == "/p.json");
}

TEST_CASE("a variable wins over the file and other keys keep the file's value", "[config][env]") {
  Result<Config> config =
      ParseConfig(R"({"http":{"listen":"127.0.0.1:1","threads":3},"worker":{"threads":5}})",
                  {{"PROVBADGE_HTTP_LISTEN", "[::]:8443"}}, "");
  REQUIRE(config.ok());
  CHECK(config->http.listen == "[::]:8443");
  CHECK(config->http.threads == 3);
  CHECK(config->worker.threads == 5);
}

TEST_CASE("a variable does not excuse an invalid value in the file", "[config][env]") {
  // The file is validated on its own: an override does not excuse a bad file.
  CHECK(EnvFails(R"({"http":{"threads":0}})", {{"PROVBADGE_HTTP_THREADS", "2"}}) ==
        "http.threads: must be between 1 and 64 (got 0)");
}

TEST_CASE("invalid variable values name the variable", "[config][env]") {
  CHECK(EnvFails("{}", {{"PROVBADGE_WORKER_THREADS", "two"}}) ==
        "PROVBADGE_WORKER_THREADS: must be an integer (got 'two')");
  CHECK(EnvFails("{}", {{"PROVBADGE_WORKER_THREADS", ""}}) ==
        "PROVBADGE_WORKER_THREADS: must be an integer (got '')");
  CHECK(EnvFails("{}", {{"PROVBADGE_WORKER_THREADS", "4 "}}) ==
        "PROVBADGE_WORKER_THREADS: must be an integer (got '4 ')");
  CHECK(EnvFails("{}", {{"PROVBADGE_WORKER_THREADS", "0x10"}}) ==
        "PROVBADGE_WORKER_THREADS: must be an integer (got '0x10')");
  CHECK(EnvFails("{}", {{"PROVBADGE_WORKER_THREADS", "1.5"}}) ==
        "PROVBADGE_WORKER_THREADS: must be an integer (got '1.5')");
  CHECK(EnvFails("{}", {{"PROVBADGE_WORKER_THREADS", "0"}}) ==
        "PROVBADGE_WORKER_THREADS: must be between 1 and 256 (got 0)");
  CHECK(EnvFails("{}", {{"PROVBADGE_WORKER_THREADS", "99999999999999999999"}}) ==
        "PROVBADGE_WORKER_THREADS: must be between 1 and 256 (got 99999999999999999999)");
  CHECK(EnvFails("{}", {{"PROVBADGE_HTTP_LISTEN", "localhost"}}) ==
        "PROVBADGE_HTTP_LISTEN: must be host:port (e.g. 127.0.0.1:8080)");
  CHECK(EnvFails("{}", {{"PROVBADGE_QUEUE_KIND", "rabbitmq"}}) ==
        "queue.url: required when queue.kind is 'rabbitmq'");
  CHECK(EnvFails("{}", {{"PROVBADGE_STORE_KIND", "redis"}}) ==
        "store.url: required when store.kind is 'redis'");
  CHECK(EnvFails("{}", {{"PROVBADGE_QUEUE_URL", "kafka://x"}}) ==
        "PROVBADGE_QUEUE_URL: must start with amqp:// or amqps://");
  CHECK(EnvFails("{}", {{"PROVBADGE_LOG_LEVEL", "INFO"}}) ==
        "PROVBADGE_LOG_LEVEL: must be one of trace, debug, info, warn, error (got 'INFO')");
  CHECK(EnvFails("{}", {{"PROVBADGE_POLICY", ""}}) == "PROVBADGE_POLICY: must not be empty");
}

TEST_CASE("unknown PROVBADGE_ variables are errors, with a suggestion", "[config][env]") {
  CHECK(EnvFails("{}", {{"PROVBADGE_HTTP_LISTN", "0.0.0.0:1"}}) ==
        "PROVBADGE_HTTP_LISTN: unknown configuration variable (did you mean "
        "PROVBADGE_HTTP_LISTEN?)");
  CHECK(EnvFails("{}", {{"PROVBADGE_WORKERS", "4"}}) ==
        "PROVBADGE_WORKERS: unknown configuration variable");
  CHECK(EnvFails("{}", {{"PROVBADGE_", "x"}}) == "PROVBADGE_: unknown configuration variable");
  // The section and key must both be spelt as in the file: no partial names.
  CHECK_THAT(EnvFails("{}", {{"PROVBADGE_HTTP", "x"}}),
             StartsWith("PROVBADGE_HTTP: unknown configuration variable"));
}

TEST_CASE("variables without the PROVBADGE_ prefix are ignored", "[config][env]") {
  Result<Config> config = ParseConfig(
      "{}", {{"HOME", "/root"}, {"provbadge_http_listen", "junk"}, {"PROVBADGEHTTP", "x"}}, "");
  REQUIRE(config.ok());
  CHECK(config->http.listen == "127.0.0.1:8080");
}

TEST_CASE("relative paths from variables are resolved against base_dir", "[config][env]") {
  Result<Config> config =
      ParseConfig("{}", {{"PROVBADGE_POLICY", "p/policy.json"}}, "/etc/provbadge");
  REQUIRE(config.ok());
  CHECK(config->policy == "/etc/provbadge/p/policy.json");
}

TEST_CASE("ProcessEnvironment returns exactly the PROVBADGE_ variables", "[config][env]") {
  REQUIRE(setenv("PROVBADGE_CONFIGTEST_PROBE", "a=b", 1) == 0);
  REQUIRE(setenv("NOT_PROVBADGE_CONFIGTEST", "x", 1) == 0);
  Environment env = ProcessEnvironment();
  unsetenv("PROVBADGE_CONFIGTEST_PROBE");
  unsetenv("NOT_PROVBADGE_CONFIGTEST");
  REQUIRE(env.count("PROVBADGE_CONFIGTEST_PROBE") == 1);
  CHECK(env.at("PROVBADGE_CONFIGTEST_PROBE") == "a=b");
  CHECK(env.count("NOT_PROVBADGE_CONFIGTEST") == 0);
  for (const auto& [name, value] : env) CHECK_THAT(name, StartsWith("PROVBADGE_"));
}

TEST_CASE("LoadConfig resolves paths against the file's directory", "[config][load]") {
  TempDir dir;
  std::string path = dir.Write("etc/provbadge.json", R"({"queue":{"path":"q.db"}})");
  Result<Config> config = LoadConfig(path, {});
  REQUIRE(config.ok());
  CHECK(config->queue.path == dir.path() + "/etc/q.db");
  CHECK(config->policy == dir.path() + "/etc/policy.json");
}

TEST_CASE("LoadConfig names the file in errors from its text", "[config][load]") {
  TempDir dir;
  std::string path = dir.Write("provbadge.json", R"({"queue":{"knd":"embedded"}})");
  Result<Config> config = LoadConfig(path, {});
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().message() == path + ": queue.knd: unknown key (did you mean queue.kind?)");
}

TEST_CASE("LoadConfig does not blame the file for a bad variable", "[config][load]") {
  TempDir dir;
  std::string path = dir.Write("provbadge.json", "{}");
  Result<Config> config = LoadConfig(path, {{"PROVBADGE_HTTP_THREADS", "many"}});
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().message() == "PROVBADGE_HTTP_THREADS: must be an integer (got 'many')");
}

TEST_CASE("LoadConfig reports a missing file or a directory", "[config][load]") {
  TempDir dir;
  Result<Config> missing = LoadConfig(dir.path() + "/nope.json", {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
  CHECK_THAT(missing.error().message(), Contains("nope.json: no such file"));
  Result<Config> directory = LoadConfig(dir.path(), {});
  REQUIRE_FALSE(directory.ok());
  CHECK_THAT(directory.error().message(), Contains("not a regular file"));
}

TEST_CASE("LoadConfig refuses an oversized file", "[config][load]") {
  TempDir dir;
  std::string path = dir.Write("big.json", "{\"policy\":\"" + std::string(2 << 20, 'a') + "\"}");
  Result<Config> config = LoadConfig(path, {});
  REQUIRE_FALSE(config.ok());
  CHECK_THAT(config.error().message(), Contains("file is too large"));
}

}  // namespace
}  // namespace provbadge::config
