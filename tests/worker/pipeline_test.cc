// The worker pipeline end to end on the example hub: real SQLite queue and store, the real
// verifier, the HTTP API over the stored badges.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "provbadge/badges/sqlite_store.h"
#include "provbadge/config/config.h"
#include "provbadge/queue/sqlite_queue.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/worker/http_api.h"
#include "provbadge/worker/hub_mirror.h"
#include "provbadge/worker/pipeline.h"

namespace fs = std::filesystem;
using namespace provbadge;
using worker::HubMirror;
using worker::Pipeline;

namespace {

struct Fixture {
  fs::path tmp;
  std::unique_ptr<queue::EventQueue> q;
  std::unique_ptr<badges::BadgeStore> store;
  std::unique_ptr<HubMirror> hub;
  verifier::TrustPolicy policy;
  worker::Metrics metrics;
  int64_t next_seq = 1000;

  explicit Fixture(int max_attempts = 5) {
    tmp = fs::temp_directory_path() /
          ("pb-pipeline-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    fs::copy(testing::SourceDir() + "/examples/hub", tmp / "hub", fs::copy_options::recursive);
    queue::SqliteQueueOptions qo;
    qo.path = (tmp / "queue.db").string();
    qo.max_attempts = max_attempts;
    q = std::move(queue::OpenSqliteQueue(qo)).value();
    store = std::move(badges::OpenSqliteBadgeStore((tmp / "badges.db").string())).value();
    hub = std::make_unique<HubMirror>((tmp / "hub").string());
    auto p = config::LoadPolicy(testing::SourceDir() + "/examples/policy.json");
    REQUIRE(p.ok());
    policy = std::move(p).value();
  }
  ~Fixture() { fs::remove_all(tmp); }

  std::string Main(const std::string& repo) { return hub->ResolveRef(repo, "main").value(); }

  void Enqueue(const std::string& repo, std::string commit = "", std::string ref = "main") {
    queue::UploadEvent e;
    e.repo = repo;
    e.commit = commit.empty() ? Main(repo) : commit;
    e.ref = ref;
    e.seq = ++next_seq;
    e.event_id = "ev-" + std::to_string(e.seq);
    e.source = "test";
    e.received_at = "2026-11-23T00:00:00Z";
    REQUIRE(q->Publish(e.event_id, queue::SerializeUploadEvent(e)).ok());
  }

  Pipeline MakePipeline(badges::BadgeStore* s = nullptr) {
    worker::PipelineOptions o;
    o.retry_base = std::chrono::milliseconds(1);
    o.poll = std::chrono::milliseconds(20);
    return Pipeline(*q, s ? *s : *store, *hub, policy, metrics, o);
  }

  size_t Drain(Pipeline& p) {
    std::atomic<bool> stop{false};
    return p.Run(stop, /*until_idle=*/true);
  }

  badges::Badge BadgeOf(const std::string& repo) {
    auto r = store->GetRef(repo, "main");
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    return (**r).badge;
  }

  static inline int counter = 0;
};

// A store whose writes always fail with a transient fault.
class BrokenStore : public badges::BadgeStore {
 public:
  Result<badges::PutResult> Put(const badges::BadgeRecord&) override {
    return Unavailable("disk on fire");
  }
  Result<std::optional<badges::BadgeRecord>> GetRevision(std::string_view,
                                                         std::string_view) override {
    return Unavailable("disk on fire");
  }
  Result<std::optional<badges::BadgeRecord>> GetRef(std::string_view, std::string_view) override {
    return Unavailable("disk on fire");
  }
  Status DeleteRef(std::string_view, std::string_view) override {
    return Unavailable("disk on fire");
  }
  Status PurgeRepo(std::string_view) override { return Unavailable("disk on fire"); }
  Status MoveRepo(std::string_view, std::string_view) override {
    return Unavailable("disk on fire");
  }
  Status Ping() override { return Unavailable("disk on fire"); }
  Result<std::optional<std::string>> GetBadgeJson(std::string_view, std::string_view,
                                                  bool) override {
    return Unavailable("disk on fire");
  }
  Result<std::optional<std::string>> GetCachedNode(std::string_view, std::string_view,
                                                   std::string_view) override {
    return Unavailable("disk on fire");
  }
  Status PutCachedNode(std::string_view, std::string_view, std::string_view,
                       std::string_view) override {
    return Unavailable("disk on fire");
  }
  Status DropCachedNodes(std::string_view, std::string_view) override {
    return Unavailable("disk on fire");
  }
  Status RecordLineage(const badges::RevisionKey&, const std::vector<badges::RevisionKey>&,
                       const std::vector<std::string>&) override {
    return Unavailable("disk on fire");
  }
  Result<std::vector<badges::RevisionKey>> Children(const badges::RevisionKey&) override {
    return Unavailable("disk on fire");
  }
  Result<std::vector<badges::RevisionKey>> SignedBy(std::string_view) override {
    return Unavailable("disk on fire");
  }
  Status AddRevocation(const badges::Revocation&) override { return Unavailable("disk on fire"); }
  Result<std::vector<badges::Revocation>> ListRevocations() override {
    return Unavailable("disk on fire");
  }
};

// A hub whose revisions fail to open one file with a transient fault.
class FlakyHub : public worker::HubSource {
 public:
  FlakyHub(HubMirror& inner, std::string bad) : inner_(inner), bad_(std::move(bad)) {}
  Result<std::string> ResolveRef(std::string_view repo, std::string_view ref) const override {
    return inner_.ResolveRef(repo, ref);
  }
  Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(std::string_view repo,
                                                                 std::string_view commit) override {
    auto src = inner_.OpenRevision(repo, commit);
    if (!src.ok()) return src.error();
    return std::unique_ptr<verifier::RevisionSource>(
        std::make_unique<Flaky>(std::move(src).value(), bad_));
  }

 private:
  class Flaky : public verifier::RevisionSource {
   public:
    Flaky(std::unique_ptr<verifier::RevisionSource> in, std::string bad)
        : in_(std::move(in)), bad_(std::move(bad)) {}
    Result<std::vector<verifier::FileInfo>> ListFiles() override {
      auto files = in_->ListFiles();
      if (!files.ok()) return files;
      for (auto& fi : *files) {
        if (fi.path == bad_) fi.sha256.reset();  // force a read of the bad file
      }
      return files;
    }
    Result<std::unique_ptr<verifier::FileReader>> Open(std::string_view path) override {
      if (path == bad_) return Unavailable("EIO reading " + bad_);
      return in_->Open(path);
    }

   private:
    std::unique_ptr<verifier::RevisionSource> in_;
    std::string bad_;
  };
  HubMirror& inner_;
  std::string bad_;
};

}  // namespace

TEST_CASE("every example revision gets the badge its files deserve", "[pipeline]") {
  Fixture f;
  for (const char* repo :
       {"acme/tiny-llama", "acme/tiny-llama-tampered", "acme/tiny-llama-unsigned",
        "acme/tiny-llama-impostor", "mallory/tiny-llama-copy"}) {
    f.Enqueue(repo);
  }
  Pipeline p = f.MakePipeline();
  CHECK(f.Drain(p) == 5);

  CHECK(f.BadgeOf("acme/tiny-llama").state == badges::BadgeState::kVerified);
  CHECK(f.BadgeOf("acme/tiny-llama").chain.at(0).signer == "acme");
  const badges::Badge tampered = f.BadgeOf("acme/tiny-llama-tampered");
  CHECK(tampered.state == badges::BadgeState::kFailed);
  CHECK_THAT(tampered.label, Catch::Contains("model.safetensors"));
  CHECK(f.BadgeOf("acme/tiny-llama-unsigned").state == badges::BadgeState::kUnverified);
  CHECK(f.BadgeOf("acme/tiny-llama-impostor").state == badges::BadgeState::kFailed);
  CHECK(f.BadgeOf("mallory/tiny-llama-copy").state == badges::BadgeState::kUnverified);
  CHECK(f.metrics.EventCount("verified") == 1);
  CHECK(f.metrics.EventCount("failed") == 2);
  CHECK(f.metrics.EventCount("unverified") == 2);
  auto stats = f.q->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->ready == 0);
  CHECK(stats->in_flight == 0);
  CHECK(stats->dead == 0);
}

TEST_CASE("an invalid event is dead-lettered and the next event still gets its badge",
          "[pipeline]") {
  Fixture f;
  REQUIRE(f.q->Publish("garbage", "{not json").ok());
  REQUIRE(f.q->Publish("traversal", R"({"schema":"urn:provbadge:upload-event:v1",
      "event_id":"x","repo":"../etc","commit":"0000000000000000000000000000000000000000",
      "seq":5})")
              .ok());
  f.Enqueue("acme/tiny-llama");
  Pipeline p = f.MakePipeline();
  f.Drain(p);
  CHECK(f.BadgeOf("acme/tiny-llama").state == badges::BadgeState::kVerified);
  auto dead = f.q->ListDeadLetters(10);
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 2);
  for (const auto& d : *dead) CHECK_THAT(d.reason, Catch::Contains("invalid upload event"));
  CHECK(f.metrics.EventCount("dead_lettered") == 2);
}

TEST_CASE("a revision missing from the hub is retried, then dead-lettered", "[pipeline]") {
  Fixture f(/*max_attempts=*/3);
  f.Enqueue("acme/tiny-llama", std::string(40, 'a'));
  Pipeline p = f.MakePipeline();
  f.Drain(p);
  auto dead = f.q->ListDeadLetters(10);
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 1);
  CHECK(dead->at(0).attempts == 3);
  CHECK(f.metrics.EventCount("retried") == 3);
  auto badge = f.store->GetRevision("acme/tiny-llama", std::string(40, 'a'));
  REQUIRE(badge.ok());
  CHECK_FALSE(badge->has_value());
}

TEST_CASE("a store fault is never acked: the event stays queued", "[pipeline]") {
  Fixture f;
  f.Enqueue("acme/tiny-llama");
  BrokenStore broken;
  Pipeline p = f.MakePipeline(&broken);
  auto d = f.q->Receive(std::chrono::milliseconds(100));
  REQUIRE(d.ok());
  REQUIRE(d->has_value());
  worker::ProcessResult r = p.Process(**d);
  CHECK(r.outcome.kind == queue::Outcome::Kind::kRetry);
  CHECK_THAT(r.outcome.reason, Catch::Contains("disk on fire"));
  auto stats = f.q->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->ready == 1);
  // Once the store works again the same event produces the badge.
  Pipeline good = f.MakePipeline();
  f.Drain(good);
  CHECK(f.BadgeOf("acme/tiny-llama").state == badges::BadgeState::kVerified);
}

TEST_CASE("a hub storage fault during verification is retried, not a verdict", "[pipeline]") {
  Fixture f;
  f.Enqueue("acme/tiny-llama");
  FlakyHub flaky(*f.hub, "model.safetensors");
  worker::PipelineOptions o;
  o.retry_base = std::chrono::milliseconds(1);
  Pipeline p(*f.q, *f.store, flaky, f.policy, f.metrics, o);
  auto d = f.q->Receive(std::chrono::milliseconds(100));
  REQUIRE(d.ok());
  REQUIRE(d->has_value());
  worker::ProcessResult r = p.Process(**d);
  CHECK(r.outcome.kind == queue::Outcome::Kind::kRetry);
  CHECK_THAT(r.outcome.reason, Catch::Contains("hub storage"));
  auto none = f.store->GetRef("acme/tiny-llama", "main");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());  // no verdict was stored
}

TEST_CASE("an older event never overwrites the newer main badge", "[pipeline]") {
  Fixture f;
  const std::string repo = "acme/tiny-llama";
  const std::string good = f.Main(repo);
  // A second revision of the same repo: the tampered model's files under a new commit.
  const std::string bad(40, 'b');
  fs::copy(f.tmp / "hub/acme/tiny-llama-tampered" / f.Main("acme/tiny-llama-tampered"),
           f.tmp / "hub" / repo / bad, fs::copy_options::recursive);
  f.next_seq = 100;
  f.Enqueue(repo, bad);  // seq 101: the older event
  f.next_seq = 200;
  f.Enqueue(repo, good);  // seq 201: the newer event
  // Process the newer one first by receiving both and completing in reverse order.
  Pipeline p = f.MakePipeline();
  auto first = f.q->Receive(std::chrono::milliseconds(100));
  auto second = f.q->Receive(std::chrono::milliseconds(100));
  REQUIRE(first->has_value());
  REQUIRE(second->has_value());
  p.Process(**second);
  p.Process(**first);
  CHECK(f.BadgeOf(repo).commit == good);
  CHECK(f.BadgeOf(repo).state == badges::BadgeState::kVerified);
  auto older = f.store->GetRevision(repo, bad);
  REQUIRE(older.ok());
  REQUIRE(older->has_value());
  CHECK((**older).badge.state == badges::BadgeState::kFailed);
}

TEST_CASE("an empty policy never yields verified", "[pipeline]") {
  Fixture f;
  f.policy = verifier::TrustPolicy{};
  f.Enqueue("acme/tiny-llama");
  Pipeline p = f.MakePipeline();
  f.Drain(p);
  CHECK(f.BadgeOf("acme/tiny-llama").state == badges::BadgeState::kUnverified);
}

TEST_CASE("the HTTP API serves what the pipeline stored", "[pipeline][http]") {
  Fixture f;
  f.Enqueue("acme/tiny-llama");
  f.Enqueue("acme/tiny-llama-tampered");
  Pipeline p = f.MakePipeline();
  f.Drain(p);
  worker::HttpApi api(*f.store, f.metrics, [] { return true; });
  auto get = [&api](const std::string& target) {
    worker::HttpRequest req;
    req.method = "GET";
    req.target = target;
    return api.Handle(req);
  };

  auto json = get("/v1/badges/acme/tiny-llama");
  CHECK(json.status == 200);
  CHECK_THAT(json.content_type, Catch::StartsWith("application/json"));
  auto body = nlohmann::json::parse(json.body);
  CHECK(body["state"] == "verified");
  CHECK(body["schemaVersion"] == 1);
  CHECK(body["commit"] == f.Main("acme/tiny-llama"));

  auto by_rev = get("/v1/badges/acme/tiny-llama?revision=" + f.Main("acme/tiny-llama"));
  CHECK(by_rev.status == 200);

  auto svg = get("/v1/badges/acme/tiny-llama-tampered.svg");
  CHECK(svg.status == 200);
  CHECK_THAT(svg.content_type, Catch::StartsWith("image/svg+xml"));
  CHECK_THAT(svg.body, Catch::Contains("<svg"));

  auto report = get("/v1/reports/acme/tiny-llama-tampered");
  CHECK(report.status == 200);
  auto rj = nlohmann::json::parse(report.body);
  CHECK(rj["verdict"] == "failed");
  CHECK_THAT(report.body, Catch::Contains("oms.file_changed"));
  CHECK_THAT(report.body, Catch::Contains("model.safetensors"));

  CHECK(get("/v1/badges/acme/never-uploaded").status == 404);
  CHECK(get("/healthz").status == 200);
  auto metrics = get("/metrics");
  CHECK_THAT(metrics.body, Catch::Contains("provbadge_events_total{outcome=\"verified\"} 1"));
}
