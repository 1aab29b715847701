// HttpServer on Boost.Beast 1.74 (notes/stack.md §5): the only Beast/Asio translation unit.
//
// Shape: a listener whose acceptor lives on a strand; one Session per connection on its own
// strand; a fresh request_parser per request with header/body limits; expires_after before every
// read and write. Transport-level failures become 400/413/431 through HttpApi::Reject. After a
// response that ends the connection, the session half-closes and drains what the client still
// sends for a moment ("lingering close"), so the client reads the response instead of a reset.
#include "provbadge/worker/http_server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "provbadge/common/limits.h"
#include "provbadge/config/config.h"

namespace provbadge::worker {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::size_t kHeaderLimit = limits::kMaxHttpHeaderBytes;
constexpr std::uint64_t kBodyLimit = limits::kMaxHttpBodyBytes;
// POST /v1/hooks/hub only: hub webhook payloads (queue/hub_webhook.h kMaxHubWebhookBytes).
constexpr std::uint64_t kWebhookBodyLimit = limits::kMaxHttpWebhookBodyBytes;
constexpr std::string_view kWebhookTarget = "/v1/hooks/hub";
constexpr std::size_t kReadBufferLimit = limits::kMaxHttpReadBufferBytes;
constexpr std::size_t kLingerByteLimit = limits::kMaxHttpLingerBytes;
constexpr std::chrono::seconds kLingerTimeout = limits::kHttpLingerTimeout;
constexpr std::chrono::seconds kDrainTimeout{3};
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr int kMaxThreads = 64;

class Session;

// State shared by the server and its sessions. Sessions hold it by shared_ptr, so it outlives
// every handler, including those destroyed with the io_context.
struct ServerState {
  ServerState(HttpApi& api_ref, const HttpServerOptions& options_ref)
      : api(api_ref), options(options_ref) {}
  HttpApi& api;
  const HttpServerOptions options;
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::condition_variable sessions_done;
  std::unordered_set<Session*> sessions;  // guarded by mu; live sessions
};

// An error of the HTTP parser (as opposed to the connection): the client sent bad HTTP.
bool IsProtocolError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::partial_message && ec != http::error::end_of_stream;
}

template <class Body>
void FillHeaders(http::response<Body>& res, const HttpResponse& response, bool keep_alive) {
  res.result(static_cast<unsigned>(response.status));
  res.set(http::field::server, "provbadge");
  if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) res.set(name, value);
  res.keep_alive(keep_alive);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<ServerState> state)
      : stream_(std::move(socket)), buffer_(kReadBufferLimit), state_(std::move(state)) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->sessions.insert(this);
  }

  ~Session() {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->sessions.erase(this);
    state_->sessions_done.notify_all();
  }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

  // On stop: ends the session now if it waits for a request that has not started, or lingers.
  void PostCloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      bool idle_read = self->reading_ && self->buffer_.size() == 0 &&
                       !(self->parser_ && self->parser_->got_some());
      if (idle_read || self->lingering_) self->stream_.cancel();
    });
  }

 private:
  void DoRead() {
    if (state_->draining) {
      // Stopping: no new request on this connection, and no lingering that would delay Stop.
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // Beast checks Content-Length against the limit while parsing the header, so the header
    // is read under the largest limit; OnHeader narrows it for every other route.
    parser_->body_limit(kWebhookBodyLimit);
    // One deadline for the whole request: OnHeader's body read does not extend it.
    stream_.expires_after(state_->options.read_timeout);
    reading_ = true;
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  // The body limit depends on the route: only the webhook route takes large bodies.
  void OnHeader(beast::error_code ec, std::size_t bytes) {
    if (ec) return OnRead(ec, bytes);
    const auto& header = parser_->get();
    std::string_view target(header.target().data(), header.target().size());
    if (header.method() != http::verb::post ||
        target.substr(0, target.find('?')) != kWebhookTarget) {
      auto length = parser_->content_length();
      if (length && *length > kBodyLimit) return Reject(413, "request body too large");
      parser_->body_limit(kBodyLimit);  // also bounds a chunked body
    }
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t /*bytes*/) {
    reading_ = false;
    if (ec == http::error::end_of_stream) return Close();
    if (ec == beast::error::timeout || ec == net::error::operation_aborted) return;
    if (ec == http::error::body_limit) return Reject(413, "request body too large");
    if (ec == http::error::header_limit) return Reject(431, "request header fields too large");
    if (ec) {
      if (IsProtocolError(ec)) return Reject(400, "malformed HTTP request");
      return;  // connection error: the socket closes with the session
    }
    HandleRequest(parser_->release());
  }

  void HandleRequest(http::request<http::string_body> req) {
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.if_none_match = std::string(req[http::field::if_none_match]);
    request.webhook_secret = std::string(req["X-Webhook-Secret"]);
    request.authorization = std::string(req[http::field::authorization]);
    request.body = std::move(req.body());
    HttpResponse response = state_->api.Handle(request);
    bool keep_alive = req.keep_alive() && !state_->draining;
    bool head = req.method() == http::verb::head;
    Send(response, req.version(), keep_alive, head);
  }

  void Reject(int status, std::string_view message) {
    Send(state_->api.Reject(status, message), 11, false, false);
  }

  void Send(const HttpResponse& response, unsigned version, bool keep_alive, bool head) {
    if (head || response.status == 304) {
      auto res = std::make_shared<http::response<http::empty_body>>();
      res->version(version);
      FillHeaders(*res, response, keep_alive);
      if (head) res->content_length(response.content_length);
      return Write(std::move(res));
    }
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version);
    FillHeaders(*res, response, keep_alive);
    res->body() = response.body;
    res->prepare_payload();
    Write(std::move(res));
  }

  template <class Message>
  void Write(std::shared_ptr<Message> res) {
    bool close = res->need_eof();
    Message& message = *res;
    response_ = std::move(res);
    stream_.expires_after(state_->options.write_timeout);
    http::async_write(stream_, message,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
  }

  void OnWrite(bool close, beast::error_code ec, std::size_t /*bytes*/) {
    response_.reset();
    if (ec) return;
    if (close) return Close();
    DoRead();
  }

  // Half-close, then discard what the client still sends until it closes, for a short while.
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    lingering_ = true;
    Linger();
  }

  void Linger() {
    stream_.expires_after(kLingerTimeout);
    stream_.async_read_some(net::buffer(linger_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t bytes) {
                              self->lingered_bytes_ += bytes;
                              if (!ec && self->lingered_bytes_ < kLingerByteLimit) self->Linger();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  boost::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> response_;  // keeps the response alive during the write
  std::shared_ptr<ServerState> state_;
  std::array<char, 4096> linger_buffer_{};
  std::size_t lingered_bytes_ = 0;
  bool reading_ = false;    // a request read is pending (only touched on the strand)
  bool lingering_ = false;  // closing; only the linger read is pending
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, std::shared_ptr<ServerState> state)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        retry_timer_(acceptor_.get_executor()),
        state_(std::move(state)) {}

  Status Bind(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (!ec) return Status::Ok();
    beast::error_code ignored;
    acceptor_.close(ignored);
    std::string where = endpoint.address().to_string() + " port " + std::to_string(endpoint.port());
    if (ec == boost::system::errc::address_not_available) {
      return InvalidInput("http server: " + where + " is not an address of this machine");
    }
    if (ec == net::error::address_in_use) {
      return Unavailable("http server: " + where + " is already in use");
    }
    return Unavailable("http server: cannot listen on " + where + ": " + ec.message());
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void Run() {
    net::dispatch(acceptor_.get_executor(),
                  beast::bind_front_handler(&Listener::DoAccept, shared_from_this()));
  }

  void PostClose() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->CloseNow(); });
  }

  // Only from the acceptor's strand, or once no I/O thread runs any more.
  void CloseNow() {
    beast::error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
  }

 private:
  void DoAccept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // A persistent error (EMFILE...) must not spin: retry after a pause.
      spdlog::warn("http server: accept failed: {}", ec.message());
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec && self->acceptor_.is_open()) self->DoAccept();
      });
      return;
    }
    if (!state_->draining) {
      beast::error_code option_ec;  // small responses: don't wait for the client's ACK
      socket.set_option(tcp::no_delay(true), option_ec);
      std::make_shared<Session>(std::move(socket), state_)->Run();
    }
    DoAccept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::shared_ptr<ServerState> state_;
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(HttpApi& api, int threads, const HttpServerOptions& options)
      : state_(std::make_shared<ServerState>(api, options)), ioc_(threads) {}
  ~BeastServer() override { Stop(); }

  Status Listen(const config::ListenAddress& address) {
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    auto endpoints = resolver.resolve(address.host, std::to_string(address.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || endpoints.empty()) {
      return InvalidInput("http server: cannot resolve '" + address.host + "': " + ec.message());
    }
    Status last = Status::Ok();
    for (const auto& entry : endpoints) {
      auto listener = std::make_shared<Listener>(ioc_, state_);
      last = listener->Bind(entry.endpoint());
      if (last.ok()) {
        listener_ = std::move(listener);
        port_ = listener_->port();
        return Status::Ok();
      }
    }
    return last;
  }

  void Run(int threads) {
    listener_->Run();
    threads_.reserve(static_cast<size_t>(threads));
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { RunLoop(); });
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    state_->draining = true;
    if (listener_) listener_->PostClose();
    CloseIdleSessions();
    {
      std::unique_lock<std::mutex> lock(state_->mu);
      state_->sessions_done.wait_for(lock, kDrainTimeout,
                                     [this] { return state_->sessions.empty(); });
    }
    ioc_.stop();
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    // The posted close may not have run before ioc_.stop(); no thread runs handlers now.
    if (listener_) listener_->CloseNow();
  }

 private:
  void RunLoop() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("http server: a handler threw: {}", e.what());
      }
    }
  }

  // Shared owners are taken under the lock and released outside it: dropping the last one
  // runs ~Session, which takes the same lock.
  void CloseIdleSessions() {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      for (Session* session : state_->sessions) {
        if (auto owner = session->weak_from_this().lock()) live.push_back(std::move(owner));
      }
    }
    for (const auto& session : live) session->PostCloseIfIdle();
  }

  std::shared_ptr<ServerState> state_;
  net::io_context ioc_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen, int threads,
                                                      HttpApi& api) {
  return Start(listen, threads, api, HttpServerOptions{});
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen, int threads,
                                                      HttpApi& api,
                                                      const HttpServerOptions& options) {
  if (options.read_timeout <= std::chrono::milliseconds::zero() ||
      options.write_timeout <= std::chrono::milliseconds::zero()) {
    return InvalidInput("http server: the read and write timeouts must be positive");
  }
  if (threads < 1 || threads > kMaxThreads) {
    return InvalidInput("http server: threads must be between 1 and " +
                        std::to_string(kMaxThreads));
  }
  Result<config::ListenAddress> address = config::ParseListenAddress(listen);
  if (!address.ok()) return address.error().Wrap("http server: listen");
  auto server = std::make_unique<BeastServer>(api, threads, options);
  if (Status bound = server->Listen(*address); !bound.ok()) return bound.error();
  server->Run(threads);
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace provbadge::worker
