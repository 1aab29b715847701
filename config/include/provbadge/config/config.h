// The provbadge configuration file and the trust policy file.
//
// One JSON file (example: config/provbadge.example.json; every key: docs/configuration.md).
// Every key can be overridden by an environment variable PROVBADGE_<SECTION>_<KEY>
// (upper case, e.g. PROVBADGE_HTTP_LISTEN=0.0.0.0:8080, PROVBADGE_QUEUE_KIND=embedded).
// Relative paths in the file are resolved against the file's directory.
// Loading never exits the process: a bad config is an kInvalidInput Error whose message names
// the key (or variable) and the reason ("queue.kind: must be one of embedded, rabbitmq (got
// 'kafka')"). A missing file is kNotFound.
//
// Thread-safety: plain values and reentrant functions (ProcessEnvironment reads `environ`; do
// not call it while another thread calls setenv).
#ifndef PROVBADGE_CONFIG_CONFIG_H_
#define PROVBADGE_CONFIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"
#include "provbadge/verifier/policy.h"

namespace provbadge::config {

struct QueueConfig {
  std::string kind = "embedded";      // embedded | rabbitmq
  std::string path = "var/queue.db";  // embedded: SQLite file
  int max_attempts = 5;               // deliveries before dead-lettering (1..100)
  int retry_base_ms = 1000;           // first retry delay; doubles per attempt (1..3600000)
  std::string url;                    // rabbitmq (required): amqp[s]://user:pass@host:port/vhost
  std::string ca_file;                // rabbitmq amqps: CA bundle; "" = system trust store
  int prefetch = 16;                  // rabbitmq: deliveries in flight per worker (1..65535)
  std::string name = "provbadge.events";  // rabbitmq: the name prefix (work queue <name>.v2)
};

struct StoreConfig {
  std::string kind = "embedded";       // embedded | redis
  std::string path = "var/badges.db";  // embedded: SQLite file
  std::string url;                     // redis (required): redis://[:password@]host:port/db
  // redis: badge reads served from memory, invalidated by Redis (client-side caching): on | off
  std::string read_cache = "on";
  int read_cache_max_entries = 100000;  // redis read cache bound: entries, 1..100000000
  int read_cache_max_mb = 64;           // redis read cache bound: MiB, 1..65536
};

struct HubConfig {
  std::string kind = "mirror";  // mirror (a local hub mirror folder) | http (the hub's API)
  std::string path = "hub";     // mirror: the folder
  std::string url = "https://huggingface.co";  // http: the hub's base URL (http or https)
  std::string token;                           // http: Bearer token ("" = anonymous); or token_file
  std::string token_file;          // http: a file holding the token (trailing newline dropped)
  std::string ca_file;             // http: extra trusted CA certificates (PEM); "" = system only
  int connect_timeout_ms = 10000;  // http: 1..600000
  int read_timeout_ms = 30000;     // http: per read/write, 1..3600000
  int max_attempts = 4;            // http: tries per request on 429/5xx/network errors, 1..20
  int retry_base_ms = 500;         // http: first backoff, doubled per try, 1..60000
};

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port
  int threads = 2;                        // 1..64
  // POST /v1/hooks/hub shared secret (X-Webhook-Secret); "" (and no file) disables the route.
  std::string webhook_secret;
  std::string webhook_secret_file;  // a file holding the secret (trailing newline dropped)
  // Bearer token of the admin API (POST /v1/admin/revocations); "" (and no file) disables it.
  std::string admin_token;
  std::string admin_token_file;  // a file holding the token (trailing newline dropped)
};

struct WorkerConfig {
  int threads = 2;  // verification threads, 1..256
  // On SIGTERM/SIGINT: how long in-flight verifications may run before they are handed back
  // to the queue (retried elsewhere), 0..3600000.
  int shutdown_grace_ms = 30000;
  // The key the worker signs each badge's verification summary (VSA) with: an EC P-256/P-384
  // private key in PEM (PKCS#8 or SEC1). "" = verdicts are not signed.
  std::string verdict_key;
  std::string verdict_key_id;  // the DSSE keyid of the verdict signatures; may be empty
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

// http.listen split into its parts. `host` is an IPv4 address, an IPv6 address (without the
// brackets it is written with) or a hostname.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
// Parses "host:port", "[ipv6]:port". kInvalidInput with the reason otherwise.
Result<ListenAddress> ParseListenAddress(std::string_view listen);

using Environment = std::map<std::string, std::string>;
// The process environment's PROVBADGE_* variables.
Environment ProcessEnvironment();

// Parses `json` (the file's text), applies `env` overrides, resolves relative paths against
// `base_dir` ("" leaves them relative), validates. Unknown keys, duplicate keys and unknown
// PROVBADGE_* variables are errors (a typo must not silently fall back to a default).
Result<Config> ParseConfig(std::string_view json, const Environment& env,
                           const std::string& base_dir);
// Reads the file, then ParseConfig with its (absolute) directory as base_dir. Errors from the
// file's text are prefixed with `path`; errors from `env` name only the variable.
Result<Config> LoadConfig(const std::string& path, const Environment& env);

// Trust policy file (schema: docs/policy.md):
//   {"identities":[{"name":"acme","key":"keys/acme.pub.pem"} |
//                  {"name","certificateIdentity","certificateOidcIssuer"} |
//                  {"name","certificateChain":"pki/ca.pem"}],
//    "trustedRoots":["roots/trusted_root.json"],
//    "rules":[{"repos":"org/*","publishers":[names],"builders":[names]}], "maxDepth":8,
//    "rehash":"small", "fidelity":"off"|"gguf-up-to-<N>-GB"|"always"}
// Key paths are relative to `base_dir` (LoadPolicy: the policy file's directory); every key is
// read and parsed here. Every identity named by a rule must exist. `digest` is "sha256:<hex>"
// over the file bytes. Errors are kInvalidInput naming the entry ("identities[0] \"acme\": key
// keys/acme.pub.pem: ..."); LoadPolicy gives kNotFound when the policy file itself is missing.
Result<verifier::TrustPolicy> ParsePolicy(std::string_view json, const std::string& base_dir);
Result<verifier::TrustPolicy> LoadPolicy(const std::string& path);

}  // namespace provbadge::config

#endif  // PROVBADGE_CONFIG_CONFIG_H_
