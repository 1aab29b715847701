// VerifyLineage with a LineageCache and Revocations: a parent verified once is reused (counted),
// the revision asked about is never read from the cache, faults are errors (never verdicts and
// never cached), revocation fails descendants; CachedNode JSON round trip and rejection.
#include <catch2/catch.hpp>

#include "lineage_fixture.h"
#include "provbadge/verifier/lineage.h"

namespace provbadge::verifier {
namespace {

using testing::CommitOf;
using testing::HubResolver;
using testing::LineageHub;
using testing::MemoryLineageCache;
using testing::NodeCodes;
using testing::NodeHas;

Result<Report> Walk(LineageHub& hub, const std::string& repo, const std::string& commit,
                    const LineageOptions& options) {
  testing::MemorySource source = hub.Get(repo, commit);
  return VerifyLineage(source, repo, commit, hub.policy, options);
}

TEST_CASE("fifty quantizations of one base verify the base once", "[lineage][cache]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  std::vector<std::string> children;
  for (int i = 0; i < 50; ++i) {
    const std::string repo = "org/q" + std::to_string(i);
    children.push_back(
        hub.AddChild(repo, BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}}));
  }
  HubResolver resolver(hub);
  MemoryLineageCache cache;
  LineageOptions options{&resolver, &cache, nullptr};
  for (int i = 0; i < 50; ++i) {
    Result<Report> r = Walk(hub, "org/q" + std::to_string(i), children[i], options);
    REQUIRE(r.ok());
    INFO(NodeCodes(*r));
    CHECK(r->verdict == Verdict::kVerified);
    REQUIRE(r->nodes.size() == 2);
    CHECK(r->nodes[1].from_cache == (i > 0));
    CHECK(NodeHas(r->nodes[0], "lineage.consumed_file_verified"));
  }
  CHECK(resolver.Opens("org/base", base) == 1);
  CHECK(cache.puts == 51);  // the base once, each child once
  CHECK(cache.entries.count(MemoryLineageCache::Key("org/base", base, hub.policy.digest)) == 1);

  SECTION("without a cache each child re-verifies the base") {
    HubResolver fresh(hub);
    LineageOptions no_cache{&fresh, nullptr, nullptr};
    for (int i = 0; i < 5; ++i)
      REQUIRE(Walk(hub, "org/q" + std::to_string(i), children[i], no_cache).ok());
    CHECK(fresh.Opens("org/base", base) == 5);
  }
}

TEST_CASE("the cache is keyed by policy digest and verifier version", "[lineage][cache]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
  HubResolver resolver(hub);
  MemoryLineageCache cache;
  LineageOptions options{&resolver, &cache, nullptr};
  REQUIRE(Walk(hub, "org/q", q, options).ok());
  REQUIRE(resolver.Opens("org/base", base) == 1);
  SECTION("another policy misses") {
    hub.policy.digest = "sha256:" + std::string(64, 'd');
    REQUIRE(Walk(hub, "org/q", q, options).ok());
    CHECK(resolver.Opens("org/base", base) == 2);
  }
  SECTION("an entry of another verifier version misses") {
    const std::string key = MemoryLineageCache::Key("org/base", base, hub.policy.digest);
    auto entry = CachedNodeFromJson(cache.entries[key]);
    REQUIRE(entry.ok());
    entry->verifier_version = "0.0.0-old";
    cache.entries[key] = CachedNodeToJson(*entry);
    REQUIRE(Walk(hub, "org/q", q, options).ok());
    CHECK(resolver.Opens("org/base", base) == 2);
  }
  SECTION("an unreadable entry or a cache fault is a miss, never a verdict") {
    cache.entries[MemoryLineageCache::Key("org/base", base, hub.policy.digest)] = "{not json";
    Result<Report> r = Walk(hub, "org/q", q, options);
    REQUIRE(r.ok());
    CHECK(r->verdict == Verdict::kVerified);
    cache.get_fault = Unavailable("store down");
    r = Walk(hub, "org/q", q, options);
    REQUIRE(r.ok());
    CHECK(r->verdict == Verdict::kVerified);
    CHECK(resolver.Opens("org/base", base) == 3);
  }
  SECTION("an empty policy digest disables the cache") {
    hub.policy.digest.clear();
    const int puts = cache.puts;
    REQUIRE(Walk(hub, "org/q", q, options).ok());
    CHECK(cache.puts == puts);
    CHECK(resolver.Opens("org/base", base) == 2);
  }
}

TEST_CASE("the revision asked about is never taken from the cache", "[lineage][cache]") {
  LineageHub hub;
  const std::string c = CommitOf("org/plain");
  hub.Add("org/plain", c, {{"model.safetensors", "w"}}, {}, nullptr, nullptr);  // unsigned
  HubResolver resolver(hub);
  MemoryLineageCache cache;
  Result<Report> first = Walk(hub, "org/plain", c, {&resolver, &cache, nullptr});
  REQUIRE(first.ok());
  CHECK(first->verdict == Verdict::kUnverified);
  CHECK(cache.puts == 1);  // written for its verdict
  // A forged "verified" entry for the revision itself is never consulted.
  CachedNode forged;
  forged.node.repo = "org/plain";
  forged.node.commit = c;
  forged.node.relation = "signed";
  forged.node.signer = "acme";
  forged.node.status = Verdict::kVerified;
  forged.verifier_version = first->verifier_version;
  cache.entries[MemoryLineageCache::Key("org/plain", c, hub.policy.digest)] =
      CachedNodeToJson(forged);
  Result<Report> r = Walk(hub, "org/plain", c, {&resolver, &cache, nullptr});
  REQUIRE(r.ok());
  CHECK(r->verdict == Verdict::kUnverified);
  CHECK(cache.gets == 0);
}

TEST_CASE("a cached failed parent still fails its children", "[lineage][cache]") {
  LineageHub hub;
  const std::string base = CommitOf("org/base");
  testing::Files files = {{"model.safetensors", "base"}};
  hub.Add("org/base", base, files, {hub.Step(BuildType::kTrain, files, {})}, &hub.mallory, &hub.ci);
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
  HubResolver resolver(hub);
  MemoryLineageCache cache;
  LineageOptions options{&resolver, &cache, nullptr};
  for (int i = 0; i < 2; ++i) {
    Result<Report> r = Walk(hub, "org/q", q, options);
    REQUIRE(r.ok());
    CHECK(r->verdict == Verdict::kFailed);
    CHECK(r->nodes[1].from_cache == (i == 1));
    CHECK(r->nodes[1].status == Verdict::kFailed);
  }
  CHECK(resolver.Opens("org/base", base) == 1);
}

TEST_CASE("a transient fault in a parent is an error, never a verdict or a cache entry",
          "[lineage][fault]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
  HubResolver resolver(hub);
  MemoryLineageCache cache;
  LineageOptions options{&resolver, &cache, nullptr};
  SECTION("the resolver is unavailable") {
    resolver.faults.emplace("org/base@" + base, Unavailable("hub storage down"));
    Result<Report> r = Walk(hub, "org/q", q, options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnavailable);
  }
  SECTION("the parent's listing is unavailable") {
    hub.revisions.at("org/base@" + base).FailListing(Unavailable("disk gone"));
    Result<Report> r = Walk(hub, "org/q", q, options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnavailable);
  }
  SECTION("the revision itself is unavailable") {
    testing::MemorySource source = hub.Get("org/q", q);
    source.FailListing(Unavailable("disk gone"));
    Result<Report> r = VerifyLineage(source, "org/q", q, hub.policy, options);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnavailable);
    CHECK(cache.puts == 0);
  }
  CHECK(cache.entries.count(MemoryLineageCache::Key("org/base", base, hub.policy.digest)) == 0);
}

TEST_CASE("revoking a parent revision or a signer fails every descendant", "[lineage][revoke]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
  HubResolver resolver(hub);
  MemoryLineageCache cache;
  Revocations revoked;
  LineageOptions options{&resolver, &cache, &revoked};
  REQUIRE(Walk(hub, "org/q", q, options)->verdict == Verdict::kVerified);  // warms the cache
  SECTION("the parent revision") {
    revoked.revisions.insert("org/base@" + base);
    Result<Report> r = Walk(hub, "org/q", q, options);
    REQUIRE(r.ok());
    CHECK(r->verdict == Verdict::kFailed);
    CHECK(r->nodes[1].from_cache);  // revocation applies on top of cached results
    CHECK(NodeHas(r->nodes[1], "lineage.revoked"));
    CHECK(r->nodes[0].status == Verdict::kVerified);
  }
  SECTION("the builder that signed the base's provenance") {
    revoked.signers.insert("ci");
    Result<Report> r = Walk(hub, "org/q", q, options);
    REQUIRE(r.ok());
    CHECK(r->verdict == Verdict::kFailed);
    CHECK(NodeHas(r->nodes[0], "lineage.revoked"));
    const Finding* f = testing::FindCode(*r, "lineage.revoked");
    REQUIRE(f != nullptr);
    CHECK(f->actual == "signer ci revoked");
  }
  SECTION("an unrelated revision changes nothing") {
    revoked.revisions.insert("org/other@" + base);
    CHECK(Walk(hub, "org/q", q, options)->verdict == Verdict::kVerified);
  }
}

TEST_CASE("CachedNode JSON round trip and rejection", "[lineage][cache]") {
  CachedNode n;
  n.node.repo = "org/base";
  n.node.commit = std::string(40, 'a');
  n.node.relation = "train";
  n.node.signer = "acme";
  n.node.builders = {"ci"};
  n.node.status = Verdict::kVerified;
  n.node.checks = {{"oms.signature_verified", Severity::kInfo, "ok", "model.sig", "", ""}};
  n.parents = {{"org/root", std::string(40, 'b'), "finetune", {{"w.bin", std::string(64, 'c')}}}};
  n.signed_files = {{"model.safetensors", std::string(64, 'd')}};
  n.verifier_version = "9.9.9";
  Result<CachedNode> back = CachedNodeFromJson(CachedNodeToJson(n));
  REQUIRE(back.ok());
  CHECK(CachedNodeToJson(*back) == CachedNodeToJson(n));
  CHECK(back->node.builders == std::vector<std::string>{"ci"});
  REQUIRE(back->parents.size() == 1);
  CHECK(back->parents[0].consumed[0].second == std::string(64, 'c'));
  CHECK(back->signed_files[0].first == "model.safetensors");

  CHECK_FALSE(CachedNodeFromJson("").ok());
  CHECK_FALSE(CachedNodeFromJson("[]").ok());
  CHECK_FALSE(CachedNodeFromJson(R"({"format":2,"node":{}})").ok());
  CHECK_FALSE(CachedNodeFromJson(R"({"format":1})").ok());
  CHECK_FALSE(CachedNodeFromJson(R"({"format":1,"node":{"status":"great"}})").ok());
  CHECK_FALSE(CachedNodeFromJson(R"({"format":1,"node":{},"signedFiles":[["a"]]})").ok());
  CHECK_FALSE(CachedNodeFromJson(R"({"format":1,"node":{},"parents":[{"consumed":{}}]})").ok());
  CHECK_FALSE(CachedNodeFromJson(std::string(100, '[') + std::string(100, ']')).ok());
}

TEST_CASE("Report JSON keeps the lineage fields and rejects a malformed tree", "[report]") {
  Report r;
  r.subject = "org/q@" + std::string(40, 'a');
  r.verdict = Verdict::kUnverified;
  r.claims_quantization = true;
  r.claimed_base = "org/base";
  r.fidelity = "unverifiable";
  ReportNode root;
  root.repo = "org/q";
  root.relation = "quantize";
  root.builders = {"ci", "ci2"};
  root.checks = {{"lineage.consumed_none", Severity::kWarning, "none", "hf://x", "a", "b"}};
  ReportNode parent;
  parent.repo = "org/base";
  parent.parent = 0;
  parent.from_cache = true;
  r.nodes = {root, parent};
  Result<Report> back = ReportFromJson(ReportToJson(r));
  REQUIRE(back.ok());
  CHECK(ReportToJson(*back) == ReportToJson(r));
  CHECK(back->claims_quantization);
  CHECK(back->claimed_base == "org/base");
  CHECK(back->fidelity == "unverifiable");
  REQUIRE(back->nodes.size() == 2);
  CHECK(back->nodes[1].from_cache);
  CHECK(back->nodes[1].parent == 0);
  CHECK(back->nodes[0].builders.size() == 2);

  const std::string node0 = R"({"repo":"a/b","parent":-1})";
  CHECK(ReportFromJson(R"({"verdict":"failed","nodes":[)" + node0 + "]}").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"failed","nodes":[{"parent":0}]})").ok());
  CHECK_FALSE(
      ReportFromJson(R"({"verdict":"failed","nodes":[)" + node0 + R"(,{"parent":1}]})").ok());
  CHECK_FALSE(
      ReportFromJson(R"({"verdict":"failed","nodes":[)" + node0 + R"(,{"parent":-1}]})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"failed","nodes":[{"parent":"0"}]})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"failed","nodes":[{"status":"ok"}]})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"failed","nodes":[{"builders":[1]}]})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"failed","nodes":{}})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"failed","claimsQuantization":"yes"})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"failed","fidelity":"close"})").ok());
}

}  // namespace
}  // namespace provbadge::verifier
