// The queue of upload events (DESIGN.md "Queue semantics").
//
// Contract, for every implementation (embedded SQLite now, RabbitMQ later):
//  - At-least-once: a published message is delivered until it is completed with kAck or
//    kReject, or dead-lettered after `max_attempts` deliveries. A delivery that is never
//    completed (the consumer crashed, the process restarted) is delivered again.
//  - `attempt` is 1 on the first delivery and grows on every redelivery, including after a
//    crash or restart.
//  - kRetry makes the message invisible for `delay`, then delivers it again (attempt + 1).
//  - kReject, and the delivery after `max_attempts`, move it to the dead-letter list with the
//    reason. Dead letters are kept and listed, never silently dropped.
//  - Complete() on a delivery that is no longer in flight (already completed, or redelivered
//    after a restart) is a harmless no-op returning Ok.
//  - Publish() of a message id that is already queued (not yet acked) does not queue it twice.
//
// Thread-safety: every method may be called concurrently from several threads.
#ifndef PROVBADGE_QUEUE_EVENT_QUEUE_H_
#define PROVBADGE_QUEUE_EVENT_QUEUE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"

namespace provbadge::queue {

struct Delivery {
  std::string message_id;
  std::string body;
  int attempt = 1;
  bool redelivered = false;
  uint64_t handle = 0;  // implementation-specific, opaque to callers
};

struct Outcome {
  enum class Kind { kAck, kRetry, kReject };
  Kind kind = Kind::kAck;
  std::chrono::milliseconds delay{0};  // kRetry only
  std::string reason;                  // kRetry / kReject

  static Outcome Ack() { return {}; }
  static Outcome Retry(std::chrono::milliseconds d, std::string why) {
    return {Kind::kRetry, d, std::move(why)};
  }
  static Outcome Reject(std::string why) { return {Kind::kReject, {}, std::move(why)}; }
};

struct DeadLetter {
  std::string message_id;
  std::string body;
  std::string reason;
  int attempts = 0;
  int64_t dead_at_ms = 0;  // Unix ms
};

struct QueueStats {
  int64_t ready = 0;      // deliverable now or after their delay
  int64_t in_flight = 0;  // delivered, not completed
  int64_t dead = 0;
};

class EventQueue {
 public:
  virtual ~EventQueue() = default;
  // Durable once it returns Ok. kUnavailable on a storage/broker fault.
  virtual Status Publish(std::string_view message_id, std::string_view body) = 0;
  // Waits up to `timeout` for a message; nullopt when none arrived in time.
  virtual Result<std::optional<Delivery>> Receive(std::chrono::milliseconds timeout) = 0;
  virtual Status Complete(const Delivery& delivery, const Outcome& outcome) = 0;
  // The oldest dead letters, at most min(limit, limits::kMaxQueueBrowse) of them.
  virtual Result<std::vector<DeadLetter>> ListDeadLetters(size_t limit) = 0;
  virtual Result<QueueStats> Stats() = 0;
  // Cheap reachability check for readiness probes: Ok when the storage/broker answers.
  virtual Status Ping() = 0;
};

}  // namespace provbadge::queue

#endif  // PROVBADGE_QUEUE_EVENT_QUEUE_H_
