// POST /v1/admin/revocations and GET /v1/revocations through HttpApi (admin_api.h): the token,
// strict validation (nothing changes on 401/400/413), the descendant walk (a diamond, a cycle,
// a signer, the bound) and the re-queued events; publish and store failures.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "admin_api.h"
#include "badge_fixtures.h"
#include "in_memory_badge_store.h"
#include "provbadge/queue/sqlite_queue.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/worker/http_api.h"

namespace provbadge::worker {
namespace {

namespace fs = std::filesystem;
using badges::RevisionKey;
using Json = nlohmann::json;

const std::string kToken = "admin-token-0123456789";
const std::string kPolicy = "sha256:00";

std::string Commit(char c) { return std::string(40, c); }

// A queue whose Publish always fails (a broker that is down or does not confirm).
class DownQueue : public queue::EventQueue {
 public:
  Status Publish(std::string_view, std::string_view) override { return Unavailable("down"); }
  Result<std::optional<queue::Delivery>> Receive(std::chrono::milliseconds) override {
    return std::optional<queue::Delivery>();
  }
  Status Complete(const queue::Delivery&, const queue::Outcome&) override { return Status::Ok(); }
  Result<std::vector<queue::DeadLetter>> ListDeadLetters(size_t) override {
    return std::vector<queue::DeadLetter>();
  }
  Result<queue::QueueStats> Stats() override { return queue::QueueStats{}; }
  Status Ping() override { return Status::Ok(); }
};

struct Fixture {
  fs::path dir = fs::temp_directory_path() /
                 ("pb-admin-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::unique_ptr<queue::EventQueue> q;
  testing::InMemoryBadgeStore store;
  Metrics metrics;
  std::unique_ptr<HttpApi> api;

  explicit Fixture(std::string token = kToken, queue::EventQueue* queue = nullptr) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    queue::SqliteQueueOptions o;
    o.path = (dir / "queue.db").string();
    q = std::move(queue::OpenSqliteQueue(o)).value();
    HttpApiOptions options;
    options.queue = queue != nullptr ? queue : q.get();
    options.admin_token = std::move(token);
    options.signer_known = [](std::string_view name) { return name != "nobody"; };
    api = std::make_unique<HttpApi>(store, metrics, nullptr, std::move(options));
  }
  ~Fixture() { fs::remove_all(dir); }

  HttpResponse Revoke(const std::string& body, std::string authorization = "Bearer " + kToken) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/v1/admin/revocations";
    r.body = body;
    r.authorization = std::move(authorization);
    return api->Handle(r);
  }
  HttpResponse Get(const std::string& target, std::string method = "GET") {
    HttpRequest r;
    r.method = std::move(method);
    r.target = target;
    return api->Handle(r);
  }

  // child -> parents, signed by `signers`.
  void Link(const RevisionKey& child, std::vector<RevisionKey> parents,
            std::vector<std::string> signers = {}) {
    REQUIRE(store.RecordLineage(child, parents, signers).ok());
  }
  void Cache(const RevisionKey& key) {
    REQUIRE(store.PutCachedNode(key.repo, key.commit, kPolicy, "{\"node\":1}").ok());
  }
  bool Cached(const RevisionKey& key) {
    auto got = store.GetCachedNode(key.repo, key.commit, kPolicy);
    REQUIRE(got.ok());
    return got->has_value();
  }

  // Every queued event, acked.
  std::vector<queue::UploadEvent> Drain() {
    std::vector<queue::UploadEvent> events;
    for (;;) {
      auto d = q->Receive(std::chrono::milliseconds(50));
      REQUIRE(d.ok());
      if (!d->has_value()) return events;
      auto e = queue::ParseUploadEvent((**d).body);
      REQUIRE(e.ok());
      events.push_back(*e);
      REQUIRE(q->Complete(**d, queue::Outcome::Ack()).ok());
    }
  }
  static std::multiset<std::string> Keys(const std::vector<queue::UploadEvent>& events) {
    std::multiset<std::string> keys;
    for (const auto& e : events) keys.insert(e.repo + "@" + e.commit);
    return keys;
  }
  size_t Revocations() {
    auto all = store.ListRevocations();
    REQUIRE(all.ok());
    return all->size();
  }

  static inline int counter = 0;
};

const RevisionKey kBase{"org/base", Commit('b')};
const RevisionKey kTune1{"org/tune1", Commit('1')};
const RevisionKey kTune2{"org/tune2", Commit('2')};
const RevisionKey kMerge{"org/merge", Commit('3')};
const RevisionKey kQuant{"org/quant", Commit('4')};
const RevisionKey kRoot{"org/root", Commit('0')};
const RevisionKey kOther{"org/other", Commit('5')};

std::string Text(const RevisionKey& k) { return k.repo + "@" + k.commit; }

std::string RevisionBody(const RevisionKey& k, const std::string& reason = "key leaked") {
  return Json{{"repo", k.repo}, {"commit", k.commit}, {"reason", reason}}.dump();
}

// root -> base -> {tune1, tune2} -> merge (a diamond) -> quant; other is unrelated.
void Diamond(Fixture& f) {
  f.Link(kBase, {kRoot});
  f.Link(kTune1, {kBase});
  f.Link(kTune2, {kBase});
  f.Link(kMerge, {kTune1, kTune2});
  f.Link(kQuant, {kMerge});
  f.Link(kOther, {kRoot});
  for (const auto& k : {kRoot, kBase, kTune1, kTune2, kMerge, kQuant, kOther}) f.Cache(k);
}

TEST_CASE("admin: disabled without a token or a queue; other methods 405", "[admin][http_api]") {
  Fixture disabled("");
  CHECK(disabled.Revoke(RevisionBody(kBase), "Bearer ").status == 404);
  HttpApi read_only(disabled.store, disabled.metrics, nullptr);
  HttpRequest r{"POST", "/v1/admin/revocations", ""};
  r.authorization = "Bearer " + kToken;
  CHECK(read_only.Handle(r).status == 404);
  Fixture f;
  HttpResponse get = f.Get("/v1/admin/revocations");
  CHECK(get.status == 405);
  CHECK(f.Revocations() == 0);
}

TEST_CASE("admin: a missing or wrong token is 401 and changes nothing", "[admin][http_api]") {
  Fixture f;
  Diamond(f);
  for (const std::string& auth :
       {std::string(), std::string("Bearer"), std::string("Bearer "), "Bearer " + kToken + "x",
        "Bearer " + kToken.substr(1), "Basic " + kToken, kToken, "Bearer  " + kToken}) {
    INFO(auth);
    HttpResponse r = f.Revoke(RevisionBody(kBase), auth);
    CHECK(r.status == 401);
    bool challenge = false;
    for (const auto& [name, value] : r.headers) challenge |= name == "WWW-Authenticate";
    CHECK(challenge);
  }
  CHECK(f.Revoke(RevisionBody(kBase), "bearer " + kToken).status == 202);  // scheme: any case
  f.Drain();
  Fixture g;
  Diamond(g);
  CHECK(g.Revoke(RevisionBody(kBase), "Bearer wrong").status == 401);
  CHECK(g.Revocations() == 0);
  CHECK(g.Drain().empty());
  CHECK(g.Cached(kBase));
}

TEST_CASE("admin: malformed revocations are 400 naming the field and change nothing",
          "[admin][http_api]") {
  Fixture f;
  Diamond(f);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {R"({"repo":"org/base","commit":")" + kBase.commit + R"(","reason":"a","reason":"b"})",
       "repeated"},
      {R"({"repo":"org/base","commit":")" + kBase.commit + R"(","reason":"x","extra":1})",
       "unknown field"},
      {R"({"repo":"org/base","commit":")" + kBase.commit + R"("})", "reason: required"},
      {R"({"repo":"org/base","commit":")" + kBase.commit + R"(","reason":""})", "reason: required"},
      {R"({"repo":"org/base","commit":")" + kBase.commit + R"(","reason":"a\nb"})",
       "reason: at most"},
      {Json{{"repo", "org/base"}, {"commit", kBase.commit}, {"reason", std::string(1025, 'r')}}
           .dump(),
       "reason: at most"},
      {R"({"reason":"x"})", "give either repo and commit, or signer"},
      {R"({"repo":"org/base","reason":"x"})", "commit: required"},
      {R"({"commit":")" + kBase.commit + R"(","reason":"x"})", "repo: required"},
      {R"({"repo":"org/../x","commit":")" + kBase.commit + R"(","reason":"x"})", "repo: must"},
      {R"({"repo":"org/base","commit":"main","reason":"x"})", "commit: must be 40"},
      {R"({"repo":"org/base","commit":")" + std::string(40, 'B') + R"(","reason":"x"})",
       "commit: must be 40"},
      {R"({"repo":"org/base","commit":7,"reason":"x"})", "commit: must be a string"},
      {R"({"signer":"acme","repo":"org/base","reason":"x"})", "not both"},
      {R"({"signer":"","reason":"x"})", "signer: must be"},
      {R"({"signer":"nobody","reason":"x"})", "not an identity of the trust policy"},
      {R"({"signer":{"a":{"b":1}},"reason":"x"})", "nested too deeply"},
  };
  for (const auto& [body, expected] : cases) {
    INFO(body);
    HttpResponse r = f.Revoke(body);
    CHECK(r.status == 400);
    CHECK_THAT(Json::parse(r.body)["error"].get<std::string>(), Catch::Contains(expected));
  }
  CHECK(f.Revoke(std::string(kMaxAdminBodyBytes + 1, ' ')).status == 413);
  CHECK(f.Revocations() == 0);
  CHECK(f.Drain().empty());
  CHECK(f.Cached(kBase));
}

TEST_CASE("admin: revoking a revision re-queues exactly it and its descendants (a diamond)",
          "[admin][http_api]") {
  Fixture f;
  Diamond(f);
  // A stored verdict with a seq ahead of the clock: the re-decision must still win over it.
  const int64_t future = int64_t{1} << 50;
  REQUIRE(f.store
              .Put(testing::MakeRecord(kTune1.repo, kTune1.commit, badges::BadgeState::kVerified,
                                       future))
              .ok());
  HttpResponse r = f.Revoke(RevisionBody(kBase));
  REQUIRE(r.status == 202);
  Json body = Json::parse(r.body);
  CHECK(body["requeued"] == 5);
  CHECK(body["truncated"] == false);
  CHECK(body["revocation"]["kind"] == "revision");
  CHECK(body["revocation"]["repo"] == kBase.repo);
  CHECK(body["revisions"][0] == Text(kBase));

  std::vector<queue::UploadEvent> events = f.Drain();
  CHECK(Fixture::Keys(events) == std::multiset<std::string>{Text(kBase), Text(kTune1), Text(kTune2),
                                                            Text(kMerge), Text(kQuant)});
  for (const auto& e : events) {
    INFO(e.repo);
    CHECK(e.ref.empty());  // no pointer moves; the revision's record is re-decided
    CHECK(e.source == "admin-revocation");
    if (e.repo == kTune1.repo) CHECK(e.seq > future);
  }
  // Cached nodes of everything re-decided are gone; the ancestor and the unrelated stay.
  for (const auto& k : {kBase, kTune1, kTune2, kMerge, kQuant}) CHECK_FALSE(f.Cached(k));
  CHECK(f.Cached(kRoot));
  CHECK(f.Cached(kOther));

  auto listed = f.store.ListRevocations();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].reason == "key leaked");
  CHECK_FALSE((*listed)[0].created_at.empty());
  HttpResponse list = f.Get("/v1/revocations");
  CHECK(list.status == 200);
  Json revocations = Json::parse(list.body)["revocations"];
  REQUIRE(revocations.size() == 1);
  CHECK(revocations[0]["commit"] == kBase.commit);
  CHECK(revocations[0]["reason"] == "key leaked");

  // Repeating the request (the admin's retry) is harmless: one revocation, re-queued again.
  REQUIRE(f.Revoke(RevisionBody(kBase)).status == 202);
  CHECK(f.Revocations() == 1);
  CHECK(f.Drain().size() == 5);
}

TEST_CASE("admin: a cycle in the lineage index re-queues each revision once", "[admin][http_api]") {
  Fixture f;
  const RevisionKey a{"org/a", Commit('a')}, b{"org/b", Commit('b')}, c{"org/c", Commit('c')};
  f.Link(b, {a});
  f.Link(c, {b});
  f.Link(a, {c});  // a hostile or broken index: a -> b -> c -> a
  f.Link(b, {b});  // and a self-loop
  HttpResponse r = f.Revoke(RevisionBody(b));
  REQUIRE(r.status == 202);
  CHECK(Json::parse(r.body)["requeued"] == 3);
  CHECK(Fixture::Keys(f.Drain()) == std::multiset<std::string>{Text(a), Text(b), Text(c)});
}

TEST_CASE("admin: revoking a signer re-queues what it signed and their descendants",
          "[admin][http_api]") {
  Fixture f;
  Diamond(f);
  f.Link(kTune2, {kBase}, {"rogue-builder"});
  f.Link(kOther, {kRoot}, {"rogue-builder"});
  HttpResponse r = f.Revoke(Json{{"signer", "rogue-builder"}, {"reason", "compromised CI"}}.dump());
  REQUIRE(r.status == 202);
  Json body = Json::parse(r.body);
  CHECK(body["revocation"]["kind"] == "signer");
  CHECK(body["revocation"]["signer"] == "rogue-builder");
  CHECK(Fixture::Keys(f.Drain()) ==
        std::multiset<std::string>{Text(kTune2), Text(kOther), Text(kMerge), Text(kQuant)});
  // A signer that signed nothing yet: recorded, nothing re-queued.
  HttpResponse none = f.Revoke(Json{{"signer", "acme"}, {"reason", "retired"}}.dump());
  REQUIRE(none.status == 202);
  CHECK(Json::parse(none.body)["requeued"] == 0);
  CHECK(f.Revocations() == 2);
}

TEST_CASE("admin: the walk is bounded", "[admin]") {
  Fixture f;
  std::vector<RevisionKey> chain;
  for (char c : std::string("abcdef")) chain.push_back({"org/m" + std::string(1, c), Commit(c)});
  for (size_t i = 1; i < chain.size(); ++i) f.Link(chain[i], {chain[i - 1]});
  AdminOptions options;
  options.token = kToken;
  options.max_requeue = 3;
  AdminApi admin(f.store, *f.q, options);
  HttpRequest r{"POST", "/v1/admin/revocations", ""};
  r.authorization = "Bearer " + kToken;
  r.body = RevisionBody(chain[0]);
  HttpResponse reply = admin.Revoke(r);
  REQUIRE(reply.status == 202);
  CHECK(Json::parse(reply.body)["requeued"] == 3);
  CHECK(Json::parse(reply.body)["truncated"] == true);
  CHECK(f.Drain().size() == 3);
}

TEST_CASE("admin: publish and store failures are 503; a retry completes the revocation",
          "[admin][http_api]") {
  DownQueue down;
  Fixture f(kToken, &down);
  Diamond(f);
  HttpResponse r = f.Revoke(RevisionBody(kBase));
  CHECK(r.status == 503);
  CHECK_THAT(Json::parse(r.body)["error"].get<std::string>(), Catch::Contains("0 of 5"));
  CHECK(f.Revocations() == 1);  // recorded: the retry below is idempotent

  Fixture g;
  Diamond(g);
  g.store.set_unavailable(true);
  CHECK(g.Revoke(RevisionBody(kBase)).status == 503);
  CHECK(g.Get("/v1/revocations").status == 503);
  g.store.set_unavailable(false);
  CHECK(g.Revocations() == 0);
  CHECK(g.Drain().empty());
  REQUIRE(g.Revoke(RevisionBody(kBase)).status == 202);
  CHECK(g.Drain().size() == 5);
}

TEST_CASE("GET badge ?format=vsa returns the stored signed verdict", "[vsa][http_api]") {
  Fixture f;
  const std::string envelope = R"({"payloadType":"application/vnd.in-toto+json","payload":"e30=",)"
                               R"("signatures":[{"keyid":"k","sig":"c2ln"}]})";
  badges::BadgeRecord signed_record =
      testing::MakeRecord("acme/model", testing::kCommitA, badges::BadgeState::kVerified, 1);
  signed_record.vsa_json = envelope;
  signed_record.ref = "main";
  REQUIRE(f.store.Put(signed_record).ok());
  badges::BadgeRecord unsigned_record =
      testing::MakeRecord("acme/model", testing::kCommitB, badges::BadgeState::kFailed, 2);
  unsigned_record.ref = "dev";  // a badge stored without a signed verdict
  REQUIRE(f.store.Put(unsigned_record).ok());

  HttpResponse by_ref = f.Get("/v1/badges/acme/model?format=vsa");
  CHECK(by_ref.status == 200);
  CHECK(by_ref.content_type == "application/json");
  CHECK(by_ref.body == envelope);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&ref=main").body == envelope);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&ref=refs%2Fheads%2Fmain").body == envelope);
  CHECK(f.Get("/v1/badges/acme/model?commit=" + std::string(testing::kCommitA) + "&format=vsa")
            .body == envelope);
  HttpResponse head = f.Get("/v1/badges/acme/model?format=vsa", "HEAD");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.content_length == envelope.size());
  // Without format=vsa the badge JSON is served as before.
  CHECK(f.Get("/v1/badges/acme/model").body != envelope);

  CHECK(f.Get("/v1/badges/acme/model?format=vsa&commit=" + std::string(testing::kCommitB)).status ==
        404);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&ref=dev").status == 404);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&ref=nope").status == 404);
  CHECK(f.Get("/v1/badges/acme/other?format=vsa").status == 404);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&commit=main").status == 400);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&commit=" + std::string(testing::kCommitA) +
              "&ref=main")
            .status == 400);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&ref=main&ref=dev").status == 400);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&ref=a%20b").status == 400);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa&ref=%zz").status == 400);
  f.store.set_unavailable(true);
  CHECK(f.Get("/v1/badges/acme/model?format=vsa").status == 503);
}

}  // namespace
}  // namespace provbadge::worker
