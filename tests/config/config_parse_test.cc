// ParseConfig: defaults, every key, and every kind of error in the file's text.
#include <catch2/catch.hpp>

#include <string>

#include "provbadge/config/config.h"

namespace provbadge::config {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

Config ParseOk(const std::string& json) {
  Result<Config> config = ParseConfig(json, {}, "");
  INFO(json);
  if (!config.ok()) FAIL(config.error().message());
  return *config;
}

// The error message; fails the test when parsing succeeds.
std::string ParseFails(const std::string& json) {
  Result<Config> config = ParseConfig(json, {}, "");
  INFO(json);
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().code() == ErrorCode::kInvalidInput);
  return config.error().message();
}

TEST_CASE("an empty object gives the documented defaults", "[config]") {
  Config config = ParseOk("{}");
  CHECK(config.queue.kind == "embedded");
  CHECK(config.queue.path == "var/queue.db");
  CHECK(config.queue.max_attempts == 5);
  CHECK(config.queue.retry_base_ms == 1000);
  CHECK(config.store.kind == "embedded");
  CHECK(config.store.path == "var/badges.db");
  CHECK(config.hub.kind == "mirror");
  CHECK(config.hub.path == "hub");
  CHECK(config.http.listen == "127.0.0.1:8080");
  CHECK(config.http.threads == 2);
  CHECK(config.worker.threads == 2);
  CHECK(config.log.level == "info");
  CHECK(config.log.format == "text");
  CHECK(config.policy == "policy.json");
}

TEST_CASE("empty sections keep the defaults", "[config]") {
  Config config = ParseOk(R"({"queue":{},"store":{},"hub":{},"http":{},"worker":{},"log":{}})");
  CHECK(config.queue.max_attempts == 5);
  CHECK(config.http.listen == "127.0.0.1:8080");
}

TEST_CASE("every key is read from the file", "[config]") {
  Config config = ParseOk(R"({
    "queue": {"kind": "embedded", "path": "/srv/q.db", "max_attempts": 9, "retry_base_ms": 250},
    "store": {"kind": "embedded", "path": "/srv/b.db"},
    "hub": {"kind": "mirror", "path": "/srv/hub"},
    "http": {"listen": "[::1]:0", "threads": 7},
    "worker": {"threads": 33},
    "log": {"level": "debug", "format": "json"},
    "policy": "/etc/provbadge/policy.json"
  })");
  CHECK(config.queue.path == "/srv/q.db");
  CHECK(config.queue.max_attempts == 9);
  CHECK(config.queue.retry_base_ms == 250);
  CHECK(config.store.path == "/srv/b.db");
  CHECK(config.hub.path == "/srv/hub");
  CHECK(config.http.listen == "[::1]:0");
  CHECK(config.http.threads == 7);
  CHECK(config.worker.threads == 33);
  CHECK(config.log.level == "debug");
  CHECK(config.log.format == "json");
  CHECK(config.policy == "/etc/provbadge/policy.json");
}

TEST_CASE("every log level is accepted", "[config]") {
  for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
    CHECK(ParseOk(std::string(R"({"log":{"level":")") + level + R"("}})").log.level == level);
  }
}

TEST_CASE("range bounds are inclusive", "[config]") {
  Config low = ParseOk(
      R"({"queue":{"max_attempts":1,"retry_base_ms":1},"http":{"threads":1},"worker":{"threads":1}})");
  CHECK(low.queue.max_attempts == 1);
  CHECK(low.queue.retry_base_ms == 1);
  CHECK(low.http.threads == 1);
  CHECK(low.worker.threads == 1);
  Config high =
      ParseOk(R"({"queue":{"max_attempts":100,"retry_base_ms":3600000},"http":{"threads":64},)"
              R"("worker":{"threads":256}})");
  CHECK(high.queue.max_attempts == 100);
  CHECK(high.queue.retry_base_ms == 3600000);
  CHECK(high.http.threads == 64);
  CHECK(high.worker.threads == 256);
}

TEST_CASE("out-of-range integers name the key and the range", "[config]") {
  CHECK(ParseFails(R"({"queue":{"max_attempts":0}})") ==
        "queue.max_attempts: must be between 1 and 100 (got 0)");
  CHECK(ParseFails(R"({"queue":{"max_attempts":101}})") ==
        "queue.max_attempts: must be between 1 and 100 (got 101)");
  CHECK(ParseFails(R"({"queue":{"retry_base_ms":3600001}})") ==
        "queue.retry_base_ms: must be between 1 and 3600000 (got 3600001)");
  CHECK(ParseFails(R"({"http":{"threads":65}})") ==
        "http.threads: must be between 1 and 64 (got 65)");
  CHECK(ParseFails(R"({"worker":{"threads":-1}})") ==
        "worker.threads: must be between 1 and 256 (got -1)");
  CHECK(ParseFails(R"({"worker":{"threads":257}})") ==
        "worker.threads: must be between 1 and 256 (got 257)");
  // Larger than any int: must not wrap around into the range.
  CHECK(ParseFails(R"({"worker":{"threads":4294967298}})") ==
        "worker.threads: must be between 1 and 256 (got 4294967298)");
  CHECK(ParseFails(R"({"worker":{"threads":18446744073709551615}})") ==
        "worker.threads: must be between 1 and 256 (got 18446744073709551615)");
}

TEST_CASE("wrong types name the key and the expected type", "[config]") {
  CHECK(ParseFails(R"({"http":{"threads":"2"}})") ==
        "http.threads: must be an integer (got a string)");
  CHECK(ParseFails(R"({"http":{"threads":2.5}})") ==
        "http.threads: must be an integer (got a number with a fraction)");
  CHECK(ParseFails(R"({"http":{"threads":2.0}})") ==
        "http.threads: must be an integer (got a number with a fraction)");
  CHECK(ParseFails(R"({"worker":{"threads":true}})") ==
        "worker.threads: must be an integer (got a boolean)");
  CHECK(ParseFails(R"({"queue":{"kind":1}})") == "queue.kind: must be a string (got an integer)");
  CHECK(ParseFails(R"({"http":{"listen":null}})") == "http.listen: must be a string (got null)");
  CHECK(ParseFails(R"({"policy":["a"]})") == "policy: must be a string (got an array)");
  CHECK(ParseFails(R"({"queue":"embedded"})") == "queue: must be an object (got a string)");
  CHECK(ParseFails(R"({"log":[]})") == "log: must be an object (got an array)");
  CHECK(ParseFails("[]") == "the configuration must be a JSON object (got an array)");
  CHECK(ParseFails("\"x\"") == "the configuration must be a JSON object (got a string)");
}

TEST_CASE("unknown keys and sections are named, with a suggestion", "[config]") {
  CHECK(ParseFails(R"({"queue":{"knd":"embedded"}})") ==
        "queue.knd: unknown key (did you mean queue.kind?)");
  CHECK(ParseFails(R"({"http":{"port":8080}})") == "http.port: unknown key");
  CHECK(ParseFails(R"({"queu":{}})") == "queu: unknown section (did you mean queue?)");
  CHECK(ParseFails(R"({"metrics":{}})") == "metrics: unknown section");
  CHECK(ParseFails(R"({"polcy":"p.json"})") == "polcy: unknown section (did you mean policy?)");
  // A key of one section is unknown in another.
  CHECK(ParseFails(R"({"store":{"max_attempts":3}})") == "store.max_attempts: unknown key");
}

TEST_CASE("rabbitmq queue and redis store are configured and validated", "[config]") {
  Config config = ParseOk(
      R"({"queue":{"kind":"rabbitmq","url":"amqps://u:p@mq.internal:5671/%2f","ca_file":"ca.pem",)"
      R"("prefetch":32,"name":"hub.uploads"},)"
      R"("store":{"kind":"redis","url":"redis://:pw@cache:6380/2","read_cache":"off",)"
      R"("read_cache_max_entries":500,"read_cache_max_mb":8}})");
  CHECK(config.queue.kind == "rabbitmq");
  CHECK(config.queue.url == "amqps://u:p@mq.internal:5671/%2f");
  CHECK(config.queue.ca_file == "ca.pem");
  CHECK(config.queue.prefetch == 32);
  CHECK(config.queue.name == "hub.uploads");
  CHECK(config.store.kind == "redis");
  CHECK(config.store.url == "redis://:pw@cache:6380/2");
  CHECK(config.store.read_cache == "off");
  CHECK(config.store.read_cache_max_entries == 500);
  CHECK(config.store.read_cache_max_mb == 8);
  Config defaults = ParseOk("{}");
  CHECK(defaults.store.read_cache == "on");
  CHECK(defaults.store.read_cache_max_entries == 100000);
  CHECK(defaults.store.read_cache_max_mb == 64);
  CHECK(ParseFails(R"({"store":{"read_cache":"yes"}})") ==
        "store.read_cache: must be one of on, off (got 'yes')");
  CHECK(ParseFails(R"({"store":{"read_cache_max_mb":0}})") ==
        "store.read_cache_max_mb: must be between 1 and 65536 (got 0)");
  CHECK(defaults.queue.url.empty());
  CHECK(defaults.queue.ca_file.empty());
  CHECK(defaults.queue.prefetch == 16);
  CHECK(defaults.queue.name == "provbadge.events");
  CHECK(defaults.store.url.empty());

  CHECK(ParseFails(R"({"queue":{"kind":"rabbitmq"}})") ==
        "queue.url: required when queue.kind is 'rabbitmq'");
  CHECK(ParseFails(R"({"store":{"kind":"redis"}})") ==
        "store.url: required when store.kind is 'redis'");
  CHECK(ParseFails(R"({"queue":{"url":"http://mq:5672"}})") ==
        "queue.url: must start with amqp:// or amqps://");
  CHECK(ParseFails(R"({"queue":{"url":"amqp://u:secret pw@mq"}})") ==
        "queue.url: must not contain spaces or control characters");
  CHECK(ParseFails(R"({"store":{"url":"rediss://cache:6380"}})") ==
        "store.url: must start with redis://");
  CHECK(ParseFails(R"({"queue":{"prefetch":0}})") ==
        "queue.prefetch: must be between 1 and 65535 (got 0)");
  CHECK(ParseFails(R"({"queue":{"name":""}})") == "queue.name: must be 1-200 bytes");
  // The url of a backend that is not selected may stay empty.
  CHECK(ParseOk(R"({"queue":{"kind":"embedded"},"store":{"kind":"embedded"}})").queue.url.empty());
}

TEST_CASE("unknown queue and store backends are rejected clearly", "[config]") {
  CHECK(ParseFails(R"({"queue":{"kind":"kafka"}})") ==
        "queue.kind: must be one of embedded, rabbitmq (got 'kafka')");
  CHECK(ParseFails(R"({"queue":{"kind":"Embedded"}})") ==
        "queue.kind: must be one of embedded, rabbitmq (got 'Embedded')");
  CHECK(ParseFails(R"({"store":{"kind":""}})") ==
        "store.kind: must be one of embedded, redis (got '')");
  CHECK(ParseFails(R"({"hub":{"kind":"ftp"}})") ==
        "hub.kind: must be one of mirror, http (got 'ftp')");
}

TEST_CASE("log level and format are checked", "[config]") {
  CHECK(ParseFails(R"({"log":{"level":"verbose"}})") ==
        "log.level: must be one of trace, debug, info, warn, error (got 'verbose')");
  CHECK(ParseFails(R"({"log":{"format":"xml"}})") ==
        "log.format: must be one of text, json (got 'xml')");
}

TEST_CASE("http.listen must be host:port", "[config]") {
  CHECK(ParseFails(R"({"http":{"listen":"8080"}})") ==
        "http.listen: must be host:port (e.g. 127.0.0.1:8080)");
  CHECK(ParseFails(R"({"http":{"listen":"127.0.0.1:99999"}})") ==
        "http.listen: port 99999 is out of range (0 to 65535)");
  CHECK(ParseFails(R"({"http":{"listen":"::1:80"}})") ==
        "http.listen: an IPv6 address must be in brackets, e.g. [::1]:8080");
  CHECK_THAT(ParseFails(R"({"http":{"listen":"300.1.1.1:80"}})"),
             StartsWith("http.listen: '300.1.1.1' is not a valid IPv4 address"));
  CHECK_THAT(ParseFails(R"({"http":{"listen":""}})"), StartsWith("http.listen: "));
}

TEST_CASE("paths must not be empty", "[config]") {
  CHECK(ParseFails(R"({"queue":{"path":""}})") == "queue.path: must not be empty");
  CHECK(ParseFails(R"({"store":{"path":""}})") == "store.path: must not be empty");
  CHECK(ParseFails(R"({"hub":{"path":""}})") == "hub.path: must not be empty");
  CHECK(ParseFails(R"({"policy":""})") == "policy: must not be empty");
  CHECK(ParseFails(R"({"policy":"a\u0000b"})") == "policy: must not contain control characters");
}

TEST_CASE("malformed JSON reports the parser's position", "[config]") {
  CHECK_THAT(ParseFails("{\n  \"queue\": {\"kind\": \"embedded\",}\n}"),
             StartsWith("invalid JSON: parse error at line 2, column"));
  CHECK_THAT(ParseFails(""), StartsWith("invalid JSON: parse error at line 1, column 1"));
  CHECK_THAT(ParseFails("{} {}"), StartsWith("invalid JSON: parse error at line 1, column 4"));
  CHECK_THAT(ParseFails("{\"queue\": {"), StartsWith("invalid JSON: parse error at line 1"));
}

TEST_CASE("a duplicated key is an error, not last-one-wins", "[config]") {
  CHECK(ParseFails(R"({"queue":{"kind":"embedded","kind":"rabbitmq"}})") ==
        "invalid JSON: duplicate key \"kind\" in queue");
  CHECK(ParseFails(R"({"policy":"a.json","policy":"b.json"})") ==
        "invalid JSON: duplicate key \"policy\"");
  // The same key in two different objects is fine.
  ParseOk(R"({"queue":{"path":"/a"},"store":{"path":"/b"}})");
}

TEST_CASE("deeply nested JSON is rejected without recursion trouble", "[config]") {
  std::string deep(100000, '[');
  CHECK(ParseFails(deep) == "invalid JSON: nesting deeper than 32 levels");
}

TEST_CASE("relative paths are resolved against base_dir, absolute ones kept", "[config]") {
  Result<Config> config = ParseConfig(
      R"({"queue":{"path":"var/q.db"},"store":{"path":"/abs/b.db"},"hub":{"path":"../hub"},)"
      R"("policy":"./policy.json"})",
      {}, "/etc/provbadge");
  REQUIRE(config.ok());
  CHECK(config->queue.path == "/etc/provbadge/var/q.db");
  CHECK(config->store.path == "/abs/b.db");
  CHECK(config->hub.path == "/etc/hub");
  CHECK(config->policy == "/etc/provbadge/policy.json");
  // Non-path strings are left alone.
  CHECK(config->http.listen == "127.0.0.1:8080");
}

TEST_CASE("default paths are resolved too", "[config]") {
  Result<Config> config = ParseConfig("{}", {}, "/srv/pb");
  REQUIRE(config.ok());
  CHECK(config->queue.path == "/srv/pb/var/queue.db");
  CHECK(config->store.path == "/srv/pb/var/badges.db");
  CHECK(config->hub.path == "/srv/pb/hub");
  CHECK(config->policy == "/srv/pb/policy.json");
}

}  // namespace
}  // namespace provbadge::config
