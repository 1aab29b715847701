// Thin RAII wrappers over the SQLite C API used by the embedded queue: a connection, a
// prepared statement that is reset after every use, and an IMMEDIATE transaction guard.
// Every SQLite failure becomes kUnavailable carrying SQLite's own message.
//
// Ownership: Db owns its sqlite3 handle; a Statement owns its sqlite3_stmt and must be
// destroyed before its Db. Thread-safety: none; callers serialise access to a connection.
#ifndef PROVBADGE_QUEUE_SRC_SQLITE_DB_H_
#define PROVBADGE_QUEUE_SRC_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"

namespace provbadge::queue::internal {

class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Opens (creating if missing) the database at `path`.
  Status Open(const std::string& path);
  // Runs one or more statements that return no rows needed by the caller.
  Status Exec(const char* sql);
  // Runs a single-value query (PRAGMA and the like) and returns the first column as text.
  Result<std::string> QueryText(const char* sql);
  int64_t Changes() const { return sqlite3_changes64(db_); }
  sqlite3* handle() const { return db_; }
  // kUnavailable "sqlite: <what>: <sqlite message>".
  Error Fail(std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Status Prepare(Db& db, const char* sql);
  void Bind(int index, int64_t value);
  void BindText(int index, std::string_view value);
  void BindBlob(int index, std::string_view value);
  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  // Steps a statement that returns no rows, then resets it.
  Status Run();
  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;
  // Resets and clears bindings so no read snapshot stays open between uses.
  void Reset();

 private:
  Db* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  const char* sql_ = "";
};

// Resets a statement when leaving scope.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& s) : s_(s) {}
  ~ResetOnExit() { s_.Reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& s_;
};

// BEGIN IMMEDIATE on construction (Begin()), ROLLBACK on destruction unless committed.
class Transaction {
 public:
  Transaction(Statement& begin, Statement& commit, Statement& rollback)
      : begin_(begin), commit_(commit), rollback_(rollback) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin();
  Status Commit();

 private:
  Statement& begin_;
  Statement& commit_;
  Statement& rollback_;
  bool open_ = false;
};

}  // namespace provbadge::queue::internal

#endif  // PROVBADGE_QUEUE_SRC_SQLITE_DB_H_
