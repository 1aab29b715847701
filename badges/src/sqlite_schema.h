// Creating or upgrading the schema of the SQLite badge store (sqlite_store.cc): the revisions
// and refs tables in WAL mode, then the lineage tables and revisions.vsa_json
// (sqlite_lineage.h) in one write transaction, so that processes opening a new store at once
// (a worker and a reader) do not both add the column.
//
// Thread-safety: called once per connection, before the connection is shared.
#ifndef PROVBADGE_BADGES_SRC_SQLITE_SCHEMA_H_
#define PROVBADGE_BADGES_SRC_SQLITE_SCHEMA_H_

#include <sqlite3.h>

#include <string>

#include "provbadge/common/result.h"

namespace provbadge::badges::internal {

// Connections setting up a new database at once can get SQLITE_BUSY without the busy handler
// waiting (the journal mode change, a read lock that cannot become a write lock): such attempts
// are retried until `busy_timeout_ms` has passed. kUnavailable with SQLite's message otherwise.
Status InitSqliteStoreSchema(sqlite3* db, const std::string& path, int busy_timeout_ms);

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_SQLITE_SCHEMA_H_
