// The embedded event queue on SQLite (WAL). First-class: same contract as RabbitMQ.
//
// Ownership: owns its database connection. Thread-safety: all methods are safe to call
// concurrently (internally serialised). Several processes may open the same file.
//
// Details beyond the EventQueue contract: Publish commits with synchronous=FULL before it
// returns. Messages are delivered in order of becoming visible, then of publishing. A message
// already delivered max_attempts times is dead-lettered with the reason
// "delivery_limit: N attempts" (plus "; last error: <retry reason>" when it was retried).
// Receive polls the file every 25 ms at most, so a Publish from another process is seen
// within that time; one from this process wakes a waiting Receive at once. SQLite faults are
// kUnavailable; bad options and an empty or over-512-byte message id are kInvalidInput.
#ifndef PROVBADGE_QUEUE_SQLITE_QUEUE_H_
#define PROVBADGE_QUEUE_SQLITE_QUEUE_H_

#include <memory>
#include <string>

#include "provbadge/queue/event_queue.h"

namespace provbadge::queue {

struct SqliteQueueOptions {
  std::string path;      // database file; created if missing
  int max_attempts = 5;  // deliveries before dead-lettering ("delivery_limit")
  // A delivery not completed within this time is delivered again (crash recovery).
  std::chrono::milliseconds visibility_timeout{std::chrono::minutes(10)};
  // The embedded queue has one consuming process. The worker sets this so that deliveries
  // left in flight by a crashed previous process are made ready again at once on open
  // (their attempt still counts). Publishers (`provbadge enqueue`) leave it false.
  bool reclaim_in_flight_on_open = false;
};

Result<std::unique_ptr<EventQueue>> OpenSqliteQueue(const SqliteQueueOptions& options);

}  // namespace provbadge::queue

#endif  // PROVBADGE_QUEUE_SQLITE_QUEUE_H_
