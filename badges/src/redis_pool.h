// The connection pool of the Redis badge store (redis_store.cc): hiredis 0.14 connections,
// one mutex each, (re)connected lazily with the command timeout and keepalive applied, and
// scripts run by EVALSHA with a fallback to EVAL. Internal to badges/.
//
// Thread-safety: PickSlot() is safe concurrently; a Slot is used only while its mutex is held
// (the Lease), except `hung_up`, which the invalidation listener sets from its thread.
// Ownership: owns its connections.
#ifndef PROVBADGE_BADGES_SRC_REDIS_POOL_H_
#define PROVBADGE_BADGES_SRC_REDIS_POOL_H_

#include <hiredis/hiredis.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/badges/redis_store.h"

namespace provbadge::badges::internal {

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;

// A Lua script: its source and, once loaded, its SHA1.
struct RedisScript {
  std::string source;
  std::string sha;
};

inline std::string ReplyText(const redisReply* r) {
  return r->str == nullptr ? std::string() : std::string(r->str, r->len);
}

class RedisPool {
 public:
  // One pooled connection; `ctx` is null while disconnected.
  struct Slot {
    std::mutex mu;
    ContextPtr ctx;
    // Tracked reads only (redis_tracked_read.h): the cache session this connection's CLIENT
    // TRACKING redirects to (0: tracking off), and whether the invalidation listener saw the
    // server hang up on it (the connection must then be dropped before its next use).
    uint64_t tracking_session = 0;
    std::atomic<bool> hung_up{false};
  };
  // Runs (slot.mu held) just before a connection of the pool is closed.
  using DropHook = std::function<void(Slot&)>;
  // A slot held for the duration of one store call.
  class Lease {
   public:
    explicit Lease(Slot& slot) : slot_(slot), lock_(slot.mu) {}
    Slot& slot() { return slot_; }

   private:
    Slot& slot_;
    std::lock_guard<std::mutex> lock_;
  };

  RedisPool(RedisStoreOptions options, RedisEndpoint endpoint, DropHook on_drop = nullptr)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        on_drop_(std::move(on_drop)),
        slots_(options_.pool_size) {}

  Slot& PickSlot() { return slots_[next_slot_++ % slots_.size()]; }
  Slot& FirstSlot() { return slots_[0]; }

  // Sends one command (connecting first if needed). A NULL reply means the connection is
  // dead: it is dropped and the next call reconnects. ERROR replies are returned as replies.
  // REQUIRES: slot.mu held.
  Result<ReplyPtr> Run(Slot& slot, const std::vector<std::string_view>& args);
  // EVALSHA, falling back to EVAL when the server lost its script cache. REQUIRES: slot.mu.
  Result<ReplyPtr> Eval(Slot& slot, const RedisScript& script, const std::vector<std::string>& keys,
                        const std::vector<std::string>& argv);
  // SCRIPT LOAD; sets script.sha. REQUIRES: slot.mu held.
  Status Load(Slot& slot, RedisScript& script);
  // Closes the slot's connection (the next Run reconnects). REQUIRES: slot.mu held.
  void Drop(Slot& slot);

  std::string Where() const;
  Error Unexpected(const redisReply* r, std::string_view what) const;
  Status ExpectInteger(const Result<ReplyPtr>& reply, std::string_view what) const;
  const std::string& prefix() const { return options_.key_prefix; }

 private:
  Status Connect(Slot& slot);
  Status Expect(Slot& slot, const std::vector<std::string_view>& args, std::string_view what);

  const RedisStoreOptions options_;
  const RedisEndpoint endpoint_;
  const DropHook on_drop_;
  std::vector<Slot> slots_;
  std::atomic<size_t> next_slot_{0};
};

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_REDIS_POOL_H_
