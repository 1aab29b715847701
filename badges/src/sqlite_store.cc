// The embedded badge store on SQLite: one connection, serialised by a mutex, WAL journal.
#include "provbadge/badges/sqlite_store.h"

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sqlite_lineage.h"
#include "sqlite_schema.h"
#include "sqlite_util.h"

namespace provbadge::badges {
namespace {

using internal::ColumnText;
using internal::DbPtr;
using internal::SqliteError;
using internal::StmtPtr;
using internal::StmtUse;

constexpr int kBusyTimeoutMs = 5000;

// Written when newer, or equal while the stored badge is pending (badge_store.h).
constexpr char kUpsertRevision[] = R"sql(
INSERT INTO revisions(repo, "commit", seq, state, badge_json, report_json, vsa_json)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT(repo, "commit") DO UPDATE SET
  seq = excluded.seq, state = excluded.state, badge_json = excluded.badge_json,
  report_json = excluded.report_json, vsa_json = excluded.vsa_json
WHERE excluded.seq > revisions.seq OR (excluded.seq = revisions.seq AND revisions.state = 'pending')
)sql";

// Moved when newer, or equal with the same commit (a no-op rewrite).
constexpr char kUpsertRef[] = R"sql(
INSERT INTO refs(repo, ref, "commit", seq) VALUES(?1, ?2, ?3, ?4)
ON CONFLICT(repo, ref) DO UPDATE SET "commit" = excluded."commit", seq = excluded.seq
WHERE excluded.seq > refs.seq OR (excluded.seq = refs.seq AND excluded."commit" = refs."commit")
)sql";

constexpr char kSelectRevision[] = R"sql(
SELECT seq, badge_json, report_json, vsa_json FROM revisions WHERE repo = ?1 AND "commit" = ?2
)sql";

constexpr char kSelectRef[] = R"sql(
SELECT r.seq, r.badge_json, r.report_json, r.vsa_json FROM refs f
JOIN revisions r ON r.repo = f.repo AND r."commit" = f."commit"
WHERE f.repo = ?1 AND f.ref = ?2
)sql";

// The HTTP read path (GetBadgeJson): the stored badge bytes only.
constexpr char kSelectBadgeJson[] = R"sql(
SELECT badge_json FROM revisions WHERE repo = ?1 AND "commit" = ?2
)sql";

constexpr char kSelectRefBadgeJson[] = R"sql(
SELECT r.badge_json FROM refs f
JOIN revisions r ON r.repo = f.repo AND r."commit" = f."commit"
WHERE f.repo = ?1 AND f.ref = ?2
)sql";

class SqliteBadgeStore final : public BadgeStore {
 public:
  explicit SqliteBadgeStore(DbPtr db) : db_(std::move(db)) {}

  Status Prepare();
  Result<PutResult> Put(const BadgeRecord& record) override;
  Result<std::optional<BadgeRecord>> GetRevision(std::string_view repo,
                                                 std::string_view commit) override;
  Result<std::optional<BadgeRecord>> GetRef(std::string_view repo, std::string_view ref) override;
  Status DeleteRef(std::string_view repo, std::string_view ref) override;
  Status PurgeRepo(std::string_view repo) override;
  Status MoveRepo(std::string_view from, std::string_view to) override;
  Status Ping() override;
  Result<std::optional<std::string>> GetBadgeJson(std::string_view repo,
                                                  std::string_view ref_or_commit,
                                                  bool by_ref) override;
  Result<std::optional<std::string>> GetCachedNode(std::string_view repo, std::string_view commit,
                                                   std::string_view policy_digest) override {
    std::lock_guard<std::mutex> lock(mu_);
    return internal::SqliteGetCachedNode(db_.get(), repo, commit, policy_digest);
  }
  Status PutCachedNode(std::string_view repo, std::string_view commit,
                       std::string_view policy_digest, std::string_view node_json) override {
    std::lock_guard<std::mutex> lock(mu_);
    return internal::SqlitePutCachedNode(db_.get(), repo, commit, policy_digest, node_json);
  }
  Status DropCachedNodes(std::string_view repo, std::string_view commit) override {
    std::lock_guard<std::mutex> lock(mu_);
    return internal::SqliteDropCachedNodes(db_.get(), repo, commit);
  }
  Status RecordLineage(const RevisionKey& child, const std::vector<RevisionKey>& parents,
                       const std::vector<std::string>& signers) override;
  Result<std::vector<RevisionKey>> Children(const RevisionKey& parent) override {
    std::lock_guard<std::mutex> lock(mu_);
    return internal::SqliteChildren(db_.get(), parent);
  }
  Result<std::vector<RevisionKey>> SignedBy(std::string_view signer) override {
    std::lock_guard<std::mutex> lock(mu_);
    return internal::SqliteSignedBy(db_.get(), signer);
  }
  Status AddRevocation(const Revocation& revocation) override {
    if (Status s = ValidateRevocation(revocation); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(mu_);
    return internal::SqliteAddRevocation(db_.get(), revocation);
  }
  Result<std::vector<Revocation>> ListRevocations() override {
    std::lock_guard<std::mutex> lock(mu_);
    return internal::SqliteListRevocations(db_.get());
  }

 private:
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back when it fails. Holds mu_.
  template <typename Body>
  Status InTransaction(Body body);
  // Prepares a statement used rarely (not kept), binds `args` as text and runs it to the end.
  Status RunOnce(const char* sql, std::initializer_list<std::string_view> args);
  Status MoveLocked(std::string_view from, std::string_view to);
  Status Exec(sqlite3_stmt* stmt, std::string_view what);
  Result<bool> PutLocked(const BadgeRecord& record);
  Result<std::optional<BadgeRecord>> ReadRecord(sqlite3_stmt* stmt, std::string_view a,
                                                std::string_view b, std::string_view ref);
  Status Bind(sqlite3_stmt* stmt, int index, std::string_view text);

  std::mutex mu_;
  DbPtr db_;
  StmtPtr begin_, commit_, rollback_, upsert_revision_, upsert_ref_, select_revision_, select_ref_,
      select_badge_json_, select_ref_badge_json_;
};

Status SqliteBadgeStore::Prepare() {
  std::pair<StmtPtr*, const char*> stmts[] = {{&begin_, "BEGIN IMMEDIATE"},
                                              {&commit_, "COMMIT"},
                                              {&rollback_, "ROLLBACK"},
                                              {&upsert_revision_, kUpsertRevision},
                                              {&upsert_ref_, kUpsertRef},
                                              {&select_revision_, kSelectRevision},
                                              {&select_ref_, kSelectRef},
                                              {&select_badge_json_, kSelectBadgeJson},
                                              {&select_ref_badge_json_, kSelectRefBadgeJson}};
  for (auto& [out, sql] : stmts) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
      return SqliteError(db_.get(), "prepare");
    }
    out->reset(stmt);
  }
  return Status::Ok();
}

// Runs a statement that returns no rows to completion.
Status SqliteBadgeStore::Exec(sqlite3_stmt* stmt, std::string_view what) {
  StmtUse use(stmt);
  if (sqlite3_step(stmt) != SQLITE_DONE) return SqliteError(db_.get(), what);
  return Status::Ok();
}

Status SqliteBadgeStore::Bind(sqlite3_stmt* stmt, int index, std::string_view text) {
  return internal::BindText(db_.get(), stmt, index, text);
}

Result<PutResult> SqliteBadgeStore::Put(const BadgeRecord& record) {
  if (record.badge.repo.empty() || record.badge.commit.empty()) {
    return InvalidInput("sqlite badge store: put: badge.repo and badge.commit are required");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = Exec(begin_.get(), "begin"); !s.ok()) return s.error();
  Result<bool> written = PutLocked(record);
  if (!written.ok()) {
    Status ignored = Exec(rollback_.get(), "rollback");  // the original error is what matters
    (void)ignored;
    return written.error();
  }
  if (Status s = Exec(commit_.get(), "commit"); !s.ok()) {
    Status ignored = Exec(rollback_.get(), "rollback");
    (void)ignored;
    return s.error();
  }
  return *written ? PutResult::kWritten : PutResult::kStale;
}

// Inside the transaction: the revision upsert, then the ref pointer. True if the revision
// record was written.
Result<bool> SqliteBadgeStore::PutLocked(const BadgeRecord& record) {
  const Badge& badge = record.badge;
  bool written = false;
  {
    sqlite3_stmt* stmt = upsert_revision_.get();
    StmtUse use(stmt);
    std::string badge_json = BadgeToJson(badge);
    for (Status s : {Bind(stmt, 1, badge.repo), Bind(stmt, 2, badge.commit),
                     Bind(stmt, 4, BadgeStateName(badge.state)), Bind(stmt, 5, badge_json),
                     Bind(stmt, 6, record.report_json), Bind(stmt, 7, record.vsa_json)}) {
      if (!s.ok()) return s.error();
    }
    sqlite3_bind_int64(stmt, 3, record.seq);
    if (sqlite3_step(stmt) != SQLITE_DONE) return SqliteError(db_.get(), "write revision");
    written = sqlite3_changes(db_.get()) > 0;
  }
  if (record.ref.empty()) return written;
  sqlite3_stmt* stmt = upsert_ref_.get();
  StmtUse use(stmt);
  for (Status s :
       {Bind(stmt, 1, badge.repo), Bind(stmt, 2, record.ref), Bind(stmt, 3, badge.commit)}) {
    if (!s.ok()) return s.error();
  }
  sqlite3_bind_int64(stmt, 4, record.seq);
  if (sqlite3_step(stmt) != SQLITE_DONE) return SqliteError(db_.get(), "write ref");
  return written;
}

// Runs a select bound to (a, b) and turns its one row, if any, into a record.
Result<std::optional<BadgeRecord>> SqliteBadgeStore::ReadRecord(sqlite3_stmt* stmt,
                                                                std::string_view a,
                                                                std::string_view b,
                                                                std::string_view ref) {
  StmtUse use(stmt);
  for (Status s : {Bind(stmt, 1, a), Bind(stmt, 2, b)}) {
    if (!s.ok()) return s.error();
  }
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<BadgeRecord>();
  if (rc != SQLITE_ROW) return SqliteError(db_.get(), "read");
  BadgeRecord record;
  record.seq = sqlite3_column_int64(stmt, 0);
  Result<Badge> badge = BadgeFromJson(ColumnText(stmt, 1));
  if (!badge.ok())
    return Internal("sqlite badge store: stored badge is corrupt: " + badge.error().message());
  record.badge = std::move(*badge);
  record.report_json = ColumnText(stmt, 2);
  record.vsa_json = ColumnText(stmt, 3);
  record.ref = ref;
  return std::optional<BadgeRecord>(std::move(record));
}

Result<std::optional<BadgeRecord>> SqliteBadgeStore::GetRevision(std::string_view repo,
                                                                 std::string_view commit) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadRecord(select_revision_.get(), repo, commit, "");
}

Result<std::optional<BadgeRecord>> SqliteBadgeStore::GetRef(std::string_view repo,
                                                            std::string_view ref) {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadRecord(select_ref_.get(), repo, ref, ref);
}

Result<std::optional<std::string>> SqliteBadgeStore::GetBadgeJson(std::string_view repo,
                                                                  std::string_view ref_or_commit,
                                                                  bool by_ref) {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* stmt = by_ref ? select_ref_badge_json_.get() : select_badge_json_.get();
  StmtUse use(stmt);
  for (Status s : {Bind(stmt, 1, repo), Bind(stmt, 2, ref_or_commit)}) {
    if (!s.ok()) return s.error();
  }
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return SqliteError(db_.get(), "read badge");
  return std::optional<std::string>(ColumnText(stmt, 0));
}

Status SqliteBadgeStore::RecordLineage(const RevisionKey& child,
                                       const std::vector<RevisionKey>& parents,
                                       const std::vector<std::string>& signers) {
  if (Status s = ValidateRevisionKey(child, "record lineage"); !s.ok()) return s;
  for (const RevisionKey& parent : parents) {
    if (Status s = ValidateRevisionKey(parent, "record lineage"); !s.ok()) return s;
  }
  for (const std::string& signer : signers) {
    if (signer.empty()) return InvalidInput("sqlite badge store: record lineage: empty signer");
  }
  return InTransaction(
      [&] { return internal::SqliteRecordLineage(db_.get(), child, parents, signers); });
}

template <typename Body>
Status SqliteBadgeStore::InTransaction(Body body) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = Exec(begin_.get(), "begin"); !s.ok()) return s;
  Status done = body();
  if (done.ok()) done = Exec(commit_.get(), "commit");
  if (!done.ok()) {
    Status ignored = Exec(rollback_.get(), "rollback");  // the original error is what matters
    (void)ignored;
  }
  return done;
}

Status SqliteBadgeStore::RunOnce(const char* sql, std::initializer_list<std::string_view> args) {
  return internal::ExecOnce(db_.get(), sql, args);
}

Status SqliteBadgeStore::DeleteRef(std::string_view repo, std::string_view ref) {
  return InTransaction([&] {
    return RunOnce("DELETE FROM refs WHERE repo = ?1 AND ref = ?2", {repo, ref});
  });
}

Status SqliteBadgeStore::PurgeRepo(std::string_view repo) {
  return InTransaction([&] {
    if (Status s = RunOnce("DELETE FROM refs WHERE repo = ?1", {repo}); !s.ok()) return s;
    if (Status s = internal::SqlitePurgeLineage(db_.get(), repo); !s.ok()) return s;
    return RunOnce("DELETE FROM revisions WHERE repo = ?1", {repo});
  });
}

Status SqliteBadgeStore::MoveRepo(std::string_view from, std::string_view to) {
  if (from == to) return Status::Ok();
  return InTransaction([&] { return MoveLocked(from, to); });
}

// Inside the transaction: every revision of `from` goes through the Put() rules into `to`,
// then every pointer through the pointer rule, then `from` is removed.
Status SqliteBadgeStore::MoveLocked(std::string_view from, std::string_view to) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "SELECT \"commit\" FROM revisions WHERE repo = ?1 ORDER BY \"commit\"", -1,
                         &raw, nullptr) != SQLITE_OK) {
    return SqliteError(db_.get(), "prepare");
  }
  StmtPtr commits(raw);
  if (Status s = Bind(commits.get(), 1, from); !s.ok()) return s;
  std::vector<std::string> found;
  int rc;
  while ((rc = sqlite3_step(commits.get())) == SQLITE_ROW)
    found.push_back(ColumnText(commits.get(), 0));
  if (rc != SQLITE_DONE) return SqliteError(db_.get(), "move: list revisions");
  for (const std::string& commit : found) {
    Result<std::optional<BadgeRecord>> record =
        ReadRecord(select_revision_.get(), from, commit, "");
    if (!record.ok()) return record.error();
    if (!record->has_value()) continue;
    Result<bool> put = PutLocked(RenamedRecord(**record, from, to));
    if (!put.ok()) return put.error();
  }
  // Pointers: the same rule as kUpsertRef, from the rows of `from`.
  const char* kMoveRefs = R"sql(
INSERT INTO refs(repo, ref, "commit", seq) SELECT ?2, ref, "commit", seq FROM refs WHERE repo = ?1
ON CONFLICT(repo, ref) DO UPDATE SET "commit" = excluded."commit", seq = excluded.seq
WHERE excluded.seq > refs.seq OR (excluded.seq = refs.seq AND excluded."commit" = refs."commit")
)sql";
  if (Status s = RunOnce(kMoveRefs, {from, to}); !s.ok()) return s;
  if (Status s = RunOnce("DELETE FROM refs WHERE repo = ?1", {from}); !s.ok()) return s;
  if (Status s = internal::SqliteMoveLineage(db_.get(), from, to); !s.ok()) return s;
  return RunOnce("DELETE FROM revisions WHERE repo = ?1", {from});
}

// Reads the schema version from the database header: proves the file answers.
Status SqliteBadgeStore::Ping() {
  std::lock_guard<std::mutex> lock(mu_);
  if (sqlite3_exec(db_.get(), "PRAGMA user_version", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db_.get(), "ping");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<BadgeStore>> OpenSqliteBadgeStore(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);  // sqlite3_open_v2 may allocate a handle even when it fails
  if (rc != SQLITE_OK) {
    return Unavailable("sqlite badge store: open " + path + ": " +
                       (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  if (Status s = internal::InitSqliteStoreSchema(db.get(), path, kBusyTimeoutMs); !s.ok()) {
    return s.error();
  }
  auto store = std::make_unique<SqliteBadgeStore>(std::move(db));
  if (Status s = store->Prepare(); !s.ok()) return s.error();
  return std::unique_ptr<BadgeStore>(std::move(store));
}

}  // namespace provbadge::badges
