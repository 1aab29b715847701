// HttpApi without sockets: routes, status codes, representations, caching headers, validation.
#include "provbadge/worker/http_api.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "badge_fixtures.h"
#include "in_memory_badge_store.h"
#include "provbadge/badges/badge.h"

namespace provbadge::worker {
namespace {

using badges::BadgeState;
using provbadge::testing::kCommitA;
using provbadge::testing::kCommitB;
using provbadge::testing::MakeRecord;

struct ApiFixture {
  ApiFixture() {
    // Older revision A, then the newer revision B moves "main".
    REQUIRE(store.Put(MakeRecord("acme/model", kCommitA, BadgeState::kFailed, 1)).ok());
    REQUIRE(store.Put(MakeRecord("acme/model", kCommitB, BadgeState::kVerified, 2)).ok());
  }

  HttpResponse Get(std::string target, std::string if_none_match = "") {
    return api.Handle({"GET", std::move(target), std::move(if_none_match)});
  }

  provbadge::testing::InMemoryBadgeStore store;
  Metrics metrics;
  bool healthy = true;
  HttpApi api{store, metrics, [this] { return healthy; }};
};

std::optional<std::string> Header(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// The response is a JSON error {"error": "..."} that must not be cached.
void CheckJsonError(const HttpResponse& response, int status) {
  CHECK(response.status == status);
  CHECK(response.content_type == "application/json");
  CHECK(Header(response, "Cache-Control") == "no-store");
  nlohmann::json body = nlohmann::json::parse(response.body);
  REQUIRE(body.is_object());
  REQUIRE(body.contains("error"));
  CHECK(body["error"].is_string());
  CHECK(!body["error"].get<std::string>().empty());
  CHECK(response.content_length == response.body.size());
}

TEST_CASE("GET badge JSON follows the main ref by default", "[http_api]") {
  ApiFixture f;
  HttpResponse response = f.Get("/v1/badges/acme/model");
  auto stored = f.store.GetRevision("acme/model", kCommitB);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK(response.status == 200);
  CHECK(response.content_type == "application/json");
  CHECK(response.body == badges::BadgeToJson((*stored)->badge));
  CHECK(response.content_length == response.body.size());
  CHECK(Header(response, "Cache-Control") == "public, max-age=60");
  auto etag = Header(response, "ETag");
  REQUIRE(etag);
  CHECK(etag->size() > 2);
  CHECK(etag->front() == '"');
  CHECK(etag->back() == '"');
}

TEST_CASE("?revision= selects a revision; unknown parameters are ignored", "[http_api]") {
  ApiFixture f;
  auto stored = f.store.GetRevision("acme/model", kCommitA);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  HttpResponse response =
      f.Get(std::string("/v1/badges/acme/model?foo=bar&revision=") + kCommitA + "&x=%zz");
  CHECK(response.status == 200);
  CHECK(response.body == badges::BadgeToJson((*stored)->badge));
  CHECK(f.Get("/v1/badges/acme/model?style=flat").status == 200);
}

TEST_CASE("GET badge SVG", "[http_api]") {
  ApiFixture f;
  HttpResponse response = f.Get("/v1/badges/acme/model.svg");
  auto stored = f.store.GetRevision("acme/model", kCommitB);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  CHECK(response.status == 200);
  CHECK(response.content_type == "image/svg+xml; charset=utf-8");
  CHECK(response.body == badges::BadgeToSvg((*stored)->badge));
  CHECK(response.body.find("<svg") != std::string::npos);
  CHECK(Header(response, "Cache-Control") == "public, max-age=60");
  CHECK(Header(response, "ETag") != Header(f.Get("/v1/badges/acme/model"), "ETag"));
  CHECK(f.Get(std::string("/v1/badges/acme/model.svg?revision=") + kCommitA).status == 200);
}

TEST_CASE("GET report serves the stored report JSON as-is", "[http_api]") {
  ApiFixture f;
  auto stored = f.store.GetRevision("acme/model", kCommitA);
  REQUIRE(stored.ok());
  REQUIRE(stored->has_value());
  HttpResponse response = f.Get(std::string("/v1/reports/acme/model?revision=") + kCommitA);
  CHECK(response.status == 200);
  CHECK(response.content_type == "application/json");
  CHECK(response.body == (*stored)->report_json);
  CHECK(Header(response, "ETag"));

  SECTION("a pending badge has no report yet") {
    auto pending = MakeRecord("acme/fresh", kCommitA, BadgeState::kPending, 5);
    pending.report_json.clear();
    REQUIRE(f.store.Put(pending).ok());
    CheckJsonError(f.Get("/v1/reports/acme/fresh"), 404);
    CHECK(f.Get("/v1/badges/acme/fresh").status == 200);
  }
}

TEST_CASE("healthz and metrics", "[http_api]") {
  ApiFixture f;
  HttpResponse ok = f.Get("/healthz");
  CHECK(ok.status == 200);
  CHECK(ok.body == "ok");
  CHECK(Header(ok, "Cache-Control") == "no-store");
  f.healthy = false;
  CHECK(f.Get("/healthz").status == 503);

  HttpResponse metrics = f.Get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics.body.find("provbadge_http_requests_total{code=\"2xx\"} 1\n") != std::string::npos);
  CHECK(metrics.body.find("provbadge_http_requests_total{code=\"5xx\"} 1\n") != std::string::npos);
}

TEST_CASE("ETag and If-None-Match", "[http_api]") {
  ApiFixture f;
  for (const char* target :
       {"/v1/badges/acme/model", "/v1/badges/acme/model.svg", "/v1/reports/acme/model"}) {
    INFO(target);
    HttpResponse first = f.Get(target);
    auto etag = Header(first, "ETag");
    REQUIRE(etag);

    HttpResponse cached = f.Get(target, *etag);
    CHECK(cached.status == 304);
    CHECK(cached.body.empty());
    CHECK(Header(cached, "ETag") == etag);
    CHECK(Header(cached, "Cache-Control") == "public, max-age=60");

    CHECK(f.Get(target, "\"other\", W/" + *etag).status == 304);
    CHECK(f.Get(target, "*").status == 304);
    CHECK(f.Get(target, "\"other\"").status == 200);
  }

  SECTION("a newer verdict changes the ETag") {
    auto etag = Header(f.Get("/v1/badges/acme/model"), "ETag");
    REQUIRE(f.store.Put(MakeRecord("acme/model", kCommitB, BadgeState::kFailed, 3)).ok());
    HttpResponse after = f.Get("/v1/badges/acme/model", *etag);
    CHECK(after.status == 200);
    CHECK(Header(after, "ETag") != etag);
  }
  SECTION("a hostile stored commit cannot inject header text") {
    auto record = MakeRecord("acme/odd", "abc\r\nSet-Cookie: x=1", BadgeState::kFailed, 1);
    REQUIRE(f.store.Put(record).ok());
    HttpResponse response = f.Get("/v1/badges/acme/odd");
    REQUIRE(response.status == 200);
    for (const auto& [name, value] : response.headers) {
      CHECK(value.find_first_of("\r\n") == std::string::npos);
    }
  }
}

TEST_CASE("HEAD returns the GET headers and length without a body", "[http_api]") {
  ApiFixture f;
  for (const char* target :
       {"/v1/badges/acme/model", "/v1/badges/acme/model.svg", "/v1/reports/acme/model", "/healthz",
        "/metrics", "/v1/badges/acme/missing", "/v1/badges/../x"}) {
    INFO(target);
    HttpResponse get = f.Get(target);
    HttpResponse head = f.api.Handle({"HEAD", target, ""});
    CHECK(head.status == get.status);
    CHECK(head.content_type == get.content_type);
    CHECK(head.body.empty());
    if (std::string(target) != "/metrics") {  // the metrics text changes between requests
      CHECK(head.content_length == get.body.size());
      CHECK(Header(head, "ETag") == Header(get, "ETag"));
    }
    CHECK(head.content_length > 0);
  }
}

TEST_CASE("bad repository names give 400 without echoing the input", "[http_api]") {
  ApiFixture f;
  const std::string overlong(97, 'a');
  for (const std::string& name : std::vector<std::string>{"../etc",
                                                          "acme/..",
                                                          "%2e%2e/%2E%2E",
                                                          "acme/%2e%2e",
                                                          "acme%2F..%2F..%2Fetc/passwd",
                                                          "acme/a..b",
                                                          ".hidden/model",
                                                          "acme/-model",
                                                          "acme/mo del",
                                                          "acme/mo%00del",
                                                          "acme/",
                                                          "/model",
                                                          "acme",
                                                          "acme/model/extra",
                                                          "acme//model",
                                                          "<script>alert(1)</script>/x",
                                                          "acme/" + overlong,
                                                          overlong + "/model",
                                                          "acme/%zz",
                                                          "acme/model%"}) {
    for (std::string prefix : {"/v1/badges/", "/v1/reports/"}) {
      std::string target = prefix + name;
      INFO(target);
      HttpResponse response = f.Get(target);
      CheckJsonError(response, 400);
      CHECK(response.body.find("<script>") == std::string::npos);
      CHECK(response.body.find("passwd") == std::string::npos);
      CHECK(response.body.find(overlong) == std::string::npos);
    }
  }
  CheckJsonError(f.Get("/v1/badges/..%2F..%2Fetc.svg"), 400);
  // The longest allowed part is fine (and simply not found).
  CheckJsonError(f.Get("/v1/badges/acme/" + std::string(96, 'b')), 404);
  CheckJsonError(f.Get("/v1/badges/a-b_c.d/M0del-1.5_x"), 404);
}

TEST_CASE("bad revisions give 400", "[http_api]") {
  ApiFixture f;
  const std::string upper = "1A2B3C4D5E6F708192A3B4C5D6E7F80911223344";
  for (const std::string& query : std::vector<std::string>{
           "revision=" + upper, "revision=" + std::string(kCommitA).substr(1),
           "revision=" + std::string(kCommitA) + "0", "revision=zz" + std::string(38, '0'),
           "revision=", "revision", "revision=%zz",
           "revision=" + std::string(kCommitA) + "&revision=" + std::string(kCommitB),
           "revision=../../etc/passwd"}) {
    INFO(query);
    HttpResponse response = f.Get("/v1/badges/acme/model?" + query);
    CheckJsonError(response, 400);
    CHECK(response.body.find("passwd") == std::string::npos);
  }
}

TEST_CASE("unknown paths and missing badges give 404", "[http_api]") {
  ApiFixture f;
  for (const char* target : {"/", "", "/v1/badges", "/v1/badge/acme/model", "/v2/badges/acme/model",
                             "/healthz/", "/metrics/x", "http://host/v1/badges/acme/model"}) {
    INFO(target);
    CheckJsonError(f.Get(target), 404);
  }
  CheckJsonError(f.Get("/v1/badges/acme/unknown"), 404);
  CheckJsonError(f.Get("/v1/badges/acme/model?revision=" + std::string(40, '0')), 404);
  CheckJsonError(f.Get("/v1/reports/other/model"), 404);
}

TEST_CASE("other methods give 405 with Allow", "[http_api]") {
  ApiFixture f;
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get", "BREW"}) {
    for (const char* target :
         {"/v1/badges/acme/model", "/v1/reports/acme/model", "/healthz", "/metrics"}) {
      INFO(method << " " << target);
      HttpResponse response = f.api.Handle({method, target, ""});
      CheckJsonError(response, 405);
      CHECK(Header(response, "Allow") == "GET, HEAD");
    }
  }
}

TEST_CASE("a failing store gives 503, never a badge", "[http_api]") {
  ApiFixture f;
  f.store.set_unavailable(true);
  for (const char* target :
       {"/v1/badges/acme/model", "/v1/badges/acme/model.svg", "/v1/reports/acme/model"}) {
    INFO(target);
    CheckJsonError(f.Get(target), 503);
  }
  CheckJsonError(f.Get("/v1/badges/acme/model?revision=" + std::string(kCommitA)), 503);
  f.store.set_unavailable(false);
  CHECK(f.Get("/v1/badges/acme/model").status == 200);
}

TEST_CASE("hostile text in a stored badge is escaped", "[http_api]") {
  ApiFixture f;
  const std::string hostile = "<script>alert(\"x\")</script> & '</text><a href=\"javascript:1\">";
  auto record = MakeRecord("acme/evil", kCommitA, BadgeState::kFailed, 1, hostile);
  record.badge.label = "<b>\"label\"</b>" + hostile;  // the SVG draws the label
  REQUIRE(f.store.Put(record).ok());

  HttpResponse svg = f.Get("/v1/badges/acme/evil.svg");
  REQUIRE(svg.status == 200);
  CHECK(svg.body.find("<script") == std::string::npos);
  CHECK(svg.body.find("<a ") == std::string::npos);
  CHECK(svg.body.find("<b>") == std::string::npos);
  CHECK(svg.body.find("&lt;script&gt;") != std::string::npos);
  CHECK(Header(svg, "Content-Security-Policy"));
  CHECK(Header(svg, "X-Content-Type-Options") == "nosniff");

  HttpResponse json = f.Get("/v1/badges/acme/evil");
  REQUIRE(json.status == 200);
  nlohmann::json parsed = nlohmann::json::parse(json.body);
  CHECK(parsed.dump().find("<script>alert") != std::string::npos);  // data, intact, as JSON
}

TEST_CASE("every response is counted, including rejections", "[http_api]") {
  ApiFixture f;
  f.Get("/v1/badges/acme/model");
  f.Get("/v1/badges/acme/model", *Header(f.Get("/v1/badges/acme/model"), "ETag"));
  f.Get("/nope");
  f.api.Handle({"POST", "/healthz", ""});
  HttpResponse rejected = f.api.Reject(413, "request body too large");
  CheckJsonError(rejected, 413);
  f.store.set_unavailable(true);
  f.Get("/v1/badges/acme/model");
  const std::string text = f.metrics.RenderPrometheus();
  CHECK(text.find("provbadge_http_requests_total{code=\"2xx\"} 2\n") != std::string::npos);
  CHECK(text.find("provbadge_http_requests_total{code=\"3xx\"} 1\n") != std::string::npos);
  CHECK(text.find("provbadge_http_requests_total{code=\"4xx\"} 3\n") != std::string::npos);
  CHECK(text.find("provbadge_http_requests_total{code=\"5xx\"} 1\n") != std::string::npos);
}

}  // namespace
}  // namespace provbadge::worker
