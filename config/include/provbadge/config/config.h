// The provbadge configuration file and the trust policy file.
//
// One JSON file (example: config/provbadge.example.json; schema in README "Configuration").
// Every key can be overridden by an environment variable PROVBADGE_<SECTION>_<KEY>
// (upper case, e.g. PROVBADGE_HTTP_LISTEN=0.0.0.0:8080, PROVBADGE_QUEUE_KIND=embedded).
// Relative paths in the file are resolved against the file's directory.
// Loading never exits the process: a bad config is an kInvalidInput Error whose message names
// the key and the reason ("queue.kind: 'rabbitmq' is not available yet; use 'embedded'").
//
// Thread-safety: plain values and reentrant functions.
#ifndef PROVBADGE_CONFIG_CONFIG_H_
#define PROVBADGE_CONFIG_CONFIG_H_

#include <map>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"
#include "provbadge/verifier/policy.h"

namespace provbadge::config {

struct QueueConfig {
  std::string kind = "embedded";        // embedded | rabbitmq (not available yet)
  std::string path = "var/queue.db";    // embedded: SQLite file
  int max_attempts = 5;                 // deliveries before dead-lettering (1..100)
  int retry_base_ms = 1000;             // first retry delay; doubles per attempt (1..3600000)
};

struct StoreConfig {
  std::string kind = "embedded";        // embedded | redis (not available yet)
  std::string path = "var/badges.db";   // embedded: SQLite file
};

struct HubConfig {
  std::string kind = "mirror";          // mirror (a local hub mirror folder)
  std::string path = "hub";             // mirror: the folder
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port
  int threads = 2;                        // 1..64
};

struct WorkerConfig {
  int threads = 2;  // verification threads, 1..256
};

struct LogConfig {
  std::string level = "info";   // trace | debug | info | warn | error
  std::string format = "text";  // text | json (JSON lines)
};

struct Config {
  QueueConfig queue;
  StoreConfig store;
  HubConfig hub;
  HttpConfig http;
  WorkerConfig worker;
  LogConfig log;
  std::string policy = "policy.json";  // the trust policy file
};

using Environment = std::map<std::string, std::string>;
// The process environment's PROVBADGE_* variables.
Environment ProcessEnvironment();

// Parses `json` (the file's text), applies `env` overrides, resolves relative paths against
// `base_dir`, validates. Unknown keys are errors (a typo must not silently fall back).
Result<Config> ParseConfig(std::string_view json, const Environment& env,
                           const std::string& base_dir);
// Reads the file, then ParseConfig with its directory as base_dir.
Result<Config> LoadConfig(const std::string& path, const Environment& env);

// Trust policy file (README "Trust policy"): {"identities":[{"name","key":"pem path"}],
// "rules":[{"repos":"org/*","publishers":[names],"builders":[names]}], "maxDepth":8}.
// Key paths are relative to the policy file. Every identity named by a rule must exist.
// `digest` is "sha256:<hex>" over the file bytes.
Result<verifier::TrustPolicy> ParsePolicy(std::string_view json, const std::string& base_dir);
Result<verifier::TrustPolicy> LoadPolicy(const std::string& path);

}  // namespace provbadge::config

#endif  // PROVBADGE_CONFIG_CONFIG_H_
