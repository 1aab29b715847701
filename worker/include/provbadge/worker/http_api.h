// The HTTP read API as a pure function of (request) -> response, independent of Beast, so it
// is tested without sockets. Routes (README "HTTP API"):
//   GET|HEAD /v1/badges/{org}/{name}[?revision=<40-hex>]      badge JSON (main ref by default)
//   GET|HEAD /v1/badges/{org}/{name}.svg[?revision=<40-hex>]  badge SVG
//   GET|HEAD /v1/reports/{org}/{name}[?revision=<40-hex>]     the full verification report
//   GET /healthz      200 "ok" when healthy, 503 otherwise
//   GET /metrics      Prometheus text
// Errors are JSON {"error": "..."} with 400 (bad name/revision), 404 (no badge), 405, 503
// (store unavailable). Input is never echoed unescaped.
// The path is percent-decoded before routing; org and name must each match
// [A-Za-z0-9][A-Za-z0-9._-]{0,95} without "..". Badges and reports carry Cache-Control and an
// ETag (from commit, seq and state); a matching If-None-Match gives 304. Unknown query
// parameters are ignored. HEAD gives the GET headers and content_length with an empty body.
//
// Thread-safety: Handle() is safe to call concurrently; the store and metrics must be too.
// Ownership: borrows store and metrics, which must outlive the HttpApi.
#ifndef PROVBADGE_WORKER_HTTP_API_H_
#define PROVBADGE_WORKER_HTTP_API_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provbadge/badges/badge_store.h"
#include "provbadge/worker/metrics.h"

namespace provbadge::worker {

struct HttpRequest {
  std::string method;         // "GET", "HEAD", ...
  std::string target;         // path and query, as received
  std::string if_none_match;  // the If-None-Match header value, empty if absent
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;  // for HEAD: empty, with content_length set to the GET body's size
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (ETag, ...)
  size_t content_length = 0;
};

class HttpApi {
 public:
  HttpApi(badges::BadgeStore& store, Metrics& metrics, std::function<bool()> healthy);
  // Never throws; every response is counted in Metrics::CountHttpRequest.
  HttpResponse Handle(const HttpRequest& request);
  // A JSON error response for failures found before routing (the server's 400, 413, 431),
  // counted like any other response. `message` must be a fixed text, never client input.
  HttpResponse Reject(int status, std::string_view message);

 private:
  HttpResponse Dispatch(const HttpRequest& request);  // may throw; Handle() catches

  badges::BadgeStore& store_;
  Metrics& metrics_;
  std::function<bool()> healthy_;
};

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_HTTP_API_H_
