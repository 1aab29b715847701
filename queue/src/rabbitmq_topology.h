// The RabbitMQ objects of one work queue (rabbitmq_queue.h "Topology"): their arguments and
// their idempotent declaration on every (re)connect.
//
// Ownership: borrows the connection for the duration of a call. Thread-safety: as the
// connection (one thread). Contract: the declarations either all succeed or the first failure
// is returned (kInvalidInput when an object exists with other arguments, naming it); the
// connection is unusable after a failure.
#ifndef PROVBADGE_QUEUE_SRC_RABBITMQ_TOPOLOGY_H_
#define PROVBADGE_QUEUE_SRC_RABBITMQ_TOPOLOGY_H_

#include <cstdint>

#include "amqp_connection.h"
#include "rabbitmq_link.h"

namespace provbadge::queue::internal {

// The routing key of dead letters on the dead-letter exchange (Q.dead is bound with it).
inline constexpr char kDeadRoutingKey[] = "dead";

// The work queue: quorum, x-delivery-limit = max_attempts - 1, dead-lettering at least once
// to the dead-letter exchange (hence x-overflow reject-publish, which the broker requires).
Headers WorkQueueArguments(const LinkConfig& config);

// Declares, in this order, the dead-letter exchange, the dead-letter queue and its binding,
// the work queue and the retry tiers (so a dead letter always has somewhere to go).
Status DeclareTopology(AmqpConnection& conn, uint16_t channel, const LinkConfig& config);

}  // namespace provbadge::queue::internal

#endif  // PROVBADGE_QUEUE_SRC_RABBITMQ_TOPOLOGY_H_
