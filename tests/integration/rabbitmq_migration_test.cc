// Upgrading a RabbitMQ deployment from the unversioned work queue Q (and the delay queues that
// dead-letter into it) to Q.v2: everything the old topology still holds is processed, nothing
// is published to Q any more, and deleting Q afterwards (the operator's last step) leaves the
// consumers working.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "integration/rabbitmq_admin.h"

namespace provbadge::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Receives and acks deliveries until `expected` all arrived (each exactly once).
void DrainExactly(EventQueue& q, const std::set<std::string>& expected) {
  std::set<std::string> got;
  while (got.size() < expected.size()) {
    Delivery d = admin::ReceiveWithin(q, seconds(30));
    INFO(d.message_id);
    CHECK(expected.count(d.message_id) == 1);
    CHECK(got.insert(d.message_id).second);
    REQUIRE(q.Complete(d, Outcome::Ack()).ok());
  }
  CHECK_FALSE(q.Receive(milliseconds(500))->has_value());
}

TEST_CASE("rabbitmq migration: the legacy work queue is drained and no longer published to",
          "[rabbitmq][migration]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.upgrade"));
  o.max_attempts = 5;
  o.retry_delays = {milliseconds(3000)};
  const std::string legacy = o.queue;
  const std::string work = WorkQueueName(o.queue);
  const std::string old_tier_v2 = o.queue + ".retry.v2.1000ms";
  const std::string old_tier_v1 = o.queue + ".retry.1000ms";
  std::set<std::string> old_ids;
  {
    // What the previous releases left: the work queue Q with events, and retries waiting in
    // both generations of delay queues, which dead-letter into Q.
    admin::RawChannel raw;
    raw.Declare(legacy, admin::LegacyWorkQueueArgs(o.queue, o.max_attempts));
    raw.Declare(old_tier_v2, admin::QuorumDelayQueueArgs(1000, legacy));
    raw.Declare(old_tier_v1, admin::ClassicDelayQueueArgs(1000, legacy));
    for (int i = 0; i < 20; ++i) {
      old_ids.insert("old-" + std::to_string(i));
      raw.Publish(legacy, "old-" + std::to_string(i), "old body");
    }
    raw.Publish(old_tier_v2, "old-retry-v2", "old body");
    raw.Publish(old_tier_v1, "old-retry-v1", "old body");
    old_ids.insert("old-retry-v2");
    old_ids.insert("old-retry-v1");
  }  // closing the connection flushes the (unconfirmed) publishes

  {
    auto upgraded = admin::MustOpen(o);  // no PRECONDITION_FAILED: the new objects have new names
    Result<QueueStats> stats = upgraded->Stats();
    REQUIRE(stats.ok());
    CHECK(stats->ready >= 1);  // the legacy queue counts while it exists
    DrainExactly(*upgraded, old_ids);
  }
  CHECK(admin::HasMessages(legacy, 0));

  // A publish-only handle (enqueue, webhook ingest, revocation re-queues) publishes to Q.v2.
  {
    auto producer = admin::MustOpen(o);
    REQUIRE(producer->Publish("new-1", "new body").ok());
    CHECK(admin::HasMessages(work, 1));
    CHECK(admin::HasMessages(legacy, 0));
  }
  // A delayed retry waits in the new tier and comes back to Q.v2.
  auto consumer = admin::MustOpen(o);
  Delivery first = admin::ReceiveWithin(*consumer, seconds(10));
  CHECK(first.message_id == "new-1");
  REQUIRE(consumer->Complete(first, Outcome::Retry(milliseconds(3000), "hub unavailable")).ok());
  CHECK(admin::HasMessages(RetryTierQueueName(o.queue, milliseconds(3000)), 1));
  CHECK(admin::HasMessages(legacy, 0));
  Delivery again = admin::ReceiveWithin(*consumer, seconds(20));
  CHECK(again.message_id == "new-1");
  CHECK(again.attempt == 2);
  REQUIRE(consumer->Complete(again, Outcome::Ack()).ok());
  CHECK(admin::HasMessages(legacy, 0));

  // The operator deletes the drained legacy queues under a running consumer: it is cancelled,
  // reconnects without the legacy queue and keeps working.
  // (Quorum queues refuse `delete_queue --if-empty`: the operator checks the counts first.)
  for (const std::string& old : {legacy, old_tier_v2, old_tier_v1}) {
    REQUIRE(admin::HasMessages(old, 0));
    admin::Ctl("delete_queue '" + old + "'");
  }
  CHECK(admin::QueueLine(legacy).empty());
  const auto give_up = admin::Clock::now() + seconds(20);
  Status published = consumer->Publish("after-cleanup", "body");
  while (!published.ok() && admin::Clock::now() < give_up) {  // while it reconnects
    std::this_thread::sleep_for(milliseconds(200));
    published = consumer->Publish("after-cleanup", "body");
  }
  REQUIRE(published.ok());
  Delivery last = admin::ReceiveWithin(*consumer, seconds(20));
  CHECK(last.message_id == "after-cleanup");
  REQUIRE(consumer->Complete(last, Outcome::Ack()).ok());
  CHECK(admin::QueueLine(legacy).empty());  // nothing declared it again
  Result<QueueStats> stats = consumer->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->ready == 0);
}

}  // namespace
}  // namespace provbadge::queue
