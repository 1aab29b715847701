// The Boost.Beast HTTP server in front of HttpApi (the only Beast/Asio translation unit).
// Listener + per-connection session on a strand, a fresh parser per request with header and
// body limits, per-operation timeouts, graceful stop.
//
// Ownership: borrows `api`, which must outlive the server. Thread-safety: Start/Stop from one
// thread; the server runs its own `threads` I/O threads.
#ifndef PROVBADGE_WORKER_HTTP_SERVER_H_
#define PROVBADGE_WORKER_HTTP_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "provbadge/common/limits.h"
#include "provbadge/common/result.h"
#include "provbadge/worker/http_api.h"

namespace provbadge::worker {

// Transport bounds (defaults: provbadge/common/limits.h). Tests shorten the timeouts.
struct HttpServerOptions {
  // A whole request (headers and body) must arrive within this time of its first read, however
  // slowly it trickles in (slowloris); an idle keep-alive connection is closed after it.
  std::chrono::milliseconds read_timeout = limits::kHttpReadTimeout;
  // One response must be written within this time (a client that stops reading is cut off).
  std::chrono::milliseconds write_timeout = limits::kHttpWriteTimeout;
};

class HttpServer {
 public:
  // Binds `listen` ("host:port"; port 0 picks a free one) and starts serving.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen, int threads,
                                                   HttpApi& api);
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen, int threads,
                                                   HttpApi& api, const HttpServerOptions& options);
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting, lets in-flight requests finish (bounded), joins the threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_HTTP_SERVER_H_
