// The BadgeStore contract against a real redis-server (the `redis` CTest fixture), plus the
// Redis-specific behaviour: the documented key layout, Redis going away and coming back, and
// a lost script cache.
#include <catch2/catch.hpp>

#include <string>

#include "badges/badge_store_contract.h"
#include "integration/redis_fixture.h"
#include "provbadge/badges/redis_store.h"

namespace provbadge::badges {
namespace {

using contract::kCommitA;
using contract::kCommitB;
using contract::kRepo;
using contract::MakeRecord;

using integration::FixturePort;
using integration::MustOpen;
using integration::RedisCli;
using integration::RedisUrl;

// How a backend's stores use the read cache: as configured by default (reads may start
// before tracking is up), with tracking live before the first call, or off.
enum class ReadCacheMode { kDefault, kLive, kOff };

// Fresh storage: a key prefix no other backend uses, on the shared fixture server.
class RedisBackend final : public contract::StoreBackend {
 public:
  explicit RedisBackend(ReadCacheMode mode = ReadCacheMode::kDefault) : mode_(mode) {}
  std::unique_ptr<BadgeStore> Open() override {
    std::unique_ptr<BadgeStore> store = MustOpen(options());
    if (mode_ == ReadCacheMode::kLive) integration::WaitForTracking(*store);
    return store;
  }
  RedisStoreOptions options() const {
    RedisStoreOptions o;
    o.url = RedisUrl(FixturePort());
    o.key_prefix = prefix_;
    o.read_cache = mode_ != ReadCacheMode::kOff;
    return o;
  }
  const std::string& prefix() const { return prefix_; }

 private:
  ReadCacheMode mode_;
  std::string prefix_ = integration::UniqueName("it");
};

TEST_CASE("redis store satisfies the badge store contract", "[redis][contract]") {
  contract::RunBadgeStoreContract([] { return std::make_unique<RedisBackend>(); });
}

TEST_CASE("redis store satisfies the badge store contract with the read cache live",
          "[redis][contract][read_cache]") {
  contract::RunBadgeStoreContract(
      [] { return std::make_unique<RedisBackend>(ReadCacheMode::kLive); });
}

TEST_CASE("redis store satisfies the badge store contract with the read cache off",
          "[redis][contract]") {
  contract::RunBadgeStoreContract(
      [] { return std::make_unique<RedisBackend>(ReadCacheMode::kOff); });
}

TEST_CASE("redis store writes the documented key layout", "[redis]") {
  RedisBackend backend;
  auto store = backend.Open();
  REQUIRE(store->Put(MakeRecord(kCommitA, 42, BadgeState::kVerified, "main")).ok());
  const std::string port = FixturePort();
  const std::string badge_key = backend.prefix() + ":badge:{" + kRepo + "}:" + kCommitA;
  const std::string ref_key = backend.prefix() + ":ref:{" + kRepo + "}:main";
  CHECK(RedisBadgeKey(backend.prefix(), kRepo, kCommitA) == badge_key);
  CHECK(RedisRefKey(backend.prefix(), kRepo, "main") == ref_key);
  CHECK(RedisCli(port, "HGET '" + badge_key + "' seq") == "42");
  CHECK(RedisCli(port, "HGET '" + badge_key + "' state") == "verified");
  CHECK(RedisCli(port, "HGET '" + badge_key + "' badge") ==
        BadgeToJson(MakeRecord(kCommitA, 42).badge));
  CHECK(RedisCli(port, "HGET '" + badge_key + "' report") == "{\"seq\":42}");
  CHECK_THAT(RedisCli(port, "HGET '" + badge_key + "' updated_at"), Catch::Matches("20\\d\\d-.*Z"));
  CHECK(RedisCli(port, "HGET '" + ref_key + "' commit") == kCommitA);
  CHECK(RedisCli(port, "HGET '" + ref_key + "' seq") == "42");
}

TEST_CASE("redis store writes the documented lineage key layout", "[redis]") {
  RedisBackend backend;
  auto store = backend.Open();
  const std::string port = FixturePort();
  const std::string& p = backend.prefix();
  BadgeRecord rec = MakeRecord(kCommitA, 7, BadgeState::kVerified, "main");
  rec.vsa_json = "{\"vsa\":true}";
  REQUIRE(store->Put(rec).ok());
  CHECK(RedisCli(port, "HGET '" + RedisBadgeKey(p, kRepo, kCommitA) + "' vsa") == rec.vsa_json);
  REQUIRE(store->PutCachedNode(kRepo, kCommitB, "d1", "{\"node\":1}").ok());
  CHECK(RedisRepoKey(p, "node", kRepo, kCommitB) == p + ":node:{" + kRepo + "}:" + kCommitB);
  CHECK(RedisCli(port, "HGET '" + p + ":node:{" + kRepo + "}:" + kCommitB + "' d1") ==
        "{\"node\":1}");
  CHECK(RedisCli(port, "SMEMBERS '" + p + ":nodes:{" + kRepo + "}'") == kCommitB);
  REQUIRE(store->RecordLineage({"org/q", kCommitB}, {{kRepo, kCommitA}}, {"quant"}).ok());
  const std::string member = "5:org/q40:" + kCommitB;
  CHECK(RedisJoinFields({"org/q", kCommitB}) == member);
  CHECK(RedisCli(port, "SMEMBERS '" + p + ":children:{" + kRepo + "}:" + kCommitA + "'") == member);
  CHECK(RedisCli(port, "SMEMBERS '" + p + ":signed:{quant}'") == member);
  CHECK(RedisCli(port, "SMEMBERS '" + p + ":parents:{org/q}:" + kCommitB + "'") ==
        "9:org/model40:" + kCommitA);
  CHECK(RedisCli(port, "SMEMBERS '" + p + ":signers:{org/q}:" + kCommitB + "'") == "quant");
  REQUIRE(store->AddRevocation({"signer", "", "", "quant", "why", "2024-01-01T00:00:00Z"}).ok());
  CHECK(RedisCli(port, "HGET '" + p + ":revocations' '6:signer0:0:5:quant'") ==
        "6:signer0:0:5:quant3:why20:2024-01-01T00:00:00Z");
}

TEST_CASE("redis field encoding round-trips and rejects malformed text", "[redis]") {
  for (const std::vector<std::string_view>& parts :
       {std::vector<std::string_view>{}, {""}, {"a:b", "", "12:x"}, {"\n", "{}", "%7B"}}) {
    std::optional<std::vector<std::string>> back = RedisSplitFields(RedisJoinFields(parts));
    REQUIRE(back.has_value());
    CHECK(std::vector<std::string>(parts.begin(), parts.end()) == *back);
  }
  for (const char* bad : {"x", "3:ab", ":ab", "1", "-1:a", "99999999999999999999:a", "1:ab"}) {
    INFO(bad);
    CHECK_FALSE(RedisSplitFields(bad).has_value());
  }
}

TEST_CASE("redis store: corrupt lineage data is an internal error", "[redis]") {
  RedisBackend backend;
  auto store = backend.Open();
  const std::string& p = backend.prefix();
  RedisCli(FixturePort(), "SADD '" + p + ":children:{org/base}:" + kCommitA + "' '7:short'");
  Result<std::vector<RevisionKey>> children = store->Children({"org/base", kCommitA});
  REQUIRE_FALSE(children.ok());
  CHECK(children.error().code() == ErrorCode::kInternal);
  RedisCli(FixturePort(), "HSET '" + p + ":revocations' f 'not fields'");
  Result<std::vector<Revocation>> revocations = store->ListRevocations();
  REQUIRE_FALSE(revocations.ok());
  CHECK(revocations.error().code() == ErrorCode::kInternal);
}

TEST_CASE("redis store keys escape braces and percent signs", "[redis]") {
  CHECK(RedisBadgeKey("p", "a}:{b", "c") == "p:badge:{a%7D:%7Bb}:c");
  CHECK(RedisRefKey("p", "a", "{b}%") == "p:ref:{a}:%7Bb%7D%25");
  CHECK(RedisBadgeKey("p", "a}:{b", "c") != RedisBadgeKey("p", "a", "b}:c"));
}

TEST_CASE("redis store survives a lost script cache", "[redis]") {
  RedisBackend backend;
  auto store = backend.Open();
  REQUIRE(store->Put(MakeRecord(kCommitA, 1)).ok());
  REQUIRE(RedisCli(FixturePort(), "SCRIPT FLUSH") == "OK");
  Result<PutResult> put = store->Put(MakeRecord(kCommitA, 2));
  INFO((put.ok() ? std::string() : put.error().message()));
  REQUIRE(put.ok());
  CHECK(*put == PutResult::kWritten);
  CHECK(store->Put(MakeRecord(kCommitA, 2)).value() == PutResult::kStale);
  // The fast read by ref (a script too) and the lineage scripts reload as well.
  REQUIRE(store->Put(MakeRecord(kCommitA, 3, BadgeState::kVerified, "main")).ok());
  REQUIRE(RedisCli(FixturePort(), "SCRIPT FLUSH") == "OK");
  Result<std::optional<std::string>> json = store->GetBadgeJson(kRepo, "main", true);
  INFO((json.ok() ? std::string() : json.error().message()));
  REQUIRE(json.ok());
  CHECK(*json == BadgeToJson(MakeRecord(kCommitA, 3).badge));
  REQUIRE(RedisCli(FixturePort(), "SCRIPT FLUSH") == "OK");
  CHECK(store->RecordLineage({"org/q", kCommitB}, {{kRepo, kCommitA}}, {"quant"}).ok());
  CHECK(store->Children({kRepo, kCommitA}).value().size() == 1);
}

TEST_CASE("redis store: a corrupt stored badge is an internal error", "[redis]") {
  RedisBackend backend;
  auto store = backend.Open();
  REQUIRE(store->Put(MakeRecord(kCommitB, 1, BadgeState::kVerified, "main")).ok());
  RedisCli(FixturePort(),
           "HSET '" + RedisBadgeKey(backend.prefix(), kRepo, kCommitB) + "' badge '{}'");
  Result<std::optional<BadgeRecord>> got = store->GetRevision(kRepo, kCommitB);
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().code() == ErrorCode::kInternal);
  REQUIRE_FALSE(store->GetRef(kRepo, "main").ok());
}

TEST_CASE("redis store: unreachable server and bad options", "[redis]") {
  RedisStoreOptions options;
  SECTION("nothing listens") {
    options.url = "redis://127.0.0.1:1/0";
    Result<std::unique_ptr<BadgeStore>> store = OpenRedisBadgeStore(options);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().code() == ErrorCode::kUnavailable);
    CHECK_THAT(store.error().message(), Catch::Contains("127.0.0.1:1"));
  }
  SECTION("wrong password is unavailable, and the password is not echoed") {
    options.url = "redis://:s3cret-pw@127.0.0.1:" + FixturePort() + "/0";
    Result<std::unique_ptr<BadgeStore>> store = OpenRedisBadgeStore(options);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().code() == ErrorCode::kUnavailable);
    CHECK_THAT(store.error().message(), !Catch::Contains("s3cret-pw"));
  }
  SECTION("bad url") {
    for (const char* url : {"", "http://x", "redis://", "redis://h:0", "redis://h:99999",
                            "redis://h:6379/x", "redis://u@h", "redis://h o"}) {
      options.url = url;
      Result<std::unique_ptr<BadgeStore>> store = OpenRedisBadgeStore(options);
      INFO(url);
      REQUIRE_FALSE(store.ok());
      CHECK(store.error().code() == ErrorCode::kInvalidInput);
    }
  }
}

TEST_CASE("redis url parsing", "[redis]") {
  Result<RedisEndpoint> e = ParseRedisUrl("redis://:pw@cache.internal:6380/3");
  REQUIRE(e.ok());
  CHECK(e->host == "cache.internal");
  CHECK(e->port == 6380);
  CHECK(e->password == "pw");
  CHECK(e->db == 3);
  e = ParseRedisUrl("redis://localhost");
  REQUIRE(e.ok());
  CHECK(e->port == 6379);
  CHECK(e->db == 0);
  CHECK(e->password.empty());
}

TEST_CASE("redis store: Put is unavailable while Redis is down and works after it restarts",
          "[redis][restart]") {
  integration::PrivateRedis redis(PROVBADGE_IT_REDIS_RESTART_PORT);
  redis.Start();
  RedisStoreOptions options;
  options.url = RedisUrl(redis.port());
  options.pool_size = 2;
  options.command_timeout = std::chrono::milliseconds(500);
  auto store = MustOpen(options);
  REQUIRE(store->Put(MakeRecord(kCommitA, 1, BadgeState::kVerified, "main")).ok());

  redis.Stop();
  for (int i = 0; i < 4; ++i) {  // every pooled connection notices, none crashes
    Result<PutResult> put = store->Put(MakeRecord(kCommitA, 2 + i));
    REQUIRE_FALSE(put.ok());
    CHECK(put.error().code() == ErrorCode::kUnavailable);
    Result<std::optional<BadgeRecord>> got = store->GetRef(kRepo, "main");
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().code() == ErrorCode::kUnavailable);
  }

  redis.Start();  // empty again (no persistence): the script cache is gone too
  for (int i = 0; i < 4; ++i) {
    Result<PutResult> put = store->Put(MakeRecord(kCommitB, 10 + i, BadgeState::kFailed, "main"));
    INFO((put.ok() ? std::string() : put.error().message()));
    REQUIRE(put.ok());
    CHECK(*put == PutResult::kWritten);
  }
  auto head = store->GetRef(kRepo, "main");
  REQUIRE(head.ok());
  REQUIRE(head->has_value());
  CHECK((*head)->badge.commit == kCommitB);
  CHECK((*head)->seq == 13);
}

}  // namespace
}  // namespace provbadge::badges
