// The lineage tables of the SQLite badge store (sqlite_store.cc): the lineage cache, the
// lineage index, revocations, and what PurgeRepo/MoveRepo do to them (badge_store.h).
//
// Thread-safety: every function REQUIRES the store's mutex held (one connection). Functions
// marked "in a transaction" must run inside the caller's BEGIN ... COMMIT.
#ifndef PROVBADGE_BADGES_SRC_SQLITE_LINEAGE_H_
#define PROVBADGE_BADGES_SRC_SQLITE_LINEAGE_H_

#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/badges/badge_store.h"

namespace provbadge::badges::internal {

// Creates the tables (idempotent) and adds revisions.vsa_json to a database made before it.
Status SqliteLineageSchema(sqlite3* db);

Result<std::optional<std::string>> SqliteGetCachedNode(sqlite3* db, std::string_view repo,
                                                       std::string_view commit,
                                                       std::string_view policy_digest);
Status SqlitePutCachedNode(sqlite3* db, std::string_view repo, std::string_view commit,
                           std::string_view policy_digest, std::string_view node_json);
Status SqliteDropCachedNodes(sqlite3* db, std::string_view repo, std::string_view commit);

// In a transaction.
Status SqliteRecordLineage(sqlite3* db, const RevisionKey& child,
                           const std::vector<RevisionKey>& parents,
                           const std::vector<std::string>& signers);
Result<std::vector<RevisionKey>> SqliteChildren(sqlite3* db, const RevisionKey& parent);
Result<std::vector<RevisionKey>> SqliteSignedBy(sqlite3* db, std::string_view signer);

Status SqliteAddRevocation(sqlite3* db, const Revocation& revocation);
Result<std::vector<Revocation>> SqliteListRevocations(sqlite3* db);

// In a transaction: the lineage part of PurgeRepo / MoveRepo.
Status SqlitePurgeLineage(sqlite3* db, std::string_view repo);
Status SqliteMoveLineage(sqlite3* db, std::string_view from, std::string_view to);

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_SQLITE_LINEAGE_H_
