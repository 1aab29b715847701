// Schema setup of the SQLite badge store (sqlite_schema.h).
#include "sqlite_schema.h"

#include <chrono>
#include <thread>
#include <utility>

#include "sqlite_lineage.h"

namespace provbadge::badges::internal {
namespace {

constexpr char kSchema[] = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE IF NOT EXISTS revisions(
  repo TEXT NOT NULL, "commit" TEXT NOT NULL, seq INTEGER NOT NULL, state TEXT NOT NULL,
  badge_json TEXT NOT NULL, report_json TEXT NOT NULL, PRIMARY KEY(repo, "commit"));
CREATE TABLE IF NOT EXISTS refs(
  repo TEXT NOT NULL, ref TEXT NOT NULL, "commit" TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY(repo, ref));
)sql";

// One attempt at creating or upgrading the schema: SQLITE_OK, or the failing result code with
// its message. The lineage tables and the vsa_json column are checked and added in one write
// transaction, so that processes opening a new store at once (a worker and a reader) do not
// both add the column.
std::pair<int, std::string> TrySchema(sqlite3* db) {
  auto failed = [db](int rc) {
    std::pair<int, std::string> out{rc == SQLITE_OK ? SQLITE_ERROR : rc, sqlite3_errmsg(db)};
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return out;
  };
  if (int rc = sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return failed(rc);
  }
  if (int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return failed(rc);
  }
  if (Status s = internal::SqliteLineageSchema(db); !s.ok()) {
    auto out = failed(sqlite3_errcode(db));
    out.second = s.error().message();
    return out;
  }
  if (int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return failed(rc);
  }
  return {SQLITE_OK, ""};
}

}  // namespace

Status InitSqliteStoreSchema(sqlite3* db, const std::string& path, int busy_timeout_ms) {
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    auto [rc, message] = TrySchema(db);
    if (rc == SQLITE_OK) return Status::Ok();
    const int primary = rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() >= give_up) {
      if (message.rfind("sqlite badge store: ", 0) == 0) return Unavailable(message);
      return Unavailable("sqlite badge store: open " + path + ": " + message);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace provbadge::badges::internal
