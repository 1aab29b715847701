// The production event queue on RabbitMQ (rabbitmq-c 0.11). First-class: same contract as the
// embedded SQLite queue (event_queue.h), with the differences below.
//
// Topology, declared idempotently on every (re)connect, for `queue` = Q (the prefix of every
// object name; none of them is called Q itself any more):
//   Q.v2         the work queue: durable quorum queue, x-delivery-limit = max_attempts - 1,
//                dead-letter exchange Q.dlx with x-dead-letter-strategy at-least-once (and
//                x-overflow reject-publish, which the broker requires for it; RabbitMQ >= 3.10):
//                a dead letter leaves Q.v2 only once Q.dead has confirmed it, and stays in
//                Q.v2 (retried by the broker) while Q.dead is missing or full. A publish into
//                a full Q.v2 (a max-length policy) is nacked: Publish fails, nothing is dropped.
//   Q.dlx        durable direct exchange; Q.dead is bound to it with routing key "dead".
//   Q.dead       durable classic queue: the dead letters, in order.
//   Q.retry.v3.<N>ms  one durable quorum queue per retry delay tier, x-message-ttl = N,
//                dead-lettering back to Q.v2 through the default exchange, at least once too.
// Migration: an object's arguments cannot change (PRECONDITION_FAILED), hence the versioned
// names. Releases before v2 used Q as the work queue (dead-lettering at most once); v2 delay
// queues Q.retry.v2.<N>ms and the classic Q.retry.<N>ms of still earlier releases
// dead-letter into Q. While Q exists, every consumer also consumes it (basic.consume on the
// same channel, its own prefetch), so what it holds and what those older delay queues still
// move into it is processed; nothing publishes to Q any more (publishes and retries go to Q.v2
// and Q.retry.v3.*). Once Q and the older delay queues are empty the operator deletes them
// (README "RabbitMQ topology"); deleting Q under a consumer cancels it (basic.cancel), and the
// handle reconnects without it. Messages dead-lettered by Q itself still go to Q.dead at most
// once. Any queue of ours that exists with other arguments fails OpenRabbitMqQueue with
// kInvalidInput naming the queue.
// Messages are persistent (delivery_mode 2) with message_id = the event id.
//
// Semantics:
//  - Publish returns Ok only after the broker confirmed it (publisher confirms) and did not
//    return it as unroutable (mandatory); a nack, a return, a timeout or a lost connection is
//    kUnavailable (the message may or may not be queued: publish again).
//  - attempt = x-provbadge-attempts (attempts used before a delayed retry) + x-delivery-count
//    (redeliveries in the work queue, counted by the broker, crashes included) + 1. A delivery
//    whose attempt exceeds max_attempts is dead-lettered with "delivery_limit: N attempts;
//    last error: ..." instead of being returned; a message that crash-loops is dead-lettered by
//    the broker itself (x-delivery-limit), reported as "delivery_limit: N attempts".
//  - Retry with delay <= 0 is a nack with requeue; a longer delay republishes the message
//    (confirmed) to the smallest tier >= delay (the largest tier when none is), then acks it.
//    Reject publishes to Q.dlx with the reason in header x-provbadge-reason, then acks.
//  - Complete of a delivery from before a reconnect, or of an unknown or completed handle, is
//    a no-op returning Ok (the broker redelivers uncompleted messages after a reconnect).
//  - ListDeadLetters browses Q.dead with basic.get on a channel of its own and closes that
//    channel without acking, so the broker puts every browsed message back in its place.
//  - Stats: ready = messages in Q.v2, in the retry tiers and in the legacy Q (while it
//    exists; not the older delay queues), plus deliveries this handle has
//    prefetched but not yet returned from Receive; in_flight = this handle's deliveries not
//    completed (the broker does not report other consumers' unacked counts over AMQP);
//    dead = messages in Q.dead.
//  - Not supported by the broker, unlike the embedded queue: publish deduplication by
//    message id (duplicates are delivered twice: processing is idempotent), and a per-queue
//    visibility timeout (the broker's consumer_timeout is server-wide). Messages this handle
//    prefetched but never returned from Receive also count an attempt when it dies.
//
// Ownership and threads: one internal thread owns the AMQP connection (rabbitmq-c connections
// are not thread-safe). Receive() takes deliveries that thread handed over through a bounded
// in-process queue (at most `prefetch` per consumed queue); Publish/Complete/Stats/ListDeadLetters
// post a request to it and wait for the answer. It reconnects with exponential backoff and jitter
// after a broker loss and declares the topology again. All methods are safe to call concurrently.
// Destroying the queue closes the connection: uncompleted deliveries go back to the broker.
#ifndef PROVBADGE_QUEUE_RABBITMQ_QUEUE_H_
#define PROVBADGE_QUEUE_RABBITMQ_QUEUE_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/queue/event_queue.h"

namespace provbadge::queue {

struct RabbitMqQueueOptions {
  // amqp://user:pass@host:port/vhost or amqps://... (percent-encoded parts; vhost "/" is
  // written %2f). amqps verifies the broker's certificate and host name: connect by DNS name.
  std::string url;
  std::string ca_file;                     // amqps: CA bundle (PEM); "" uses the system trust store
  std::string queue = "provbadge.events";  // the name prefix: the work queue is <queue>.v2
  int prefetch = 16;                       // deliveries in flight per handle (1..65535)
  int max_attempts = 5;                    // deliveries before dead-lettering (1..1000)
  std::chrono::seconds heartbeat{30};      // 0 disables heartbeats (not recommended)
  // Retry delay tiers, ascending (each 1 ms .. 24 h).
  std::vector<std::chrono::milliseconds> retry_delays{
      std::chrono::seconds(1), std::chrono::seconds(5), std::chrono::seconds(30),
      std::chrono::minutes(5)};
  std::chrono::milliseconds connect_timeout{5000};   // also bounds every synchronous AMQP call
  std::chrono::milliseconds publish_timeout{10000};  // waiting for the broker's confirm
  std::chrono::milliseconds reconnect_max_backoff{30000};
  std::string connection_name = "provbadge";  // shown in the broker's UI and logs
};

// Connects and declares the topology before returning: an unreachable broker or a wrong URL
// fails here (kUnavailable), bad options and a topology that exists with other arguments are
// kInvalidInput. Errors never contain the password.
Result<std::unique_ptr<EventQueue>> OpenRabbitMqQueue(const RabbitMqQueueOptions& options);

// The work queue of `queue` (RabbitMqQueueOptions::queue): "<queue>.v2".
std::string WorkQueueName(std::string_view queue);
// The retry tier queue for `delay`: "<queue>.retry.v3.<ms>ms".
std::string RetryTierQueueName(std::string_view queue, std::chrono::milliseconds delay);

}  // namespace provbadge::queue

#endif  // PROVBADGE_QUEUE_RABBITMQ_QUEUE_H_
