// The RabbitMQ queue when the broker drops every connection (`rabbitmqctl
// close_all_connections`) while deliveries are in flight: the queue reconnects by itself,
// completing a delivery from before the drop is a harmless no-op, the broker redelivers those
// deliveries, and no message is lost or acked twice.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "integration/rabbitmq_backend.h"

namespace provbadge::queue {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void CloseAllConnections() {
  const std::string dir = integration::RabbitMq().dir;
  REQUIRE_FALSE(dir.empty());
  std::string cmd = "'" + dir + "/ctl' close_all_connections 'integration test' >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

TEST_CASE("rabbitmq queue: broker drops the connection with deliveries in flight",
          "[rabbitmq][reconnect]") {
  constexpr int kMessages = 10;
  Result<std::unique_ptr<EventQueue>> opened =
      OpenRabbitMqQueue(FixtureOptions(integration::UniqueName("it.drop")));
  REQUIRE(opened.ok());
  EventQueue& q = **opened;
  for (int i = 0; i < kMessages; ++i) REQUIRE(q.Publish("m" + std::to_string(i), "b").ok());

  std::vector<Delivery> held;
  for (int i = 0; i < 3; ++i) {
    Result<std::optional<Delivery>> d = q.Receive(milliseconds(5000));
    REQUIRE(d.ok());
    REQUIRE(d->has_value());
    held.push_back(**d);
  }
  CloseAllConnections();

  // Publishing works again once the queue has reconnected by itself.
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  Status late = q.Publish("after-drop", "b");
  while (!late.ok() && Clock::now() < give_up) {
    CHECK(late.error().code() == ErrorCode::kUnavailable);
    std::this_thread::sleep_for(milliseconds(100));
    late = q.Publish("after-drop", "b");
  }
  REQUIRE(late.ok());
  // Completing deliveries of the dead connection changes nothing.
  for (const Delivery& d : held) CHECK(q.Complete(d, Outcome::Ack()).ok());

  std::map<std::string, int> acked;
  std::set<std::string> held_ids;
  for (const Delivery& d : held) held_ids.insert(d.message_id);
  while (acked.size() < kMessages + 1 && Clock::now() < give_up) {
    Result<std::optional<Delivery>> d = q.Receive(milliseconds(500));
    REQUIRE(d.ok());
    if (!d->has_value()) continue;
    if (held_ids.count((*d)->message_id) == 1) {
      CHECK((*d)->attempt == 2);  // delivered once before the drop
      CHECK((*d)->redelivered);
    }
    REQUIRE(q.Complete(**d, Outcome::Ack()).ok());
    ++acked[(*d)->message_id];
  }
  REQUIRE(acked.size() == kMessages + 1);
  for (const auto& [id, count] : acked) {
    INFO(id);
    CHECK(count == 1);
  }
  CHECK_FALSE(q.Receive(milliseconds(300))->has_value());
  Result<QueueStats> stats = q.Stats();
  REQUIRE(stats.ok());
  CHECK(stats->ready == 0);
  CHECK(stats->in_flight == 0);
  CHECK(stats->dead == 0);
}

}  // namespace
}  // namespace provbadge::queue
