// The production badge store on Redis (hiredis 0.14). First-class: same contract as the
// embedded SQLite store (badge_store.h).
//
// Key layout (README.md "Redis key layout"), designed for a web tier that reads Redis directly:
//   <prefix>:badge:{<org/name>}:<commit>  hash {seq, state, badge, report, vsa, updated_at}
//   <prefix>:ref:{<org/name>}:<ref>       hash {commit, seq}
//   plus the lineage cache, lineage index and revocations (README; redis_lineage_scripts.h).
// The braces are a Redis Cluster hash tag, so every badge key of one repository lives in one
// slot. In each part, '%', '{' and '}' are percent-encoded (%25, %7B, %7D); valid repo names,
// commits and git ref names other than hostile ones never contain them. The lineage index,
// revocations, MoveRepo and PurgeRepo span several slots: a single Redis node is required.
//
// GetBadgeJson, uncached, is one round trip: HGET of the badge field by commit, or one EVALSHA
// that follows the ref pointer and returns the badge field. With the read cache on (the
// default; redis_tracked_read.h) it is served from memory while Redis server-assisted
// client-side caching guards the entry: a separate small pool of read connections runs CLIENT
// TRACKING on REDIRECT to a connection SUBSCRIBEd to __redis__:invalidate, and reads with
// plain HGETs (the ref pointer, then the badge field: Redis 7.0 tracks only the declared KEYS
// of a script, not the badge hash the read script finds through the pointer), so every key an
// entry came from is tracked. Whenever invalidations may have been missed (the invalidation
// connection lost or not yet subscribed, a tracked connection lost), the cache is flushed and
// reads go to Redis until tracking is back.
//
// Put() runs the whole contract (seq guard, pending replaced by the final badge of the same
// seq, ref pointer never backwards) as one Lua script (EVALSHA, falling back to EVAL on
// NOSCRIPT), so concurrent workers and readers never see a half-done write.
//
// Ownership: owns a small pool of connections. Thread-safety: all methods are safe to call
// concurrently; each call takes one pooled connection under its mutex. A dead connection
// (a NULL reply: timeout, EOF, reset) is dropped and reconnected on its next use, with the
// command timeout and keepalive re-applied. Every Redis fault is kUnavailable.
#ifndef PROVBADGE_BADGES_REDIS_STORE_H_
#define PROVBADGE_BADGES_REDIS_STORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/badges/badge_store.h"

namespace provbadge::badges {

// redis://[[user]:password@]host[:port][/db] (port 6379, db 0 by default).
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
};
// kInvalidInput naming the part that is wrong; never echoes the password.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

struct RedisStoreOptions {
  std::string url;                       // see ParseRedisUrl
  std::string key_prefix = "provbadge";  // first part of every key
  int pool_size = 4;                     // connections (1..64)
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  // The badge read cache (see above): on/off, and its bounds.
  bool read_cache = true;
  size_t read_cache_max_entries = 100'000;
  size_t read_cache_max_bytes = size_t{64} << 20;
  // How often the invalidation connection PINGs; no PONG within command_timeout counts as a
  // lost connection (flush, reconnect), which bounds staleness on a silent network failure.
  std::chrono::milliseconds tracking_ping_interval{1000};
  // Tests only: runs after a tracked read's reply arrived and before it is cached, with the key.
  std::function<void(std::string_view key)> read_cache_before_insert;
};

// The keys of the layout above.
std::string RedisBadgeKey(std::string_view prefix, std::string_view repo, std::string_view commit);
std::string RedisRefKey(std::string_view prefix, std::string_view repo, std::string_view ref);
// "<prefix>:<kind>:{<repo>}:<last>" and "<prefix>:<kind>:{<tag>}", parts escaped as above.
std::string RedisRepoKey(std::string_view prefix, std::string_view kind, std::string_view repo,
                         std::string_view last);
std::string RedisTaggedKey(std::string_view prefix, std::string_view kind, std::string_view tag);
// Members of the lineage sets and revocation fields/values: each part as "<length>:<bytes>".
std::string RedisJoinFields(const std::vector<std::string_view>& parts);
// nullopt when `text` is not a valid encoding.
std::optional<std::vector<std::string>> RedisSplitFields(std::string_view text);

// Connects one pooled connection and loads the script, so a wrong URL or an unreachable server
// fails here (kUnavailable; kInvalidInput for bad options).
Result<std::unique_ptr<BadgeStore>> OpenRedisBadgeStore(const RedisStoreOptions& options);

}  // namespace provbadge::badges

#endif  // PROVBADGE_BADGES_REDIS_STORE_H_
