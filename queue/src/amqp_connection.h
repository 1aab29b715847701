// A small C++ wrapper over one rabbitmq-c 0.11 connection, so that the rabbitmq-c headers stay
// in amqp_connection.cc. Only what the RabbitMQ queue needs: connect (plain or TLS), channels,
// declares, consume, publish, ack/nack, basic.get, and reading the next frame as an event.
//
// Ownership: owns the connection. Thread-safety: none — the object must be used by one thread
// only (rabbitmq-c connections are not thread-safe). After any error the connection is
// unusable: the caller destroys it and connects a new one.
#ifndef PROVBADGE_QUEUE_SRC_AMQP_CONNECTION_H_
#define PROVBADGE_QUEUE_SRC_AMQP_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "provbadge/common/result.h"

namespace provbadge::queue::internal {

struct AmqpEndpoint {
  std::string host;
  int port = 5672;
  std::string vhost = "/";
  std::string user = "guest";
  std::string password = "guest";
  bool tls = false;
  std::string ca_file;  // tls: "" = the system trust store
};
// amqp[s]://user:pass@host:port/vhost via rabbitmq-c's own parser; kInvalidInput otherwise.
Result<AmqpEndpoint> ParseAmqpUrl(std::string_view url);

// Header and argument values: integers and strings are all we read or write.
using HeaderValue = std::variant<int64_t, std::string>;
using Headers = std::map<std::string, HeaderValue>;

struct AmqpMessage {
  uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string message_id;
  std::string body;
  Headers headers;  // x-death is summarised as x-death.time (Unix seconds)
};

struct AmqpEvent {
  enum class Kind {
    kNone,
    kDelivery,
    kConfirmAck,
    kConfirmNack,
    kReturn,
    kBlocked,
    kUnblocked,
    kLost
  };
  Kind kind = Kind::kNone;
  uint16_t channel = 0;
  uint64_t tag = 0;  // confirms
  bool multiple = false;
  AmqpMessage message;  // kDelivery, kReturn
  std::string detail;   // kLost, kReturn: why
};

struct AmqpSettings {
  std::chrono::seconds heartbeat{30};
  std::chrono::milliseconds timeout{5000};  // connect and every synchronous call
  std::string connection_name;
};

class AmqpConnection {
 public:
  AmqpConnection();
  ~AmqpConnection();  // destroys without a graceful close
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  Status Connect(const AmqpEndpoint& endpoint, const AmqpSettings& settings);
  // Graceful connection.close bounded by the timeout; the object is unusable afterwards.
  void Close();

  Status OpenChannel(uint16_t channel);
  Status CloseChannel(uint16_t channel);
  Status DeclareExchange(uint16_t channel, const std::string& name);  // durable direct
  // Durable; kInvalidInput when it exists with other arguments.
  Status DeclareQueue(uint16_t channel, const std::string& name, const Headers& args);
  Status BindQueue(uint16_t channel, const std::string& queue, const std::string& exchange,
                   const std::string& key);
  Result<int64_t> CountReady(uint16_t channel, const std::string& queue);  // passive declare
  // As CountReady, but nullopt when the queue does not exist (the broker closes `channel` for
  // that: it is opened again).
  Result<std::optional<int64_t>> CountIfExists(uint16_t channel, const std::string& queue);
  Status Qos(uint16_t channel, int prefetch);                  // per consumer (global = 0)
  Status Consume(uint16_t channel, const std::string& queue);  // manual acks
  Status ConfirmSelect(uint16_t channel);
  // Persistent, mandatory. Not confirmed yet: the confirm arrives as an event.
  Status Publish(uint16_t channel, const std::string& exchange, const std::string& key,
                 const std::string& message_id, const std::string& body, const Headers& headers);
  Status Ack(uint16_t channel, uint64_t tag);
  Status Nack(uint16_t channel, uint64_t tag, bool requeue);
  // basic.get without auto-ack; nullopt when the queue is empty.
  Result<std::optional<AmqpMessage>> Get(uint16_t channel, const std::string& queue);

  // Waits up to `timeout` for the socket or `wake_fd` (-1: none) to become readable, then
  // reads at most one frame. kNone when nothing (or nothing of interest) arrived; kLost when
  // the connection failed or the broker closed it or cancelled the consumer.
  AmqpEvent Next(std::chrono::milliseconds timeout, int wake_fd);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace provbadge::queue::internal

#endif  // PROVBADGE_QUEUE_SRC_AMQP_CONNECTION_H_
