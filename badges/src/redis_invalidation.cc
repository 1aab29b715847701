// RedisInvalidationListener (redis_invalidation.h).
#include "redis_invalidation.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace provbadge::badges::internal {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kChannel = "__redis__:invalidate";
constexpr milliseconds kFirstBackoff{50};
constexpr milliseconds kMaxBackoff{2000};
constexpr short kHangup = POLLRDHUP | POLLHUP | POLLERR | POLLNVAL;

RedisStoreOptions SubscriberOptions(RedisStoreOptions options) {
  options.pool_size = 1;
  return options;
}

bool IsText(const redisReply* r, std::string_view text) {
  return r->type == REDIS_REPLY_STRING && std::string_view(r->str, r->len) == text;
}

int TimeoutMs(Clock::time_point until) {
  auto left = std::chrono::ceil<milliseconds>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 60'000));
}

}  // namespace

RedisInvalidationListener::RedisInvalidationListener(const RedisStoreOptions& options,
                                                     const RedisEndpoint& endpoint,
                                                     RedisReadCache& cache)
    : pool_(SubscriberOptions(options), endpoint),
      cache_(cache),
      ping_interval_(options.tracking_ping_interval),
      pong_timeout_(options.command_timeout) {}

RedisInvalidationListener::~RedisInvalidationListener() {
  stop_ = true;
  if (thread_.joinable()) {
    Wake();
    thread_.join();
  }
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status RedisInvalidationListener::Start() {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Internal(std::string("redis read cache: eventfd: ") + strerror(errno));
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void RedisInvalidationListener::Watch(RedisPool::Slot& slot, int fd) {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    std::erase_if(watched_, [&](const Watched& w) { return w.slot == &slot; });
    watched_.push_back(Watched{&slot, fd, ++watch_serial_});
  }
  Wake();
}

void RedisInvalidationListener::Unwatch(RedisPool::Slot& slot) {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    std::erase_if(watched_, [&](const Watched& w) { return w.slot == &slot; });
  }
  Wake();
}

void RedisInvalidationListener::Wake() {
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
}

void RedisInvalidationListener::Sleep(milliseconds pause) {
  pollfd fd{wake_fd_, POLLIN, 0};
  (void)poll(&fd, 1, static_cast<int>(pause.count()));
  uint64_t drained = 0;
  (void)!read(wake_fd_, &drained, sizeof drained);
}

void RedisInvalidationListener::Loop() {
  milliseconds backoff = kFirstBackoff;
  while (!stop_) {
    RedisPool::Lease lease(pool_.FirstSlot());
    Result<int64_t> client_id = Subscribe();
    if (!client_id.ok()) {
      pool_.Drop(lease.slot());
      Sleep(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    cache_.StartSession(*client_id);
    Serve();
    cache_.EndSession();
    pool_.Drop(lease.slot());
  }
}

Result<int64_t> RedisInvalidationListener::Subscribe() {
  RedisPool::Slot& slot = pool_.FirstSlot();
  Result<ReplyPtr> name = pool_.Run(slot, {"CLIENT", "SETNAME", "provbadge-invalidations"});
  if (!name.ok()) return name.error();
  Result<ReplyPtr> id = pool_.Run(slot, {"CLIENT", "ID"});
  if (!id.ok()) return id.error();
  if ((*id)->type != REDIS_REPLY_INTEGER) return pool_.Unexpected(id->get(), "CLIENT ID");
  Result<ReplyPtr> sub = pool_.Run(slot, {"SUBSCRIBE", kChannel});
  if (!sub.ok()) return sub.error();
  const redisReply* r = sub->get();
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !IsText(r->element[0], "subscribe")) {
    return pool_.Unexpected(r, "SUBSCRIBE");
  }
  return (*id)->integer;
}

void RedisInvalidationListener::Serve() {
  redisContext* c = pool_.FirstSlot().ctx.get();
  Clock::time_point next_ping = Clock::now() + ping_interval_;
  std::optional<Clock::time_point> pong_deadline;
  bool pong = false;
  if (!HandleReplies(pong)) return;  // what arrived together with the SUBSCRIBE reply
  while (!stop_) {
    std::vector<Watched> polled;
    {
      std::lock_guard<std::mutex> lock(watch_mu_);
      polled = watched_;
    }
    std::vector<pollfd> fds = {{c->fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    for (const Watched& w : polled) fds.push_back({w.fd, POLLRDHUP, 0});
    int ready = poll(fds.data(), fds.size(), TimeoutMs(pong_deadline.value_or(next_ping)));
    if (ready < 0 && errno != EINTR) return;
    if (stop_) return;
    if (fds[1].revents & POLLIN) {
      uint64_t drained = 0;
      (void)!read(wake_fd_, &drained, sizeof drained);
    }
    if (fds[0].revents != 0) {
      if (redisBufferRead(c) != REDIS_OK || !HandleReplies(pong)) return;
      if (pong) {
        pong = false;
        pong_deadline.reset();
        next_ping = Clock::now() + ping_interval_;
      }
    }
    CheckHangups(fds, polled);
    Clock::time_point now = Clock::now();
    if (pong_deadline && now >= *pong_deadline) return;  // the server stopped answering
    if (!pong_deadline && now >= next_ping) {
      if (!SendPing()) return;
      pong_deadline = now + pong_timeout_;
    }
  }
}

bool RedisInvalidationListener::HandleReplies(bool& pong) {
  redisContext* c = pool_.FirstSlot().ctx.get();
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return false;
    if (raw == nullptr) return true;
    ReplyPtr reply(static_cast<redisReply*>(raw));
    const redisReply* r = reply.get();
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && IsText(r->element[0], "pong")) {
      pong = true;
      continue;
    }
    bool message = r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
                   IsText(r->element[0], "message") && IsText(r->element[1], kChannel);
    if (!message) {
      cache_.Flush();  // not a message we understand: assume the worst
      continue;
    }
    const redisReply* keys = r->element[2];
    if (keys->type != REDIS_REPLY_ARRAY) {  // null: FLUSHALL / FLUSHDB
      cache_.Flush();
      continue;
    }
    for (size_t i = 0; i < keys->elements; ++i) {
      const redisReply* key = keys->element[i];
      if (key->type != REDIS_REPLY_STRING) {
        cache_.Flush();
        break;
      }
      cache_.Invalidate(std::string_view(key->str, key->len));
    }
  }
}

bool RedisInvalidationListener::SendPing() {
  redisContext* c = pool_.FirstSlot().ctx.get();
  if (redisAppendCommand(c, "PING") != REDIS_OK) return false;
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(c, &done) != REDIS_OK) return false;
  }
  return true;
}

void RedisInvalidationListener::CheckHangups(const std::vector<pollfd>& fds,
                                             const std::vector<Watched>& polled) {
  bool flush = false;
  for (size_t i = 0; i < polled.size(); ++i) {
    if ((fds[i + 2].revents & kHangup) == 0) continue;
    std::lock_guard<std::mutex> lock(watch_mu_);
    // Still the same registration? (The slot may have closed it and reused the fd number.)
    auto same = std::find_if(watched_.begin(), watched_.end(), [&](const Watched& w) {
      return w.slot == polled[i].slot && w.serial == polled[i].serial;
    });
    if (same == watched_.end()) continue;
    same->slot->hung_up = true;
    watched_.erase(same);
    flush = true;
  }
  if (flush) cache_.Flush();
}

}  // namespace provbadge::badges::internal
