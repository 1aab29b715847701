// RabbitMQ work queue Q.v2 dead-lettering at least once: a poison message past the delivery
// limit lands in Q.dead with its reason while the other messages flow; a dead letter whose
// target is missing or full at that moment stays in Q.v2 and reaches Q.dead once it can; and a
// publish into a full Q.v2 (reject-publish) is an error, never a silent success. A browse of
// Q.dead returns at most kMaxQueueBrowse dead letters, oldest first, and leaves them all there.
// The fixture retries refused dead letters every 2 s (rabbitmq_up.sh, advanced.config).
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <string>

#include "integration/rabbitmq_admin.h"
#include "provbadge/common/limits.h"

namespace provbadge::queue {
namespace {

using admin::Ctl;
using admin::DeadLettersWithin;
using admin::HasMessages;
using admin::MustOpen;
using admin::QueueLine;
using admin::ReceiveWithin;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE(
    "rabbitmq work queue: a poison message is dead-lettered with its reason while others flow",
    "[rabbitmq][deadletter]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.poison"));
  o.max_attempts = 3;
  auto q = MustOpen(o);
  const std::string line = QueueLine(WorkQueueName(o.queue));
  INFO(line);
  CHECK_THAT(line, Catch::Contains("\tquorum\t"));
  CHECK_THAT(line, Catch::Contains("at-least-once"));
  CHECK_THAT(line, Catch::Contains("reject-publish"));
  CHECK(QueueLine(o.queue).empty());  // a new deployment has no unversioned queue

  REQUIRE(q->Publish("poison", "bad body").ok());
  std::set<std::string> healthy;
  for (int i = 0; i < 6; ++i) {
    healthy.insert("ok-" + std::to_string(i));
    REQUIRE(q->Publish("ok-" + std::to_string(i), "good body").ok());
  }
  std::set<std::string> acked;
  int poison_seen = 0;
  while (acked.size() < healthy.size() || poison_seen < o.max_attempts) {
    Delivery d = ReceiveWithin(*q, seconds(10));
    if (d.message_id == "poison") {
      ++poison_seen;
      CHECK(d.attempt == poison_seen);
      REQUIRE(q->Complete(d, Outcome::Retry(milliseconds(0), "hub: no such revision")).ok());
    } else {
      CHECK(acked.insert(d.message_id).second);
      REQUIRE(q->Complete(d, Outcome::Ack()).ok());
    }
  }
  CHECK(acked == healthy);
  CHECK(poison_seen == o.max_attempts);
  CHECK_FALSE(q->Receive(milliseconds(500))->has_value());  // not a fourth time

  std::vector<DeadLetter> dead = DeadLettersWithin(*q, seconds(15));
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message_id == "poison");
  CHECK(dead[0].body == "bad body");
  CHECK(dead[0].attempts == 3);
  CHECK_THAT(dead[0].reason, Catch::StartsWith("delivery_limit: 3 attempts"));
  Result<QueueStats> stats = q->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->ready == 0);
  CHECK(stats->dead == 1);
}

// Exhausts the delivery limit of "poison" (max_attempts 2) so that the broker dead-letters it.
void ExhaustDeliveryLimit(EventQueue& q) {
  REQUIRE(q.Publish("poison", "bad body").ok());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    Delivery d = ReceiveWithin(q, seconds(10));
    REQUIRE(d.message_id == "poison");
    REQUIRE(q.Complete(d, Outcome::Retry(milliseconds(0), "store unavailable")).ok());
  }
}

TEST_CASE("rabbitmq work queue: a dead letter its target cannot take yet is kept, not lost",
          "[rabbitmq][deadletter]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.keep"));
  o.max_attempts = 2;
  const std::string dead_queue = o.queue + ".dead";
  auto q = MustOpen(o);

  SECTION("the dead-letter queue is missing, then declared again") {
    Ctl("delete_queue '" + dead_queue + "'");
    ExhaustDeliveryLimit(*q);
    // Dead-lettered (no fourth delivery) but routed nowhere: at most once would drop it here.
    CHECK_FALSE(q->Receive(milliseconds(3000))->has_value());
    CHECK(QueueLine(dead_queue).empty());
    auto redeclares = MustOpen(o);  // any (re)connecting worker declares Q.dead again
  }
  SECTION("the dead-letter queue is full (max-length 0, reject-publish), then has room") {
    const std::string policy = integration::UniqueName("it-full-dlq");
    admin::SetQueuePolicy(policy, dead_queue, R"({"max-length":0,"overflow":"reject-publish"})");
    std::this_thread::sleep_for(milliseconds(1000));  // the queue takes the policy a bit later
    ExhaustDeliveryLimit(*q);
    CHECK_FALSE(q->Receive(milliseconds(3000))->has_value());
    CHECK(HasMessages(dead_queue, 0));
    Result<std::vector<DeadLetter>> none = q->ListDeadLetters(10);
    REQUIRE(none.ok());
    CHECK(none->empty());
    Ctl("clear_policy '" + policy + "'");
  }
  // The broker hands the kept dead letter over on its next retry (every 2 s in the fixture).
  std::vector<DeadLetter> dead = DeadLettersWithin(*q, seconds(30));
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].message_id == "poison");
  CHECK(dead[0].body == "bad body");
  CHECK_THAT(dead[0].reason, Catch::StartsWith("delivery_limit: 2 attempts"));
  CHECK_FALSE(q->Receive(milliseconds(500))->has_value());
}

TEST_CASE("rabbitmq work queue: a publish into a full work queue is an error",
          "[rabbitmq][deadletter]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.full"));
  auto q = MustOpen(o);
  const std::string policy = integration::UniqueName("it-full-work");
  admin::SetQueuePolicy(policy, WorkQueueName(o.queue), R"({"max-length":1})");
  // The queue takes the policy a moment later: publish until the broker refuses one.
  std::set<std::string> accepted;
  Status refused = Status::Ok();
  for (int i = 0; i < 50 && refused.ok(); ++i) {
    const std::string id = "m-" + std::to_string(i);
    refused = q->Publish(id, "body");
    if (refused.ok()) accepted.insert(id);
    if (refused.ok()) std::this_thread::sleep_for(milliseconds(100));
  }
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code() == ErrorCode::kUnavailable);
  CHECK_THAT(refused.error().message(), Catch::Contains("basic.nack"));
  // Nothing was dropped silently: every accepted message is there, and once there is room again
  // publishing works. (Clearing the policy does not lift the limit at once on 3.10.8.)
  std::set<std::string> received;
  while (received.size() < accepted.size()) {
    Delivery d = ReceiveWithin(*q, seconds(10));
    CHECK(received.insert(d.message_id).second);
    REQUIRE(q->Complete(d, Outcome::Ack()).ok());
  }
  Status after = q->Publish("after", "fits again");
  for (int i = 0; i < 50 && !after.ok(); ++i) {  // the acks reach the queue a moment later
    std::this_thread::sleep_for(milliseconds(200));
    after = q->Publish("after", "fits again");
  }
  INFO((after.ok() ? std::string() : after.error().message()));
  REQUIRE(after.ok());
  accepted.insert("after");
  Delivery last = ReceiveWithin(*q, seconds(10));
  CHECK(last.message_id == "after");
  received.insert(last.message_id);
  REQUIRE(q->Complete(last, Outcome::Ack()).ok());
  Ctl("clear_policy '" + policy + "'");
  CHECK(received == accepted);
  CHECK_FALSE(q->Receive(milliseconds(500))->has_value());
}

TEST_CASE(
    "rabbitmq dead letters: a browse returns at most kMaxQueueBrowse, oldest first, and "
    "keeps them all",
    "[rabbitmq][deadletter]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.browse"));
  auto q = MustOpen(o);
  const std::string dead_queue = o.queue + ".dead";
  // One past the limit, put straight into Q.dead (as dead-lettering would, without the
  // deliveries each one would take).
  const int64_t total = static_cast<int64_t>(limits::kMaxQueueBrowse) + 1;
  {
    admin::RawChannel raw;
    for (int64_t i = 0; i < total; ++i) raw.Publish(dead_queue, "m" + std::to_string(i), "{}");
  }
  REQUIRE(HasMessages(dead_queue, total));
  Result<std::vector<DeadLetter>> over = q->ListDeadLetters(limits::kMaxQueueBrowse + 1);
  INFO((over.ok() ? std::string() : over.error().message()));
  REQUIRE(over.ok());
  REQUIRE(over->size() == limits::kMaxQueueBrowse);
  CHECK(over->front().message_id == "m0");
  CHECK(over->back().message_id == "m" + std::to_string(limits::kMaxQueueBrowse - 1));
  Result<std::vector<DeadLetter>> any = q->ListDeadLetters(SIZE_MAX);
  REQUIRE(any.ok());
  CHECK(any->size() == limits::kMaxQueueBrowse);
  // Browsing takes nothing away: every dead letter is still there, in its place.
  CHECK(HasMessages(dead_queue, total));
  Result<QueueStats> stats = q->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->dead == total);
  Result<std::vector<DeadLetter>> again = q->ListDeadLetters(1);
  REQUIRE(again.ok());
  REQUIRE(again->size() == 1);
  CHECK(again->front().message_id == "m0");
  Ctl("delete_queue '" + dead_queue + "'");
}

}  // namespace
}  // namespace provbadge::queue
