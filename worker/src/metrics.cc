// Metrics: counters and one histogram rendered in the Prometheus text format (stack.md §6).
#include "provbadge/worker/metrics.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <string>

namespace provbadge::worker {
namespace {

// Shortest round-trip form of a double: "0.005", "30", "12.5".
std::string FormatDouble(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buffer, end);
}

void AppendFamilyHeader(std::string& out, std::string_view name, std::string_view help,
                        std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void AppendSample(std::string& out, std::string_view name, std::string_view labels,
                  std::string_view value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(value).append("\n");
}

std::string Label(std::string_view key, std::string_view value) {
  // Label values here come from fixed tables, so no escaping is needed.
  return std::string(key) + "=\"" + std::string(value) + "\"";
}

}  // namespace

double Metrics::NowSeconds() {
  using std::chrono::duration;
  using std::chrono::system_clock;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void Metrics::CountEvent(std::string_view outcome) {
  for (size_t i = 0; i < kOutcomes.size(); ++i) {
    if (kOutcomes[i] == outcome) {
      events_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

uint64_t Metrics::EventCount(std::string_view outcome) const {
  for (size_t i = 0; i < kOutcomes.size(); ++i) {
    if (kOutcomes[i] == outcome) return events_[i].load(std::memory_order_relaxed);
  }
  return 0;
}

// A negative duration counts as 0; NaN and infinities are dropped (they would poison _sum).
void Metrics::ObserveVerificationSeconds(double seconds) {
  if (!std::isfinite(seconds)) return;
  if (seconds < 0) seconds = 0;
  std::lock_guard<std::mutex> lock(histogram_mu_);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++bucket_counts_[i];
      break;
    }
  }
  ++histogram_count_;
  histogram_sum_ += seconds;
}

void Metrics::CountHttpRequest(int status_code) {
  int status_class = status_code / 100;
  size_t index = (status_class >= 1 && status_class <= 5) ? static_cast<size_t>(status_class) : 0;
  http_by_class_[index].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::CountStoreWrite(bool written) {
  (written ? store_written_ : store_stale_).fetch_add(1, std::memory_order_relaxed);
}

void Metrics::CountStoreError() { store_errors_.fetch_add(1, std::memory_order_relaxed); }

void Metrics::CountWebhook(std::string_view result) {
  for (size_t i = 0; i < kWebhookResults.size(); ++i) {
    if (kWebhookResults[i] == result) {
      webhooks_[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

uint64_t Metrics::WebhookCount(std::string_view result) const {
  for (size_t i = 0; i < kWebhookResults.size(); ++i) {
    if (kWebhookResults[i] == result) return webhooks_[i].load(std::memory_order_relaxed);
  }
  return 0;
}

void Metrics::AddInFlight(int delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }

void Metrics::SetQueueDepth(int64_t ready, int64_t in_flight, int64_t dead) {
  queue_ready_.store(ready, std::memory_order_relaxed);
  queue_in_flight_.store(in_flight, std::memory_order_relaxed);
  queue_dead_.store(dead, std::memory_order_relaxed);
}

void Metrics::SetReadCache(const badges::ReadCacheStats& stats) {
  std::lock_guard<std::mutex> lock(read_cache_mu_);
  read_cache_ = stats;
}

void Metrics::RenderReadCache(std::string& out) const {
  std::optional<badges::ReadCacheStats> stats;
  {
    std::lock_guard<std::mutex> lock(read_cache_mu_);
    stats = read_cache_;
  }
  if (!stats) return;
  struct Family {
    std::string_view name, help, type;
    uint64_t value;
  };
  const Family families[] = {
      {"provbadge_badge_read_cache_hits_total", "Badge store reads served from the read cache.",
       "counter", stats->hits},
      {"provbadge_badge_read_cache_misses_total",
       "Badge store reads the read cache could not serve.", "counter", stats->misses},
      {"provbadge_badge_read_cache_invalidations_total",
       "Keys named by Redis invalidation messages.", "counter", stats->invalidations},
      {"provbadge_badge_read_cache_flushes_total",
       "Whole read cache flushes (tracking lost or restarted, FLUSHALL, own bulk writes).",
       "counter", stats->flushes},
      {"provbadge_badge_read_cache_evictions_total", "Entries evicted to stay within the bounds.",
       "counter", stats->evictions},
      {"provbadge_badge_read_cache_discards_total",
       "Read replies not cached because an invalidation overtook them.", "counter",
       stats->discards},
      {"provbadge_badge_read_cache_entries", "Entries in the read cache.", "gauge", stats->entries},
      {"provbadge_badge_read_cache_bytes", "Bytes held by the read cache.", "gauge", stats->bytes},
      {"provbadge_badge_read_cache_tracking",
       "1 while Redis invalidations flow (reads may be cached), else 0.", "gauge",
       stats->tracking ? 1u : 0u},
  };
  for (const Family& f : families) {
    AppendFamilyHeader(out, f.name, f.help, f.type);
    AppendSample(out, f.name, "", std::to_string(f.value));
  }
}

// Store errors, webhook deliveries, in-flight work and the queue's depth.
void Metrics::RenderOperations(std::string& out) const {
  constexpr std::string_view kStoreErrors = "provbadge_store_errors_total";
  AppendFamilyHeader(out, kStoreErrors, "Badge store calls that failed.", "counter");
  AppendSample(out, kStoreErrors, "",
               std::to_string(store_errors_.load(std::memory_order_relaxed)));

  constexpr std::string_view kHooks = "provbadge_webhook_deliveries_total";
  AppendFamilyHeader(out, kHooks, "Hub webhook deliveries, by result.", "counter");
  for (size_t i = 0; i < kWebhookResults.size(); ++i) {
    AppendSample(out, kHooks, Label("result", kWebhookResults[i]),
                 std::to_string(webhooks_[i].load(std::memory_order_relaxed)));
  }

  constexpr std::string_view kInFlight = "provbadge_deliveries_in_flight";
  AppendFamilyHeader(out, kInFlight, "Deliveries this process is working on.", "gauge");
  AppendSample(out, kInFlight, "", std::to_string(in_flight_.load(std::memory_order_relaxed)));

  const int64_t ready = queue_ready_.load(std::memory_order_relaxed);
  if (ready < 0) return;
  constexpr std::string_view kDepth = "provbadge_queue_messages";
  AppendFamilyHeader(out, kDepth, "Messages in the queue, by state, as last seen.", "gauge");
  AppendSample(out, kDepth, Label("state", "ready"), std::to_string(ready));
  AppendSample(out, kDepth, Label("state", "in_flight"),
               std::to_string(queue_in_flight_.load(std::memory_order_relaxed)));
  AppendSample(out, kDepth, Label("state", "dead_lettered"),
               std::to_string(queue_dead_.load(std::memory_order_relaxed)));
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  out.reserve(2048);

  constexpr std::string_view kEvents = "provbadge_events_total";
  AppendFamilyHeader(out, kEvents, "Upload events handled, by outcome.", "counter");
  for (size_t i = 0; i < kOutcomes.size(); ++i) {
    AppendSample(out, kEvents, Label("outcome", kOutcomes[i]),
                 std::to_string(events_[i].load(std::memory_order_relaxed)));
  }

  constexpr std::string_view kDuration = "provbadge_verification_duration_seconds";
  AppendFamilyHeader(out, kDuration, "Time spent verifying one revision.", "histogram");
  std::array<uint64_t, kBuckets.size()> buckets;
  uint64_t count = 0;
  double sum = 0;
  {
    std::lock_guard<std::mutex> lock(histogram_mu_);
    buckets = bucket_counts_;
    count = histogram_count_;
    sum = histogram_sum_;
  }
  const std::string bucket_name = std::string(kDuration) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets[i];
    AppendSample(out, bucket_name, Label("le", FormatDouble(kBuckets[i])),
                 std::to_string(cumulative));
  }
  AppendSample(out, bucket_name, Label("le", "+Inf"), std::to_string(count));
  AppendSample(out, std::string(kDuration) + "_sum", "", FormatDouble(sum));
  AppendSample(out, std::string(kDuration) + "_count", "", std::to_string(count));

  constexpr std::string_view kHttp = "provbadge_http_requests_total";
  constexpr std::array<std::string_view, 6> kClassNames = {"other", "1xx", "2xx",
                                                           "3xx",   "4xx", "5xx"};
  AppendFamilyHeader(out, kHttp, "HTTP responses sent, by status class.", "counter");
  for (size_t i = 1; i < kClassNames.size(); ++i) {
    AppendSample(out, kHttp, Label("code", kClassNames[i]),
                 std::to_string(http_by_class_[i].load(std::memory_order_relaxed)));
  }
  AppendSample(out, kHttp, Label("code", kClassNames[0]),
               std::to_string(http_by_class_[0].load(std::memory_order_relaxed)));

  constexpr std::string_view kWrites = "provbadge_store_writes_total";
  AppendFamilyHeader(out, kWrites, "Badge store writes, by result.", "counter");
  AppendSample(out, kWrites, Label("result", "written"),
               std::to_string(store_written_.load(std::memory_order_relaxed)));
  AppendSample(out, kWrites, Label("result", "stale"),
               std::to_string(store_stale_.load(std::memory_order_relaxed)));

  RenderOperations(out);
  RenderReadCache(out);

  constexpr std::string_view kStart = "process_start_time_seconds";
  AppendFamilyHeader(out, kStart, "Start time of the process since the Unix epoch in seconds.",
                     "gauge");
  AppendSample(out, kStart, "", FormatDouble(start_time_));
  return out;
}

}  // namespace provbadge::worker
