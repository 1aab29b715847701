#include "provbadge/queue/sqlite_queue.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <utility>

#include "provbadge/common/limits.h"
#include "sqlite_db.h"

namespace provbadge::queue {
namespace {

using internal::Db;
using internal::ResetOnExit;
using internal::Statement;
using internal::Transaction;
using std::chrono::milliseconds;

constexpr int kSchemaVersion = 1;
constexpr int kMaxAttemptsLimit = 1'000'000;  // keeps the lease counter inside the handle
constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kMaxMessageIdBytes = limits::kMaxSqliteMessageIdBytes;
// Upper bound on one wait in Receive: other processes publish without signalling us.
constexpr milliseconds kPollInterval{25};
// Delivery.handle = row id << kLeaseBits | lease.
constexpr int kLeaseBits = 24;
constexpr int64_t kMaxRowId = (int64_t{1} << (63 - kLeaseBits)) - 1;

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS messages (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id      TEXT    NOT NULL UNIQUE,
  body            BLOB    NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  state           TEXT    NOT NULL CHECK (state IN ('ready', 'inflight')),
  visible_at_ms   INTEGER NOT NULL,
  lease           INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT    NOT NULL DEFAULT '',
  published_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (visible_at_ms, id);
CREATE TABLE IF NOT EXISTS dead_letters (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT    NOT NULL,
  body       BLOB    NOT NULL,
  reason     TEXT    NOT NULL,
  attempts   INTEGER NOT NULL,
  dead_at_ms INTEGER NOT NULL
);
)sql";

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t PackHandle(int64_t row_id, int64_t lease) {
  return (static_cast<uint64_t>(row_id) << kLeaseBits) |
         static_cast<uint64_t>(lease & ((int64_t{1} << kLeaseBits) - 1));
}
int64_t HandleRowId(uint64_t handle) { return static_cast<int64_t>(handle >> kLeaseBits); }
int64_t HandleLease(uint64_t handle) {
  return static_cast<int64_t>(handle & ((uint64_t{1} << kLeaseBits) - 1));
}

Status ValidateOptions(const SqliteQueueOptions& o) {
  if (o.path.empty()) return InvalidInput("sqlite queue: path: must not be empty");
  if (o.max_attempts < 1 || o.max_attempts > kMaxAttemptsLimit) {
    return InvalidInput("sqlite queue: max_attempts: must be between 1 and " +
                        std::to_string(kMaxAttemptsLimit));
  }
  if (o.visibility_timeout <= milliseconds(0)) {
    return InvalidInput("sqlite queue: visibility_timeout: must be positive");
  }
  return Status::Ok();
}

// Every statement the queue runs, prepared once per connection.
struct Statements {
  Statement begin, commit, rollback;
  Statement insert;      // ?1 message_id, ?2 body, ?3 now
  Statement next;        // ?1 now
  Statement claim;       // ?1 id, ?2 visible_at
  Statement bury_row;    // ?1 id, ?2 reason, ?3 now
  Statement bury_lease;  // ?1 id, ?2 lease, ?3 message_id, ?4 reason, ?5 now
  Statement delete_row;  // ?1 id
  Statement ack;         // ?1 id, ?2 lease, ?3 message_id
  Statement retry;       // ?1 id, ?2 lease, ?3 message_id, ?4 visible_at, ?5 last_error
  Statement list_dead;   // ?1 limit
  Statement stats;

  Status PrepareAll(Db& db) {
    constexpr const char* kLease =
        " WHERE id = ?1 AND lease = ?2 AND message_id = ?3"
        " AND state = 'inflight'";
    const std::pair<Statement*, std::string> all[] = {
        {&begin, "BEGIN IMMEDIATE"},
        {&commit, "COMMIT"},
        {&rollback, "ROLLBACK"},
        {&insert,
         "INSERT INTO messages (message_id, body, state, visible_at_ms, published_at_ms)"
         " VALUES (?1, ?2, 'ready', ?3, ?3) ON CONFLICT (message_id) DO NOTHING"},
        {&next,
         "SELECT id, message_id, body, attempts, last_error FROM messages"
         " WHERE visible_at_ms <= ?1 ORDER BY visible_at_ms, id LIMIT 1"},
        {&claim,
         "UPDATE messages SET state = 'inflight', attempts = attempts + 1, lease = lease + 1,"
         " visible_at_ms = ?2 WHERE id = ?1 RETURNING attempts, lease"},
        {&bury_row,
         "INSERT INTO dead_letters (message_id, body, reason, attempts, dead_at_ms)"
         " SELECT message_id, body, ?2, attempts, ?3 FROM messages WHERE id = ?1"},
        {&bury_lease,
         std::string("INSERT INTO dead_letters (message_id, body, reason, attempts, dead_at_ms)"
                     " SELECT message_id, body, ?4, attempts, ?5 FROM messages") +
             kLease},
        {&delete_row, "DELETE FROM messages WHERE id = ?1"},
        {&ack, std::string("DELETE FROM messages") + kLease},
        {&retry, std::string("UPDATE messages SET state = 'ready', visible_at_ms = ?4,"
                             " last_error = ?5") +
                     kLease},
        {&list_dead,
         "SELECT message_id, body, reason, attempts, dead_at_ms FROM dead_letters"
         " ORDER BY id LIMIT ?1"},
        {&stats,
         "SELECT (SELECT count(*) FROM messages WHERE state = 'ready'),"
         " (SELECT count(*) FROM messages WHERE state = 'inflight'),"
         " (SELECT count(*) FROM dead_letters)"},
    };
    for (const auto& [stmt, sql] : all) {
      if (Status s = stmt->Prepare(db, sql.c_str()); !s.ok()) return s;
    }
    return Status::Ok();
  }
};

class SqliteQueue final : public EventQueue {
 public:
  explicit SqliteQueue(const SqliteQueueOptions& options) : options_(options) {}
  ~SqliteQueue() override {
    // Statements must be finalised before the connection closes.
    stmts_.reset();
  }

  Status Init() {
    if (Status s = db_.Open(options_.path); !s.ok()) return s;
    sqlite3_busy_timeout(db_.handle(), kBusyTimeoutMs);
    if (Status s = SetUpWithRetry(); !s.ok()) return s;
    stmts_ = std::make_unique<Statements>();
    if (Status s = stmts_->PrepareAll(db_); !s.ok()) return s;
    if (options_.reclaim_in_flight_on_open) return ReclaimInFlight();
    return Status::Ok();
  }

  Status Publish(std::string_view message_id, std::string_view body) override {
    if (message_id.empty() || message_id.size() > kMaxMessageIdBytes) {
      return InvalidInput("sqlite queue: message_id: must be 1-" +
                          std::to_string(kMaxMessageIdBytes) + " bytes");
    }
    {
      std::lock_guard lock(mu_);
      Statement& q = stmts_->insert;
      q.BindText(1, message_id);
      q.BindBlob(2, body);
      q.Bind(3, NowMs());
      if (Status s = q.Run(); !s.ok()) return s.error().Wrap("sqlite queue: publish");
    }
    Notify();
    return Status::Ok();
  }

  Result<std::optional<Delivery>> Receive(milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, milliseconds(0));
    for (;;) {
      const uint64_t seen = Generation();
      Result<std::optional<Delivery>> claimed = ClaimNext();
      if (!claimed.ok()) return claimed.error().Wrap("sqlite queue: receive");
      if (claimed->has_value()) return claimed;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return std::optional<Delivery>();
      WaitForSignal(seen, std::min(deadline, now + kPollInterval));
    }
  }

  Status Complete(const Delivery& delivery, const Outcome& outcome) override {
    Status s = CompleteLocked(delivery, outcome);
    if (!s.ok()) return s.error().Wrap("sqlite queue: complete");
    if (outcome.kind == Outcome::Kind::kRetry) Notify();
    return Status::Ok();
  }

  Result<std::vector<DeadLetter>> ListDeadLetters(size_t limit) override {
    std::lock_guard lock(mu_);
    Statement& q = stmts_->list_dead;
    ResetOnExit reset(q);
    q.Bind(1, static_cast<int64_t>(std::min(limit, limits::kMaxQueueBrowse)));
    std::vector<DeadLetter> out;
    for (;;) {
      Result<bool> row = q.Step();
      if (!row.ok()) return row.error().Wrap("sqlite queue: list dead letters");
      if (!*row) return out;
      out.push_back(DeadLetter{q.ColumnText(0), q.ColumnText(1), q.ColumnText(2),
                               static_cast<int>(q.ColumnInt(3)), q.ColumnInt(4)});
    }
  }

  Result<QueueStats> Stats() override {
    std::lock_guard lock(mu_);
    Statement& q = stmts_->stats;
    ResetOnExit reset(q);
    Result<bool> row = q.Step();
    if (!row.ok()) return row.error().Wrap("sqlite queue: stats");
    if (!*row) return Internal("sqlite queue: stats: no row");
    return QueueStats{q.ColumnInt(0), q.ColumnInt(1), q.ColumnInt(2)};
  }

  // Reads the database header: proves the file is still open and readable.
  Status Ping() override {
    std::lock_guard lock(mu_);
    Result<std::string> version = db_.QueryText("PRAGMA user_version");
    if (!version.ok()) return version.error().Wrap("sqlite queue: ping");
    return Status::Ok();
  }

 private:
  // Connections setting up a new file at once can get SQLITE_BUSY without the busy handler
  // waiting (the journal mode change, a read lock that cannot become a write lock): SetUp is
  // retried on those until kBusyTimeoutMs has passed.
  Status SetUpWithRetry() {
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (;;) {
      int rc = SQLITE_OK;
      Status s = SetUp(&rc);
      if (s.ok()) return s;
      const int primary = rc & 0xff;
      if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
          std::chrono::steady_clock::now() >= give_up) {
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // WAL, FULL durability and the schema; on failure *rc is SQLite's result code of it.
  Status SetUp(int* rc) {
    auto failed = [&](Status s) {
      *rc = sqlite3_errcode(db_.handle());
      return s;
    };
    Result<std::string> mode = db_.QueryText("PRAGMA journal_mode = WAL");
    if (!mode.ok()) return failed(mode.error());
    if (*mode != "wal") {
      return Unavailable("sqlite: cannot enable WAL mode on " + options_.path + " (got " + *mode +
                         ")");
    }
    // FULL: a committed Publish survives power loss, not only a process crash.
    if (Status s = db_.Exec("PRAGMA synchronous = FULL"); !s.ok()) return failed(s);
    if (Status s = db_.Exec("BEGIN IMMEDIATE"); !s.ok()) return failed(s);
    if (Status s = CreateSchemaInTransaction(); !s.ok()) {
      *rc = sqlite3_errcode(db_.handle());
      (void)db_.Exec("ROLLBACK");
      return s;
    }
    if (Status s = db_.Exec("COMMIT"); !s.ok()) {
      *rc = sqlite3_errcode(db_.handle());
      (void)db_.Exec("ROLLBACK");
      return s;
    }
    return Status::Ok();
  }

  Status CreateSchemaInTransaction() {
    Result<std::string> version = db_.QueryText("PRAGMA user_version");
    if (!version.ok()) return version.error();
    if (std::strtoll(version->c_str(), nullptr, 10) > kSchemaVersion) {
      return Unavailable("sqlite queue: " + options_.path + " has schema version " + *version +
                         ", newer than this build supports (" + std::to_string(kSchemaVersion) +
                         ")");
    }
    if (Status s = db_.Exec(kSchemaSql); !s.ok()) return s;
    return db_.Exec("PRAGMA user_version = 1");
  }

  Status ReclaimInFlight() {
    std::string sql =
        "UPDATE messages SET state = 'ready', visible_at_ms = " + std::to_string(NowMs()) +
        " WHERE state = 'inflight'";
    return db_.Exec(sql.c_str());
  }

  // One claim attempt in one IMMEDIATE transaction; messages past max_attempts found on the
  // way are dead-lettered in the same transaction.
  Result<std::optional<Delivery>> ClaimNext() {
    std::lock_guard lock(mu_);
    // Idle polls only read; the write lock is taken once there is something to claim.
    Result<bool> any = AnyVisible(NowMs());
    if (!any.ok()) return any.error();
    if (!*any) return std::optional<Delivery>();
    Transaction tx(stmts_->begin, stmts_->commit, stmts_->rollback);
    if (Status s = tx.Begin(); !s.ok()) return s.error();
    for (;;) {
      const int64_t now = NowMs();
      Statement& next = stmts_->next;
      ResetOnExit reset_next(next);
      next.Bind(1, now);
      Result<bool> row = next.Step();
      if (!row.ok()) return row.error();
      if (!*row) {
        if (Status s = tx.Commit(); !s.ok()) return s.error();
        return std::optional<Delivery>();
      }
      const int64_t id = next.ColumnInt(0);
      Delivery d{next.ColumnText(1), next.ColumnText(2), 0, false, 0};
      const int64_t attempts = next.ColumnInt(3);
      const std::string last_error = next.ColumnText(4);
      next.Reset();
      if (attempts >= options_.max_attempts) {
        if (Status s = BuryRow(id, attempts, last_error, now); !s.ok()) return s.error();
        continue;
      }
      if (id > kMaxRowId) return Internal("row id " + std::to_string(id) + " out of range");
      Result<int64_t> lease = ClaimRow(id, now, d);
      if (!lease.ok()) return lease.error();
      if (Status s = tx.Commit(); !s.ok()) return s.error();
      d.handle = PackHandle(id, *lease);
      return std::optional<Delivery>(std::move(d));
    }
  }

  Result<bool> AnyVisible(int64_t now) {
    Statement& next = stmts_->next;
    ResetOnExit reset(next);
    next.Bind(1, now);
    return next.Step();
  }

  // Marks row `id` in flight; fills attempt/redelivered and returns the new lease.
  Result<int64_t> ClaimRow(int64_t id, int64_t now, Delivery& d) {
    Statement& claim = stmts_->claim;
    ResetOnExit reset(claim);
    claim.Bind(1, id);
    claim.Bind(2, now + options_.visibility_timeout.count());
    Result<bool> row = claim.Step();
    if (!row.ok()) return row.error();
    if (!*row) return Internal("claimed row " + std::to_string(id) + " vanished");
    d.attempt = static_cast<int>(claim.ColumnInt(0));
    d.redelivered = d.attempt > 1;
    return claim.ColumnInt(1);
  }

  Status BuryRow(int64_t id, int64_t attempts, const std::string& last_error, int64_t now) {
    std::string reason = "delivery_limit: " + std::to_string(attempts) + " attempts";
    if (!last_error.empty()) reason += "; last error: " + last_error;
    Statement& bury = stmts_->bury_row;
    bury.Bind(1, id);
    bury.BindText(2, reason);
    bury.Bind(3, now);
    if (Status s = bury.Run(); !s.ok()) return s;
    stmts_->delete_row.Bind(1, id);
    return stmts_->delete_row.Run();
  }

  void BindLease(Statement& q, const Delivery& d) {
    q.Bind(1, HandleRowId(d.handle));
    q.Bind(2, HandleLease(d.handle));
    q.BindText(3, d.message_id);
  }

  Status CompleteLocked(const Delivery& d, const Outcome& outcome) {
    std::lock_guard lock(mu_);
    switch (outcome.kind) {
      case Outcome::Kind::kAck:
        BindLease(stmts_->ack, d);
        return stmts_->ack.Run();
      case Outcome::Kind::kRetry: {
        Statement& q = stmts_->retry;
        BindLease(q, d);
        q.Bind(4, NowMs() + std::max<int64_t>(outcome.delay.count(), 0));
        q.BindText(5, outcome.reason);
        return q.Run();
      }
      case Outcome::Kind::kReject:
        return RejectLocked(d, outcome.reason.empty() ? "rejected" : outcome.reason);
    }
    return Internal("unknown outcome");
  }

  Status RejectLocked(const Delivery& d, const std::string& reason) {
    Transaction tx(stmts_->begin, stmts_->commit, stmts_->rollback);
    if (Status s = tx.Begin(); !s.ok()) return s;
    Statement& bury = stmts_->bury_lease;
    BindLease(bury, d);
    bury.BindText(4, reason);
    bury.Bind(5, NowMs());
    if (Status s = bury.Run(); !s.ok()) return s;
    if (db_.Changes() == 1) {  // still our lease: remove it from the live table
      stmts_->delete_row.Bind(1, HandleRowId(d.handle));
      if (Status s = stmts_->delete_row.Run(); !s.ok()) return s;
    }
    return tx.Commit();
  }

  uint64_t Generation() {
    std::lock_guard lock(signal_mu_);
    return generation_;
  }

  void Notify() {
    {
      std::lock_guard lock(signal_mu_);
      ++generation_;
    }
    signal_.notify_all();
  }

  void WaitForSignal(uint64_t seen, std::chrono::steady_clock::time_point until) {
    std::unique_lock lock(signal_mu_);
    signal_.wait_until(lock, until, [&] { return generation_ != seen; });
  }

  const SqliteQueueOptions options_;
  std::mutex mu_;  // guards db_ and stmts_
  Db db_;
  std::unique_ptr<Statements> stmts_;

  std::mutex signal_mu_;  // guards generation_
  std::condition_variable signal_;
  uint64_t generation_ = 0;
};

}  // namespace

Result<std::unique_ptr<EventQueue>> OpenSqliteQueue(const SqliteQueueOptions& options) {
  if (Status s = ValidateOptions(options); !s.ok()) return s.error();
  auto queue = std::make_unique<SqliteQueue>(options);
  if (Status s = queue->Init(); !s.ok()) return s.error();
  return std::unique_ptr<EventQueue>(std::move(queue));
}

}  // namespace provbadge::queue
