// Metrics: the Prometheus exposition text (families, counts, cumulative buckets, format).
#include "provbadge/worker/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace provbadge::worker {
namespace {

// "name{labels}" -> value, for every sample line.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

size_t CountOccurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

TEST_CASE("a fresh registry exposes every family once, with zero values", "[metrics]") {
  Metrics metrics;
  std::string text = metrics.RenderPrometheus();
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  for (const char* family : {"provbadge_events_total", "provbadge_verification_duration_seconds",
                             "provbadge_http_requests_total", "provbadge_store_writes_total",
                             "process_start_time_seconds"}) {
    INFO(family);
    CHECK(CountOccurrences(text, std::string("# HELP ") + family + " ") == 1);
    CHECK(CountOccurrences(text, std::string("# TYPE ") + family + " ") == 1);
  }
  CHECK(text.find("# TYPE provbadge_events_total counter\n") != std::string::npos);
  CHECK(text.find("# TYPE provbadge_verification_duration_seconds histogram\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE process_start_time_seconds gauge\n") != std::string::npos);

  auto samples = Samples(text);
  for (const char* outcome : {"verified", "unverified", "failed", "retried", "dead_lettered"}) {
    INFO(outcome);
    REQUIRE(samples.count(std::string("provbadge_events_total{outcome=\"") + outcome + "\"}"));
    CHECK(samples[std::string("provbadge_events_total{outcome=\"") + outcome + "\"}"] == 0);
  }
  CHECK(samples["provbadge_verification_duration_seconds_bucket{le=\"+Inf\"}"] == 0);
  CHECK(samples["provbadge_verification_duration_seconds_count"] == 0);
  CHECK(samples["provbadge_store_writes_total{result=\"written\"}"] == 0);
  CHECK(samples["process_start_time_seconds"] > 1.6e9);
}

TEST_CASE("every line is a comment or a well-formed sample", "[metrics]") {
  Metrics metrics;
  metrics.ObserveVerificationSeconds(0.2);
  metrics.CountHttpRequest(200);
  std::regex sample(
      R"re(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"\})? [-+0-9.eInfNa]+$)re");
  std::regex comment(R"re(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)re");
  std::istringstream lines(metrics.RenderPrometheus());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    INFO(line);
    CHECK((std::regex_match(line, sample) || std::regex_match(line, comment)));
    ++count;
  }
  CHECK(count > 20);
}

TEST_CASE("events are counted by known outcome only", "[metrics]") {
  Metrics metrics;
  metrics.CountEvent("verified");
  metrics.CountEvent("verified");
  metrics.CountEvent("dead_lettered");
  metrics.CountEvent("bogus");
  metrics.CountEvent("");
  CHECK(metrics.EventCount("verified") == 2);
  CHECK(metrics.EventCount("dead_lettered") == 1);
  CHECK(metrics.EventCount("failed") == 0);
  CHECK(metrics.EventCount("bogus") == 0);
  auto samples = Samples(metrics.RenderPrometheus());
  CHECK(samples["provbadge_events_total{outcome=\"verified\"}"] == 2);
  CHECK(samples["provbadge_events_total{outcome=\"dead_lettered\"}"] == 1);
  CHECK(samples.count("provbadge_events_total{outcome=\"bogus\"}") == 0);
}

TEST_CASE("histogram buckets are cumulative and +Inf equals the count", "[metrics]") {
  Metrics metrics;
  for (double seconds : {0.003, 0.02, 0.3, 2.0, 100.0}) metrics.ObserveVerificationSeconds(seconds);
  metrics.ObserveVerificationSeconds(std::nan(""));  // dropped
  metrics.ObserveVerificationSeconds(-1);            // counted as 0
  std::string text = metrics.RenderPrometheus();
  auto samples = Samples(text);
  const std::string b = "provbadge_verification_duration_seconds_bucket{le=\"";
  const std::vector<std::pair<std::string, double>> expected = {
      {"0.005", 2}, {"0.01", 2}, {"0.025", 3}, {"0.05", 3}, {"0.1", 3}, {"0.25", 3},
      {"0.5", 4},   {"1", 4},    {"5", 5},     {"30", 5},   {"+Inf", 6}};
  for (const auto& [le, count] : expected) {
    INFO(le);
    REQUIRE(samples.count(b + le + "\"}"));
    CHECK(samples[b + le + "\"}"] == count);
  }
  CHECK(samples["provbadge_verification_duration_seconds_count"] == 6);
  CHECK(samples["provbadge_verification_duration_seconds_sum"] == Approx(102.323));
  // Buckets appear in increasing order, ending with +Inf, then _sum and _count.
  size_t first = text.find(b + "0.005\"}");
  size_t inf = text.find(b + "+Inf\"}");
  size_t sum = text.find("provbadge_verification_duration_seconds_sum ");
  size_t count = text.find("provbadge_verification_duration_seconds_count ");
  CHECK(first < inf);
  CHECK(inf < sum);
  CHECK(sum < count);
}

TEST_CASE("http responses are counted by status class", "[metrics]") {
  Metrics metrics;
  for (int code : {200, 204, 304, 400, 404, 405, 503, 999, 42}) metrics.CountHttpRequest(code);
  auto samples = Samples(metrics.RenderPrometheus());
  CHECK(samples["provbadge_http_requests_total{code=\"1xx\"}"] == 0);
  CHECK(samples["provbadge_http_requests_total{code=\"2xx\"}"] == 2);
  CHECK(samples["provbadge_http_requests_total{code=\"3xx\"}"] == 1);
  CHECK(samples["provbadge_http_requests_total{code=\"4xx\"}"] == 3);
  CHECK(samples["provbadge_http_requests_total{code=\"5xx\"}"] == 1);
  CHECK(samples["provbadge_http_requests_total{code=\"other\"}"] == 2);
}

TEST_CASE("store writes are counted as written or stale", "[metrics]") {
  Metrics metrics;
  metrics.CountStoreWrite(true);
  metrics.CountStoreWrite(true);
  metrics.CountStoreWrite(false);
  auto samples = Samples(metrics.RenderPrometheus());
  CHECK(samples["provbadge_store_writes_total{result=\"written\"}"] == 2);
  CHECK(samples["provbadge_store_writes_total{result=\"stale\"}"] == 1);
}

TEST_CASE("the badge read cache is rendered once its counters are set", "[metrics]") {
  Metrics metrics;
  CHECK(metrics.RenderPrometheus().find("read_cache") == std::string::npos);  // SQLite, or off
  badges::ReadCacheStats stats;
  stats.hits = 7;
  stats.misses = 3;
  stats.invalidations = 2;
  stats.flushes = 1;
  stats.evictions = 4;
  stats.discards = 5;
  stats.entries = 6;
  stats.bytes = 900;
  stats.tracking = true;
  metrics.SetReadCache(stats);
  std::string text = metrics.RenderPrometheus();
  CHECK(CountOccurrences(text, "# TYPE provbadge_badge_read_cache_hits_total counter\n") == 1);
  CHECK(CountOccurrences(text, "# TYPE provbadge_badge_read_cache_entries gauge\n") == 1);
  auto samples = Samples(text);
  CHECK(samples["provbadge_badge_read_cache_hits_total"] == 7);
  CHECK(samples["provbadge_badge_read_cache_misses_total"] == 3);
  CHECK(samples["provbadge_badge_read_cache_invalidations_total"] == 2);
  CHECK(samples["provbadge_badge_read_cache_flushes_total"] == 1);
  CHECK(samples["provbadge_badge_read_cache_evictions_total"] == 4);
  CHECK(samples["provbadge_badge_read_cache_discards_total"] == 5);
  CHECK(samples["provbadge_badge_read_cache_entries"] == 6);
  CHECK(samples["provbadge_badge_read_cache_bytes"] == 900);
  CHECK(samples["provbadge_badge_read_cache_tracking"] == 1);
  stats.tracking = false;
  metrics.SetReadCache(stats);
  CHECK(Samples(metrics.RenderPrometheus())["provbadge_badge_read_cache_tracking"] == 0);
}

TEST_CASE("counting from several threads loses nothing", "[metrics]") {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < kPerThread; ++i) {
        metrics.CountEvent("failed");
        metrics.ObserveVerificationSeconds(0.01);
        metrics.CountHttpRequest(200);
        (void)metrics.RenderPrometheus().size();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(metrics.EventCount("failed") == kThreads * kPerThread);
  auto samples = Samples(metrics.RenderPrometheus());
  CHECK(samples["provbadge_verification_duration_seconds_count"] == kThreads * kPerThread);
  CHECK(samples["provbadge_verification_duration_seconds_bucket{le=\"0.01\"}"] ==
        kThreads * kPerThread);
  CHECK(samples["provbadge_http_requests_total{code=\"2xx\"}"] == kThreads * kPerThread);
}

}  // namespace
}  // namespace provbadge::worker
