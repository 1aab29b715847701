// The invalidation side of the Redis read cache (redis_tracked_read.h): one thread that owns a
// dedicated connection SUBSCRIBEd to __redis__:invalidate (RESP2 client-side caching: the
// tracked read connections run CLIENT TRACKING on REDIRECT <its CLIENT ID>), and feeds every
// message into the RedisReadCache:
//  - a message naming keys invalidates them; a null message (FLUSHALL/FLUSHDB) flushes all;
//  - the session starts (RedisReadCache::StartSession) only once SUBSCRIBE is confirmed, and
//    ends (EndSession: flush, no caching) the moment the connection is lost, fails to answer
//    a PING within the command timeout (sent every ping_interval), or the listener stops;
//    it then reconnects with backoff (50 ms doubling to 2 s) and starts a new session, which
//    makes every tracked connection re-issue CLIENT TRACKING before it caches again;
//  - it also watches the sockets of the tracked read connections (Watch/Unwatch) for a hang-up
//    (POLLRDHUP: CLIENT KILL, server timeout, restart). Redis forgets the tracking of a closed
//    client, so keys read through it would never be invalidated: the cache is flushed and the
//    slot marked `hung_up`, so its owner reconnects it before its next read.
//
// Thread-safety: Watch/Unwatch and the destructor are safe from any thread. Ownership: owns the
// thread, the subscriber connection and an eventfd; borrows the cache (must outlive this).
#ifndef PROVBADGE_BADGES_SRC_REDIS_INVALIDATION_H_
#define PROVBADGE_BADGES_SRC_REDIS_INVALIDATION_H_

#include <poll.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "redis_pool.h"
#include "redis_read_cache.h"

namespace provbadge::badges::internal {

class RedisInvalidationListener {
 public:
  RedisInvalidationListener(const RedisStoreOptions& options, const RedisEndpoint& endpoint,
                            RedisReadCache& cache);
  ~RedisInvalidationListener();
  RedisInvalidationListener(const RedisInvalidationListener&) = delete;
  RedisInvalidationListener& operator=(const RedisInvalidationListener&) = delete;

  // Starts the thread (the first session begins once it has subscribed).
  Status Start();
  // Watches `fd`, the socket of `slot` (slot.mu held by the caller), for a hang-up.
  void Watch(RedisPool::Slot& slot, int fd);
  // Stops watching `slot`; call before its connection is closed (slot.mu held).
  void Unwatch(RedisPool::Slot& slot);

 private:
  struct Watched {
    RedisPool::Slot* slot;
    int fd;
    uint64_t serial;  // tells a re-registered slot (same fd number reused) from the old one
  };
  void Loop();
  // Connects, reads CLIENT ID, subscribes. REQUIRES: the listener thread.
  Result<int64_t> Subscribe();
  // Serves one session until the connection is lost or Stop. REQUIRES: the listener thread.
  void Serve();
  // Drains every complete reply the reader holds; false when the connection is unusable.
  bool HandleReplies(bool& pong);
  bool SendPing();
  void CheckHangups(const std::vector<pollfd>& fds, const std::vector<Watched>& polled);
  void Wake();
  void Sleep(std::chrono::milliseconds pause);

  RedisPool pool_;  // one slot: the subscriber connection
  RedisReadCache& cache_;
  const std::chrono::milliseconds ping_interval_;
  const std::chrono::milliseconds pong_timeout_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex watch_mu_;
  std::vector<Watched> watched_;  // guarded by watch_mu_
  uint64_t watch_serial_ = 0;     // guarded by watch_mu_
  std::thread thread_;
};

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_REDIS_INVALIDATION_H_
