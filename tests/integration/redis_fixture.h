// Helpers of the Redis integration tests: the shared fixture server (the `redis` CTest
// fixture, port in PROVBADGE_IT_REDIS), redis-cli against it, and private servers a test case
// may stop and restart without disturbing the others.
//
// Thread-safety: call from the test thread. Ownership: PrivateRedis owns its server and its
// directory and removes both when destroyed.
#ifndef PROVBADGE_TESTS_INTEGRATION_REDIS_FIXTURE_H_
#define PROVBADGE_TESTS_INTEGRATION_REDIS_FIXTURE_H_

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/test_paths.h"
#include "integration/integration_env.h"
#include "provbadge/badges/redis_store.h"

namespace provbadge::integration {

inline std::string RedisUrl(const std::string& port) { return "redis://127.0.0.1:" + port + "/0"; }
inline std::string FixturePort() { return EnvOr("PROVBADGE_IT_REDIS", "16399"); }

inline std::unique_ptr<badges::BadgeStore> MustOpen(const badges::RedisStoreOptions& options) {
  Result<std::unique_ptr<badges::BadgeStore>> store = badges::OpenRedisBadgeStore(options);
  INFO((store.ok() ? std::string() : store.error().message()));
  REQUIRE(store.ok());
  return std::move(*store);
}

// Polls until `pred()` holds, for up to `limit`; returns whether it did.
template <class Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// The store's read cache stats (it must have a read cache).
inline badges::ReadCacheStats CacheStats(const badges::BadgeStore& store) {
  std::optional<badges::ReadCacheStats> stats = store.ReadCache();
  REQUIRE(stats.has_value());
  return *stats;
}

// Waits until the store's invalidation connection is subscribed.
inline void WaitForTracking(const badges::BadgeStore& store) {
  REQUIRE(WaitFor([&] { return CacheStats(store).tracking; }));
}

// Runs redis-cli against the server on `port` and returns its trimmed output.
inline std::string RedisCli(const std::string& port, const std::string& args) {
  std::string cmd = "redis-cli -h 127.0.0.1 -p " + port + " " + args;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A server for one test case only, on `port` (each case that uses one has its own port).
class PrivateRedis {
 public:
  explicit PrivateRedis(std::string port) : port_(std::move(port)) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "provbadge-redis-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
  }
  ~PrivateRedis() {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Start() { REQUIRE(Script("redis_up.sh", " " + port_) == 0); }
  void Stop() { (void)Script("redis_down.sh", ""); }
  const std::string& port() const { return port_; }

 private:
  int Script(const std::string& name, const std::string& args) {
    std::string cmd = "sh '" + testing::SourceDir() + "/tests/integration/" + name + "' '" + dir_ +
                      "/server'" + args + " >/dev/null";
    return std::system(cmd.c_str());
  }
  std::string dir_;
  std::string port_;
};

}  // namespace provbadge::integration

#endif  // PROVBADGE_TESTS_INTEGRATION_REDIS_FIXTURE_H_
