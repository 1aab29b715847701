// HttpApi: routing, input validation and the representations of the read API.
#include "provbadge/worker/http_api.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "admin_api.h"
#include "badge_read.h"
#include "http_util.h"
#include "provbadge/badges/badge.h"
#include "provbadge/common/limits.h"
#include "verdict_read.h"

namespace provbadge::worker {
namespace {

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextType = "text/plain; charset=utf-8";
constexpr std::string_view kPublicCache = "public, max-age=60";
constexpr std::string_view kNoStore = "no-store";
constexpr std::string_view kAllowed = "GET, HEAD";
constexpr std::string_view kDefaultRef = "main";
constexpr std::string_view kBadgesPrefix = "/v1/badges/";
constexpr std::string_view kReportsPrefix = "/v1/reports/";
constexpr std::string_view kSvgSuffix = ".svg";
constexpr size_t kMaxNamePartLength = limits::kMaxUrlNamePartBytes;
constexpr size_t kRevisionLength = 40;

constexpr std::string_view kHookPath = "/v1/hooks/hub";
constexpr std::string_view kAdminRevocationsPath = "/v1/admin/revocations";
constexpr std::string_view kRevocationsPath = "/v1/revocations";

enum class Resource {
  kBadgeJson,
  kBadgeSvg,
  kReport,
  kHealth,
  kMetrics,
  kReady,
  kHook,
  kAdmin,
  kRevocations
};

struct Route {
  Resource resource;
  std::string repo_path;  // "org/name" (decoded, not yet validated) for badges and reports
};

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// [A-Za-z0-9][A-Za-z0-9._-]{0,95}, and no ".." anywhere.
bool IsValidNamePart(std::string_view part) {
  if (part.empty() || part.size() > kMaxNamePartLength || !IsAlnum(part.front())) return false;
  for (char c : part) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return part.find("..") == std::string_view::npos;
}

// Returns the validated "org/name", or nullopt.
std::optional<std::string> ValidRepo(std::string_view repo_path) {
  size_t slash = repo_path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view org = repo_path.substr(0, slash);
  std::string_view name = repo_path.substr(slash + 1);
  if (!IsValidNamePart(org) || !IsValidNamePart(name)) return std::nullopt;
  return std::string(repo_path);
}

bool IsValidRevision(std::string_view revision) {
  if (revision.size() != kRevisionLength) return false;
  for (char c : revision) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string ErrorJson(std::string_view message) {
  return nlohmann::json{{"error", std::string(message)}}.dump();
}

HttpResponse MakeError(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.content_type = kJsonType;
  response.body = ErrorJson(message);
  response.headers.emplace_back("Cache-Control", kNoStore);
  return response;
}

std::optional<Route> MatchRoute(std::string_view path) {
  if (path == "/healthz") return Route{Resource::kHealth, ""};
  if (path == "/metrics") return Route{Resource::kMetrics, ""};
  if (path == "/readyz") return Route{Resource::kReady, ""};
  if (path == kHookPath) return Route{Resource::kHook, ""};
  if (path == kAdminRevocationsPath) return Route{Resource::kAdmin, ""};
  if (path == kRevocationsPath) return Route{Resource::kRevocations, ""};
  if (path.substr(0, kBadgesPrefix.size()) == kBadgesPrefix) {
    std::string_view rest = path.substr(kBadgesPrefix.size());
    if (rest.size() > kSvgSuffix.size() &&
        rest.substr(rest.size() - kSvgSuffix.size()) == kSvgSuffix) {
      rest.remove_suffix(kSvgSuffix.size());
      return Route{Resource::kBadgeSvg, std::string(rest)};
    }
    return Route{Resource::kBadgeJson, std::string(rest)};
  }
  if (path.substr(0, kReportsPrefix.size()) == kReportsPrefix) {
    return Route{Resource::kReport, std::string(path.substr(kReportsPrefix.size()))};
  }
  return std::nullopt;
}

// The `revision` query parameter: nullopt when absent; an error response when malformed or
// repeated. Other parameters are ignored.
struct RevisionParam {
  std::optional<std::string> revision;
  std::optional<HttpResponse> error;
};

RevisionParam ParseRevision(std::string_view query) {
  RevisionParam result;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::optional<std::string> key = PercentDecode(pair.substr(0, eq), true);
    if (!key || *key != "revision") continue;
    if (result.revision) {
      result.error = MakeError(400, "revision is given more than once");
      return result;
    }
    std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::optional<std::string> value = PercentDecode(raw, true);
    if (!value || !IsValidRevision(*value)) {
      result.error = MakeError(400, "revision must be a 40-character lowercase hex commit id");
      return result;
    }
    result.revision = std::move(*value);
  }
  return result;
}

// A header-safe token of `text`: letters and digits only.
std::string TokenOnly(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (IsAlnum(c)) out.push_back(c);
  }
  return out;
}

std::string MakeEtag(const badges::BadgeRecord& record) {
  return "\"" + TokenOnly(record.badge.commit) + "-" + std::to_string(record.seq) + "-" +
         std::string(badges::BadgeStateName(record.badge.state)) + "-report\"";
}

// The report of a stored revision (badges are served by BadgeReader).
HttpResponse RepresentReport(const badges::BadgeRecord& record, std::string_view if_none_match) {
  if (record.report_json.empty()) return MakeError(404, "no report for this revision yet");
  HttpResponse response;
  response.content_type = kJsonType;
  std::string etag = MakeEtag(record);
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Cache-Control", kPublicCache);
  if (!if_none_match.empty() && EtagMatches(if_none_match, etag)) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  response.body = record.report_json;
  return response;
}

HttpResponse StoreError(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kUnavailable:
      return MakeError(503, "badge store unavailable");
    case ErrorCode::kNotFound:
      return MakeError(404, "no badge for this repository");
    default:
      return MakeError(500, "internal error");
  }
}

HttpResponse PlainText(int status, std::string body, std::string_view content_type) {
  HttpResponse response;
  response.status = status;
  response.content_type = content_type;
  response.body = std::move(body);
  response.headers.emplace_back("Cache-Control", kNoStore);
  return response;
}

}  // namespace

HttpApi::HttpApi(badges::BadgeStore& store, Metrics& metrics, std::function<bool()> healthy)
    : HttpApi(store, metrics, std::move(healthy), HttpApiOptions{}) {}

HttpApi::HttpApi(badges::BadgeStore& store, Metrics& metrics, std::function<bool()> healthy,
                 HttpApiOptions options)
    : store_(store),
      metrics_(metrics),
      healthy_(std::move(healthy)),
      options_(std::move(options)),
      badges_(std::make_shared<BadgeReader>(store)) {
  if (options_.queue != nullptr && !options_.webhook_secret.empty()) {
    ingest_ = std::make_unique<WebhookIngest>(*options_.queue, store_, metrics_,
                                              options_.webhook_secret, nullptr, options_.hub);
  }
  if (options_.queue != nullptr && !options_.admin_token.empty()) {
    AdminOptions admin;
    admin.token = options_.admin_token;
    admin.signer_known = options_.signer_known;
    admin_ = std::make_shared<AdminApi>(store_, *options_.queue, std::move(admin));
  }
}

HttpResponse HttpApi::Ready() {
  std::string not_ready;
  if (options_.stopping && options_.stopping()) not_ready = "stopping";
  if (Status s = store_.Ping(); !s.ok()) {
    metrics_.CountStoreError();
    not_ready += std::string(not_ready.empty() ? "" : ", ") + "badge store unreachable";
  }
  if (options_.queue != nullptr && !options_.queue->Ping().ok()) {
    not_ready += std::string(not_ready.empty() ? "" : ", ") + "queue unreachable";
  }
  if (not_ready.empty()) return PlainText(200, "ready", kTextType);
  return PlainText(503, "not ready: " + not_ready, kTextType);
}

HttpResponse HttpApi::Webhook(const HttpRequest& request) {
  if (!ingest_) return MakeError(404, "not found");
  if (request.method != "POST") {
    HttpResponse response = MakeError(405, "method not allowed");
    response.headers.emplace_back("Allow", "POST");
    return response;
  }
  WebhookReply reply = ingest_->Handle(request.webhook_secret, request.body);
  HttpResponse response;
  response.status = reply.status;
  response.content_type = kJsonType;
  response.body = std::move(reply.body);
  response.headers.emplace_back("Cache-Control", kNoStore);
  return response;
}

HttpResponse HttpApi::Admin(const HttpRequest& request) {
  if (!admin_) return MakeError(404, "not found");
  if (request.method != "POST") {
    HttpResponse response = MakeError(405, "method not allowed");
    response.headers.emplace_back("Allow", "POST");
    return response;
  }
  return admin_->Revoke(request);
}

HttpResponse HttpApi::Reject(int status, std::string_view message) {
  HttpResponse response = MakeError(status, message);
  response.content_length = response.body.size();
  metrics_.CountHttpRequest(status);
  return response;
}

HttpResponse HttpApi::Handle(const HttpRequest& request) {
  HttpResponse response;
  try {
    response = Dispatch(request);
  } catch (const std::exception&) {
    response = MakeError(500, "internal error");
  }
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.content_length = response.body.size();
  if (request.method == "HEAD") response.body.clear();
  metrics_.CountHttpRequest(response.status);
  return response;
}

HttpResponse HttpApi::Dispatch(const HttpRequest& request) {
  std::string_view target = request.target;
  size_t question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  std::optional<std::string> path = PercentDecode(raw_path, false);
  if (!path) return MakeError(400, "malformed percent-encoding in the path");
  std::optional<Route> route = MatchRoute(*path);
  if (!route) return MakeError(404, "not found");
  if (route->resource == Resource::kHook) return Webhook(request);
  if (route->resource == Resource::kAdmin) return Admin(request);
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = MakeError(405, "method not allowed");
    response.headers.emplace_back("Allow", kAllowed);
    return response;
  }

  if (route->resource == Resource::kHealth) {
    bool healthy = !healthy_ || healthy_();
    return healthy ? PlainText(200, "ok", kTextType) : PlainText(503, "unavailable", kTextType);
  }
  if (route->resource == Resource::kReady) return Ready();
  if (route->resource == Resource::kRevocations) return ListRevocationsResponse(store_);
  if (route->resource == Resource::kMetrics) {
    if (options_.queue != nullptr) {
      if (auto stats = options_.queue->Stats(); stats.ok()) {
        metrics_.SetQueueDepth(stats->ready, stats->in_flight, stats->dead);
      }
    }
    if (std::optional<badges::ReadCacheStats> cache = store_.ReadCache()) {
      metrics_.SetReadCache(*cache);
    }
    return PlainText(200, metrics_.RenderPrometheus(), kMetricsType);
  }

  std::optional<std::string> repo = ValidRepo(route->repo_path);
  if (!repo) {
    return MakeError(400,
                     "invalid repository name: expected {org}/{name}, each part "
                     "[A-Za-z0-9][A-Za-z0-9._-]{0,95} without '..'");
  }
  if (route->resource == Resource::kBadgeJson && WantsVerdict(query)) {
    return ReadVerdict(store_, *repo, query);
  }
  if (route->resource == Resource::kBadgeJson || route->resource == Resource::kBadgeSvg) {
    return badges_->Read(*repo, query, route->resource == Resource::kBadgeSvg,
                         request.if_none_match);
  }
  RevisionParam revision = ParseRevision(query);
  if (revision.error) return std::move(*revision.error);

  Result<std::optional<badges::BadgeRecord>> found =
      revision.revision ? store_.GetRevision(*repo, *revision.revision)
                        : store_.GetRef(*repo, kDefaultRef);
  if (!found.ok()) return StoreError(found.error());
  if (!found->has_value()) {
    return MakeError(
        404, revision.revision ? "no badge for this revision" : "no badge for this repository");
  }
  return RepresentReport(**found, request.if_none_match);
}

}  // namespace provbadge::worker
