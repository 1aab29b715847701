// RedisReadCache (redis_read_cache.h).
#include "redis_read_cache.h"

#include <functional>

namespace provbadge::badges::internal {

size_t RedisReadCache::StripeOf(std::string_view key) {
  return std::hash<std::string_view>{}(key) % kStripes;
}

std::optional<RedisReadCache::Value> RedisReadCache::Find(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, found->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return found->second->value;
}

std::optional<RedisReadCache::Ticket> RedisReadCache::Begin(std::string_view key,
                                                            uint64_t session) {
  size_t stripe = StripeOf(key);
  std::lock_guard<std::mutex> lock(mu_);
  if (session_ == 0 || session != session_) return std::nullopt;
  return Ticket{epoch_, generation_[stripe], stripe};
}

void RedisReadCache::Complete(std::string_view key, const Ticket& ticket, Value value) {
  size_t bytes = key.size() + (value ? value->size() : 0) + kEntryOverhead;
  std::lock_guard<std::mutex> lock(mu_);
  if (ticket.epoch != epoch_ || ticket.generation != generation_[ticket.stripe]) {
    discards_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (bytes > max_bytes_ || max_entries_ == 0) return;
  if (auto found = index_.find(key); found != index_.end()) EraseLocked(found->second);
  while (!lru_.empty() && (lru_.size() >= max_entries_ || bytes_ + bytes > max_bytes_)) {
    EraseLocked(std::prev(lru_.end()));
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  lru_.push_front(Node{std::string(key), std::move(value), bytes});
  index_.emplace(lru_.front().key, lru_.begin());
  bytes_ += bytes;
}

void RedisReadCache::Invalidate(std::string_view key) {
  invalidations_.fetch_add(1, std::memory_order_relaxed);
  Forget(key);
}

void RedisReadCache::Forget(std::string_view key) {
  size_t stripe = StripeOf(key);
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_[stripe];
  if (auto found = index_.find(key); found != index_.end()) EraseLocked(found->second);
}

void RedisReadCache::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
}

uint64_t RedisReadCache::StartSession(int64_t client_id) {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
  session_ = ++last_session_;
  client_id_ = client_id;
  return session_;
}

void RedisReadCache::EndSession() {
  std::lock_guard<std::mutex> lock(mu_);
  FlushLocked();
  session_ = 0;
  client_id_ = 0;
}

std::pair<uint64_t, int64_t> RedisReadCache::Session() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {session_, client_id_};
}

ReadCacheStats RedisReadCache::Stats() const {
  ReadCacheStats stats;
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  stats.invalidations = invalidations_.load(std::memory_order_relaxed);
  stats.flushes = flushes_.load(std::memory_order_relaxed);
  stats.evictions = evictions_.load(std::memory_order_relaxed);
  stats.discards = discards_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  stats.entries = lru_.size();
  stats.bytes = bytes_;
  stats.tracking = session_ != 0;
  stats.tracking_client_id = client_id_;
  return stats;
}

void RedisReadCache::FlushLocked() {
  flushes_.fetch_add(1, std::memory_order_relaxed);
  ++epoch_;
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

void RedisReadCache::EraseLocked(Lru::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(std::string_view(it->key));
  lru_.erase(it);
}

}  // namespace provbadge::badges::internal
