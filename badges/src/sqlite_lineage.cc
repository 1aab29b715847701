// The lineage tables of the SQLite badge store (sqlite_lineage.h).
#include "sqlite_lineage.h"

#include "sqlite_util.h"

namespace provbadge::badges::internal {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS cached_nodes(
  repo TEXT NOT NULL, "commit" TEXT NOT NULL, policy_digest TEXT NOT NULL,
  node_json TEXT NOT NULL, PRIMARY KEY(repo, "commit", policy_digest));
CREATE TABLE IF NOT EXISTS lineage(
  parent_repo TEXT NOT NULL, parent_commit TEXT NOT NULL, child_repo TEXT NOT NULL,
  child_commit TEXT NOT NULL,
  PRIMARY KEY(parent_repo, parent_commit, child_repo, child_commit)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lineage_by_child ON lineage(child_repo, child_commit);
CREATE TABLE IF NOT EXISTS signed(
  signer TEXT NOT NULL, repo TEXT NOT NULL, "commit" TEXT NOT NULL,
  PRIMARY KEY(signer, repo, "commit")) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS signed_by_repo ON signed(repo);
CREATE TABLE IF NOT EXISTS revocations(
  kind TEXT NOT NULL, repo TEXT NOT NULL, "commit" TEXT NOT NULL, signer TEXT NOT NULL,
  reason TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY(kind, repo, "commit", signer));
)sql";

Status CheckNodeKey(std::string_view repo, std::string_view commit,
                    std::string_view policy_digest) {
  if (repo.empty() || commit.empty() || policy_digest.empty()) {
    return InvalidInput(
        "sqlite badge store: cached node: repo, commit and policy digest are required");
  }
  return Status::Ok();
}

Result<std::vector<RevisionKey>> Keys(sqlite3* db, const char* sql,
                                      std::initializer_list<std::string_view> args) {
  std::vector<RevisionKey> out;
  Status s = QueryOnce(db, sql, args, [&](sqlite3_stmt* stmt) {
    out.push_back(RevisionKey{ColumnText(stmt, 0), ColumnText(stmt, 1)});
  });
  if (!s.ok()) return s.error();
  return out;
}

}  // namespace

Status SqliteLineageSchema(sqlite3* db) {
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db, "create lineage tables");
  }
  bool has_vsa = false;
  Status s = QueryOnce(db, "SELECT 1 FROM pragma_table_info('revisions') WHERE name = 'vsa_json'",
                       {}, [&](sqlite3_stmt*) { has_vsa = true; });
  if (!s.ok() || has_vsa) return s;
  return ExecOnce(db, "ALTER TABLE revisions ADD COLUMN vsa_json TEXT NOT NULL DEFAULT ''", {});
}

Result<std::optional<std::string>> SqliteGetCachedNode(sqlite3* db, std::string_view repo,
                                                       std::string_view commit,
                                                       std::string_view policy_digest) {
  if (Status s = CheckNodeKey(repo, commit, policy_digest); !s.ok()) return s.error();
  std::optional<std::string> out;
  Status s = QueryOnce(db,
                       "SELECT node_json FROM cached_nodes WHERE repo = ?1 AND \"commit\" = ?2 "
                       "AND policy_digest = ?3",
                       {repo, commit, policy_digest},
                       [&](sqlite3_stmt* stmt) { out = ColumnText(stmt, 0); });
  if (!s.ok()) return s.error();
  return out;
}

Status SqlitePutCachedNode(sqlite3* db, std::string_view repo, std::string_view commit,
                           std::string_view policy_digest, std::string_view node_json) {
  if (Status s = CheckNodeKey(repo, commit, policy_digest); !s.ok()) return s;
  return ExecOnce(db,
                  "INSERT OR REPLACE INTO cached_nodes(repo, \"commit\", policy_digest, "
                  "node_json) VALUES(?1, ?2, ?3, ?4)",
                  {repo, commit, policy_digest, node_json});
}

Status SqliteDropCachedNodes(sqlite3* db, std::string_view repo, std::string_view commit) {
  return ExecOnce(db, "DELETE FROM cached_nodes WHERE repo = ?1 AND \"commit\" = ?2",
                  {repo, commit});
}

Status SqliteRecordLineage(sqlite3* db, const RevisionKey& child,
                           const std::vector<RevisionKey>& parents,
                           const std::vector<std::string>& signers) {
  for (const RevisionKey& parent : parents) {
    Status s = ExecOnce(db,
                        "INSERT OR IGNORE INTO lineage(parent_repo, parent_commit, child_repo, "
                        "child_commit) VALUES(?1, ?2, ?3, ?4)",
                        {parent.repo, parent.commit, child.repo, child.commit});
    if (!s.ok()) return s;
  }
  for (const std::string& signer : signers) {
    Status s =
        ExecOnce(db, "INSERT OR IGNORE INTO signed(signer, repo, \"commit\") VALUES(?1, ?2, ?3)",
                 {signer, child.repo, child.commit});
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Result<std::vector<RevisionKey>> SqliteChildren(sqlite3* db, const RevisionKey& parent) {
  return Keys(db,
              "SELECT child_repo, child_commit FROM lineage WHERE parent_repo = ?1 AND "
              "parent_commit = ?2 ORDER BY child_repo, child_commit",
              {parent.repo, parent.commit});
}

Result<std::vector<RevisionKey>> SqliteSignedBy(sqlite3* db, std::string_view signer) {
  return Keys(db, "SELECT repo, \"commit\" FROM signed WHERE signer = ?1 ORDER BY repo, \"commit\"",
              {signer});
}

Status SqliteAddRevocation(sqlite3* db, const Revocation& r) {
  return ExecOnce(db,
                  "INSERT OR IGNORE INTO revocations(kind, repo, \"commit\", signer, reason, "
                  "created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                  {r.kind, r.repo, r.commit, r.signer, r.reason, r.created_at});
}

Result<std::vector<Revocation>> SqliteListRevocations(sqlite3* db) {
  std::vector<Revocation> out;
  Status s = QueryOnce(
      db,
      "SELECT kind, repo, \"commit\", signer, reason, created_at FROM "
      "revocations ORDER BY kind, repo, \"commit\", signer",
      {}, [&](sqlite3_stmt* stmt) {
        out.push_back(Revocation{ColumnText(stmt, 0), ColumnText(stmt, 1), ColumnText(stmt, 2),
                                 ColumnText(stmt, 3), ColumnText(stmt, 4), ColumnText(stmt, 5)});
      });
  if (!s.ok()) return s.error();
  return out;
}

Status SqlitePurgeLineage(sqlite3* db, std::string_view repo) {
  for (const char* sql :
       {"DELETE FROM cached_nodes WHERE repo = ?1", "DELETE FROM lineage WHERE child_repo = ?1",
        "DELETE FROM signed WHERE repo = ?1"}) {
    if (Status s = ExecOnce(db, sql, {repo}); !s.ok()) return s;
  }
  return Status::Ok();
}

Status SqliteMoveLineage(sqlite3* db, std::string_view from, std::string_view to) {
  constexpr const char* kSteps[] = {
      "DELETE FROM cached_nodes WHERE repo = ?1",
      R"sql(INSERT OR IGNORE INTO lineage(parent_repo, parent_commit, child_repo, child_commit)
SELECT CASE WHEN parent_repo = ?1 THEN ?2 ELSE parent_repo END, parent_commit,
       CASE WHEN child_repo = ?1 THEN ?2 ELSE child_repo END, child_commit
FROM lineage WHERE parent_repo = ?1 OR child_repo = ?1)sql",
      "DELETE FROM lineage WHERE parent_repo = ?1 OR child_repo = ?1",
      R"sql(INSERT OR IGNORE INTO signed(signer, repo, "commit")
SELECT signer, ?2, "commit" FROM signed WHERE repo = ?1)sql",
      "DELETE FROM signed WHERE repo = ?1",
      R"sql(INSERT OR IGNORE INTO revocations(kind, repo, "commit", signer, reason, created_at)
SELECT kind, ?2, "commit", signer, reason, created_at FROM revocations
WHERE kind = 'revision' AND repo = ?1)sql",
  };
  for (const char* sql : kSteps) {
    // ?2 is bound only where the statement names it (binding past the last one is an error).
    bool uses_to = std::string_view(sql).find("?2") != std::string_view::npos;
    Status s = uses_to ? ExecOnce(db, sql, {from, to}) : ExecOnce(db, sql, {from});
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace provbadge::badges::internal
