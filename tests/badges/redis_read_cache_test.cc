// RedisReadCache (badges/src/redis_read_cache.h) without a server: sessions, tickets (the
// invalidation-before-reply race), flushes and the bounds. Against a real Redis:
// tests/integration/redis_read_cache_test.cc.
#include "redis_read_cache.h"

#include <catch2/catch.hpp>

#include <string>

namespace provbadge::badges::internal {
namespace {

constexpr size_t kBig = 1 << 20;

// Caches `value` for `key` through a full ticket round.
void Put(RedisReadCache& cache, uint64_t session, const std::string& key,
         RedisReadCache::Value value) {
  std::optional<RedisReadCache::Ticket> ticket = cache.Begin(key, session);
  REQUIRE(ticket.has_value());
  cache.Complete(key, *ticket, std::move(value));
}

TEST_CASE("read cache: nothing is cached outside a tracking session", "[redis_cache]") {
  RedisReadCache cache(16, kBig);
  CHECK_FALSE(cache.Begin("k", 0).has_value());
  CHECK_FALSE(cache.Begin("k", 1).has_value());
  uint64_t s = cache.StartSession(42);
  CHECK(cache.Session() == std::pair<uint64_t, int64_t>{s, 42});
  Put(cache, s, "k", "v");
  CHECK(cache.Find("k") == std::optional<RedisReadCache::Value>("v"));
  cache.EndSession();
  CHECK_FALSE(cache.Find("k").has_value());
  CHECK_FALSE(cache.Begin("k", s).has_value());  // the old session is not live any more
  uint64_t s2 = cache.StartSession(43);
  CHECK(s2 != s);
  CHECK_FALSE(cache.Begin("k", s).has_value());  // a connection tracked for the old session
  CHECK(cache.Begin("k", s2).has_value());
  CHECK_FALSE(cache.Stats().hits == 0);
}

TEST_CASE("read cache: absent values are cached and invalidated like others", "[redis_cache]") {
  RedisReadCache cache(16, kBig);
  uint64_t s = cache.StartSession(1);
  Put(cache, s, "missing", std::nullopt);
  std::optional<RedisReadCache::Value> hit = cache.Find("missing");
  REQUIRE(hit.has_value());
  CHECK_FALSE(hit->has_value());
  cache.Invalidate("missing");
  CHECK_FALSE(cache.Find("missing").has_value());
  CHECK(cache.Stats().invalidations == 1);
}

TEST_CASE("read cache: an invalidation that overtakes its reply cancels the insert",
          "[redis_cache]") {
  RedisReadCache cache(16, kBig);
  uint64_t s = cache.StartSession(1);
  SECTION("the key itself") {
    std::optional<RedisReadCache::Ticket> t = cache.Begin("k", s);
    REQUIRE(t.has_value());
    cache.Invalidate("k");  // arrives before the (now stale) reply
    cache.Complete("k", *t, "old");
    CHECK_FALSE(cache.Find("k").has_value());
    CHECK(cache.Stats().discards == 1);
  }
  SECTION("a local write (Forget)") {
    std::optional<RedisReadCache::Ticket> t = cache.Begin("k", s);
    cache.Forget("k");
    cache.Complete("k", *t, "old");
    CHECK_FALSE(cache.Find("k").has_value());
    CHECK(cache.Stats().invalidations == 0);
  }
  SECTION("a flush") {
    std::optional<RedisReadCache::Ticket> t = cache.Begin("k", s);
    cache.Flush();
    cache.Complete("k", *t, "old");
    CHECK_FALSE(cache.Find("k").has_value());
  }
  SECTION("a new session") {
    std::optional<RedisReadCache::Ticket> t = cache.Begin("k", s);
    cache.EndSession();
    uint64_t s2 = cache.StartSession(2);
    cache.Complete("k", *t, "old");
    CHECK_FALSE(cache.Find("k").has_value());
    Put(cache, s2, "k", "new");
    CHECK(cache.Find("k") == std::optional<RedisReadCache::Value>("new"));
  }
  SECTION("an invalidation after the insert removes the entry") {
    Put(cache, s, "k", "v");
    cache.Invalidate("k");
    CHECK_FALSE(cache.Find("k").has_value());
  }
}

TEST_CASE("read cache: entry and byte bounds evict the least recently used", "[redis_cache]") {
  SECTION("entries") {
    RedisReadCache cache(3, kBig);
    uint64_t s = cache.StartSession(1);
    for (const char* k : {"a", "b", "c"}) Put(cache, s, k, "v");
    CHECK(cache.Find("a").has_value());  // a is now the most recent
    Put(cache, s, "d", "v");
    CHECK(cache.Stats().entries == 3);
    CHECK(cache.Stats().evictions == 1);
    CHECK_FALSE(cache.Find("b").has_value());
    CHECK(cache.Find("a").has_value());
    CHECK(cache.Find("d").has_value());
  }
  SECTION("bytes") {
    const size_t entry = 1 + 100 + RedisReadCache::kEntryOverhead;
    RedisReadCache cache(100, 2 * entry + 10);
    uint64_t s = cache.StartSession(1);
    for (const char* k : {"a", "b", "c"}) Put(cache, s, k, std::string(100, 'x'));
    ReadCacheStats stats = cache.Stats();
    CHECK(stats.entries == 2);
    CHECK(stats.bytes == 2 * entry);
    CHECK_FALSE(cache.Find("a").has_value());
    Put(cache, s, "big", std::string(4 * entry, 'x'));  // larger than the bound: not stored
    CHECK_FALSE(cache.Find("big").has_value());
    CHECK(cache.Stats().bytes <= 2 * entry + 10);
  }
  SECTION("replacing an entry does not count it twice") {
    RedisReadCache cache(2, kBig);
    uint64_t s = cache.StartSession(1);
    Put(cache, s, "a", "1");
    Put(cache, s, "a", "22");
    CHECK(cache.Stats().entries == 1);
    CHECK(cache.Stats().bytes == 1 + 2 + RedisReadCache::kEntryOverhead);
    CHECK(cache.Find("a") == std::optional<RedisReadCache::Value>("22"));
  }
}

}  // namespace
}  // namespace provbadge::badges::internal
