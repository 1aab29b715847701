// The embedded event queue on SQLite (WAL). First-class: same contract as RabbitMQ.
//
// Ownership: owns its database connection. Thread-safety: all methods are safe to call
// concurrently (internally serialised). Several processes may open the same file.
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
