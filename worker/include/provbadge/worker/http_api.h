// The HTTP read API as a pure function of (request) -> response, independent of Beast, so it
// is tested without sockets. Routes (README "HTTP API"):
//   GET|HEAD /v1/badges/{org}/{name}[?commit=<40-hex>|?ref=<ref>]      badge JSON (main ref by
//                     default; `revision` is an alias of `commit`), the stored bytes as they
//                     are, one store round trip (worker/src/badge_read.h)
//   GET|HEAD /v1/badges/{org}/{name}.svg[?commit=<40-hex>|?ref=<ref>]  badge SVG
//   GET|HEAD /v1/reports/{org}/{name}[?revision=<40-hex>]     the full verification report
//   GET /healthz      200 "ok" when the process is alive (and `healthy`), 503 otherwise
//   GET /readyz       200 "ready" when the badge store and the queue answer Ping() and the
//                     process is not stopping; 503 naming what is not ready otherwise
//   GET /metrics      Prometheus text (with the queue's depth when a queue is given)
//   GET|HEAD /v1/badges/{org}/{name}?format=vsa[&commit=|&ref=]  the signed verdict (DSSE
//                     envelope) of the revision (worker/src/verdict_read.h); 404 when none
//   POST /v1/admin/revocations  revoke a revision or a signer and re-queue its descendants
//                     (worker/src/admin_api.h); 404 unless a queue and an admin token are set
//   GET|HEAD /v1/revocations    the public list of revocations
//   POST /v1/hooks/hub  hub webhook ingest (webhook_ingest.h); 404 unless a queue and a
//                     webhook secret are configured. Bodies up to 1 MiB (the server's limit
//                     for this route; every other route takes at most 16 KiB).
// Errors are JSON {"error": "..."} with 400 (bad name/revision), 404 (no badge), 405, 503
// (store unavailable). Input is never echoed unescaped.
// The path is percent-decoded before routing; org and name must each match
// [A-Za-z0-9][A-Za-z0-9._-]{0,95} without "..". Badges and reports carry Cache-Control and an
// ETag (badges: a digest of the badge bytes; reports: from commit, seq and state); a matching
// If-None-Match gives 304. Unknown query
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

#include <memory>
#include <optional>

#include "provbadge/badges/badge_store.h"
#include "provbadge/queue/event_queue.h"
#include "provbadge/worker/metrics.h"
#include "provbadge/worker/webhook_ingest.h"

namespace provbadge::worker {

struct HttpRequest {
  std::string method;            // "GET", "HEAD", ...
  std::string target;            // path and query, as received
  std::string if_none_match;     // the If-None-Match header value, empty if absent
  std::string webhook_secret{};  // the X-Webhook-Secret header value, empty if absent
  std::string body{};            // the request body (webhook and admin routes read it)
  std::string authorization{};   // the Authorization header value, empty if absent
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;  // for HEAD: empty, with content_length set to the GET body's size
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (ETag, ...)
  size_t content_length = 0;
};

struct HttpApiOptions {
  queue::EventQueue* queue = nullptr;  // borrowed; readiness, queue gauges, webhook ingest
  std::string webhook_secret;          // empty: the webhook route answers 404
  const HubSource* hub = nullptr;      // borrowed; the webhook's replay guard (may be null)
  std::function<bool()> stopping;      // true while the process shuts down (readyz 503)
  std::string admin_token;             // empty: the admin route answers 404
  // The admin API's check of a revoked signer's name against the trust policy; may be empty.
  std::function<bool(std::string_view)> signer_known;
};

class AdminApi;     // worker/src/admin_api.h
class BadgeReader;  // worker/src/badge_read.h: the badge JSON/SVG read fast path

class HttpApi {
 public:
  // Read-only API (no queue, no webhook).
  HttpApi(badges::BadgeStore& store, Metrics& metrics, std::function<bool()> healthy);
  HttpApi(badges::BadgeStore& store, Metrics& metrics, std::function<bool()> healthy,
          HttpApiOptions options);
  // Never throws; every response is counted in Metrics::CountHttpRequest.
  HttpResponse Handle(const HttpRequest& request);
  // A JSON error response for failures found before routing (the server's 400, 413, 431),
  // counted like any other response. `message` must be a fixed text, never client input.
  HttpResponse Reject(int status, std::string_view message);

 private:
  HttpResponse Dispatch(const HttpRequest& request);  // may throw; Handle() catches
  HttpResponse Ready();
  HttpResponse Webhook(const HttpRequest& request);
  HttpResponse Admin(const HttpRequest& request);

  badges::BadgeStore& store_;
  Metrics& metrics_;
  std::function<bool()> healthy_;
  HttpApiOptions options_;
  std::unique_ptr<WebhookIngest> ingest_;  // null when the webhook is disabled
  std::shared_ptr<AdminApi> admin_;        // null when the admin API is disabled
  std::shared_ptr<BadgeReader> badges_;    // GET /v1/badges JSON and SVG
};

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_HTTP_API_H_
