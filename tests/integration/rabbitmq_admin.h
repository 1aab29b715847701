// Test-side control of the `rabbitmq` CTest fixture node: rabbitmqctl (the fixture's `ctl`
// wrapper), queue listings and counts, and a raw rabbitmq-c channel that declares and fills queues
// the way an earlier release (or an operator) left them.
//
// Ownership: RawChannel owns its connection. Thread-safety: one test thread. Every helper
// REQUIREs success, so a broken fixture fails the test that uses it.
#ifndef PROVBADGE_TESTS_INTEGRATION_RABBITMQ_ADMIN_H_
#define PROVBADGE_TESTS_INTEGRATION_RABBITMQ_ADMIN_H_

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "integration/rabbitmq_backend.h"

namespace provbadge::queue::admin {

using Clock = std::chrono::steady_clock;

// Runs `<fixture>/ctl ARGS` (ARGS quoted for sh by the caller) and returns its standard output.
inline std::string Ctl(const std::string& args) {
  const std::string dir = integration::RabbitMq().dir;
  REQUIRE_FALSE(dir.empty());
  std::string cmd = "'" + dir + "/ctl' " + args + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  INFO("ctl " << args << ": " << out);
  REQUIRE(pclose(pipe) == 0);
  return out;
}

// `name` as an anchored regular expression (policy patterns).
inline std::string Anchored(const std::string& name) {
  std::string out = "^";
  for (char c : name) {
    if (c == '.' || c == '+' || c == '*' || c == '?') out += '\\';
    out += c;
  }
  return out + "$";
}

// Applies policy `policy` (JSON definition) to the queue `queue` only.
inline void SetQueuePolicy(const std::string& policy, const std::string& queue,
                           const std::string& definition) {
  Ctl("set_policy --apply-to queues '" + policy + "' '" + Anchored(queue) + "' '" + definition +
      "'");
}

// The `list_queues name type arguments messages` line of `queue` ("" when there is none).
inline std::string QueueLine(const std::string& queue) {
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

// Opens the queue, failing the test with the reason when it cannot.
inline std::unique_ptr<EventQueue> MustOpen(const RabbitMqQueueOptions& o) {
  Result<std::unique_ptr<EventQueue>> q = OpenRabbitMqQueue(o);
  INFO((q.ok() ? std::string() : q.error().message()));
  REQUIRE(q.ok());
  return std::move(q).value();
}

// The next delivery within `limit` (Receive errors while reconnecting are waited out).
inline Delivery ReceiveWithin(EventQueue& q, std::chrono::seconds limit) {
  const auto give_up = Clock::now() + limit;
  while (Clock::now() < give_up) {
    Result<std::optional<Delivery>> d = q.Receive(std::chrono::milliseconds(500));
    if (d.ok() && d->has_value()) return **d;
  }
  FAIL("no delivery within " << limit.count() << " s");
  return {};
}

// Waits up to `limit` for the dead letters to be non-empty and returns them.
inline std::vector<DeadLetter> DeadLettersWithin(EventQueue& q, std::chrono::seconds limit) {
  const auto give_up = Clock::now() + limit;
  for (;;) {
    Result<std::vector<DeadLetter>> dead = q.ListDeadLetters(100);
    INFO((dead.ok() ? std::string() : dead.error().message()));
    REQUIRE(dead.ok());
    if (!dead->empty() || Clock::now() >= give_up) return *dead;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Queue arguments: integers and strings.
using Args = std::map<std::string, std::variant<int64_t, std::string>>;

// The work queue of releases before v2 (dead-lettering at most once).
inline Args LegacyWorkQueueArgs(const std::string& queue, int max_attempts) {
  return {{"x-queue-type", std::string("quorum")},
          {"x-delivery-limit", int64_t{max_attempts - 1}},
          {"x-dead-letter-exchange", queue + ".dlx"},
          {"x-dead-letter-routing-key", std::string("dead")}};
}
// The classic delay queue of releases before v2: TTL, dead-lettering to `target`.
inline Args ClassicDelayQueueArgs(int64_t ttl_ms, const std::string& target) {
  return {{"x-queue-type", std::string("classic")},
          {"x-message-ttl", ttl_ms},
          {"x-dead-letter-exchange", std::string()},
          {"x-dead-letter-routing-key", target}};
}
// The v2 delay queue: quorum, at-least-once, dead-lettering to `target`.
inline Args QuorumDelayQueueArgs(int64_t ttl_ms, const std::string& target) {
  Args a = ClassicDelayQueueArgs(ttl_ms, target);
  a["x-queue-type"] = std::string("quorum");
  a["x-dead-letter-strategy"] = std::string("at-least-once");
  a["x-overflow"] = std::string("reject-publish");
  return a;
}

// A plain rabbitmq-c connection with one channel.
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
    if (channel_open_) amqp_channel_close(conn_, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn_);
  }
  RawChannel(const RawChannel&) = delete;
  RawChannel& operator=(const RawChannel&) = delete;

  // A durable queue with `args`.
  void Declare(const std::string& name, const Args& args) {
    std::vector<amqp_table_entry_t> entries;
    for (const auto& [key, value] : args) {
      amqp_table_entry_t e{};
      e.key = amqp_cstring_bytes(key.c_str());
      if (const int64_t* i = std::get_if<int64_t>(&value)) {
        e.value.kind = AMQP_FIELD_KIND_I64;
        e.value.value.i64 = *i;
      } else {
        e.value.kind = AMQP_FIELD_KIND_UTF8;
        e.value.value.bytes = amqp_cstring_bytes(std::get<std::string>(value).c_str());
      }
      entries.push_back(e);
    }
    amqp_table_t table{static_cast<int>(entries.size()), entries.data()};
    amqp_queue_declare(conn_, 1, amqp_cstring_bytes(name.c_str()), 0, 1, 0, 0, table);
    REQUIRE(amqp_get_rpc_reply(conn_).reply_type == AMQP_RESPONSE_NORMAL);
  }
  // The ready messages of `queue` as the queue itself reports them now (a passive declare;
  // list_queues counts of quorum queues lag by seconds); nullopt when there is no such queue,
  // which also closes the channel: call nothing else afterwards.
  std::optional<int64_t> Count(const std::string& queue) {
    REQUIRE(channel_open_);
    amqp_queue_declare_ok_t* ok = amqp_queue_declare(conn_, 1, amqp_cstring_bytes(queue.c_str()),
                                                     1 /*passive*/, 0, 0, 0, amqp_empty_table);
    if (amqp_get_rpc_reply(conn_).reply_type == AMQP_RESPONSE_NORMAL) return ok->message_count;
    channel_open_ = false;
    return std::nullopt;
  }
  // One persistent message through the default exchange (not confirmed: wait with
  // HasMessages when it matters).
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
  bool channel_open_ = true;
};

// Waits up to 15 s for `queue` to hold exactly `count` ready messages.
inline bool HasMessages(const std::string& queue, int64_t count) {
  const auto give_up = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < give_up) {
    if (RawChannel().Count(queue) == count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace provbadge::queue::admin

#endif  // PROVBADGE_TESTS_INTEGRATION_RABBITMQ_ADMIN_H_
