// The RabbitMQ topology (rabbitmq_topology.h).
#include "rabbitmq_topology.h"

#include <string>

namespace provbadge::queue::internal {
namespace {

// A quorum queue that dead-letters at least once: it hands a dead letter over only when its
// target confirmed it, and keeps it (retrying) while the target is missing or full. The broker
// requires reject-publish overflow for that (RabbitMQ >= 3.10): a publish into a full queue is
// nacked, never dropped.
Headers QuorumAtLeastOnce(Headers args) {
  args["x-queue-type"] = std::string("quorum");
  args["x-dead-letter-strategy"] = std::string("at-least-once");
  args["x-overflow"] = std::string("reject-publish");
  return args;
}

}  // namespace

Headers WorkQueueArguments(const LinkConfig& config) {
  return QuorumAtLeastOnce({{"x-delivery-limit", int64_t{config.max_attempts - 1}},
                            {"x-dead-letter-exchange", config.dlx},
                            {"x-dead-letter-routing-key", std::string(kDeadRoutingKey)}});
}

Status DeclareTopology(AmqpConnection& conn, uint16_t channel, const LinkConfig& config) {
  Status s = conn.DeclareExchange(channel, config.dlx);
  if (s.ok()) {
    s = conn.DeclareQueue(channel, config.dead, {{"x-queue-type", std::string("classic")}});
  }
  if (s.ok()) s = conn.BindQueue(channel, config.dead, config.dlx, kDeadRoutingKey);
  if (s.ok()) s = conn.DeclareQueue(channel, config.work, WorkQueueArguments(config));
  for (const auto& [delay, name] : config.tiers) {
    if (!s.ok()) break;
    // An expired retry moves back to the work queue at least once, too.
    s = conn.DeclareQueue(channel, name,
                          QuorumAtLeastOnce({{"x-message-ttl", int64_t{delay.count()}},
                                             {"x-dead-letter-exchange", std::string()},
                                             {"x-dead-letter-routing-key", config.work}}));
  }
  return s;
}

}  // namespace provbadge::queue::internal
