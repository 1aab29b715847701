// Small RAII and statement helpers for the SQLite badge store (sqlite_store.cc,
// sqlite_lineage.cc). Internal to badges/.
//
// Thread-safety: none of its own; a connection and its statements are used under the store's
// mutex only.
#ifndef PROVBADGE_BADGES_SRC_SQLITE_UTIL_H_
#define PROVBADGE_BADGES_SRC_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"

namespace provbadge::badges::internal {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Resets a shared prepared statement when a use of it ends, however it ends.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

inline Error SqliteError(sqlite3* db, std::string_view what) {
  return Unavailable("sqlite badge store: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

inline std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* text = sqlite3_column_text(stmt, col);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(stmt, col)));
}

inline Status BindText(sqlite3* db, sqlite3_stmt* stmt, int index, std::string_view text) {
  if (sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    return SqliteError(db, "bind");
  }
  return Status::Ok();
}

// Prepares `sql` (not kept), binds `args` as text ?1, ?2, ..., and steps to the end, calling
// `on_row(stmt)` for every row. For statements used rarely.
template <typename OnRow>
Status QueryOnce(sqlite3* db, const char* sql, std::initializer_list<std::string_view> args,
                 OnRow on_row) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return SqliteError(db, "prepare");
  }
  StmtPtr stmt(raw);
  int index = 1;
  for (std::string_view arg : args) {
    if (Status s = BindText(db, stmt.get(), index++, arg); !s.ok()) return s;
  }
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) on_row(stmt.get());
  if (rc != SQLITE_DONE) return SqliteError(db, "query");
  return Status::Ok();
}

inline Status ExecOnce(sqlite3* db, const char* sql, std::initializer_list<std::string_view> args) {
  return QueryOnce(db, sql, args, [](sqlite3_stmt*) {});
}

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_SQLITE_UTIL_H_
