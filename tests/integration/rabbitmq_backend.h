// The RabbitMQ queue on the `rabbitmq` CTest fixture, as a contract backend: every backend
// object uses queue names no other backend uses.
//
// Thread-safety: one test at a time per backend object.
#ifndef PROVBADGE_TESTS_INTEGRATION_RABBITMQ_BACKEND_H_
#define PROVBADGE_TESTS_INTEGRATION_RABBITMQ_BACKEND_H_

#include <string>

#include "integration/integration_env.h"
#include "provbadge/queue/rabbitmq_queue.h"
#include "queue/queue_contract.h"

namespace provbadge::queue {

inline RabbitMqQueueOptions FixtureOptions(const std::string& queue) {
  RabbitMqQueueOptions o;
  o.url = "amqp://guest:guest@127.0.0.1:" + integration::RabbitMq().amqp_port + "/%2f";
  o.queue = queue;
  o.prefetch = 4;
  o.heartbeat = std::chrono::seconds(10);
  o.reconnect_max_backoff = std::chrono::milliseconds(1000);
  o.connection_name = "provbadge-integration-test";
  return o;
}

class RabbitMqBackend : public testing::QueueBackend {
 public:
  Result<std::unique_ptr<EventQueue>> Open(const testing::ContractOptions& c) override {
    RabbitMqQueueOptions o = FixtureOptions(queue_);
    o.max_attempts = c.max_attempts;
    return OpenRabbitMqQueue(o);
  }
  // The broker's consumer timeout is server-wide; it cannot deduplicate by message id; and a
  // consumer that dies returns its prefetched messages with x-delivery-count + 1.
  bool SupportsShortVisibilityTimeout() const override { return false; }
  bool SupportsPublishDeduplication() const override { return false; }
  bool CrashCountsOnlyReceivedDeliveries() const override { return false; }
  const std::string& queue() const { return queue_; }

 private:
  std::string queue_ = integration::UniqueName("it.q");
};

}  // namespace provbadge::queue

#endif  // PROVBADGE_TESTS_INTEGRATION_RABBITMQ_BACKEND_H_
