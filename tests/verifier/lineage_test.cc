// VerifyLineage: the recursive walk over verified provenance — verdicts, every lineage finding,
// cycles, the depth bound, unpinned parents and consumed-file checks.
#include <catch2/catch.hpp>

#include "lineage_fixture.h"
#include "provbadge/verifier/lineage.h"

namespace provbadge::verifier {
namespace {

using testing::CommitOf;
using testing::Files;
using testing::HubResolver;
using testing::LineageHub;
using testing::NodeCodes;
using testing::NodeHas;
using testing::ParentRef;

Report Walk(LineageHub& hub, HubResolver& resolver, const std::string& repo,
            const std::string& commit, LineageOptions options = {}) {
  options.resolver = &resolver;
  testing::MemorySource source = hub.Get(repo, commit);
  Result<Report> report = VerifyLineage(source, repo, commit, hub.policy, options);
  REQUIRE(report.ok());
  INFO(NodeCodes(*report));
  return std::move(*report);
}

TEST_CASE("a signed-only revision is a verified root", "[lineage]") {
  LineageHub hub;
  const std::string c = CommitOf("org/plain");
  hub.Add("org/plain", c, {{"model.safetensors", "w"}}, {}, &hub.acme, nullptr);
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/plain", c);
  INFO(NodeCodes(r));
  CHECK(r.verdict == Verdict::kVerified);
  REQUIRE(r.nodes.size() == 1);
  CHECK(r.nodes[0].relation == "signed");
  CHECK(r.nodes[0].signer == "acme");
  CHECK(r.nodes[0].parent == -1);
  REQUIRE(r.chain.size() == 1);
  CHECK(r.chain[0].relation == "signed");
  CHECK(r.subject == "org/plain@" + c);
  CHECK(r.policy_digest == hub.policy.digest);
  CHECK(r.findings.empty());
}

TEST_CASE("base -> fine-tune -> quantization verifies back to the trained root", "[lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string ft =
      hub.AddChild("org/ft", BuildType::kFinetune, {{"org/base", base, {"model.safetensors"}}},
                   "model.safetensors");
  const std::string q =
      hub.AddChild("org/ft-gguf", BuildType::kQuantize, {{"org/ft", ft, {"model.safetensors"}}});
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/ft-gguf", q);
  INFO(NodeCodes(r));
  CHECK(r.verdict == Verdict::kVerified);
  REQUIRE(r.nodes.size() == 3);
  CHECK(r.nodes[0].relation == "quantize");
  CHECK(r.nodes[1].repo == "org/ft");
  CHECK(r.nodes[1].relation == "finetune");
  CHECK(r.nodes[1].parent == 0);
  CHECK(r.nodes[2].repo == "org/base");
  CHECK(r.nodes[2].relation == "train");
  CHECK(r.nodes[2].parent == 1);
  for (const ReportNode& n : r.nodes) CHECK(n.status == Verdict::kVerified);
  CHECK(NodeHas(r.nodes[0], "lineage.consumed_file_verified"));
  CHECK(NodeHas(r.nodes[1], "lineage.consumed_file_verified"));
  REQUIRE(r.chain.size() == 3);
  CHECK(r.chain[1].repo == "org/ft");
  CHECK(r.chain[2].commit == base);
  CHECK(r.findings.empty());
  CHECK(resolver.Opens("org/base", base) == 1);
  CHECK(resolver.Opens("org/ft", ft) == 1);
}

TEST_CASE("a consumed parent file whose digest differs fails the child", "[lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  ParentRef parent("org/base", base, {"model.safetensors"});
  parent.digest_override["model.safetensors"] = std::string(64, 'a');
  const std::string q = hub.AddChild("org/q", BuildType::kQuantize, {parent});
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/q", q);
  CHECK(r.verdict == Verdict::kFailed);
  CHECK(r.nodes[0].status == Verdict::kFailed);
  CHECK(r.nodes[1].status == Verdict::kVerified);  // the parent itself is fine
  const Finding* f = testing::FindCode(r, "lineage.consumed_digest_mismatch");
  REQUIRE(f != nullptr);
  CHECK(f->path == "hf://org/base@" + base + "/model.safetensors");
  CHECK(f->expected == std::string(64, 'a'));
  CHECK(f->actual == hub.Sha("org/base", base, "model.safetensors"));
}

TEST_CASE("a consumed file the parent does not have fails the child", "[lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  ParentRef parent("org/base", base, {"model.safetensors"});
  parent.consumed.push_back("tokenizer.json");
  parent.digest_override["tokenizer.json"] = std::string(64, 'b');
  const std::string q = hub.AddChild("org/q", BuildType::kQuantize, {parent});
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/q", q);
  CHECK(r.verdict == Verdict::kFailed);
  const Finding* f = testing::FindCode(r, "lineage.consumed_file_missing");
  REQUIRE(f != nullptr);
  CHECK(f->path == "hf://org/base@" + base + "/tokenizer.json");
  CHECK(f->actual == "absent");
}

TEST_CASE("a consumed file not covered by the parent's signature fails the child", "[lineage]") {
  LineageHub hub;
  const std::string base = CommitOf("org/base");
  Files files = {{"model.safetensors", "base weights"}, {"notes.txt", "unsigned bytes"}};
  // notes.txt is present but left out of model.sig (an ignore path), so the parent verifies.
  hub.Add("org/base", base, files, {hub.Step(BuildType::kTrain, files, {})}, &hub.acme, &hub.ci,
          {"notes.txt"});
  const std::string q = hub.AddChild("org/q", BuildType::kQuantize,
                                     {{"org/base", base, {"model.safetensors", "notes.txt"}}});
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/q", q);
  INFO(NodeCodes(r));
  CHECK(r.verdict == Verdict::kFailed);
  const Finding* f = testing::FindCode(r, "lineage.consumed_file_unsigned");
  REQUIRE(f != nullptr);
  CHECK(f->path == "hf://org/base@" + base + "/notes.txt");
  CHECK(f->actual == "not among the parent's signed files");
}

TEST_CASE("a parent named by a branch is not followed and fails the child", "[lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  ParentRef parent("org/base", base, {"model.safetensors"}, "main");
  const std::string q = hub.AddChild("org/q", BuildType::kQuantize, {parent});
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/q", q);
  INFO(NodeCodes(r));
  CHECK(r.verdict == Verdict::kFailed);
  CHECK(testing::HasCode(r, "provenance.parent_not_pinned"));
  CHECK(resolver.opens.empty());  // never resolved at a moving ref
}

TEST_CASE("a cycle A -> B -> A is a finding, not a loop", "[lineage]") {
  LineageHub hub;
  const std::string a = CommitOf("org/a"), b = CommitOf("org/b");
  // Both revisions exist with their weights before either names the other.
  Files fa = {{"a.gguf", "A"}}, fb = {{"b.safetensors", "B"}};
  hub.Add("org/a", a, fa, {}, nullptr, nullptr);
  hub.Add("org/b", b, fb, {}, nullptr, nullptr);
  hub.Add("org/b", b, fb, {hub.Step(BuildType::kFinetune, fb, {{"org/a", a, {"a.gguf"}}})},
          &hub.acme, &hub.ci);
  hub.Add("org/a", a, fa, {hub.Step(BuildType::kQuantize, fa, {{"org/b", b, {}}})}, &hub.acme,
          &hub.ci);
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/a", a);
  INFO(NodeCodes(r));
  CHECK(r.verdict == Verdict::kFailed);
  REQUIRE(r.nodes.size() == 2);
  CHECK(NodeHas(r.nodes[1], "lineage.cycle"));
  const Finding* f = testing::FindCode(r, "lineage.cycle");
  REQUIRE(f != nullptr);
  CHECK(f->actual == "org/a@" + a);
  CHECK(resolver.Opens("org/a", a) == 0);  // the root is never re-opened
}

TEST_CASE("the walk stops at policy.max_depth", "[lineage]") {
  LineageHub hub;
  std::string parent_repo = "org/l0";
  std::string parent = hub.AddBase(parent_repo);
  for (int i = 1; i <= 3; ++i) {
    const std::string repo = "org/l" + std::to_string(i);
    parent = hub.AddChild(repo, BuildType::kFinetune,
                          {{parent_repo, parent, {"model.safetensors"}}}, "model.safetensors");
    parent_repo = repo;
  }
  HubResolver resolver(hub);
  SECTION("three ancestor levels fit in maxDepth 3") {
    hub.policy.max_depth = 3;
    Report r = Walk(hub, resolver, "org/l3", parent);
    CHECK(r.verdict == Verdict::kVerified);
    CHECK(r.nodes.size() == 4);
  }
  SECTION("maxDepth 2 stops before the root") {
    hub.policy.max_depth = 2;
    Report r = Walk(hub, resolver, "org/l3", parent);
    CHECK(r.verdict == Verdict::kFailed);
    REQUIRE(r.nodes.size() == 3);
    CHECK(NodeHas(r.nodes[2], "lineage.too_deep"));
    CHECK(resolver.Opens("org/l0", CommitOf("org/l0")) == 0);
    const Finding* f = testing::FindCode(r, "lineage.too_deep");
    REQUIRE(f != nullptr);
    CHECK(f->expected == "at most 2 ancestor levels");
  }
}

TEST_CASE("a parent missing from the hub leaves the chain unverified", "[lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
  hub.revisions.erase("org/base@" + base);
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/q", q);
  CHECK(r.verdict == Verdict::kUnverified);
  REQUIRE(r.nodes.size() == 2);
  CHECK(NodeHas(r.nodes[1], "lineage.parent_not_found"));
  CHECK(r.nodes[1].status == Verdict::kUnverified);
  CHECK(r.nodes[0].status == Verdict::kVerified);
}

TEST_CASE("an unreadable parent fails; no resolver leaves it unchecked", "[lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
  SECTION("unreadable") {
    HubResolver resolver(hub);
    resolver.faults.emplace("org/base@" + base, InvalidInput("bad revision folder"));
    Report r = Walk(hub, resolver, "org/q", q);
    CHECK(r.verdict == Verdict::kFailed);
    CHECK(testing::HasCode(r, "lineage.parent_unreadable"));
  }
  SECTION("no resolver") {
    testing::MemorySource source = hub.Get("org/q", q);
    Result<Report> r = VerifyLineage(source, "org/q", q, hub.policy, {});
    REQUIRE(r.ok());
    CHECK(r->verdict == Verdict::kUnverified);
    CHECK(testing::HasCode(*r, "lineage.parent_not_checked"));
  }
}

TEST_CASE("a parent signed by an identity the policy does not allow fails the lineage",
          "[lineage]") {
  LineageHub hub;
  const std::string base = CommitOf("org/base");
  Files files = {{"model.safetensors", "base"}};
  hub.Add("org/base", base, files, {hub.Step(BuildType::kTrain, files, {})}, &hub.mallory, &hub.ci);
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/q", q);
  CHECK(r.verdict == Verdict::kFailed);
  CHECK(r.nodes[1].status == Verdict::kFailed);
  // The parent's model.sig did not verify, so nothing it holds counts as signed.
  CHECK(testing::HasCode(r, "lineage.consumed_file_unsigned"));
  // Flat findings of a parent name it.
  bool prefixed = false;
  for (const Finding& f : r.findings) {
    prefixed |= f.message.rfind("org/base@" + base.substr(0, 7) + ": ", 0) == 0;
  }
  CHECK(prefixed);
}

TEST_CASE("a verified derived step without a parent stops the chain", "[lineage]") {
  LineageHub hub;
  const std::string q = hub.AddChild("org/q", BuildType::kQuantize, {});
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/q", q);
  INFO(NodeCodes(r));
  CHECK(r.verdict != Verdict::kVerified);
}

TEST_CASE("a merge follows every parent and shows a shared ancestor once", "[lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string a =
      hub.AddChild("org/a", BuildType::kFinetune, {{"org/base", base, {"model.safetensors"}}},
                   "model.safetensors");
  const std::string b =
      hub.AddChild("org/b", BuildType::kFinetune, {{"org/base", base, {"model.safetensors"}}},
                   "model.safetensors");
  const std::string m =
      hub.AddChild("org/m", BuildType::kMerge,
                   {{"org/a", a, {"model.safetensors"}}, {"org/b", b, {"model.safetensors"}}},
                   "model.safetensors");
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/m", m);
  INFO(NodeCodes(r));
  CHECK(r.verdict == Verdict::kVerified);
  CHECK(resolver.Opens("org/base", base) == 1);  // verified once in the walk
  REQUIRE(r.nodes.size() == 5);                  // m, a, base, b, base (shown above)
  CHECK(NodeHas(r.nodes[4], "lineage.shown_above"));
  CHECK(r.nodes[4].parent == 3);
  CHECK(r.chain.size() == 3);  // m, a, base: the first parent's line
}

TEST_CASE("the report tree prints one indented node per revision", "[lineage][report]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  ParentRef parent("org/base", base, {"model.safetensors"});
  parent.digest_override["model.safetensors"] = std::string(64, 'a');
  const std::string q = hub.AddChild("org/q", BuildType::kQuantize, {parent});
  HubResolver resolver(hub);
  Report r = Walk(hub, resolver, "org/q", q);
  const std::string text = ReportToText(r);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("lineage:\n  org/q@" + q + "  failed  (quantize)"));
  CHECK_THAT(text, Catch::Contains("\n      org/base@" + base + "  verified  (train)"));
  CHECK_THAT(text, Catch::Contains("[error] lineage.consumed_digest_mismatch: "));
  CHECK_THAT(text, Catch::Contains("expected: " + std::string(64, 'a')));
  CHECK_THAT(text, Catch::Contains("[info] "));  // passed checks are listed too
  CHECK(text.find("other findings:") == std::string::npos);
  Result<Report> back = ReportFromJson(ReportToJson(r));
  REQUIRE(back.ok());
  CHECK(ReportToText(*back) == text);
  CHECK(ReportToJson(*back) == ReportToJson(r));
}

}  // namespace
}  // namespace provbadge::verifier
