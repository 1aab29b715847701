// The in-process read cache of the Redis badge store (redis_tracked_read.h): Redis keys to the
// hash field last read from them, kept only while Redis server-assisted client-side caching
// (CLIENT TRACKING with REDIRECT to the invalidation connection) guards them. No hiredis here.
//
// Contracts:
//  - Entries exist only inside a tracking session (StartSession .. EndSession): outside one,
//    Find() misses and Begin() refuses, so every read goes to Redis.
//  - A read reply is inserted only through a Ticket taken by Begin() *before* the read was
//    sent, and only if neither its key (by generation stripe) was invalidated nor the cache
//    flushed or re-sessioned since. This closes the documented race of client-side caching:
//    an invalidation that overtakes the reply it invalidates (it travels on another connection)
//    cancels the insert instead of being lost. A stripe is shared by many keys, so an unrelated
//    invalidation may cancel an insert too; that only costs a later miss.
//  - Bounded: at most max_entries entries and max_bytes bytes (key + value + a fixed overhead
//    per entry); the least recently used entries are evicted first; a value larger than the
//    byte bound is never stored.
//  - A value may be "absent" (the key or field did not exist): Redis tracks missing keys too.
//
// Thread-safety: every method is safe to call concurrently (one mutex; counters are atomics).
// Ownership: owns copies of the keys and values.
#ifndef PROVBADGE_BADGES_SRC_REDIS_READ_CACHE_H_
#define PROVBADGE_BADGES_SRC_REDIS_READ_CACHE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "provbadge/badges/redis_store.h"

namespace provbadge::badges::internal {

class RedisReadCache {
 public:
  using Value = std::optional<std::string>;     // nullopt: absent in Redis
  static constexpr size_t kEntryOverhead = 96;  // bytes charged per entry besides key and value

  // What Begin() saw; pass it back to Complete().
  struct Ticket {
    uint64_t epoch = 0;
    uint64_t generation = 0;
    size_t stripe = 0;
  };

  RedisReadCache(size_t max_entries, size_t max_bytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The cached value of `key` (a hit), or nullopt (a miss). Counts either.
  std::optional<Value> Find(std::string_view key);
  // Before a read of `key` is sent on a connection whose tracking redirects to the session
  // `session` (StartSession's serial): a ticket, or nullopt when that is not the live session.
  std::optional<Ticket> Begin(std::string_view key, uint64_t session);
  // After the reply: stores `value` unless the ticket went stale (counted as a discard).
  void Complete(std::string_view key, const Ticket& ticket, Value value);

  // An invalidation message named `key` (counted).
  void Invalidate(std::string_view key);
  // The same for a write of this process (not counted): read-your-writes, without waiting for
  // the server's message, which travels on another connection and may come later.
  void Forget(std::string_view key);
  // Everything goes, and every read in progress is cancelled (flushall, a lost connection).
  void Flush();
  // The invalidation connection `client_id` is subscribed: a new session (flushes). Returns
  // its serial (never 0).
  uint64_t StartSession(int64_t client_id);
  // The invalidation connection is gone: flush, and no caching until the next session.
  void EndSession();
  // The live session's serial and client id; {0, 0} when there is none.
  std::pair<uint64_t, int64_t> Session() const;

  ReadCacheStats Stats() const;

 private:
  static constexpr size_t kStripes = 4096;
  struct Node {
    std::string key;
    Value value;
    size_t bytes = 0;
  };
  using Lru = std::list<Node>;  // front: most recently used

  void FlushLocked();
  void EraseLocked(Lru::iterator it);
  static size_t StripeOf(std::string_view key);

  const size_t max_entries_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  Lru lru_;                                                    // guarded by mu_
  std::unordered_map<std::string_view, Lru::iterator> index_;  // keys point into lru_ nodes
  std::array<uint64_t, kStripes> generation_{};                // guarded by mu_
  uint64_t epoch_ = 1;                                         // guarded by mu_; bumped by flushes
  uint64_t session_ = 0;                                       // guarded by mu_; 0: none
  uint64_t last_session_ = 0;                                  // guarded by mu_
  int64_t client_id_ = 0;                                      // guarded by mu_
  size_t bytes_ = 0;                                           // guarded by mu_
  std::atomic<uint64_t> hits_{0}, misses_{0}, invalidations_{0}, flushes_{0}, evictions_{0},
      discards_{0};
};

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_REDIS_READ_CACHE_H_
