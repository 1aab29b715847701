// RabbitMQ retry delay queues: declared as quorum queues dead-lettering at-least-once into the
// v2 work queue, declared idempotently, refused by name when one exists with other arguments,
// and a delayed retry that survives a broker restart (`rabbitmqctl stop_app` / `start_app`: the
// node reloads every queue from disk) while it sits in its delay queue. Runs serially
// (CMakeLists.txt): the restart drops every other test's connection.
#include <catch2/catch.hpp>
#include <string>

#include "integration/rabbitmq_admin.h"

namespace provbadge::queue {
namespace {

using admin::Clock;
using admin::Ctl;
using admin::HasMessages;
using admin::QueueLine;
using admin::ReceiveWithin;
using std::chrono::milliseconds;

TEST_CASE("rabbitmq delay queues are quorum queues dead-lettering at least once",
          "[rabbitmq][delay]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.tiers"));
  o.retry_delays = {milliseconds(1000), milliseconds(60000)};
  Result<std::unique_ptr<EventQueue>> first = OpenRabbitMqQueue(o);
  REQUIRE(first.ok());
  // Idempotent: a second handle (another worker, a reconnect) declares the same topology.
  Result<std::unique_ptr<EventQueue>> second = OpenRabbitMqQueue(o);
  REQUIRE(second.ok());
  for (milliseconds tier : o.retry_delays) {
    std::string name = RetryTierQueueName(o.queue, tier);
    CHECK(name == o.queue + ".retry.v3." + std::to_string(tier.count()) + "ms");
    std::string line = QueueLine(name);
    INFO(line);
    CHECK_THAT(line, Catch::Contains("\tquorum\t"));
    CHECK_THAT(line, Catch::Contains("at-least-once"));
    CHECK_THAT(line, Catch::Contains("reject-publish"));
    CHECK_THAT(line, Catch::Contains(std::to_string(tier.count())));
    CHECK_THAT(line, Catch::Contains(WorkQueueName(o.queue)));  // dead-letters into Q.v2
  }
}

TEST_CASE("rabbitmq delay queues: a queue of ours with other arguments is refused by name",
          "[rabbitmq][delay]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.clash"));
  o.retry_delays = {milliseconds(2000)};
  const std::string tier = RetryTierQueueName(o.queue, milliseconds(2000));
  {
    admin::RawChannel raw;  // classic where a quorum queue belongs
    raw.Declare(tier, admin::ClassicDelayQueueArgs(2000, WorkQueueName(o.queue)));
  }
  Result<std::unique_ptr<EventQueue>> opened = OpenRabbitMqQueue(o);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.error().code() == ErrorCode::kInvalidInput);
  CHECK_THAT(opened.error().message(), Catch::Contains(tier));
  CHECK_THAT(opened.error().message(), Catch::Contains("PRECONDITION_FAILED"));
}

TEST_CASE("rabbitmq delay queues: a delayed retry survives a broker restart",
          "[rabbitmq][delay][restart]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.restart"));
  // Long enough that the message is still in its delay queue after the restart.
  constexpr milliseconds kDelay{30000};
  o.retry_delays = {kDelay};
  Result<std::unique_ptr<EventQueue>> opened = OpenRabbitMqQueue(o);
  REQUIRE(opened.ok());
  EventQueue& q = **opened;
  REQUIRE(q.Publish("delayed", "payload").ok());
  Delivery first = ReceiveWithin(q, std::chrono::seconds(10));
  REQUIRE(q.Complete(first, Outcome::Retry(kDelay, "hub unavailable")).ok());
  const std::string tier = RetryTierQueueName(o.queue, kDelay);
  REQUIRE(HasMessages(tier, 1));  // confirmed into the delay queue

  const auto restarted_at = Clock::now();
  Ctl("stop_app");
  Ctl("start_app");
  Ctl("await_startup");
  INFO("restart took "
       << std::chrono::duration_cast<milliseconds>(Clock::now() - restarted_at).count() << " ms");
  REQUIRE(Clock::now() - restarted_at < kDelay);  // else the test proves nothing
  CHECK(HasMessages(tier, 1));                    // still waiting, after the restart

  // The same handle reconnects by itself and receives the retry once its delay has passed.
  Delivery again = ReceiveWithin(q, std::chrono::seconds(90));
  CHECK(again.message_id == "delayed");
  CHECK(again.body == "payload");
  CHECK(again.attempt == 2);
  CHECK(Clock::now() - restarted_at >= kDelay - std::chrono::seconds(10));
  REQUIRE(q.Complete(again, Outcome::Ack()).ok());
  CHECK_FALSE(q.Receive(milliseconds(500))->has_value());
}

}  // namespace
}  // namespace provbadge::queue
