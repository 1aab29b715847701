// The badge read fast path (worker/src/badge_read.h) through HttpApi: one GetBadgeJson per
// read, the stored bytes served as they are, the query parameters, ETags, and the SVG cache.
#include "badge_read.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "badge_fixtures.h"
#include "in_memory_badge_store.h"
#include "provbadge/badges/badge.h"
#include "provbadge/worker/http_api.h"
#include "provbadge/worker/metrics.h"

namespace provbadge::worker {
namespace {

using badges::BadgeState;
using provbadge::testing::kCommitA;
using provbadge::testing::kCommitB;
using provbadge::testing::MakeRecord;

// Counts the reads, and fails the slow reads so a route that still used them would show.
class CountingStore : public provbadge::testing::InMemoryBadgeStore {
 public:
  Result<std::optional<std::string>> GetBadgeJson(std::string_view repo, std::string_view name,
                                                  bool by_ref) override {
    ++fast_reads;
    if (raw) return std::optional<std::string>(*raw);
    return InMemoryBadgeStore::GetBadgeJson(repo, name, by_ref);
  }
  Result<std::optional<badges::BadgeRecord>> GetRef(std::string_view, std::string_view) override {
    ++slow_reads;
    return Internal("slow read used");
  }
  Result<std::optional<badges::BadgeRecord>> GetRevision(std::string_view,
                                                         std::string_view) override {
    ++slow_reads;
    return Internal("slow read used");
  }
  std::atomic<int> fast_reads{0}, slow_reads{0};
  std::optional<std::string> raw;  // when set: the bytes every GetBadgeJson returns
};

struct Fixture {
  Fixture() {
    REQUIRE(store.Put(MakeRecord("acme/model", kCommitA, BadgeState::kFailed, 1)).ok());
    REQUIRE(store.Put(MakeRecord("acme/model", kCommitB, BadgeState::kVerified, 2)).ok());
    badges::BadgeRecord dev = MakeRecord("acme/model", kCommitA, BadgeState::kFailed, 3, "dev");
    dev.ref = "dev";
    REQUIRE(store.Put(dev).ok());
  }
  HttpResponse Get(const std::string& target, const std::string& inm = "") {
    return api.Handle({"GET", target, inm});
  }
  std::string Json(const std::string& commit) {
    return badges::BadgeToJson(
        store.InMemoryBadgeStore::GetRevision("acme/model", commit).value().value().badge);
  }
  CountingStore store;
  Metrics metrics;
  HttpApi api{store, metrics, [] { return true; }};
};

std::optional<std::string> Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

TEST_CASE("badge JSON is the stored bytes, one fast read, no slow read", "[badge_read]") {
  Fixture f;
  HttpResponse main = f.Get("/v1/badges/acme/model");
  REQUIRE(main.status == 200);
  CHECK(main.content_type == "application/json");
  CHECK(main.body == f.Json(kCommitB));
  CHECK(f.Get("/v1/badges/acme/model?ref=dev").body == f.Json(kCommitA));
  CHECK(f.Get("/v1/badges/acme/model?ref=refs%2Fheads%2Fdev").body == f.Json(kCommitA));
  CHECK(f.Get(std::string("/v1/badges/acme/model?commit=") + kCommitA).body == f.Json(kCommitA));
  CHECK(f.Get(std::string("/v1/badges/acme/model?x=%zz&revision=") + kCommitB).body ==
        f.Json(kCommitB));
  CHECK(f.store.fast_reads == 5);
  CHECK(f.store.slow_reads == 0);
  // Served as stored: no parse, no re-serialisation.
  f.store.raw = "{ \"state\" : \"verified\",\n \"odd\": [1, 2] }";
  CHECK(f.Get("/v1/badges/acme/model").body == *f.store.raw);
}

TEST_CASE("badge read query errors and misses", "[badge_read]") {
  Fixture f;
  const std::string base = "/v1/badges/acme/model";
  for (const std::string& query : std::vector<std::string>{
           "?commit=" + std::string(kCommitA) + "&ref=main",
           "?commit=" + std::string(kCommitA) + "&revision=" + kCommitA, "?ref=a&ref=b",
           "?commit=ABCDEF", "?commit=" + std::string(kCommitA).substr(1), "?ref=", "?ref=a%20b",
           "?ref=a%0Ab", "?ref=" + std::string(256, 'r'), "?ref=%zz"}) {
    INFO(query);
    for (const std::string suffix : {"", ".svg"}) {
      HttpResponse r = f.Get(base + suffix + query);
      CHECK(r.status == 400);
      CHECK(r.body.find("\"error\"") != std::string::npos);
      CHECK(r.body.find('\n') == std::string::npos);
    }
  }
  CHECK(f.Get(base + "?ref=nope").status == 404);
  CHECK(f.Get(base + ".svg?commit=" + std::string(40, '0')).status == 404);
  CHECK(f.Get("/v1/badges/acme/other").status == 404);
  CHECK(f.store.slow_reads == 0);
  f.store.set_unavailable(true);
  CHECK(f.Get(base).status == 503);
  CHECK(f.Get(base + ".svg").status == 503);
}

TEST_CASE("badge SVG from the stored bytes, cached by content, never stale", "[badge_read]") {
  Fixture f;
  HttpResponse first = f.Get("/v1/badges/acme/model.svg");
  REQUIRE(first.status == 200);
  CHECK(first.content_type == "image/svg+xml; charset=utf-8");
  CHECK(first.body == badges::BadgeToSvg(badges::BadgeFromJson(f.Json(kCommitB)).value()));
  CHECK(Header(first, "Content-Security-Policy").has_value());
  CHECK(f.Get("/v1/badges/acme/model.svg").body == first.body);  // from the cache
  // A new verdict shows at once.
  badges::BadgeRecord failed = MakeRecord("acme/model", kCommitB, BadgeState::kFailed, 9);
  failed.badge.label = "Provenance check failed: digest differs";  // the SVG shows the label
  REQUIRE(f.store.Put(failed).ok());
  HttpResponse after = f.Get("/v1/badges/acme/model.svg");
  CHECK(after.body != first.body);
  CHECK(after.body.find("digest differs") != std::string::npos);
  CHECK(Header(after, "ETag") != Header(first, "ETag"));
  CHECK(f.store.slow_reads == 0);
  // Bytes that are not a badge: a clear 500, nothing cached.
  f.store.raw = "{\"not\":\"a badge\"}";
  CHECK(f.Get("/v1/badges/acme/model.svg").status == 500);
  CHECK(f.Get("/v1/badges/acme/model.svg").status == 500);
}

TEST_CASE("badge ETag: a digest of the bytes, equal across replicas, 304", "[badge_read]") {
  Fixture f;
  HttpResponse json = f.Get("/v1/badges/acme/model");
  HttpResponse svg = f.Get("/v1/badges/acme/model.svg");
  auto etag = Header(json, "ETag");
  REQUIRE(etag);
  CHECK(*etag != Header(svg, "ETag"));
  char expected[32];
  std::snprintf(expected, sizeof expected, "\"j-%016llx\"",
                static_cast<unsigned long long>(Fnv1a64(f.Json(kCommitB))));
  CHECK(*etag == expected);
  Metrics other_metrics;
  HttpApi replica(f.store, other_metrics, [] { return true; });
  CHECK(Header(replica.Handle({"GET", "/v1/badges/acme/model", ""}), "ETag") == etag);
  HttpResponse cached = f.Get("/v1/badges/acme/model", "W/\"x\", " + *etag);
  CHECK(cached.status == 304);
  CHECK(cached.body.empty());
  CHECK(f.Get("/v1/badges/acme/model.svg", *etag).status == 200);  // kinds differ
  HttpResponse head = f.api.Handle({"HEAD", "/v1/badges/acme/model.svg", ""});
  CHECK(head.body.empty());
  CHECK(head.content_length == svg.body.size());
}

TEST_CASE("SVG cache: same hash, other bytes is a miss; oversize is not kept", "[badge_read]") {
  SvgCache cache;
  auto svg = std::make_shared<const std::string>("<svg/>");
  cache.Store("{\"a\":1}", 7, svg);
  CHECK(cache.Find("{\"a\":1}", 7) == svg);
  CHECK(cache.Find("{\"a\":2}", 7) == nullptr);  // a collision never serves another badge
  cache.Store("{\"a\":2}", 7, std::make_shared<const std::string>("<svg>2</svg>"));
  CHECK(cache.Find("{\"a\":1}", 7) == nullptr);  // replaced, bounded
  std::string big(SvgCache::kMaxKeyBytes + 1, 'x');
  cache.Store(big, 8, svg);
  CHECK(cache.Find(big, 8) == nullptr);
}

TEST_CASE("concurrent SVG reads during writes always match their ETag", "[badge_read]") {
  Fixture f;
  std::map<std::string, std::string> svg_by_etag;  // every badge the writer may store
  std::vector<badges::BadgeRecord> records;
  for (int i = 0; i < 8; ++i) {
    records.push_back(MakeRecord("acme/model", kCommitB, BadgeState::kVerified, 10 + i,
                                 "message " + std::to_string(i)));
    records.back().badge.label = "label " + std::to_string(i);
    char tag[32];
    std::snprintf(tag, sizeof tag, "\"s-%016llx\"",
                  static_cast<unsigned long long>(Fnv1a64(badges::BadgeToJson(records[i].badge))));
    svg_by_etag[tag] = badges::BadgeToSvg(records[i].badge);
  }
  REQUIRE(f.store.Put(records[0]).ok());
  std::atomic<bool> done{false};
  std::atomic<int> mismatches{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        HttpResponse r = f.api.Handle({"GET", "/v1/badges/acme/model.svg", ""});
        auto it = svg_by_etag.find(Header(r, "ETag").value_or(""));
        if (r.status != 200 || it == svg_by_etag.end() || it->second != r.body) ++mismatches;
        ++reads;
      }
    });
  }
  for (const auto& record : records) {
    REQUIRE(f.store.Put(record).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  done = true;
  for (auto& th : readers) th.join();
  CHECK(mismatches == 0);
  CHECK(reads > 0);
  CHECK(svg_by_etag.size() == records.size());
}

}  // namespace
}  // namespace provbadge::worker
