// The pipeline over the example chain (acme/tiny-llama-base -> acme/tiny-llama-chat ->
// quantlab/tiny-llama-chat-GGUF): parents cached in the store, the lineage index written,
// verdicts signed, and a revocation making a verified descendant failed when it is decided again.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/test_paths.h"
#include "provbadge/badges/sqlite_store.h"
#include "provbadge/badges/verdict.h"
#include "provbadge/config/config.h"
#include "provbadge/queue/sqlite_queue.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/verifier/public_key.h"
#include "provbadge/worker/hub_mirror.h"
#include "provbadge/worker/pipeline.h"

namespace fs = std::filesystem;
using namespace provbadge;

namespace {

constexpr const char* kBase = "acme/tiny-llama-base";
constexpr const char* kChat = "acme/tiny-llama-chat";
constexpr const char* kGguf = "quantlab/tiny-llama-chat-GGUF";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Counts the revisions the hub opens, by repo.
class CountingHub : public worker::HubSource {
 public:
  explicit CountingHub(worker::HubSource& inner) : inner_(inner) {}
  Result<std::string> ResolveRef(std::string_view repo, std::string_view ref) const override {
    return inner_.ResolveRef(repo, ref);
  }
  Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(std::string_view repo,
                                                                 std::string_view commit) override {
    ++opened[std::string(repo)];
    return inner_.OpenRevision(repo, commit);
  }
  std::map<std::string, int> opened;

 private:
  worker::HubSource& inner_;
};

struct Fixture {
  fs::path tmp;
  std::unique_ptr<queue::EventQueue> q;
  std::unique_ptr<badges::BadgeStore> store;
  std::unique_ptr<worker::HubMirror> mirror;
  std::unique_ptr<CountingHub> hub;
  verifier::TrustPolicy policy;
  worker::Metrics metrics;
  std::shared_ptr<const badges::VerdictKey> verdict_key;
  int64_t next_seq = 1000;

  Fixture() {
    tmp = fs::temp_directory_path() / ("pb-pipeline-lineage-" + std::to_string(::getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    queue::SqliteQueueOptions qo;
    qo.path = (tmp / "queue.db").string();
    q = std::move(queue::OpenSqliteQueue(qo)).value();
    store = std::move(badges::OpenSqliteBadgeStore((tmp / "badges.db").string())).value();
    mirror = std::make_unique<worker::HubMirror>(testing::SourceDir() + "/examples/hub");
    hub = std::make_unique<CountingHub>(*mirror);
    auto p = config::LoadPolicy(testing::SourceDir() + "/examples/policy.json");
    REQUIRE(p.ok());
    policy = std::move(p).value();
    auto key = badges::LoadVerdictKey(ReadFile(testing::SourceDir() + "/examples/keys/verdict.pem"),
                                      "verdict-test");
    REQUIRE(key.ok());
    verdict_key = std::move(key).value();
  }
  ~Fixture() { fs::remove_all(tmp); }

  std::string Main(const std::string& repo) { return mirror->ResolveRef(repo, "main").value(); }

  void Enqueue(const std::string& repo) {
    queue::UploadEvent e;
    e.repo = repo;
    e.commit = Main(repo);
    e.ref = "main";
    e.seq = ++next_seq;
    e.event_id = "ev-" + std::to_string(e.seq);
    e.source = "test";
    e.received_at = "2026-11-23T00:00:00Z";
    REQUIRE(q->Publish(e.event_id, queue::SerializeUploadEvent(e)).ok());
  }

  size_t Drain() {
    worker::PipelineOptions o;
    o.retry_base = std::chrono::milliseconds(1);
    o.poll = std::chrono::milliseconds(20);
    o.verdict_key = verdict_key.get();
    worker::Pipeline p(*q, *store, *hub, policy, metrics, o);
    std::atomic<bool> stop{false};
    return p.Run(stop, /*until_idle=*/true);
  }

  badges::BadgeRecord RecordOf(const std::string& repo) {
    auto r = store->GetRef(repo, "main");
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    return **r;
  }
};

TEST_CASE(
    "pipeline: a quantization of a fine-tune of a trained base is verified, signed and "
    "indexed; the base is verified once",
    "[pipeline][lineage]") {
  Fixture f;
  f.Enqueue(kGguf);
  REQUIRE(f.Drain() == 1);
  const badges::BadgeRecord gguf = f.RecordOf(kGguf);
  CHECK(gguf.badge.state == badges::BadgeState::kVerified);
  CHECK(gguf.badge.label ==
        "Quantized from acme/tiny-llama-chat@" + f.Main(kChat).substr(0, 7) + ", verified");
  // Both ancestors were opened once and are now cached in the store.
  CHECK(f.hub->opened[kChat] == 1);
  CHECK(f.hub->opened[kBase] == 1);
  CHECK(f.store->GetCachedNode(kBase, f.Main(kBase), f.policy.digest)->has_value());
  CHECK(f.store->GetCachedNode(kChat, f.Main(kChat), f.policy.digest)->has_value());

  // The lineage index names each child of each parent.
  auto chat_children = f.store->Children({kChat, f.Main(kChat)});
  REQUIRE(chat_children.ok());
  CHECK(*chat_children == std::vector<badges::RevisionKey>{{kGguf, f.Main(kGguf)}});
  auto base_children = f.store->Children({kBase, f.Main(kBase)});
  REQUIRE(base_children.ok());
  CHECK(*base_children == std::vector<badges::RevisionKey>{{kChat, f.Main(kChat)}});

  // The stored verdict verifies with the verdict public key and names the revision.
  auto pub = verifier::PublicKey::FromPem(
      ReadFile(testing::SourceDir() + "/examples/keys/verdict.pub.pem"));
  REQUIRE(pub.ok());
  REQUIRE_FALSE(gguf.vsa_json.empty());
  auto verdict = badges::VerifyVerdict(gguf.vsa_json, **pub);
  REQUIRE(verdict.ok());
  CHECK(verdict->repo == kGguf);
  CHECK(verdict->commit == f.Main(kGguf));
  CHECK(verdict->state == "verified");
  CHECK(verdict->result == "PASSED");

  // A second quantization event of the same revision reuses both cached parents.
  f.Enqueue(kGguf);
  REQUIRE(f.Drain() == 1);
  CHECK(f.hub->opened[kChat] == 1);
  CHECK(f.hub->opened[kBase] == 1);
}

TEST_CASE("pipeline: revoking the base makes a verified descendant failed when re-decided",
          "[pipeline][lineage]") {
  Fixture f;
  f.Enqueue(kGguf);
  REQUIRE(f.Drain() == 1);
  REQUIRE(f.RecordOf(kGguf).badge.state == badges::BadgeState::kVerified);

  badges::Revocation r;
  r.kind = "revision";
  r.repo = kBase;
  r.commit = f.Main(kBase);
  r.reason = "training data withdrawn";
  r.created_at = "2026-11-23T00:00:00Z";
  REQUIRE(f.store->AddRevocation(r).ok());
  // The admin API re-queues descendants; here the event is re-queued by hand.
  f.Enqueue(kGguf);
  REQUIRE(f.Drain() == 1);
  const badges::BadgeRecord after = f.RecordOf(kGguf);
  CHECK(after.badge.state == badges::BadgeState::kFailed);
  CHECK_THAT(after.report_json, Catch::Contains("lineage.revoked"));
  // The signed verdict follows the badge.
  auto pub = verifier::PublicKey::FromPem(
      ReadFile(testing::SourceDir() + "/examples/keys/verdict.pub.pem"));
  REQUIRE(pub.ok());
  auto verdict = badges::VerifyVerdict(after.vsa_json, **pub);
  REQUIRE(verdict.ok());
  CHECK(verdict->state == "failed");
  CHECK(verdict->result == "FAILED");
}

TEST_CASE("pipeline: a signer revocation fails what that signer published", "[pipeline][lineage]") {
  Fixture f;
  f.Enqueue(kGguf);
  REQUIRE(f.Drain() == 1);
  auto signed_by = f.store->SignedBy("quantlab");
  REQUIRE(signed_by.ok());
  CHECK(std::find(signed_by->begin(), signed_by->end(),
                  badges::RevisionKey{kGguf, f.Main(kGguf)}) != signed_by->end());

  badges::Revocation r;
  r.kind = "signer";
  r.signer = "quantlab";
  r.reason = "key leaked";
  r.created_at = "2026-11-23T00:00:00Z";
  REQUIRE(f.store->AddRevocation(r).ok());
  f.Enqueue(kGguf);
  REQUIRE(f.Drain() == 1);
  CHECK(f.RecordOf(kGguf).badge.state == badges::BadgeState::kFailed);
}

}  // namespace
