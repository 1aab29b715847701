// The Redis badge store's read cache (client-side caching with invalidations) against real
// servers: another writer's change shows within a bounded wait, the invalidation-before-reply
// race, killed connections, a Redis restart and FLUSHALL, and the bounds. Unit cases without a
// server: tests/badges/redis_read_cache_test.cc.
#include <catch2/catch.hpp>

#include <atomic>
#include <sstream>
#include <string>
#include <vector>

#include "badges/badge_store_contract.h"
#include "integration/redis_fixture.h"
#include "provbadge/badges/redis_store.h"

namespace provbadge::badges {
namespace {

using integration::CacheStats;
using integration::FixturePort;
using integration::MustOpen;
using integration::RedisCli;
using integration::WaitFor;
using integration::WaitForTracking;

using contract::kCommitA;
using contract::kCommitB;
using contract::kRepo;
using contract::MakeRecord;

RedisStoreOptions Options(const std::string& port, const std::string& prefix, bool cache) {
  RedisStoreOptions o;
  o.url = integration::RedisUrl(port);
  o.key_prefix = prefix;
  o.read_cache = cache;
  o.command_timeout = std::chrono::milliseconds(500);
  return o;
}

std::optional<std::string> MustRead(BadgeStore& store, const std::string& ref_or_commit = "main",
                                    bool by_ref = true) {
  Result<std::optional<std::string>> r = store.GetBadgeJson(kRepo, ref_or_commit, by_ref);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

std::string Json(const BadgeRecord& record) { return BadgeToJson(record.badge); }

void MustPut(BadgeStore& store, const BadgeRecord& record) {
  Result<PutResult> put = store.Put(record);
  INFO((put.ok() ? std::string() : put.error().message()));
  REQUIRE(put.ok());
}

// Reads until the cache serves `expected` from memory (a read that only hits).
void RequireCached(BadgeStore& store, const std::string& expected) {
  REQUIRE(MustRead(store) == expected);
  uint64_t misses = CacheStats(store).misses;
  uint64_t hits = CacheStats(store).hits;
  REQUIRE(MustRead(store) == expected);
  CHECK(CacheStats(store).misses == misses);
  CHECK(CacheStats(store).hits == hits + 2);  // the ref pointer and the badge
}

// The client ids of the connections whose tracking redirects to `redirect`.
std::vector<std::string> TrackedClients(const std::string& port, int64_t redirect) {
  std::istringstream lines(RedisCli(port, "CLIENT LIST"));
  std::vector<std::string> ids;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" redir=" + std::to_string(redirect) + " ") == std::string::npos) continue;
    ids.push_back(line.substr(3, line.find(' ') - 3));  // "id=<n> addr=..."
  }
  return ids;
}

struct Pair {  // a cached reader and an uncached writer over the same keys
  explicit Pair(const std::string& port, RedisStoreOptions reader_options = {})
      : prefix(integration::UniqueName("rc")) {
    RedisStoreOptions r = Options(port, prefix, true);
    r.read_cache_before_insert = reader_options.read_cache_before_insert;
    r.read_cache_max_entries = reader_options.read_cache_max_entries;
    r.read_cache_max_bytes = reader_options.read_cache_max_bytes;
    reader = MustOpen(r);
    writer = MustOpen(Options(port, prefix, false));
    WaitForTracking(*reader);
  }
  std::string prefix;
  std::unique_ptr<BadgeStore> reader, writer;
};

TEST_CASE("read cache: another writer's change shows within a bounded wait",
          "[redis][read_cache]") {
  Pair p(FixturePort());
  BadgeRecord first = MakeRecord(kCommitA, 1, BadgeState::kVerified, "main");
  MustPut(*p.writer, first);
  RequireCached(*p.reader, Json(first));
  uint64_t invalidations = CacheStats(*p.reader).invalidations;
  std::string expected;
  SECTION("a newer verdict of the same commit") {
    BadgeRecord next = MakeRecord(kCommitA, 2, BadgeState::kFailed, "main");
    MustPut(*p.writer, next);
    expected = Json(next);
  }
  SECTION("the ref pointer moves to another commit") {
    BadgeRecord next = MakeRecord(kCommitB, 3, BadgeState::kVerified, "main");
    MustPut(*p.writer, next);
    expected = Json(next);
  }
  SECTION("another process writes the hash directly") {
    expected = "{\"written\":\"by redis-cli\"}";
    RedisCli(FixturePort(),
             "HSET '" + RedisBadgeKey(p.prefix, kRepo, kCommitA) + "' badge '" + expected + "'");
  }
  CHECK(WaitFor([&] { return MustRead(*p.reader) == expected; }));
  CHECK(CacheStats(*p.reader).invalidations > invalidations);
  RequireCached(*p.reader, expected);
}

TEST_CASE("read cache: the process's own write is read back at once", "[redis][read_cache]") {
  Pair p(FixturePort());
  MustPut(*p.reader, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  RequireCached(*p.reader, Json(MakeRecord(kCommitA, 1)));
  for (int64_t seq = 2; seq < 20; ++seq) {
    BadgeRecord next =
        MakeRecord(seq % 2 == 0 ? kCommitB : kCommitA, seq, BadgeState::kFailed, "main");
    MustPut(*p.reader, next);
    REQUIRE(MustRead(*p.reader) == Json(next));  // no wait for the server's invalidation
  }
  REQUIRE(p.reader->DeleteRef(kRepo, "main").ok());
  CHECK_FALSE(MustRead(*p.reader).has_value());
}

TEST_CASE("read cache: an invalidation that overtakes its read reply is not lost",
          "[redis][read_cache]") {
  // The reply of the first badge read is held back until the invalidation of a write made
  // after that read has been processed: the stale reply must not be cached.
  std::atomic<BadgeStore*> writer{nullptr}, reader{nullptr};
  std::atomic<bool> raced{false};
  RedisStoreOptions hooked;
  hooked.read_cache_before_insert = [&](std::string_view key) {
    if (key.find(":badge:") == std::string_view::npos || raced.exchange(true)) return;
    uint64_t before = CacheStats(*reader).invalidations;
    MustPut(*writer, MakeRecord(kCommitA, 2, BadgeState::kFailed));
    REQUIRE(WaitFor([&] { return CacheStats(*reader).invalidations > before; }));
  };
  Pair p(FixturePort(), hooked);
  writer = p.writer.get();
  reader = p.reader.get();
  MustPut(*p.writer, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  CHECK(MustRead(*p.reader, kCommitA, false) == Json(MakeRecord(kCommitA, 1)));  // read before
  REQUIRE(raced);
  CHECK(CacheStats(*p.reader).discards >= 1);
  CHECK(MustRead(*p.reader, kCommitA, false) == Json(MakeRecord(kCommitA, 2, BadgeState::kFailed)));
  RequireCached(*p.reader, Json(MakeRecord(kCommitA, 2, BadgeState::kFailed)));
}

TEST_CASE("read cache: a killed invalidation connection flushes, then tracking recovers",
          "[redis][read_cache]") {
  Pair p(FixturePort());
  MustPut(*p.writer, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  RequireCached(*p.reader, Json(MakeRecord(kCommitA, 1)));
  const ReadCacheStats before = CacheStats(*p.reader);
  const std::string id = std::to_string(before.tracking_client_id);
  REQUIRE(RedisCli(FixturePort(), "CLIENT KILL ID " + id) == "1");
  BadgeRecord next = MakeRecord(kCommitA, 2, BadgeState::kFailed, "main");
  MustPut(*p.writer, next);  // nobody receives this invalidation
  REQUIRE(WaitFor([&] { return CacheStats(*p.reader).flushes > before.flushes; }));
  CHECK(MustRead(*p.reader) == Json(next));
  REQUIRE(WaitFor([&] {
    ReadCacheStats s = CacheStats(*p.reader);
    return s.tracking && s.tracking_client_id != before.tracking_client_id;
  }));
  RequireCached(*p.reader, Json(next));
  BadgeRecord last = MakeRecord(kCommitB, 3, BadgeState::kVerified, "main");
  MustPut(*p.writer, last);  // the new session receives invalidations again
  CHECK(WaitFor([&] { return MustRead(*p.reader) == Json(last); }));
}

TEST_CASE("read cache: a killed tracked read connection flushes the cache", "[redis][read_cache]") {
  Pair p(FixturePort());
  MustPut(*p.writer, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  RequireCached(*p.reader, Json(MakeRecord(kCommitA, 1)));
  const ReadCacheStats before = CacheStats(*p.reader);
  std::vector<std::string> tracked = TrackedClients(FixturePort(), before.tracking_client_id);
  REQUIRE_FALSE(tracked.empty());
  for (const std::string& id : tracked) RedisCli(FixturePort(), "CLIENT KILL ID " + id);
  BadgeRecord next = MakeRecord(kCommitA, 2, BadgeState::kFailed, "main");
  MustPut(*p.writer, next);  // Redis forgot the killed clients' tracking: no invalidation
  REQUIRE(WaitFor([&] { return CacheStats(*p.reader).flushes > before.flushes; }));
  CHECK(MustRead(*p.reader) == Json(next));
  RequireCached(*p.reader, Json(next));  // the connections reconnect and track again
  CHECK_FALSE(TrackedClients(FixturePort(), before.tracking_client_id).empty());
}

TEST_CASE("read cache: a Redis restart or FLUSHALL never leaves a stale badge",
          "[redis][read_cache][restart]") {
  integration::PrivateRedis redis(PROVBADGE_IT_REDIS_CACHE_PORT);
  redis.Start();
  Pair p(redis.port());
  MustPut(*p.writer, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  RequireCached(*p.reader, Json(MakeRecord(kCommitA, 1)));

  redis.Stop();
  REQUIRE(WaitFor([&] { return !CacheStats(*p.reader).tracking; }));
  Result<std::optional<std::string>> down = p.reader->GetBadgeJson(kRepo, "main", true);
  REQUIRE_FALSE(down.ok());  // not the cached badge
  CHECK(down.error().code() == ErrorCode::kUnavailable);

  redis.Start();  // empty: no persistence
  Result<std::optional<std::string>> up = p.reader->GetBadgeJson(kRepo, "main", true);
  REQUIRE(WaitFor([&] {
    up = p.reader->GetBadgeJson(kRepo, "main", true);
    return up.ok();
  }));
  CHECK_FALSE(up->has_value());
  BadgeRecord next = MakeRecord(kCommitB, 2, BadgeState::kFailed, "main");
  MustPut(*p.writer, next);
  // Another writer's change: the reader may have cached the absence above, under the new
  // session; the server's invalidation (on the other connection) then takes a moment, as for
  // any other writer, and must come (a lost one would leave the absence for good).
  CHECK(WaitFor([&] { return MustRead(*p.reader) == Json(next); }));
  WaitForTracking(*p.reader);
  RequireCached(*p.reader, Json(next));

  const uint64_t flushes = CacheStats(*p.reader).flushes;
  REQUIRE(RedisCli(redis.port(), "FLUSHALL") == "OK");  // a null invalidation message
  CHECK(WaitFor([&] { return !MustRead(*p.reader).has_value(); }));
  CHECK(CacheStats(*p.reader).flushes > flushes);
}

TEST_CASE("read cache: FLUSHDB of another database flushes the cache", "[redis][read_cache]") {
  Pair p(FixturePort());
  MustPut(*p.writer, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  RequireCached(*p.reader, Json(MakeRecord(kCommitA, 1)));
  const uint64_t flushes = CacheStats(*p.reader).flushes;
  REQUIRE(RedisCli(FixturePort(), "-n 15 FLUSHDB") == "OK");  // nothing lives in db 15
  CHECK(WaitFor([&] { return CacheStats(*p.reader).flushes > flushes; }));
  CHECK(CacheStats(*p.reader).entries == 0);
}

TEST_CASE("read cache: the entry and byte bounds hold", "[redis][read_cache]") {
  RedisStoreOptions bounded;
  bounded.read_cache_max_entries = 8;
  bounded.read_cache_max_bytes = 100'000;
  SECTION("bytes") {
    bounded.read_cache_max_entries = 1000;
    bounded.read_cache_max_bytes = 4096;
  }
  Pair p(FixturePort(), bounded);
  std::vector<std::string> commits;
  for (int i = 0; i < 40; ++i) {
    std::string commit = std::string(38, 'c') + std::to_string(10 + i);
    commits.push_back(commit);
    MustPut(*p.writer, MakeRecord(commit, i + 1));
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < commits.size(); ++i) {
      REQUIRE(MustRead(*p.reader, commits[i], false) ==
              Json(MakeRecord(commits[i], static_cast<int64_t>(i) + 1)));
      ReadCacheStats s = CacheStats(*p.reader);
      REQUIRE(s.entries <= bounded.read_cache_max_entries);
      REQUIRE(s.bytes <= bounded.read_cache_max_bytes);
    }
  }
  ReadCacheStats s = CacheStats(*p.reader);
  CHECK(s.entries > 0);
  CHECK(s.evictions >= 40 - s.entries);
}

TEST_CASE("read cache: off means no cache and no tracking", "[redis][read_cache]") {
  std::unique_ptr<BadgeStore> store =
      MustOpen(Options(FixturePort(), integration::UniqueName("rc"), false));
  CHECK_FALSE(store->ReadCache().has_value());
  RedisStoreOptions bad = Options(FixturePort(), "x", true);
  bad.read_cache_max_entries = 0;
  Result<std::unique_ptr<BadgeStore>> rejected = OpenRedisBadgeStore(bad);
  REQUIRE_FALSE(rejected.ok());
  CHECK(rejected.error().code() == ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace provbadge::badges
