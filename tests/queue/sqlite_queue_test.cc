// The embedded SQLite queue: the EventQueue contract plus SQLite-specific behaviour.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "provbadge/queue/sqlite_queue.h"
#include "queue/queue_contract.h"

namespace provbadge::queue {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// A fresh temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "provbadge-queue-XXXXXX").string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class SqliteBackend : public testing::QueueBackend {
 public:
  Result<std::unique_ptr<EventQueue>> Open(const testing::ContractOptions& o) override {
    SqliteQueueOptions options;
    options.path = db_path();
    options.max_attempts = o.max_attempts;
    options.visibility_timeout = o.visibility_timeout;
    options.reclaim_in_flight_on_open = o.reclaim_in_flight_on_open;
    return OpenSqliteQueue(options);
  }
  std::string db_path() const { return (dir_.path() / "queue.db").string(); }

 private:
  TempDir dir_;
};

PROVBADGE_QUEUE_CONTRACT_TESTS(SqliteBackend, "sqlite")

std::unique_ptr<EventQueue> MustOpen(const SqliteQueueOptions& options) {
  Result<std::unique_ptr<EventQueue>> q = OpenSqliteQueue(options);
  INFO((q.ok() ? std::string() : q.error().message()));
  REQUIRE(q.ok());
  return std::move(q).value();
}

TEST_CASE("sqlite queue rejects bad options", "[queue][sqlite]") {
  TempDir dir;
  SqliteQueueOptions options;
  options.path = (dir.path() / "q.db").string();

  SECTION("empty path") { options.path.clear(); }
  SECTION("zero max_attempts") { options.max_attempts = 0; }
  SECTION("huge max_attempts") { options.max_attempts = 10'000'000; }
  SECTION("non-positive visibility timeout") { options.visibility_timeout = milliseconds(0); }

  Result<std::unique_ptr<EventQueue>> q = OpenSqliteQueue(options);
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().code() == ErrorCode::kInvalidInput);
  CHECK_THAT(q.error().message(), Catch::StartsWith("sqlite queue: "));
}

TEST_CASE("sqlite queue storage faults are kUnavailable", "[queue][sqlite]") {
  TempDir dir;
  SqliteQueueOptions options;
  SECTION("missing directory") { options.path = (dir.path() / "no" / "such" / "q.db").string(); }
  SECTION("not a database") {
    options.path = (dir.path() / "garbage.db").string();
    std::ofstream(options.path) << std::string(4096, 'x');
  }
  Result<std::unique_ptr<EventQueue>> q = OpenSqliteQueue(options);
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().code() == ErrorCode::kUnavailable);
  CHECK_THAT(q.error().message(), Catch::Contains("sqlite"));
}

TEST_CASE("sqlite queue uses WAL and creates the file", "[queue][sqlite]") {
  TempDir dir;
  SqliteQueueOptions options;
  options.path = (dir.path() / "q.db").string();
  auto q = MustOpen(options);
  REQUIRE(q->Publish("m", "b").ok());
  CHECK(fs::exists(options.path));
  CHECK(fs::exists(options.path + "-wal"));
}

TEST_CASE("sqlite queue: processes opening a new queue at once all succeed", "[queue][sqlite]") {
  // `provbadge enqueue`, a worker and a reader may start together on a new queue file.
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    SqliteQueueOptions options;
    options.path = (dir.path() / "q.db").string();
    std::latch start(6);
    std::mutex mu;
    std::vector<std::string> errors;
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        Result<std::unique_ptr<EventQueue>> q = OpenSqliteQueue(options);
        std::lock_guard lock(mu);
        if (!q.ok()) errors.push_back(q.error().message());
      });
    }
    for (std::thread& t : threads) t.join();
    INFO("round " << round << ": " << (errors.empty() ? "" : errors.front()));
    CHECK(errors.empty());
  }
}

TEST_CASE("sqlite queue rejects bad message ids", "[queue][sqlite]") {
  TempDir dir;
  auto q = MustOpen({(dir.path() / "q.db").string()});
  Status empty = q->Publish("", "b");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code() == ErrorCode::kInvalidInput);
  Status huge = q->Publish(std::string(513, 'i'), "b");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().code() == ErrorCode::kInvalidInput);
  CHECK(q->Stats()->ready == 0);
}

TEST_CASE("sqlite queue without reclaim waits for the visibility timeout", "[queue][sqlite]") {
  TempDir dir;
  SqliteQueueOptions options;
  options.path = (dir.path() / "q.db").string();
  options.visibility_timeout = milliseconds(300);
  {
    auto q = MustOpen(options);
    REQUIRE(q->Publish("m", "b").ok());
    REQUIRE(q->Receive(milliseconds(1000))->has_value());
  }
  auto t0 = std::chrono::steady_clock::now();
  auto publisher = MustOpen(options);  // e.g. `provbadge enqueue`: must not steal leases
  CHECK(publisher->Stats()->in_flight == 1);
  auto again = publisher->Receive(milliseconds(5000));
  REQUIRE(again.ok());
  REQUIRE(again->has_value());
  CHECK(std::chrono::steady_clock::now() - t0 >= milliseconds(250));
  CHECK((*again)->attempt == 2);
}

TEST_CASE("sqlite queue ignores handles it never issued", "[queue][sqlite]") {
  TempDir dir;
  auto q = MustOpen({(dir.path() / "q.db").string()});
  REQUIRE(q->Publish("m", "b").ok());
  auto d = q->Receive(milliseconds(1000));
  REQUIRE(d.ok());
  REQUIRE(d->has_value());
  Delivery forged = **d;
  forged.handle ^= 1;  // another lease of the same row
  CHECK(q->Complete(forged, Outcome::Ack()).ok());
  forged = **d;
  forged.message_id = "other";
  CHECK(q->Complete(forged, Outcome::Reject("x")).ok());
  forged.handle = ~uint64_t{0};
  CHECK(q->Complete(forged, Outcome::Ack()).ok());
  CHECK(q->Stats()->in_flight == 1);
  CHECK(q->ListDeadLetters(10)->empty());
  CHECK(q->Complete(**d, Outcome::Ack()).ok());
  CHECK(q->Stats()->in_flight == 0);
}

TEST_CASE("sqlite queue accepts an id again once acked", "[queue][sqlite]") {
  TempDir dir;
  auto q = MustOpen({(dir.path() / "q.db").string()});
  REQUIRE(q->Publish("m", "v1").ok());
  auto d = q->Receive(milliseconds(1000));
  REQUIRE((d.ok() && d->has_value()));
  REQUIRE(q->Complete(**d, Outcome::Ack()).ok());
  REQUIRE(q->Publish("m", "v2").ok());
  auto again = q->Receive(milliseconds(1000));
  REQUIRE((again.ok() && again->has_value()));
  CHECK((*again)->body == "v2");
  CHECK((*again)->attempt == 1);
  // The stale handle of the first row cannot touch the new one.
  CHECK(q->Complete(**d, Outcome::Reject("stale")).ok());
  CHECK(q->Stats()->in_flight == 1);
}

TEST_CASE("sqlite queue delivery-limit reason carries the last retry error", "[queue][sqlite]") {
  TempDir dir;
  SqliteQueueOptions options;
  options.path = (dir.path() / "q.db").string();
  options.max_attempts = 1;
  auto q = MustOpen(options);
  REQUIRE(q->Publish("m", "b").ok());
  auto d = q->Receive(milliseconds(1000));
  REQUIRE((d.ok() && d->has_value()));
  REQUIRE(q->Complete(**d, Outcome::Retry(milliseconds(0), "redis: connection refused")).ok());
  CHECK_FALSE(q->Receive(milliseconds(50))->has_value());
  auto dead = q->ListDeadLetters(10);
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].reason == "delivery_limit: 1 attempts; last error: redis: connection refused");
}

}  // namespace
}  // namespace provbadge::queue
