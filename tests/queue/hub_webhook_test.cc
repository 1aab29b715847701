// NormalizeHubWebhook: Hugging Face webhook v3 payloads -> ingest actions.
#include "provbadge/queue/hub_webhook.h"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

namespace provbadge::queue {
namespace {

using Json = nlohmann::json;
using Kind = WebhookAction::Kind;

const std::string kShaA = std::string(40, 'a');
const std::string kShaB = std::string(40, 'b');
constexpr int64_t kSeq = 1700000000000;
constexpr std::string_view kAt = "2026-08-30T12:00:00Z";

// A repo.content update as the hub sends it (formats.md §4.1).
Json ContentPayload() {
  return Json::parse(R"({
    "event": {"action": "update", "scope": "repo.content"},
    "repo": {"type": "model", "name": "acme/tiny-llama", "id": "6366c000aa", "private": false,
             "headSha": ")" +
                     kShaA + R"(", "owner": {"id": "61d2"}},
    "updatedRefs": [{"ref": "refs/heads/main", "oldSha": null, "newSha": ")" +
                     kShaA + R"("}],
    "webhook": {"id": "6390e855", "version": 3}
  })");
}

WebhookPlan MustPlan(const Json& payload) {
  Result<WebhookPlan> plan = NormalizeHubWebhook(payload.dump(), kSeq, kAt);
  INFO((plan.ok() ? std::string() : plan.error().message()));
  REQUIRE(plan.ok());
  return std::move(plan).value();
}

std::string MustFail(const std::string& body) {
  Result<WebhookPlan> plan = NormalizeHubWebhook(body, kSeq, kAt);
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.error().code() == ErrorCode::kInvalidInput);
  return plan.error().message();
}

TEST_CASE("webhook: a content update becomes one upload event per updated ref", "[webhook]") {
  Json p = ContentPayload();
  p["updatedRefs"].push_back({{"ref", "refs/pr/3"}, {"oldSha", nullptr}, {"newSha", kShaB}});
  WebhookPlan plan = MustPlan(p);
  REQUIRE(plan.actions.size() == 2);
  const UploadEvent& e = plan.actions[0].event;
  CHECK(plan.actions[0].kind == Kind::kPublish);
  CHECK(e.repo == "acme/tiny-llama");
  CHECK(e.ref == "refs/heads/main");
  CHECK(e.commit == kShaA);
  CHECK(e.seq == kSeq);
  CHECK(e.source == "hf-webhook");
  CHECK(e.received_at == kAt);
  // sha256("6390e855|6366c000aa|refs/heads/main|aaaa...")
  CHECK(e.event_id.size() == 64);
  CHECK(plan.actions[1].event.ref == "refs/pr/3");
  CHECK(plan.actions[1].event.commit == kShaB);
  CHECK(plan.actions[1].event.event_id != e.event_id);
  // The event round-trips through the queue's own parser.
  CHECK(ParseUploadEvent(SerializeUploadEvent(e)).ok());
}

TEST_CASE("webhook: a replayed delivery yields the same event ids", "[webhook]") {
  WebhookPlan first = MustPlan(ContentPayload());
  Result<WebhookPlan> again = NormalizeHubWebhook(ContentPayload().dump(), kSeq + 5000, kAt);
  REQUIRE(again.ok());
  CHECK(first.actions[0].event.event_id == again->actions[0].event.event_id);
  // Another webhook, or another commit, gives another id.
  Json other = ContentPayload();
  other["webhook"]["id"] = "other";
  CHECK(MustPlan(other).actions[0].event.event_id != first.actions[0].event.event_id);
  Json newer = ContentPayload();
  newer["updatedRefs"][0]["newSha"] = kShaB;
  CHECK(MustPlan(newer).actions[0].event.event_id != first.actions[0].event.event_id);
}

TEST_CASE("webhook: a deleted ref clears that ref's badge pointer", "[webhook]") {
  Json p = ContentPayload();
  p["updatedRefs"] =
      Json::array({{{"ref", "refs/heads/dev"}, {"oldSha", kShaA}, {"newSha", nullptr}}});
  WebhookPlan plan = MustPlan(p);
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0].kind == Kind::kDeleteRef);
  CHECK(plan.actions[0].repo == "acme/tiny-llama");
  CHECK(plan.actions[0].ref == "dev");  // the store's key, as the pipeline writes it
}

TEST_CASE("webhook: repo delete purges, move re-keys and re-checks the new name", "[webhook]") {
  Json del = ContentPayload();
  del["event"] = {{"action", "delete"}, {"scope", "repo"}};
  WebhookPlan plan = MustPlan(del);
  REQUIRE(plan.actions.size() == 1);
  CHECK(plan.actions[0].kind == Kind::kPurgeRepo);
  CHECK(plan.actions[0].repo == "acme/tiny-llama");

  Json move = ContentPayload();
  move["event"] = {{"action", "move"}, {"scope", "repo"}};
  move["movedTo"] = {{"name", "acme/renamed"}, {"owner", {{"id", "61d2"}}}};
  plan = MustPlan(move);
  REQUIRE(plan.actions.size() == 2);
  CHECK(plan.actions[0].kind == Kind::kMoveRepo);
  CHECK(plan.actions[0].repo == "acme/tiny-llama");
  CHECK(plan.actions[0].moved_to == "acme/renamed");
  CHECK(plan.actions[1].kind == Kind::kPublish);
  CHECK(plan.actions[1].event.repo == "acme/renamed");
  CHECK(plan.actions[1].event.commit == kShaA);
  CHECK(plan.actions[1].event.ref == "refs/heads/main");

  move["movedTo"]["name"] = "../etc";
  CHECK_THAT(MustFail(move.dump()), Catch::Contains("movedTo.name"));
}

TEST_CASE("webhook: other repo types, scopes and actions need no work", "[webhook]") {
  Json dataset = ContentPayload();
  dataset["repo"]["type"] = "dataset";
  dataset["repo"]["name"] = "not even/a valid/name";  // not ours: not validated
  CHECK(MustPlan(dataset).actions.empty());
  CHECK_FALSE(MustPlan(dataset).ignored.empty());
  for (const char* scope :
       {"discussion", "discussion.comment", "repo.config", "repo.config.dois"}) {
    Json p = ContentPayload();
    p["event"]["scope"] = scope;
    INFO(scope);
    CHECK(MustPlan(p).actions.empty());
  }
  Json create = ContentPayload();
  create["event"] = {{"action", "create"}, {"scope", "repo"}};
  CHECK(MustPlan(create).actions.empty());
  // A narrower content scope counts as repo.content.
  Json narrow = ContentPayload();
  narrow["event"]["scope"] = "repo.content.lfs";
  CHECK(MustPlan(narrow).actions.size() == 1);
  Json no_refs = ContentPayload();
  no_refs.erase("updatedRefs");
  CHECK(MustPlan(no_refs).actions.empty());
}

TEST_CASE("webhook: malformed payloads are refused naming the field", "[webhook]") {
  CHECK_THAT(MustFail("not json"), Catch::Contains("not valid JSON"));
  CHECK_THAT(MustFail("[]"), Catch::Contains("object"));
  CHECK_THAT(MustFail(std::string(2000, '[')), Catch::Contains("nested"));
  CHECK_THAT(MustFail(std::string(kMaxHubWebhookBytes + 1, ' ')), Catch::Contains("larger"));
  CHECK_THAT(MustFail(R"({"a":1,"a":2})"), Catch::Contains("repeated"));

  auto with = [](auto edit) {
    Json p = ContentPayload();
    edit(p);
    return MustFail(p.dump());
  };
  CHECK_THAT(with([](Json& p) { p["webhook"]["version"] = 2; }),
             Catch::Contains("webhook.version"));
  CHECK_THAT(with([](Json& p) { p.erase("webhook"); }), Catch::Contains("webhook"));
  CHECK_THAT(with([](Json& p) { p["webhook"]["id"] = "a|b"; }), Catch::Contains("webhook.id"));
  CHECK_THAT(with([](Json& p) { p["repo"]["id"] = ""; }), Catch::Contains("repo.id"));
  CHECK_THAT(with([](Json& p) { p["repo"]["name"] = "a/b/c"; }), Catch::Contains("repo.name"));
  CHECK_THAT(with([](Json& p) { p["repo"]["name"] = 7; }), Catch::Contains("repo.name"));
  CHECK_THAT(with([](Json& p) { p["updatedRefs"] = "main"; }), Catch::Contains("updatedRefs"));
  CHECK_THAT(with([](Json& p) { p["updatedRefs"][0]["newSha"] = "ABC"; }),
             Catch::Contains("updatedRefs[0].newSha"));
  CHECK_THAT(with([](Json& p) { p["updatedRefs"][0].erase("newSha"); }),
             Catch::Contains("updatedRefs[0].newSha"));
  CHECK_THAT(with([](Json& p) { p["updatedRefs"][0]["ref"] = "refs/../x"; }),
             Catch::Contains("updatedRefs[0]"));
  CHECK_THAT(with([](Json& p) { p["updatedRefs"][0]["ref"] = "a b"; }),
             Catch::Contains("updatedRefs[0]"));
  CHECK_THAT(with([](Json& p) { p["updatedRefs"][0]["ref"] = ""; }),
             Catch::Contains("updatedRefs[0].ref"));
  // A bad ref on a delete is refused too.
  CHECK_THAT(with([](Json& p) {
               p["updatedRefs"][0]["ref"] = "/x";
               p["updatedRefs"][0]["newSha"] = nullptr;
             }),
             Catch::Contains("updatedRefs[0]"));
  CHECK_THAT(with([](Json& p) {
               p["updatedRefs"] = Json::array();
               for (size_t i = 0; i <= kMaxHubWebhookRefs; ++i) {
                 p["updatedRefs"].push_back({{"ref", "r" + std::to_string(i)}, {"newSha", kShaA}});
               }
             }),
             Catch::Contains("more than"));
}

TEST_CASE("webhook: each publish carries its entry's oldSha for the replay guard", "[webhook]") {
  Json p = ContentPayload();
  CHECK(MustPlan(p).actions.at(0).old_commit.empty());  // a created ref: oldSha null
  p["updatedRefs"][0]["oldSha"] = kShaB;
  CHECK(MustPlan(p).actions.at(0).old_commit == kShaB);
  p["updatedRefs"][0]["oldSha"] = "main";
  CHECK_THAT(MustFail(p.dump()), Catch::Contains("updatedRefs[0].oldSha"));
  p["updatedRefs"][0]["oldSha"] = 7;
  CHECK_THAT(MustFail(p.dump()), Catch::Contains("updatedRefs[0].oldSha"));
}

TEST_CASE("webhook: StoreRefName strips refs/heads/ only", "[webhook]") {
  CHECK(StoreRefName("refs/heads/main") == "main");
  CHECK(StoreRefName("main") == "main");
  CHECK(StoreRefName("refs/pr/1") == "refs/pr/1");
  CHECK(StoreRefName("refs/tags/v1") == "refs/tags/v1");
}

}  // namespace
}  // namespace provbadge::queue
