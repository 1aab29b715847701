#include "sqlite_db.h"

namespace provbadge::queue::internal {

Db::~Db() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Db::Open(const std::string& path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return Unavailable("sqlite: open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  return Status::Ok();
}

Status Db::Exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(sql);
  return Status::Ok();
}

Result<std::string> Db::QueryText(const char* sql) {
  Statement stmt;
  if (Status s = stmt.Prepare(*this, sql); !s.ok()) return s.error();
  Result<bool> row = stmt.Step();
  if (!row.ok()) return row.error();
  std::string text = *row ? stmt.ColumnText(0) : std::string();
  stmt.Reset();
  return text;
}

Error Db::Fail(std::string_view what) const {
  return Unavailable("sqlite: " + std::string(what) + ": " + sqlite3_errmsg(db_));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Status Statement::Prepare(Db& db, const char* sql) {
  db_ = &db;
  sql_ = sql;
  if (sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
      SQLITE_OK) {
    return db.Fail(std::string("prepare ") + sql);
  }
  return Status::Ok();
}

void Statement::Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Statement::BindText(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void Statement::BindBlob(int index, std::string_view value) {
  // A zero-length blob must still be a blob, not NULL: bind a non-null pointer.
  static const char kEmpty = 0;
  const char* data = value.empty() ? &kEmpty : value.data();
  sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT);
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = db_->Fail(sql_);
  Reset();
  return e;
}

Status Statement::Run() {
  ResetOnExit reset(*this);
  Result<bool> r = Step();
  return r.status();
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::ColumnText(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  int size = sqlite3_column_bytes(stmt_, index);
  if (data == nullptr || size <= 0) return std::string();
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Transaction::~Transaction() {
  if (open_) (void)rollback_.Run();
}

Status Transaction::Begin() {
  Status s = begin_.Run();
  open_ = s.ok();
  return s;
}

Status Transaction::Commit() {
  Status s = commit_.Run();
  if (s.ok()) open_ = false;
  return s;
}

}  // namespace provbadge::queue::internal
