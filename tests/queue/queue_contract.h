// The EventQueue contract suite (queue/include/provbadge/queue/event_queue.h), written once
// and run against every implementation.
//
// To run it against a backend, write a class deriving from QueueBackend whose default
// constructor sets up a fresh, empty, isolated queue (a temp dir, a vhost or a uniquely named
// queue) and whose destructor tears it down, then invoke, at namespace scope in a test file:
//
//   PROVBADGE_QUEUE_CONTRACT_TESTS(MyBackend, "mybackend")
//
// Each contract case becomes its own Catch2 test case with a fresh backend, tagged
// [queue][contract] plus the label as a tag.
//
// Thread-safety: a backend object is used by one test at a time; the queues it opens must
// satisfy the contract's own thread-safety rule.
#ifndef PROVBADGE_TESTS_QUEUE_QUEUE_CONTRACT_H_
#define PROVBADGE_TESTS_QUEUE_QUEUE_CONTRACT_H_

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

#include "provbadge/common/result.h"
#include "provbadge/queue/event_queue.h"

namespace provbadge::queue::testing {

// How a contract case wants the queue configured.
struct ContractOptions {
  int max_attempts = 5;
  std::chrono::milliseconds visibility_timeout{std::chrono::minutes(10)};
  // Open as the (single) consuming process after a restart: deliveries left in flight by a
  // previous, destroyed handle become deliverable at once.
  bool reclaim_in_flight_on_open = false;
};

class QueueBackend {
 public:
  virtual ~QueueBackend() = default;
  // Opens a new handle on this backend's queue; every call reaches the same queue. Destroying
  // a handle without completing its deliveries must behave like a crashed consumer.
  virtual Result<std::unique_ptr<EventQueue>> Open(const ContractOptions& options) = 0;
  // False when the backend cannot honour a short ContractOptions::visibility_timeout (a broker
  // whose consumer timeout is server-wide); the cases that need one then only warn.
  virtual bool SupportsShortVisibilityTimeout() const { return true; }
  // False when the backend cannot deduplicate publishes by message id (a broker such as
  // RabbitMQ); DuplicatePublishIsDeduplicated then checks that every duplicate is delivered
  // (nothing lost; processing is idempotent) instead.
  virtual bool SupportsPublishDeduplication() const { return true; }
  // False when a crashed handle also counts an attempt for messages it had prefetched but
  // never returned from Receive (a broker's consumer prefetch); the restart cases then accept
  // attempt 2 (redelivered) for those messages too.
  virtual bool CrashCountsOnlyReceivedDeliveries() const { return true; }
};

// The contract cases. Each takes a fresh backend.
void PublishReceiveAck(QueueBackend& backend);
void ReceiveTimesOutWhenEmpty(QueueBackend& backend);
void WaitingReceiveGetsLaterPublish(QueueBackend& backend);
void DeliversInPublishOrder(QueueBackend& backend);
void PublishIsDurableAcrossReopen(QueueBackend& backend);
void UncompletedDeliveryIsRedeliveredAfterRestart(QueueBackend& backend);
void RestartMidBatchLosesNothingAndAcksOnce(QueueBackend& backend);
void VisibilityTimeoutRedelivers(QueueBackend& backend);
void RetryWaitsForDelay(QueueBackend& backend);
void AttemptsGrowOnEveryRedelivery(QueueBackend& backend);
void DeliveryLimitDeadLetters(QueueBackend& backend);
void CrashLoopingMessageIsDeadLettered(QueueBackend& backend);
void RejectDeadLetters(QueueBackend& backend);
void DeadLettersSurviveReopenAndRespectLimit(QueueBackend& backend);
void StaleCompleteIsNoop(QueueBackend& backend);
void StaleCompleteAfterRestartIsNoop(QueueBackend& backend);
void DuplicatePublishIsDeduplicated(QueueBackend& backend);
void BodiesAreOpaqueBytes(QueueBackend& backend);
void TwoHandlesShareOneQueue(QueueBackend& backend);
void ConcurrentProducersAndConsumersLoseNothing(QueueBackend& backend);
void PingAnswers(QueueBackend& backend);

}  // namespace provbadge::queue::testing

#define PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, Case)                    \
  TEST_CASE(label " queue contract: " #Case, "[queue][contract][" label "]") { \
    Backend backend;                                                           \
    REQUIRE_NOTHROW(::provbadge::queue::testing::Case(backend));               \
  }

#define PROVBADGE_QUEUE_CONTRACT_TESTS(Backend, label)                                        \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, PublishReceiveAck)                            \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, ReceiveTimesOutWhenEmpty)                     \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, WaitingReceiveGetsLaterPublish)               \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, DeliversInPublishOrder)                       \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, PublishIsDurableAcrossReopen)                 \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, UncompletedDeliveryIsRedeliveredAfterRestart) \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, RestartMidBatchLosesNothingAndAcksOnce)       \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, VisibilityTimeoutRedelivers)                  \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, RetryWaitsForDelay)                           \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, AttemptsGrowOnEveryRedelivery)                \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, DeliveryLimitDeadLetters)                     \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, CrashLoopingMessageIsDeadLettered)            \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, RejectDeadLetters)                            \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, DeadLettersSurviveReopenAndRespectLimit)      \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, StaleCompleteIsNoop)                          \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, StaleCompleteAfterRestartIsNoop)              \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, DuplicatePublishIsDeduplicated)               \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, BodiesAreOpaqueBytes)                         \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, TwoHandlesShareOneQueue)                      \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, ConcurrentProducersAndConsumersLoseNothing)   \
  PROVBADGE_QUEUE_CONTRACT_CASE(Backend, label, PingAnswers)

#endif  // PROVBADGE_TESTS_QUEUE_QUEUE_CONTRACT_H_
