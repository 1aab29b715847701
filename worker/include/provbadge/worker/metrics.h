// Process metrics in Prometheus text format (notes/stack.md §6). Label values are bounded
// sets; a repo name is never a label.
//
// Thread-safety: every method is safe to call concurrently (atomics / a mutex).
#ifndef PROVBADGE_WORKER_METRICS_H_
#define PROVBADGE_WORKER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "provbadge/badges/badge_store.h"

namespace provbadge::worker {

class Metrics {
 public:
  // outcome: verified | unverified | failed | retried | dead_lettered (others are ignored).
  void CountEvent(std::string_view outcome);
  void ObserveVerificationSeconds(double seconds);
  void CountHttpRequest(int status_code);
  void CountStoreWrite(bool written);  // written vs stale
  void CountStoreError();              // a badge store call that failed (kUnavailable, ...)
  // result: accepted | ignored | rejected | unauthorized | error (others are ignored).
  void CountWebhook(std::string_view result);
  // Deliveries this process is working on (+1 when taken, -1 when completed).
  void AddInFlight(int delta);
  // The queue's depth as last seen (rendered as gauges; -1 = unknown, not rendered).
  void SetQueueDepth(int64_t ready, int64_t in_flight, int64_t dead);
  // The badge store's read cache counters as last seen (not rendered until set).
  void SetReadCache(const badges::ReadCacheStats& stats);
  uint64_t WebhookCount(std::string_view result) const;
  int64_t InFlight() const { return in_flight_.load(std::memory_order_relaxed); }
  // The exposition text, ending with '\n'.
  std::string RenderPrometheus() const;
  uint64_t EventCount(std::string_view outcome) const;

 private:
  static constexpr std::array<std::string_view, 5> kOutcomes = {"verified", "unverified", "failed",
                                                                "retried", "dead_lettered"};
  static constexpr std::array<double, 10> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,  1,     5,    30};
  std::array<std::atomic<uint64_t>, kOutcomes.size()> events_{};
  mutable std::mutex histogram_mu_;
  std::array<uint64_t, kBuckets.size()> bucket_counts_{};
  uint64_t histogram_count_ = 0;
  double histogram_sum_ = 0;
  std::array<std::atomic<uint64_t>, 6> http_by_class_{};  // index: status / 100 (1..5), 0 other
  std::atomic<uint64_t> store_written_{0}, store_stale_{0}, store_errors_{0};
  static constexpr std::array<std::string_view, 5> kWebhookResults = {
      "accepted", "ignored", "rejected", "unauthorized", "error"};
  std::array<std::atomic<uint64_t>, kWebhookResults.size()> webhooks_{};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> queue_ready_{-1}, queue_in_flight_{-1}, queue_dead_{-1};
  mutable std::mutex read_cache_mu_;
  std::optional<badges::ReadCacheStats> read_cache_;  // guarded by read_cache_mu_
  void RenderOperations(std::string& out) const;
  void RenderReadCache(std::string& out) const;
  const double start_time_ = NowSeconds();
  static double NowSeconds();
};

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_METRICS_H_
