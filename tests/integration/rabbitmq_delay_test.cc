// RabbitMQ retry delay queues: declared as quorum queues dead-lettering at-least-once, declared
// idempotently, coexisting with the classic delay queues of earlier releases (migration), and a
// delayed retry that survives a broker restart (`rabbitmqctl stop_app` / `start_app`: the node
// reloads every queue from disk) while it sits in its delay queue.
// Runs serially (CMakeLists.txt): the restart drops every other test's connection.
#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "integration/rabbitmq_backend.h"

namespace provbadge::queue {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Runs `<fixture>/ctl ARGS` and returns its standard output.
std::string Ctl(const std::string& args) {
  const std::string dir = integration::RabbitMq().dir;
  REQUIRE_FALSE(dir.empty());
  std::string cmd = "'" + dir + "/ctl' " + args + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  REQUIRE(pclose(pipe) == 0);
  return out;
}

// The `list_queues name type arguments` line of `queue` ("" when there is none).
std::string QueueLine(const std::string& queue) {
  std::string all = Ctl("list_queues -q --no-table-headers name type arguments messages");
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string::npos) end = all.size();
    std::string line = all.substr(pos, end - pos);
    if (line.compare(0, queue.size() + 1, queue + "\t") == 0) return line;
    pos = end + 1;
  }
  return "";
}

// Waits up to 15 s for `queue` to report `count` messages (the broker's counts lag a little).
bool HasMessages(const std::string& queue, int count) {
  const auto give_up = Clock::now() + std::chrono::seconds(15);
  const std::string suffix = "\t" + std::to_string(count);
  while (Clock::now() < give_up) {
    std::string line = QueueLine(queue);
    if (line.size() >= suffix.size() && line.substr(line.size() - suffix.size()) == suffix) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
  return false;
}

// Declares a durable queue with `args` and publishes one persistent message to it, directly
// with rabbitmq-c: the topology an earlier release (or an operator) left behind.
class RawChannel {
 public:
  RawChannel() {
    conn_ = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    REQUIRE(socket != nullptr);
    REQUIRE(amqp_socket_open(socket, "127.0.0.1", std::stoi(integration::RabbitMq().amqp_port)) ==
            AMQP_STATUS_OK);
    amqp_rpc_reply_t login =
        amqp_login(conn_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
    REQUIRE(login.reply_type == AMQP_RESPONSE_NORMAL);
    amqp_channel_open(conn_, 1);
    REQUIRE(amqp_get_rpc_reply(conn_).reply_type == AMQP_RESPONSE_NORMAL);
  }
  ~RawChannel() {
    amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  // The classic delay queue of releases before v2: TTL, dead-lettering to `work`.
  void DeclareOldDelayQueue(const std::string& name, int64_t ttl_ms, const std::string& work) {
    amqp_table_entry_t entries[4];
    entries[0].key = amqp_cstring_bytes("x-queue-type");
    entries[0].value.kind = AMQP_FIELD_KIND_UTF8;
    entries[0].value.value.bytes = amqp_cstring_bytes("classic");
    entries[1].key = amqp_cstring_bytes("x-message-ttl");
    entries[1].value.kind = AMQP_FIELD_KIND_I64;
    entries[1].value.value.i64 = ttl_ms;
    entries[2].key = amqp_cstring_bytes("x-dead-letter-exchange");
    entries[2].value.kind = AMQP_FIELD_KIND_UTF8;
    entries[2].value.value.bytes = amqp_cstring_bytes("");
    entries[3].key = amqp_cstring_bytes("x-dead-letter-routing-key");
    entries[3].value.kind = AMQP_FIELD_KIND_UTF8;
    entries[3].value.value.bytes = amqp_cstring_bytes(work.c_str());
    amqp_table_t table{4, entries};
    amqp_queue_declare(conn_, 1, amqp_cstring_bytes(name.c_str()), 0, 1, 0, 0, table);
    REQUIRE(amqp_get_rpc_reply(conn_).reply_type == AMQP_RESPONSE_NORMAL);
  }
  void Publish(const std::string& queue, const std::string& id, const std::string& body) {
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
    props.delivery_mode = 2;
    props.message_id = amqp_cstring_bytes(id.c_str());
    REQUIRE(amqp_basic_publish(conn_, 1, amqp_cstring_bytes(""), amqp_cstring_bytes(queue.c_str()),
                               0, 0, &props, amqp_cstring_bytes(body.c_str())) == AMQP_STATUS_OK);
  }

 private:
  amqp_connection_state_t conn_ = nullptr;
};

Delivery ReceiveWithin(EventQueue& q, std::chrono::seconds limit) {
  const auto give_up = Clock::now() + limit;
  while (Clock::now() < give_up) {
    Result<std::optional<Delivery>> d = q.Receive(milliseconds(500));
    if (d.ok() && d->has_value()) return **d;  // not ok: reconnecting after the restart
  }
  FAIL("no delivery within " << limit.count() << " s");
  return {};
}

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
    CHECK(name == o.queue + ".retry.v2." + std::to_string(tier.count()) + "ms");
    std::string line = QueueLine(name);
    INFO(line);
    CHECK_THAT(line, Catch::Contains("\tquorum\t"));
    CHECK_THAT(line, Catch::Contains("at-least-once"));
    CHECK_THAT(line, Catch::Contains("reject-publish"));
    CHECK_THAT(line, Catch::Contains(std::to_string(tier.count())));
  }
}

TEST_CASE("rabbitmq delay queues: a classic delay queue of an earlier release keeps draining",
          "[rabbitmq][delay]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.migrate"));
  o.retry_delays = {milliseconds(1000)};
  const std::string old_name = o.queue + ".retry.1000ms";
  {
    // The previous release's topology, with a retry waiting in its classic delay queue (the
    // work queue must exist for it to dead-letter into: opening the queue once declares it).
    REQUIRE(OpenRabbitMqQueue(o).ok());
    RawChannel raw;
    raw.DeclareOldDelayQueue(old_name, 1000, o.queue);
    raw.Publish(old_name, "old-retry", "old body");
  }
  Result<std::unique_ptr<EventQueue>> opened = OpenRabbitMqQueue(o);
  REQUIRE(opened.ok());  // no PRECONDITION_FAILED: the new tiers have their own names
  Delivery d = ReceiveWithin(**opened, std::chrono::seconds(20));
  CHECK(d.message_id == "old-retry");
  CHECK(d.body == "old body");
  REQUIRE((*opened)->Complete(d, Outcome::Ack()).ok());
  CHECK_THAT(QueueLine(old_name), Catch::Contains("\tclassic\t"));
}

TEST_CASE("rabbitmq delay queues: a queue of ours with other arguments is refused by name",
          "[rabbitmq][delay]") {
  RabbitMqQueueOptions o = FixtureOptions(integration::UniqueName("it.clash"));
  o.retry_delays = {milliseconds(2000)};
  const std::string tier = RetryTierQueueName(o.queue, milliseconds(2000));
  {
    RawChannel raw;
    raw.DeclareOldDelayQueue(tier, 2000, o.queue);  // classic where a quorum queue belongs
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
