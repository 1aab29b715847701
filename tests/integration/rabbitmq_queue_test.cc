// The EventQueue contract against a real RabbitMQ node (the `rabbitmq` CTest fixture), plus
// RabbitMQ specifics: TLS with a private CA, options and URL errors, topology mismatches and
// the delivery limit reached through delayed retries.
#include <catch2/catch.hpp>

#include <string>
#include <thread>

#include "integration/rabbitmq_backend.h"

namespace provbadge::queue {
namespace {

using std::chrono::milliseconds;

PROVBADGE_QUEUE_CONTRACT_TESTS(RabbitMqBackend, "rabbitmq")

std::unique_ptr<EventQueue> MustOpen(const RabbitMqQueueOptions& options) {
  Result<std::unique_ptr<EventQueue>> q = OpenRabbitMqQueue(options);
  INFO((q.ok() ? std::string() : q.error().message()));
  REQUIRE(q.ok());
  return std::move(q).value();
}

Delivery MustReceive(EventQueue& q) {
  Result<std::optional<Delivery>> d = q.Receive(milliseconds(10000));
  INFO((d.ok() ? std::string() : d.error().message()));
  REQUIRE(d.ok());
  REQUIRE(d->has_value());
  return **d;
}

TEST_CASE("rabbitmq queue over TLS with a private CA", "[rabbitmq][tls]") {
  const integration::RabbitMqFixture f = integration::RabbitMq();
  REQUIRE_FALSE(f.dir.empty());
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.tls"));
  o.url = "amqps://guest:guest@localhost:" + f.tls_port + "/%2f";
  o.ca_file = f.dir + "/tls/ca.pem";

  SECTION("verified by DNS name: publish, receive, ack") {
    auto q = MustOpen(o);
    REQUIRE(q->Publish("tls-1", "over tls").ok());
    Delivery d = MustReceive(*q);
    CHECK(d.message_id == "tls-1");
    CHECK(d.body == "over tls");
    CHECK(q->Complete(d, Outcome::Ack()).ok());
    CHECK(q->Stats()->ready == 0);
  }
  SECTION("an unknown CA is refused") {
    o.ca_file = f.dir + "/tls/other-ca.pem";
    Result<std::unique_ptr<EventQueue>> q = OpenRabbitMqQueue(o);
    REQUIRE_FALSE(q.ok());
    CHECK(q.error().code() == ErrorCode::kUnavailable);
  }
  SECTION("the certificate names localhost, not the IP address (0.11 matches DNS names)") {
    o.url = "amqps://guest:guest@127.0.0.1:" + f.tls_port + "/%2f";
    Result<std::unique_ptr<EventQueue>> q = OpenRabbitMqQueue(o);
    REQUIRE_FALSE(q.ok());
    CHECK(q.error().code() == ErrorCode::kUnavailable);
  }
  SECTION("plain AMQP to the TLS port fails cleanly") {
    o.url = "amqp://guest:guest@localhost:" + f.tls_port + "/%2f";
    o.connect_timeout = milliseconds(2000);
    Result<std::unique_ptr<EventQueue>> q = OpenRabbitMqQueue(o);
    REQUIRE_FALSE(q.ok());
    CHECK(q.error().code() == ErrorCode::kUnavailable);
  }
}

TEST_CASE("rabbitmq queue: connection errors never leak the password", "[rabbitmq]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.err"));
  SECTION("wrong password") {
    o.url = "amqp://guest:wr0ng-s3cret@127.0.0.1:" + integration::RabbitMq().amqp_port + "/%2f";
  }
  SECTION("nothing listens") { o.url = "amqp://guest:wr0ng-s3cret@127.0.0.1:1/%2f"; }
  SECTION("unknown vhost") {
    o.url = "amqp://guest:wr0ng-s3cret@127.0.0.1:" + integration::RabbitMq().amqp_port + "/nope";
  }
  Result<std::unique_ptr<EventQueue>> q = OpenRabbitMqQueue(o);
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().code() == ErrorCode::kUnavailable);
  CHECK_THAT(q.error().message(), !Catch::Contains("wr0ng-s3cret"));
}

TEST_CASE("rabbitmq queue: bad options are invalid input", "[rabbitmq]") {
  RabbitMqQueueOptions o = FixtureOptions("it.never-declared");
  SECTION("url scheme") { o.url = "http://localhost"; }
  SECTION("url without host") { o.url = "amqp://"; }
  SECTION("url port") { o.url = "amqp://h:notaport/"; }
  SECTION("prefetch") { o.prefetch = 0; }
  SECTION("max_attempts") { o.max_attempts = 0; }
  SECTION("retry delays not ascending") { o.retry_delays = {milliseconds(500), milliseconds(500)}; }
  SECTION("empty queue name") { o.queue.clear(); }
  Result<std::unique_ptr<EventQueue>> q = OpenRabbitMqQueue(o);
  REQUIRE_FALSE(q.ok());
  INFO(q.error().message());
  CHECK(q.error().code() == ErrorCode::kInvalidInput);
}

TEST_CASE("rabbitmq queue: message ids longer than an AMQP short string are refused",
          "[rabbitmq]") {
  auto q = MustOpen(FixtureOptions(integration::UniqueName("it.id")));
  Status s = q->Publish(std::string(256, 'i'), "b");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kInvalidInput);
  CHECK(q->Publish(std::string(255, 'i'), "b").ok());
  CHECK(q->Ping().ok());
}

TEST_CASE("rabbitmq queue: a queue declared with another delivery limit is refused", "[rabbitmq]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.mismatch"));
  o.max_attempts = 3;
  auto first = MustOpen(o);
  o.max_attempts = 4;
  Result<std::unique_ptr<EventQueue>> second = OpenRabbitMqQueue(o);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code() == ErrorCode::kInvalidInput);
  CHECK_THAT(second.error().message(), Catch::Contains("x-delivery-limit"));
}

TEST_CASE("rabbitmq queue: delayed retries count towards the limit and keep the last error",
          "[rabbitmq]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.delay"));
  o.max_attempts = 2;
  o.retry_delays = {milliseconds(200), milliseconds(2000)};
  auto q = MustOpen(o);
  REQUIRE(q->Publish("slow", "payload").ok());
  Delivery first = MustReceive(*q);
  CHECK(first.attempt == 1);
  REQUIRE(q->Complete(first, Outcome::Retry(milliseconds(150), "hub unavailable")).ok());
  Delivery second = MustReceive(*q);
  CHECK(second.attempt == 2);
  CHECK(second.redelivered);
  CHECK(second.body == "payload");
  REQUIRE(q->Complete(second, Outcome::Retry(milliseconds(150), "hub still unavailable")).ok());
  // The third delivery is past max_attempts: dead-lettered instead of returned.
  CHECK_FALSE(q->Receive(milliseconds(1500))->has_value());
  // Dead-lettering passes through the broker's at-least-once machinery: give it time when the
  // machine is loaded.
  Result<std::vector<DeadLetter>> dead = q->ListDeadLetters(10);
  for (int i = 0; i < 100 && dead.ok() && dead->empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    dead = q->ListDeadLetters(10);
  }
  REQUIRE(dead.ok());
  // One CI run under ASan found 2 here (not reproduced): name them all if it happens again, to
  // tell a broker duplicate (same attempts and time) from a second dead-lettering of ours.
  for (const DeadLetter& d : *dead) {
    UNSCOPED_INFO("dead letter " << d.message_id << " attempts " << d.attempts << " reason \""
                                 << d.reason << "\" at " << d.dead_at_ms << " ms");
  }
  REQUIRE(dead->size() == 1);
  CHECK((*dead)[0].message_id == "slow");
  CHECK((*dead)[0].body == "payload");
  CHECK((*dead)[0].attempts == 2);
  CHECK((*dead)[0].reason == "delivery_limit: 2 attempts; last error: hub still unavailable");
  Result<QueueStats> stats = q->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->ready == 0);
  CHECK(stats->dead == 1);
}

}  // namespace
}  // namespace provbadge::queue
