// rabbitmq-c 0.11 behind AmqpConnection (amqp_connection.h). With amqp_codec.cc, the only
// files that include the rabbitmq-c headers (flat in 0.11). notes/stack.md §2 has the why of each
// step.
#include "amqp_connection.h"

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <vector>

#include "amqp_codec.h"

namespace provbadge::queue::internal {
namespace {

using std::chrono::milliseconds;

constexpr int kFrameMax = 131072;

timeval ToTimeval(milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// Keeps a half-dead peer from blocking sends forever (rabbitmq-c 0.11 issues #780/#788).
void SetKeepalive(int fd) {
  int on = 1, idle = 30, interval = 10, count = 3;
  unsigned int user_timeout_ms = 60000;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

std::string ServerText(const amqp_rpc_reply_t& r) {
  if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* c = static_cast<amqp_connection_close_t*>(r.reply.decoded);
    return "connection closed: " + std::to_string(c->reply_code) + " " + FromBytes(c->reply_text);
  }
  if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* c = static_cast<amqp_channel_close_t*>(r.reply.decoded);
    return "channel closed: " + std::to_string(c->reply_code) + " " + FromBytes(c->reply_text);
  }
  return "unexpected server method";
}

int ServerCode(const amqp_rpc_reply_t& r) {
  if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    return static_cast<amqp_connection_close_t*>(r.reply.decoded)->reply_code;
  }
  if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    return static_cast<amqp_channel_close_t*>(r.reply.decoded)->reply_code;
  }
  return 0;
}

}  // namespace

struct AmqpConnection::State {
  amqp_connection_state_t conn = nullptr;
  std::string where;  // host:port/vhost, for messages (never the password)

  Error RpcError(const amqp_rpc_reply_t& r, std::string_view what) const {
    std::string why;
    switch (r.reply_type) {
      case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        why = amqp_error_string2(r.library_error);
        break;
      case AMQP_RESPONSE_SERVER_EXCEPTION:
        why = ServerText(r);
        break;
      default:
        why = "no reply";
    }
    std::string message = "rabbitmq " + where + ": " + std::string(what) + ": " + why;
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && ServerCode(r) == 406) {
      return InvalidInput(message);  // PRECONDITION_FAILED: inequivalent arguments
    }
    return Unavailable(message);
  }

  Status Check(std::string_view what) const {
    amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return Status::Ok();
    return RpcError(r, what);
  }

  Status CheckStatus(int rc, std::string_view what) const {
    if (rc == AMQP_STATUS_OK) return Status::Ok();
    return Unavailable("rabbitmq " + where + ": " + std::string(what) + ": " +
                       amqp_error_string2(rc));
  }
};

Result<AmqpEndpoint> ParseAmqpUrl(std::string_view url) {
  if (url.rfind("amqp://", 0) != 0 && url.rfind("amqps://", 0) != 0) {
    return InvalidInput("rabbitmq url: must start with amqp:// or amqps://");
  }
  // amqp_parse_url falls back to localhost for an empty host: refuse that explicitly.
  std::string_view authority = url.substr(url.find("://") + 3);
  authority = authority.substr(0, authority.find('/'));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (authority.empty() || authority.front() == ':') {
    return InvalidInput("rabbitmq url: the host must not be empty");
  }
  std::string copy(url);  // amqp_parse_url parses in place
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(copy.data(), &info) != AMQP_STATUS_OK || info.host == nullptr ||
      *info.host == '\0') {
    return InvalidInput("rabbitmq url: not of the form amqp[s]://user:pass@host:port/vhost");
  }
  AmqpEndpoint e;
  e.host = info.host;
  e.port = info.port;
  e.user = info.user;
  e.password = info.password;
  e.vhost = info.vhost;
  e.tls = info.ssl != 0;
  if (e.vhost.empty()) e.vhost = "/";
  return e;
}

AmqpConnection::AmqpConnection() : state_(std::make_unique<State>()) {}

AmqpConnection::~AmqpConnection() {
  if (state_->conn != nullptr) amqp_destroy_connection(state_->conn);
}

Status AmqpConnection::Connect(const AmqpEndpoint& endpoint, const AmqpSettings& settings) {
  State& s = *state_;
  s.where = endpoint.host + ":" + std::to_string(endpoint.port) + endpoint.vhost;
  s.conn = amqp_new_connection();
  if (s.conn == nullptr) return Unavailable("rabbitmq: out of memory");
  amqp_socket_t* socket = endpoint.tls ? amqp_ssl_socket_new(s.conn) : amqp_tcp_socket_new(s.conn);
  if (socket == nullptr) return Unavailable("rabbitmq " + s.where + ": cannot create a socket");
  if (endpoint.tls) {
    auto* ctx = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket));
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (endpoint.ca_file.empty()) {
      SSL_CTX_set_default_verify_paths(ctx);
    } else if (amqp_ssl_socket_set_cacert(socket, endpoint.ca_file.c_str()) != AMQP_STATUS_OK) {
      return InvalidInput("rabbitmq: ca_file " + endpoint.ca_file + ": cannot be loaded");
    }
    amqp_ssl_socket_set_verify_peer(socket, 1);
    amqp_ssl_socket_set_verify_hostname(socket, 1);
  }
  timeval tv = ToTimeval(settings.timeout);
  int rc = amqp_socket_open_noblock(socket, endpoint.host.c_str(), endpoint.port, &tv);
  if (Status st = s.CheckStatus(rc, "connect"); !st.ok()) return st;
  SetKeepalive(amqp_get_sockfd(s.conn));

  // Capabilities 0.11 does not advertise by itself (notes/stack.md §2.1).
  amqp_table_entry_t caps[2];
  caps[0].key = amqp_cstring_bytes("consumer_cancel_notify");
  caps[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  caps[0].value.value.boolean = 1;
  caps[1].key = amqp_cstring_bytes("connection.blocked");
  caps[1].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  caps[1].value.value.boolean = 1;
  amqp_table_entry_t props[2];
  props[0].key = amqp_cstring_bytes("capabilities");
  props[0].value.kind = AMQP_FIELD_KIND_TABLE;
  props[0].value.value.table = amqp_table_t{2, caps};
  props[1].key = amqp_cstring_bytes("connection_name");
  props[1].value.kind = AMQP_FIELD_KIND_UTF8;
  props[1].value.value.bytes = Bytes(settings.connection_name);
  amqp_table_t client_props{2, props};
  amqp_rpc_reply_t login = amqp_login_with_properties(
      s.conn, endpoint.vhost.c_str(), 0, kFrameMax, static_cast<int>(settings.heartbeat.count()),
      &client_props, AMQP_SASL_METHOD_PLAIN, endpoint.user.c_str(), endpoint.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    Error e = s.RpcError(login, "login");
    return Unavailable(e.message());  // a refused login is not an argument mismatch
  }
  // Without it synchronous calls wait forever on a silent broker (issue #380).
  timeval rpc = ToTimeval(settings.timeout);
  return s.CheckStatus(amqp_set_rpc_timeout(s.conn, &rpc), "set rpc timeout");
}

void AmqpConnection::Close() {
  if (state_->conn == nullptr) return;
  amqp_connection_close(state_->conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(state_->conn);
  state_->conn = nullptr;
}

Status AmqpConnection::OpenChannel(uint16_t channel) {
  amqp_channel_open(state_->conn, channel);
  return state_->Check("channel.open");
}

Status AmqpConnection::CloseChannel(uint16_t channel) {
  amqp_rpc_reply_t r = amqp_channel_close(state_->conn, channel, AMQP_REPLY_SUCCESS);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return Status::Ok();
  return state_->RpcError(r, "channel.close");
}

Status AmqpConnection::DeclareExchange(uint16_t channel, const std::string& name) {
  amqp_exchange_declare(state_->conn, channel, Bytes(name), amqp_cstring_bytes("direct"), 0,
                        1 /*durable*/, 0, 0, amqp_empty_table);
  return state_->Check("declare exchange " + name);
}

Status AmqpConnection::DeclareQueue(uint16_t channel, const std::string& name,
                                    const Headers& args) {
  Table table(args);
  amqp_queue_declare(state_->conn, channel, Bytes(name), 0, 1 /*durable*/, 0, 0, table.table);
  return state_->Check("declare queue " + name);
}

Status AmqpConnection::BindQueue(uint16_t channel, const std::string& queue,
                                 const std::string& exchange, const std::string& key) {
  amqp_queue_bind(state_->conn, channel, Bytes(queue), Bytes(exchange), Bytes(key),
                  amqp_empty_table);
  return state_->Check("bind " + queue);
}

Result<int64_t> AmqpConnection::CountReady(uint16_t channel, const std::string& queue) {
  Result<std::optional<int64_t>> n = CountIfExists(channel, queue);
  if (!n.ok()) return n.error();
  if (!n->has_value()) {
    return Unavailable("rabbitmq " + state_->where + ": queue " + queue + " does not exist");
  }
  return **n;
}

Result<std::optional<int64_t>> AmqpConnection::CountIfExists(uint16_t channel,
                                                             const std::string& queue) {
  amqp_queue_declare_ok_t* ok = amqp_queue_declare(state_->conn, channel, Bytes(queue),
                                                   1 /*passive*/, 0, 0, 0, amqp_empty_table);
  amqp_rpc_reply_t r = amqp_get_rpc_reply(state_->conn);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) {
    return std::optional<int64_t>(static_cast<int64_t>(ok->message_count));
  }
  if (r.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION || r.reply.id != AMQP_CHANNEL_CLOSE_METHOD ||
      ServerCode(r) != 404) {
    return state_->RpcError(r, "count " + queue);
  }
  // 404 NOT_FOUND closed the channel: confirm the close, then open it again.
  amqp_channel_close_ok_t close_ok{};
  int rc = amqp_send_method(state_->conn, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
  if (Status s = state_->CheckStatus(rc, "channel.close-ok"); !s.ok()) return s.error();
  if (Status s = OpenChannel(channel); !s.ok()) return s.error();
  return std::optional<int64_t>();
}

Status AmqpConnection::Qos(uint16_t channel, int prefetch) {
  amqp_basic_qos(state_->conn, channel, 0, static_cast<uint16_t>(prefetch), 0 /*global*/);
  return state_->Check("basic.qos");
}

Status AmqpConnection::Consume(uint16_t channel, const std::string& queue) {
  amqp_basic_consume(state_->conn, channel, Bytes(queue), amqp_empty_bytes, 0, 0 /*no_ack*/, 0,
                     amqp_empty_table);
  return state_->Check("basic.consume " + queue);
}

Status AmqpConnection::ConfirmSelect(uint16_t channel) {
  amqp_confirm_select(state_->conn, channel);
  return state_->Check("confirm.select");
}

Status AmqpConnection::Publish(uint16_t channel, const std::string& exchange,
                               const std::string& key, const std::string& message_id,
                               const std::string& body, const Headers& headers) {
  Table table(headers);
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  props.message_id = Bytes(message_id);
  if (!headers.empty()) {
    props._flags |= AMQP_BASIC_HEADERS_FLAG;
    props.headers = table.table;
  }
  int rc = amqp_basic_publish(state_->conn, channel, Bytes(exchange), Bytes(key), 1 /*mandatory*/,
                              0, &props, Bytes(body));
  return state_->CheckStatus(rc, "publish");
}

Status AmqpConnection::Ack(uint16_t channel, uint64_t tag) {
  return state_->CheckStatus(amqp_basic_ack(state_->conn, channel, tag, 0), "ack");
}

Status AmqpConnection::Nack(uint16_t channel, uint64_t tag, bool requeue) {
  return state_->CheckStatus(amqp_basic_nack(state_->conn, channel, tag, 0, requeue ? 1 : 0),
                             "nack");
}

Result<std::optional<AmqpMessage>> AmqpConnection::Get(uint16_t channel, const std::string& queue) {
  amqp_rpc_reply_t r = amqp_basic_get(state_->conn, channel, Bytes(queue), 0 /*no_ack*/);
  if (r.reply_type != AMQP_RESPONSE_NORMAL) return state_->RpcError(r, "basic.get " + queue);
  if (r.reply.id != AMQP_BASIC_GET_OK_METHOD) return std::optional<AmqpMessage>();
  auto* ok = static_cast<amqp_basic_get_ok_t*>(r.reply.decoded);
  const uint64_t tag = ok->delivery_tag;
  const bool redelivered = ok->redelivered != 0;
  amqp_message_t message;
  amqp_rpc_reply_t read = amqp_read_message(state_->conn, channel, &message, 0);
  if (read.reply_type != AMQP_RESPONSE_NORMAL) return state_->RpcError(read, "read message");
  AmqpMessage out = FromMessage(message, tag, redelivered);
  amqp_destroy_message(&message);
  return std::optional<AmqpMessage>(std::move(out));
}

AmqpEvent AmqpConnection::Next(milliseconds timeout, int wake_fd) {
  State& s = *state_;
  AmqpEvent event;
  auto lost = [&](std::string why) {
    event.kind = AmqpEvent::Kind::kLost;
    event.detail = "rabbitmq " + s.where + ": " + why;
    return event;
  };
  amqp_maybe_release_buffers(s.conn);
  if (!amqp_frames_enqueued(s.conn) && !amqp_data_in_buffer(s.conn)) {
    pollfd fds[2] = {{amqp_get_sockfd(s.conn), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  }
  // Always call in: a zero-timeout wait also sends a due heartbeat and notices a dead peer.
  amqp_frame_t frame;
  timeval zero{0, 0};
  int rc = amqp_simple_wait_frame_noblock(s.conn, &frame, &zero);
  if (rc == AMQP_STATUS_TIMEOUT) return event;
  if (rc != AMQP_STATUS_OK) return lost(amqp_error_string2(rc));
  if (frame.frame_type != AMQP_FRAME_METHOD) return event;
  event.channel = frame.channel;
  void* decoded = frame.payload.method.decoded;
  switch (frame.payload.method.id) {
    case AMQP_BASIC_DELIVER_METHOD:
    case AMQP_BASIC_RETURN_METHOD: {
      const bool deliver = frame.payload.method.id == AMQP_BASIC_DELIVER_METHOD;
      uint64_t tag = 0;
      bool redelivered = false;
      if (deliver) {
        auto* d = static_cast<amqp_basic_deliver_t*>(decoded);
        tag = d->delivery_tag;
        redelivered = d->redelivered != 0;
      } else {
        auto* ret = static_cast<amqp_basic_return_t*>(decoded);
        event.detail = std::to_string(ret->reply_code) + " " + FromBytes(ret->reply_text);
      }
      amqp_message_t message;
      amqp_rpc_reply_t read = amqp_read_message(s.conn, frame.channel, &message, 0);
      if (read.reply_type != AMQP_RESPONSE_NORMAL) return lost("cannot read a message body");
      event.message = FromMessage(message, tag, redelivered);
      amqp_destroy_message(&message);
      event.kind = deliver ? AmqpEvent::Kind::kDelivery : AmqpEvent::Kind::kReturn;
      return event;
    }
    case AMQP_BASIC_ACK_METHOD: {
      auto* ack = static_cast<amqp_basic_ack_t*>(decoded);
      event.kind = AmqpEvent::Kind::kConfirmAck;
      event.tag = ack->delivery_tag;
      event.multiple = ack->multiple != 0;
      return event;
    }
    case AMQP_BASIC_NACK_METHOD: {
      auto* nack = static_cast<amqp_basic_nack_t*>(decoded);
      event.kind = AmqpEvent::Kind::kConfirmNack;
      event.tag = nack->delivery_tag;
      event.multiple = nack->multiple != 0;
      return event;
    }
    case AMQP_BASIC_CANCEL_METHOD:
      return lost("the broker cancelled the consumer (queue deleted?)");
    case AMQP_CHANNEL_CLOSE_METHOD: {
      auto* c = static_cast<amqp_channel_close_t*>(decoded);
      std::string why = "channel " + std::to_string(frame.channel) +
                        " closed by the broker: " + std::to_string(c->reply_code) + " " +
                        FromBytes(c->reply_text);
      amqp_channel_close_ok_t ok{};
      amqp_send_method(s.conn, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      return lost(why);
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
      auto* c = static_cast<amqp_connection_close_t*>(decoded);
      std::string why = "connection closed by the broker: " + std::to_string(c->reply_code) + " " +
                        FromBytes(c->reply_text);
      amqp_connection_close_ok_t ok{};
      amqp_send_method(s.conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      return lost(why);
    }
    case AMQP_CONNECTION_BLOCKED_METHOD:
      event.kind = AmqpEvent::Kind::kBlocked;
      return event;
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
      event.kind = AmqpEvent::Kind::kUnblocked;
      return event;
    default:
      return event;
  }
}

}  // namespace provbadge::queue::internal
