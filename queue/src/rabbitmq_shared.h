// State shared between the RabbitMQ queue's API threads and its connection thread
// (rabbitmq_queue.cc, rabbitmq_link.cc): the hand-over buffer of deliveries, the deliveries
// returned from Receive and not yet completed, and the requests posted to the connection thread.
//
// Thread-safety: every field below `mu` is guarded by it; `wake_fd` is written by any thread.
#ifndef PROVBADGE_QUEUE_SRC_RABBITMQ_SHARED_H_
#define PROVBADGE_QUEUE_SRC_RABBITMQ_SHARED_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "provbadge/queue/event_queue.h"

namespace provbadge::queue::internal {

// A delivery the connection thread received, waiting for Receive (or returned by it).
struct HeldDelivery {
  uint64_t epoch = 0;  // connection generation: tags of an older one are meaningless
  uint64_t tag = 0;    // delivery tag on the consume channel
  Delivery delivery;
};

// A request to the connection thread; exactly one of the promises is fulfilled.
struct Request {
  enum class Kind { kPublish, kComplete, kStats, kListDead, kPing };
  Kind kind = Kind::kPing;
  std::string message_id;  // kPublish
  std::string body;        // kPublish
  HeldDelivery held;       // kComplete
  Outcome outcome;         // kComplete
  size_t limit = 0;        // kListDead
  std::promise<Status> status;
  std::promise<Result<QueueStats>> stats;
  std::promise<Result<std::vector<DeadLetter>>> dead;

  void Fail(const Error& e) {
    switch (kind) {
      case Kind::kStats:
        stats.set_value(e);
        break;
      case Kind::kListDead:
        dead.set_value(e);
        break;
      default:
        status.set_value(e);
    }
  }
};

struct Shared {
  explicit Shared(int wake) : wake_fd(wake) {}
  void Wake() const;  // makes the connection thread look at `requests` and flags

  const int wake_fd;
  std::mutex mu;
  std::condition_variable delivered;  // signalled when `buffer` grows or on stop
  uint64_t epoch = 0;
  bool consume_wanted = false;  // set by the first Receive
  bool stopping = false;
  std::deque<HeldDelivery> buffer;             // received, not yet returned by Receive
  std::map<uint64_t, HeldDelivery> in_flight;  // by Delivery::handle
  std::deque<std::shared_ptr<Request>> requests;
};

}  // namespace provbadge::queue::internal

#endif  // PROVBADGE_QUEUE_SRC_RABBITMQ_SHARED_H_
