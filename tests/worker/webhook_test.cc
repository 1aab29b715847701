// POST /v1/hooks/hub through HttpApi (secret, publish, ref/repo actions, failures), and
// /readyz.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "badges/badge_store_contract.h"
#include "in_memory_badge_store.h"
#include "provbadge/queue/sqlite_queue.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/worker/http_api.h"

namespace provbadge::worker {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using badges::contract::MakeRecord;

const std::string kShaA = std::string(40, 'a');
const std::string kShaB = std::string(40, 'b');
const std::string kSecret = "hook-secret-1";

// A queue whose every call fails (a broker that is down).
class DownQueue : public queue::EventQueue {
 public:
  Status Publish(std::string_view, std::string_view) override { return Unavailable("down"); }
  Result<std::optional<queue::Delivery>> Receive(std::chrono::milliseconds) override {
    return Unavailable("down");
  }
  Status Complete(const queue::Delivery&, const queue::Outcome&) override {
    return Unavailable("down");
  }
  Result<std::vector<queue::DeadLetter>> ListDeadLetters(size_t) override {
    return Unavailable("down");
  }
  Result<queue::QueueStats> Stats() override { return Unavailable("down"); }
  Status Ping() override { return Unavailable("down"); }
};

struct Fixture {
  fs::path dir = fs::temp_directory_path() /
                 ("pb-webhook-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::unique_ptr<queue::EventQueue> q;
  testing::InMemoryBadgeStore store;
  Metrics metrics;
  bool stopping = false;

  Fixture() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    queue::SqliteQueueOptions o;
    o.path = (dir / "queue.db").string();
    q = std::move(queue::OpenSqliteQueue(o)).value();
  }
  ~Fixture() { fs::remove_all(dir); }

  HttpApi Api(std::string secret = kSecret, queue::EventQueue* queue = nullptr) {
    HttpApiOptions o;
    o.queue = queue ? queue : q.get();
    o.webhook_secret = std::move(secret);
    o.stopping = [this] { return stopping; };
    return HttpApi(store, metrics, nullptr, std::move(o));
  }

  static HttpResponse Post(HttpApi& api, const Json& payload, std::string secret = kSecret) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/v1/hooks/hub";
    r.webhook_secret = std::move(secret);
    r.body = payload.dump();
    return api.Handle(r);
  }

  std::vector<queue::UploadEvent> Drain() {
    std::vector<queue::UploadEvent> events;
    for (;;) {
      auto d = q->Receive(std::chrono::milliseconds(50));
      REQUIRE(d.ok());
      if (!d->has_value()) return events;
      auto e = queue::ParseUploadEvent((**d).body);
      REQUIRE(e.ok());
      CHECK((**d).message_id == e->event_id);
      events.push_back(*e);
      REQUIRE(q->Complete(**d, queue::Outcome::Ack()).ok());
    }
  }

  static inline int counter = 0;
};

Json Content(const std::string& ref, const Json& new_sha) {
  return Json{
      {"event", {{"action", "update"}, {"scope", "repo.content"}}},
      {"repo", {{"type", "model"}, {"name", "org/model"}, {"id", "r1"}, {"headSha", kShaA}}},
      {"updatedRefs", Json::array({{{"ref", ref}, {"oldSha", nullptr}, {"newSha", new_sha}}})},
      {"webhook", {{"id", "w1"}, {"version", 3}}}};
}

HttpResponse Get(HttpApi& api, const std::string& target) {
  HttpRequest r;
  r.method = "GET";
  r.target = target;
  return api.Handle(r);
}

TEST_CASE("webhook: the secret is required and checked", "[webhook][http_api]") {
  Fixture f;
  HttpApi api = f.Api();
  CHECK(Fixture::Post(api, Content("refs/heads/main", kShaA), "").status == 401);
  CHECK(Fixture::Post(api, Content("refs/heads/main", kShaA), "hook-secret-2").status == 401);
  CHECK(Fixture::Post(api, Content("refs/heads/main", kShaA), kSecret + "x").status == 401);
  CHECK(Fixture::Post(api, Content("refs/heads/main", kShaA), kSecret.substr(1)).status == 401);
  CHECK(f.Drain().empty());
  CHECK(f.metrics.WebhookCount("unauthorized") == 4);
  // Disabled without a secret, or without a queue: the route does not exist.
  HttpApi disabled = f.Api("");
  CHECK(Fixture::Post(disabled, Content("refs/heads/main", kShaA), "").status == 404);
  HttpApi read_only(f.store, f.metrics, nullptr);
  CHECK(Fixture::Post(read_only, Content("refs/heads/main", kShaA), "").status == 404);
  // Other methods.
  HttpResponse get = Get(api, "/v1/hooks/hub");
  CHECK(get.status == 405);
  bool allow_post = false;
  for (const auto& [name, value] : get.headers) allow_post |= name == "Allow" && value == "POST";
  CHECK(allow_post);
}

TEST_CASE("webhook: a push is queued once, replays dedupe", "[webhook][http_api]") {
  Fixture f;
  HttpApi api = f.Api();
  HttpResponse r = Fixture::Post(api, Content("refs/heads/main", kShaA));
  CHECK(r.status == 202);
  CHECK(Json::parse(r.body)["published"] == 1);
  CHECK(Fixture::Post(api, Content("refs/heads/main", kShaA)).status == 202);  // a replay
  auto events = f.Drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].repo == "org/model");
  CHECK(events[0].commit == kShaA);
  CHECK(events[0].ref == "refs/heads/main");
  CHECK(events[0].source == "hf-webhook");
  CHECK(f.metrics.WebhookCount("accepted") == 2);
}

TEST_CASE("webhook: deleted refs, deleted and moved repos act on the store",
          "[webhook][http_api]") {
  Fixture f;
  HttpApi api = f.Api();
  REQUIRE(f.store.Put(MakeRecord(kShaA, 1, badges::BadgeState::kVerified, "main")).ok());
  REQUIRE(f.store.Put(MakeRecord(kShaB, 2, badges::BadgeState::kVerified, "dev")).ok());

  CHECK(Fixture::Post(api, Content("refs/heads/dev", nullptr)).status == 202);
  CHECK_FALSE(f.store.GetRef("org/model", "dev")->has_value());
  CHECK(f.store.GetRef("org/model", "main")->has_value());

  Json move = Content("x", kShaA);
  move.erase("updatedRefs");
  move["event"] = {{"action", "move"}, {"scope", "repo"}};
  move["movedTo"] = {{"name", "org/renamed"}};
  CHECK(Fixture::Post(api, move).status == 202);
  CHECK_FALSE(f.store.GetRef("org/model", "main")->has_value());
  REQUIRE(f.store.GetRef("org/renamed", "main")->has_value());
  auto events = f.Drain();
  REQUIRE(events.size() == 1);  // the new name is checked again
  CHECK(events[0].repo == "org/renamed");

  Json del = move;
  del["event"]["action"] = "delete";
  del["repo"]["name"] = "org/renamed";
  CHECK(Fixture::Post(api, del).status == 202);
  CHECK_FALSE(f.store.GetRevision("org/renamed", kShaA)->has_value());
}

TEST_CASE("webhook: bad payloads 400, nothing to do 200, failures 503", "[webhook][http_api]") {
  Fixture f;
  HttpApi api = f.Api();
  Json bad = Content("refs/heads/main", "not-a-sha");
  HttpResponse r = Fixture::Post(api, bad);
  CHECK(r.status == 400);
  CHECK_THAT(r.body, Catch::Contains("updatedRefs[0].newSha"));
  Json dataset = Content("refs/heads/main", kShaA);
  dataset["repo"]["type"] = "dataset";
  CHECK(Fixture::Post(api, dataset).status == 200);
  CHECK(f.Drain().empty());

  DownQueue down;
  HttpApi broken = f.Api(kSecret, &down);
  CHECK(Fixture::Post(broken, Content("refs/heads/main", kShaA)).status == 503);
  f.store.set_unavailable(true);
  CHECK(Fixture::Post(api, Content("refs/heads/main", nullptr)).status == 503);
  CHECK(f.metrics.WebhookCount("error") == 2);
  CHECK(f.metrics.WebhookCount("rejected") == 1);
  CHECK(f.metrics.WebhookCount("ignored") == 1);
}

TEST_CASE("readyz: store and queue reachable and not stopping", "[http_api]") {
  Fixture f;
  HttpApi api = f.Api();
  CHECK(Get(api, "/readyz").status == 200);
  CHECK(Get(api, "/healthz").status == 200);
  f.stopping = true;
  CHECK(Get(api, "/readyz").status == 503);
  CHECK_THAT(Get(api, "/readyz").body, Catch::Contains("stopping"));
  f.stopping = false;
  f.store.set_unavailable(true);
  CHECK_THAT(Get(api, "/readyz").body, Catch::Contains("badge store"));
  CHECK(Get(api, "/healthz").status == 200);  // alive, just not ready
  f.store.set_unavailable(false);
  DownQueue down;
  HttpApi no_broker = f.Api(kSecret, &down);
  HttpResponse r = Get(no_broker, "/readyz");
  CHECK(r.status == 503);
  CHECK_THAT(r.body, Catch::Contains("queue"));
}

TEST_CASE("metrics: queue depth, in-flight and webhook families", "[http_api][metrics]") {
  Fixture f;
  HttpApi api = f.Api();
  REQUIRE(f.q->Publish("m1", "x").ok());
  std::string text = Get(api, "/metrics").body;
  CHECK_THAT(text, Catch::Contains("provbadge_queue_messages{state=\"ready\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("provbadge_deliveries_in_flight 0\n"));
  CHECK_THAT(text, Catch::Contains("provbadge_webhook_deliveries_total{result=\"accepted\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("provbadge_store_errors_total 0\n"));
}

}  // namespace
}  // namespace provbadge::worker
