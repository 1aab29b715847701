// The cached badge read of the Redis badge store (redis_store.h "read cache"): GetBadgeJson
// served from a RedisReadCache while Redis client-side caching guards it.
//
// A miss reads with plain HGETs (the ref pointer's `commit`, then the revision's `badge`) on
// its own pool of connections, each with CLIENT TRACKING on REDIRECT <the invalidation
// connection's id> for the current session, so both keys are tracked and both are cached
// (entries for missing keys too). The ticket of each read is taken before it is sent
// (RedisReadCache::Begin), which closes the invalidation-before-reply race. Losing a tracked
// connection (a NULL reply, or the listener seeing it hang up) flushes the cache: Redis drops
// the tracking of a closed client. Outside a tracking session GetBadgeJson returns nullopt and
// the store reads uncached (its one-round-trip EVALSHA).
//
// Thread-safety: all methods are safe concurrently. Ownership: owns the cache, the read
// connections and the listener (declared so that the listener, which points at the pool's
// slots, stops first).
#ifndef PROVBADGE_BADGES_SRC_REDIS_TRACKED_READ_H_
#define PROVBADGE_BADGES_SRC_REDIS_TRACKED_READ_H_

#include <optional>
#include <string>
#include <string_view>

#include "redis_invalidation.h"
#include "redis_pool.h"
#include "redis_read_cache.h"

namespace provbadge::badges::internal {

class RedisTrackedReader {
 public:
  RedisTrackedReader(const RedisStoreOptions& options, const RedisEndpoint& endpoint);
  Status Start() { return listener_.Start(); }

  // BadgeStore::GetBadgeJson, or nullopt when there is no tracking session right now.
  std::optional<Result<std::optional<std::string>>> GetBadgeJson(std::string_view repo,
                                                                 std::string_view ref_or_commit,
                                                                 bool by_ref);
  ReadCacheStats Stats() const { return cache_.Stats(); }
  // After this process wrote `key` (or, Flush, many keys): drop it now, so a read after the
  // write never sees the old value while the server's invalidation is still on its way.
  void Forget(std::string_view key) { cache_.Forget(key); }
  void Flush() { cache_.Flush(); }

 private:
  using Lease = RedisPool::Lease;
  struct Session {
    uint64_t serial;
    int64_t client_id;
  };
  // HGET key field: from the cache, or read (taking `lease` on the first miss) and cached.
  Result<RedisReadCache::Value> Get(std::optional<Lease>& lease, const Session& session,
                                    const std::string& key, std::string_view field);
  // Turns tracking on for `session` (reconnecting a hung-up connection first). REQUIRES: mu.
  Status Track(RedisPool::Slot& slot, const Session& session);
  void OnDrop(RedisPool::Slot& slot);

  const std::string prefix_;
  const std::function<void(std::string_view)> before_insert_;
  RedisReadCache cache_;
  RedisPool pool_;
  RedisInvalidationListener listener_;
};

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_REDIS_TRACKED_READ_H_
