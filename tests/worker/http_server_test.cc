// HttpServer over real sockets, with a small blocking POSIX client (no Beast in the tests).
#include "provbadge/worker/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "badge_fixtures.h"
#include "in_memory_badge_store.h"
#include "provbadge/badges/badge.h"

namespace provbadge::worker {
namespace {

using badges::BadgeState;
using provbadge::testing::kCommitB;
using provbadge::testing::MakeRecord;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Opens a TCP connection to 127.0.0.1:port; returns -1 and leaves errno set on failure.
int ConnectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval timeout{5, 0};  // a broken server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

class Client {
 public:
  // No Catch assertion here: clients also run on helper threads. A failed connect makes every
  // Send() return false.
  explicit Client(uint16_t port) : fd_(ConnectTo(port)) {}
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // False when the peer already closed (the write may then fail).
  bool Send(const std::string& data) {
    if (fd_ < 0) return false;
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // One response; nullopt if the connection ended or timed out first. `head`: no body follows.
  std::optional<RawResponse> Read(bool head = false) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse response;
    std::string head_text = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    for (size_t pos = line_end + 2; pos < head_text.size();) {
      size_t next = head_text.find("\r\n", pos);
      std::string line = head_text.substr(pos, next - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t value_start = line.find_first_not_of(' ', colon + 1);
        response.headers[Lower(line.substr(0, colon))] =
            value_start == std::string::npos ? "" : line.substr(value_start);
      }
      pos = next + 2;
    }
    if (head || response.status == 304) return response;
    auto length = response.headers.find("content-length");
    if (length == response.headers.end()) return std::nullopt;  // the server always sends one
    size_t size = std::stoul(length->second);
    while (buffer_.size() < size) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return response;
  }

  // True when the server closed the connection (EOF, or a reset after it closed).
  bool ClosedByPeer() {
    if (fd_ < 0) return false;
    char byte;
    ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  bool BufferEmpty() const { return buffer_.empty(); }

 private:
  bool Fill() {
    if (fd_ < 0) return false;
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string buffer_;
};

std::string Get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

struct ServerFixture {
  ServerFixture() {
    REQUIRE(store.Put(MakeRecord("acme/model", kCommitB, BadgeState::kVerified, 2)).ok());
    auto started = HttpServer::Start("127.0.0.1:0", 2, api);
    REQUIRE(started.ok());
    server = std::move(started).value();
    REQUIRE(server->port() != 0);
  }

  badges::Badge StoredBadge() {
    auto stored = store.GetRevision("acme/model", kCommitB);
    REQUIRE(stored.ok());
    REQUIRE(stored->has_value());
    return (*stored)->badge;
  }

  provbadge::testing::InMemoryBadgeStore store;
  Metrics metrics;
  HttpApi api{store, metrics, [] { return true; }};
  std::unique_ptr<HttpServer> server;
};

TEST_CASE("server: GET badge JSON and SVG", "[http_server]") {
  ServerFixture f;
  Client client(f.server->port());
  REQUIRE(client.Send(Get("/v1/badges/acme/model")));
  auto json = client.Read();
  REQUIRE(json);
  CHECK(json->status == 200);
  CHECK(json->headers["content-type"] == "application/json");
  CHECK(json->headers["cache-control"] == "public, max-age=60");
  CHECK(!json->headers["etag"].empty());
  CHECK(json->body == badges::BadgeToJson(f.StoredBadge()));

  REQUIRE(client.Send(Get("/v1/badges/acme/model.svg")));
  auto svg = client.Read();
  REQUIRE(svg);
  CHECK(svg->status == 200);
  CHECK(svg->headers["content-type"] == "image/svg+xml; charset=utf-8");
  CHECK(svg->body == badges::BadgeToSvg(f.StoredBadge()));
}

TEST_CASE("server: keep-alive serves several requests on one connection", "[http_server]") {
  ServerFixture f;
  Client client(f.server->port());
  for (const char* target : {"/healthz", "/v1/badges/acme/model", "/nope", "/metrics"}) {
    INFO(target);
    REQUIRE(client.Send(Get(target)));
    auto response = client.Read();
    REQUIRE(response);
    CHECK(Lower(response->headers["connection"]) != "close");
  }
  SECTION("pipelined requests are answered in order") {
    REQUIRE(client.Send(Get("/healthz") + Get("/nope") + Get("/healthz")));
    auto first = client.Read();
    auto second = client.Read();
    auto third = client.Read();
    REQUIRE((first && second && third));
    CHECK(first->status == 200);
    CHECK(second->status == 404);
    CHECK(third->status == 200);
  }
}

TEST_CASE("server: HEAD sends headers and Content-Length but no body", "[http_server]") {
  ServerFixture f;
  Client client(f.server->port());
  REQUIRE(client.Send("HEAD /v1/badges/acme/model HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = client.Read(/*head=*/true);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->headers["content-length"] ==
        std::to_string(badges::BadgeToJson(f.StoredBadge()).size()));
  // No body bytes followed: the next response on the connection starts right away.
  REQUIRE(client.Send(Get("/healthz")));
  auto next = client.Read();
  REQUIRE(next);
  CHECK(next->status == 200);
  CHECK(next->body == "ok");
  CHECK(client.BufferEmpty());
}

TEST_CASE("server: If-None-Match gives 304 and the connection stays usable", "[http_server]") {
  ServerFixture f;
  Client client(f.server->port());
  REQUIRE(client.Send(Get("/v1/badges/acme/model")));
  auto first = client.Read();
  REQUIRE(first);
  REQUIRE(client.Send(
      Get("/v1/badges/acme/model", "If-None-Match: " + first->headers["etag"] + "\r\n")));
  auto cached = client.Read();
  REQUIRE(cached);
  CHECK(cached->status == 304);
  CHECK(cached->headers["etag"] == first->headers["etag"]);
  REQUIRE(client.Send(Get("/healthz")));
  auto next = client.Read();
  REQUIRE(next);
  CHECK(next->status == 200);
}

TEST_CASE("server: oversized headers are rejected and the connection closed", "[http_server]") {
  ServerFixture f;
  Client client(f.server->port());
  REQUIRE(client.Send(Get("/healthz", "X-Big: " + std::string(10000, 'a') + "\r\n")));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 431);
  CHECK(Lower(response->headers["connection"]) == "close");
  CHECK(client.ClosedByPeer());
}

TEST_CASE("server: an oversized body gets 413", "[http_server]") {
  ServerFixture f;
  Client client(f.server->port());
  REQUIRE(
      client.Send("POST /v1/badges/acme/model HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  "100000\r\n\r\n" +
                  std::string(20000, 'b')));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 413);
  CHECK(client.ClosedByPeer());
}

TEST_CASE("server: a small body on a read route gets 405", "[http_server]") {
  ServerFixture f;
  Client client(f.server->port());
  REQUIRE(
      client.Send("POST /v1/badges/acme/model HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  "2\r\n\r\n{}"));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 405);
  CHECK(response->headers["allow"] == "GET, HEAD");
}

TEST_CASE("server: garbage gets 400 and the server keeps serving", "[http_server]") {
  ServerFixture f;
  for (std::string garbage :
       {std::string("\x01\x02\x03 nonsense\r\n\r\n"), std::string("GET /healthz HTXP/1.1\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n")}) {
    Client client(f.server->port());
    REQUIRE(client.Send(garbage));
    auto response = client.Read();
    REQUIRE(response);
    CHECK(response->status == 400);
    CHECK(response->headers["content-type"] == "application/json");
    CHECK(client.ClosedByPeer());
  }
  Client after(f.server->port());
  REQUIRE(after.Send(Get("/healthz")));
  auto response = after.Read();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(f.metrics.RenderPrometheus().find("provbadge_http_requests_total{code=\"4xx\"} 3\n") !=
        std::string::npos);
}

TEST_CASE("server: HTTP/1.0 without keep-alive is closed after the response", "[http_server]") {
  ServerFixture f;
  Client client(f.server->port());
  REQUIRE(client.Send("GET /healthz HTTP/1.0\r\n\r\n"));
  auto response = client.Read();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(client.ClosedByPeer());
}

TEST_CASE("server: concurrent clients are all served", "[http_server]") {
  ServerFixture f;
  constexpr int kClients = 4;
  constexpr int kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  const uint16_t port = f.server->port();
  const std::string expected = badges::BadgeToJson(f.StoredBadge());
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&] {
      int fd = ConnectTo(port);
      if (fd < 0) return;
      ::close(fd);  // one throwaway connection, then a kept-alive one
      Client client(port);
      for (int i = 0; i < kRequests; ++i) {
        if (!client.Send(Get("/v1/badges/acme/model"))) return;
        auto response = client.Read();
        if (response && response->status == 200 && response->body == expected) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(ok == kClients * kRequests);
}

TEST_CASE("server: Stop closes idle connections and refuses new ones", "[http_server]") {
  ServerFixture f;
  const uint16_t port = f.server->port();
  Client idle(port);
  REQUIRE(idle.Send(Get("/healthz")));
  REQUIRE(idle.Read());
  f.server->Stop();
  CHECK(idle.ClosedByPeer());
  errno = 0;
  CHECK(ConnectTo(port) == -1);
  CHECK(errno == ECONNREFUSED);
  f.server->Stop();  // idempotent
}

TEST_CASE("server: Start reports bad or busy addresses", "[http_server]") {
  provbadge::testing::InMemoryBadgeStore store;
  Metrics metrics;
  HttpApi api(store, metrics, nullptr);

  for (const char* listen : {"", "nonsense", "127.0.0.1", "127.0.0.1:99999", "256.1.1.1:80",
                             "[::1:80", "::1:80", "127.0.0.1:-1"}) {
    INFO(listen);
    auto result = HttpServer::Start(listen, 1, api);
    REQUIRE(!result.ok());
    CHECK(result.error().code() == ErrorCode::kInvalidInput);
  }
  CHECK(HttpServer::Start("127.0.0.1:0", 0, api).error().code() == ErrorCode::kInvalidInput);

  auto first = HttpServer::Start("127.0.0.1:0", 1, api);
  REQUIRE(first.ok());
  auto second = HttpServer::Start("127.0.0.1:" + std::to_string((*first)->port()), 1, api);
  REQUIRE(!second.ok());
  CHECK(second.error().code() == ErrorCode::kUnavailable);
  CHECK(second.error().message().find("in use") != std::string::npos);
}

}  // namespace
}  // namespace provbadge::worker
