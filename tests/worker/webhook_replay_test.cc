// The webhook's replay guard (webhook_ingest.h): a replayed or overtaken delivery never moves a
// ref pointer or deletes a ref that exists again; a hub that has not caught up, or cannot be
// asked, gets 503 (the hub retries) and nothing changes.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "badges/badge_store_contract.h"
#include "in_memory_badge_store.h"
#include "provbadge/queue/sqlite_queue.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/worker/http_api.h"
#include "provbadge/worker/hub_mirror.h"

namespace provbadge::worker {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kShaA = std::string(40, 'a');
const std::string kShaB = std::string(40, 'b');
const std::string kShaC = std::string(40, 'c');
const std::string kSecret = "hook-secret-1";

// Where the hub says each ref of org/model points now; can fail every call.
class FakeHub : public HubSource {
 public:
  Result<std::string> ResolveRef(std::string_view repo, std::string_view ref) const override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (down_) return Unavailable("hub down");
    auto it = refs_.find(std::string(repo) + "|" + std::string(ref));
    if (it == refs_.end()) return NotFound("no such ref");
    return it->second;
  }
  Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(std::string_view,
                                                                 std::string_view) override {
    return Unavailable("not used");
  }
  void Set(const std::string& ref, const std::string& commit, std::string repo = "org/model") {
    std::lock_guard lock(mu_);
    refs_[repo + "|" + ref] = commit;
  }
  void Remove(const std::string& ref) {
    std::lock_guard lock(mu_);
    refs_.erase("org/model|" + ref);
  }
  void set_down(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  mutable int calls_ = 0;
  bool down_ = false;
  std::map<std::string, std::string> refs_;
};

struct Fixture {
  fs::path dir = fs::temp_directory_path() /
                 ("pb-replay-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::unique_ptr<queue::EventQueue> q;
  testing::InMemoryBadgeStore store;
  Metrics metrics;
  FakeHub hub;
  std::unique_ptr<HttpApi> api;

  Fixture() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    queue::SqliteQueueOptions o;
    o.path = (dir / "queue.db").string();
    q = std::move(queue::OpenSqliteQueue(o)).value();
    HttpApiOptions options;
    options.queue = q.get();
    options.webhook_secret = kSecret;
    options.hub = &hub;
    api = std::make_unique<HttpApi>(store, metrics, nullptr, std::move(options));
  }
  ~Fixture() { fs::remove_all(dir); }

  HttpResponse Post(const Json& payload) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/v1/hooks/hub";
    r.webhook_secret = kSecret;
    r.body = payload.dump();
    return api->Handle(r);
  }

  // Receives every queued event and stores a badge for it the way the pipeline does (the
  // event's seq; its ref, "refs/heads/" dropped, moves the pointer). Returns the events.
  std::vector<queue::UploadEvent> Process() {
    std::vector<queue::UploadEvent> events;
    for (;;) {
      auto d = q->Receive(std::chrono::milliseconds(50));
      REQUIRE(d.ok());
      if (!d->has_value()) return events;
      auto e = queue::ParseUploadEvent((**d).body);
      REQUIRE(e.ok());
      REQUIRE(
          store
              .Put(badges::contract::MakeRecord(e->commit, e->seq, badges::BadgeState::kVerified,
                                                NormalizeRef(e->ref), e->repo))
              .ok());
      events.push_back(*e);
      REQUIRE(q->Complete(**d, queue::Outcome::Ack()).ok());
    }
  }

  std::string MainCommit() {
    auto main = store.GetRef("org/model", "main");
    REQUIRE(main.ok());
    return main->has_value() ? (*main)->badge.commit : "";
  }

  static inline int counter = 0;
};

Json Push(const std::string& ref, const Json& old_sha, const Json& new_sha) {
  return Json{
      {"event", {{"action", "update"}, {"scope", "repo.content"}}},
      {"repo", {{"type", "model"}, {"name", "org/model"}, {"id", "r1"}}},
      {"updatedRefs", Json::array({{{"ref", ref}, {"oldSha", old_sha}, {"newSha", new_sha}}})},
      {"webhook", {{"id", "w1"}, {"version", 3}}}};
}

TEST_CASE("webhook replay: an old delivery replayed after a newer push moves no pointer",
          "[webhook][replay]") {
  Fixture f;
  const Json push_a = Push("refs/heads/main", nullptr, kShaA);
  const Json push_b = Push("refs/heads/main", kShaA, kShaB);
  f.hub.Set("main", kShaA);
  REQUIRE(f.Post(push_a).status == 202);
  REQUIRE(f.Process().size() == 1);
  CHECK(f.MainCommit() == kShaA);
  f.hub.Set("main", kShaB);
  REQUIRE(f.Post(push_b).status == 202);
  REQUIRE(f.Process().size() == 1);
  CHECK(f.MainCommit() == kShaB);

  // The operator replays the first delivery from the hub's UI.
  HttpResponse replay = f.Post(push_a);
  REQUIRE(replay.status == 202);
  CHECK(Json::parse(replay.body)["stale"] == 1);
  std::vector<queue::UploadEvent> events = f.Process();
  REQUIRE(events.size() == 1);
  CHECK(events[0].commit == kShaA);
  CHECK(events[0].ref.empty());    // the revision is re-decided, no pointer moves
  CHECK(f.MainCommit() == kShaB);  // not re-pointed to A, not even until the next push
  REQUIRE(f.store.GetRevision("org/model", kShaA)->has_value());

  // A genuine force-push back to A (the hub now says main = A) does move it.
  f.hub.Set("main", kShaA);
  REQUIRE(f.Post(Push("refs/heads/main", kShaB, kShaA)).status == 202);
  REQUIRE(f.Process().size() == 1);
  CHECK(f.MainCommit() == kShaA);
}

TEST_CASE("webhook replay: deliveries overtaken by a newer push, or of a deleted ref, are stale",
          "[webhook][replay]") {
  Fixture f;
  // Pushes A then B, the hub delivers B first: A arrives when main is already B.
  f.hub.Set("main", kShaB);
  REQUIRE(f.Post(Push("refs/heads/main", kShaA, kShaB)).status == 202);
  REQUIRE(f.Post(Push("refs/heads/main", nullptr, kShaA)).status == 202);
  f.Process();
  CHECK(f.MainCommit() == kShaB);
  // A ref that no longer exists: its replayed push is stale too.
  REQUIRE(f.Post(Push("refs/heads/dev", nullptr, kShaC)).status == 202);
  std::vector<queue::UploadEvent> events = f.Process();
  REQUIRE(events.size() == 1);
  CHECK(events[0].ref.empty());
  CHECK_FALSE(f.store.GetRef("org/model", "dev")->has_value());
}

TEST_CASE("webhook replay: a replayed ref deletion leaves a ref that exists again",
          "[webhook][replay]") {
  Fixture f;
  REQUIRE(f.store.Put(badges::contract::MakeRecord(kShaA, 1, badges::BadgeState::kVerified, "dev"))
              .ok());
  f.hub.Set("dev", kShaA);  // dev was deleted and created again since
  REQUIRE(f.Post(Push("refs/heads/dev", kShaB, nullptr)).status == 202);
  CHECK(f.store.GetRef("org/model", "dev")->has_value());
  f.hub.Remove("dev");  // now it really is gone
  REQUIRE(f.Post(Push("refs/heads/dev", kShaA, nullptr)).status == 202);
  CHECK_FALSE(f.store.GetRef("org/model", "dev")->has_value());
}

TEST_CASE("webhook replay: a lagging or unreachable hub gets 503 and nothing changes",
          "[webhook][replay]") {
  Fixture f;
  REQUIRE(f.store.Put(badges::contract::MakeRecord(kShaA, 1, badges::BadgeState::kVerified, "main"))
              .ok());
  // The hub's API still says main = oldSha: it has not caught up with its own delivery.
  f.hub.Set("main", kShaA);
  HttpResponse lagging = f.Post(Push("refs/heads/main", kShaA, kShaB));
  CHECK(lagging.status == 503);
  CHECK(f.Process().empty());
  f.hub.set_down(true);
  CHECK(f.Post(Push("refs/heads/main", kShaA, kShaB)).status == 503);
  CHECK(f.Post(Push("refs/heads/main", kShaA, nullptr)).status == 503);
  CHECK(f.Process().empty());
  CHECK(f.MainCommit() == kShaA);
  CHECK(f.metrics.WebhookCount("error") == 3);
  // Once the hub answers, the hub's retry goes through.
  f.hub.set_down(false);
  f.hub.Set("main", kShaB);
  REQUIRE(f.Post(Push("refs/heads/main", kShaA, kShaB)).status == 202);
  f.Process();
  CHECK(f.MainCommit() == kShaB);
  CHECK(f.hub.calls() == 4);
}

}  // namespace
}  // namespace provbadge::worker
