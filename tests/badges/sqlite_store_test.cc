// The BadgeStore contract suite on the SQLite store, plus SQLite-specific faults.
#include "provbadge/badges/sqlite_store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "badges/badge_store_contract.h"

namespace provbadge::badges {
namespace {

namespace fs = std::filesystem;
using contract::kCommitA;
using contract::kRepo;
using contract::MakeRecord;

// A fresh temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "provbadge-badges-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class SqliteBackend final : public contract::StoreBackend {
 public:
  std::unique_ptr<BadgeStore> Open() override {
    Result<std::unique_ptr<BadgeStore>> store = OpenSqliteBadgeStore(db_path());
    INFO((store.ok() ? std::string() : store.error().message()));
    REQUIRE(store.ok());
    return std::move(*store);
  }
  std::string db_path() const { return (dir_.path() / "badges.db").string(); }

 private:
  TempDir dir_;
};

TEST_CASE("sqlite store satisfies the badge store contract", "[store][contract]") {
  contract::RunBadgeStoreContract([] { return std::make_unique<SqliteBackend>(); });
}

TEST_CASE("sqlite store: unopenable path is unavailable", "[store]") {
  TempDir dir;
  Result<std::unique_ptr<BadgeStore>> store =
      OpenSqliteBadgeStore((dir.path() / "missing-dir" / "badges.db").string());
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code() == ErrorCode::kUnavailable);
  CHECK_THAT(store.error().message(), Catch::Contains("sqlite badge store"));
}

TEST_CASE("sqlite store: a file that is not a database is unavailable", "[store]") {
  TempDir dir;
  fs::path path = dir.path() / "badges.db";
  std::ofstream(path) << std::string(4096, 'x');
  Result<std::unique_ptr<BadgeStore>> store = OpenSqliteBadgeStore(path.string());
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code() == ErrorCode::kUnavailable);
  CHECK_THAT(store.error().message(), Catch::Contains("not a database"));
}

// Runs one SQL statement on the store's file through a separate connection.
void ExecOnFile(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  INFO(sqlite3_errmsg(db));
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

std::string QueryOneText(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Opens the store at `path` from `n` threads at once; the errors of those that failed.
std::vector<std::string> OpenAtOnce(const std::string& path, int n) {
  std::latch start(n);
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      Result<std::unique_ptr<BadgeStore>> store = OpenSqliteBadgeStore(path);
      std::lock_guard lock(mu);
      if (!store.ok()) errors.push_back(store.error().message());
    });
  }
  for (std::thread& t : threads) t.join();
  return errors;
}

TEST_CASE("sqlite store: processes opening a new or older store at once all succeed", "[store]") {
  // A worker and a reader (`provbadge badge`) start together on a new store: each checks for
  // the vsa_json column and adds it if missing; only one may add it.
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    const std::string path = (dir.path() / "badges.db").string();
    if (round % 2 == 1) {  // a store of a release before vsa_json
      ExecOnFile(path,
                 "CREATE TABLE revisions(repo TEXT NOT NULL, \"commit\" TEXT NOT NULL, seq INTEGER "
                 "NOT NULL, state TEXT NOT NULL, badge_json TEXT NOT NULL, report_json TEXT NOT "
                 "NULL, PRIMARY KEY(repo, \"commit\"))");
    }
    std::vector<std::string> errors = OpenAtOnce(path, 6);
    INFO("round " << round << ": " << (errors.empty() ? "" : errors.front()));
    CHECK(errors.empty());
    CHECK(QueryOneText(path,
                       "SELECT COUNT(*) FROM pragma_table_info('revisions') WHERE name = "
                       "'vsa_json'") == "1");
  }
}

TEST_CASE("sqlite store: uses the WAL journal and the documented tables", "[store]") {
  SqliteBackend backend;
  auto store = backend.Open();
  REQUIRE(store->Put(MakeRecord(kCommitA, 1, BadgeState::kVerified, "main")).ok());
  CHECK(QueryOneText(backend.db_path(), "PRAGMA journal_mode") == "wal");
  CHECK(QueryOneText(backend.db_path(), "SELECT state FROM revisions") == "verified");
  CHECK(QueryOneText(backend.db_path(), "SELECT \"commit\" FROM refs WHERE ref = 'main'") ==
        kCommitA);
}

TEST_CASE("sqlite store: a corrupt stored badge is an internal error, not a badge", "[store]") {
  SqliteBackend backend;
  auto store = backend.Open();
  REQUIRE(store->Put(MakeRecord(kCommitA, 1, BadgeState::kVerified, "main")).ok());
  ExecOnFile(backend.db_path(), "UPDATE revisions SET badge_json = '{\"state\":\"verified\"}'");
  Result<std::optional<BadgeRecord>> got = store->GetRevision(kRepo, kCommitA);
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().code() == ErrorCode::kInternal);
  Result<std::optional<BadgeRecord>> by_ref = store->GetRef(kRepo, "main");
  REQUIRE_FALSE(by_ref.ok());
  CHECK(by_ref.error().code() == ErrorCode::kInternal);
}

TEST_CASE("sqlite store: a storage fault is unavailable and keeps the previous badge", "[store]") {
  SqliteBackend backend;
  auto store = backend.Open();
  REQUIRE(store->Put(MakeRecord(kCommitA, 1, BadgeState::kVerified, "main")).ok());
  // The ref write fails after the revision write succeeded inside the same transaction.
  ExecOnFile(backend.db_path(),
             "CREATE TRIGGER deny BEFORE UPDATE ON refs BEGIN "
             "SELECT RAISE(ABORT, 'disk says no'); END");
  Result<PutResult> put = store->Put(MakeRecord(kCommitA, 2, BadgeState::kFailed, "main"));
  REQUIRE_FALSE(put.ok());
  CHECK(put.error().code() == ErrorCode::kUnavailable);
  CHECK_THAT(put.error().message(), Catch::Contains("disk says no"));
  // Nothing of the failed write is visible (both or neither), and the store keeps working.
  CHECK(store->GetRevision(kRepo, kCommitA)->value().seq == 1);
  auto got = store->GetRef(kRepo, "main");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->seq == 1);
  CHECK((*got)->badge.state == BadgeState::kVerified);
  ExecOnFile(backend.db_path(), "DROP TRIGGER deny");
  REQUIRE(store->Put(MakeRecord(kCommitA, 2, BadgeState::kFailed, "main")).ok());
  CHECK(store->GetRevision(kRepo, kCommitA)->value().seq == 2);
}

}  // namespace
}  // namespace provbadge::badges

namespace provbadge::badges {
namespace {

TEST_CASE("sqlite store: a database made before vsa_json is upgraded in place", "[store]") {
  SqliteBackend backend;
  BadgeRecord old = MakeRecord(kCommitA, 4, BadgeState::kVerified, "main");
  ExecOnFile(backend.db_path(),
             "CREATE TABLE revisions(repo TEXT NOT NULL, \"commit\" TEXT NOT NULL, seq INTEGER "
             "NOT NULL, state TEXT NOT NULL, badge_json TEXT NOT NULL, report_json TEXT NOT NULL, "
             "PRIMARY KEY(repo, \"commit\"));"
             "CREATE TABLE refs(repo TEXT NOT NULL, ref TEXT NOT NULL, \"commit\" TEXT NOT NULL, "
             "seq INTEGER NOT NULL, PRIMARY KEY(repo, ref));");
  std::string insert = "INSERT INTO revisions VALUES('" + kRepo + "', '" + kCommitA +
                       "', 4, 'verified', '" + BadgeToJson(old.badge) + "', '{}');" +
                       "INSERT INTO refs VALUES('" + kRepo + "', 'main', '" + kCommitA + "', 4);";
  ExecOnFile(backend.db_path(), insert.c_str());
  for (int open = 0; open < 2; ++open) {  // the upgrade is idempotent
    auto store = backend.Open();
    auto got = store->GetRef(kRepo, "main");
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK((*got)->vsa_json.empty());
    CHECK(store->GetBadgeJson(kRepo, "main", true).value() == BadgeToJson(old.badge));
  }
  auto store = backend.Open();
  BadgeRecord next = MakeRecord(kCommitA, 5, BadgeState::kVerified, "main");
  next.vsa_json = "{\"v\":1}";
  REQUIRE(store->Put(next).ok());
  CHECK(store->GetRevision(kRepo, kCommitA).value()->vsa_json == "{\"v\":1}");
}

}  // namespace
}  // namespace provbadge::badges
