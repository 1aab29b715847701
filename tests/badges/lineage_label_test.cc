// Every badge label from a real lineage walk: in-memory chains of signed revisions through
// VerifyLineage, then BadgeFromReport (issue #5's label list).
#include <catch2/catch.hpp>

#include "../verifier/lineage_fixture.h"
#include "provbadge/badges/badge.h"
#include "provbadge/verifier/lineage.h"

namespace provbadge::badges {
namespace {

using testing::CommitOf;
using testing::HubResolver;
using testing::LineageHub;
using testing::ParentRef;
using verifier::BuildType;

Badge Label(LineageHub& hub, const std::string& repo, const std::string& commit,
            const verifier::Revocations* revoked = nullptr, const std::string& fidelity = "") {
  HubResolver resolver(hub);
  testing::MemorySource source = hub.Get(repo, commit);
  verifier::LineageOptions options{&resolver, nullptr, revoked};
  Result<verifier::Report> report =
      verifier::VerifyLineage(source, repo, commit, hub.policy, options);
  REQUIRE(report.ok());
  report->fidelity = fidelity;
  INFO(testing::NodeCodes(*report));
  Badge b = BadgeFromReport(*report, repo, commit, "2026-01-01T00:00:00Z");
  INFO(b.label);
  return b;
}

std::string Rev7(const std::string& commit) { return commit.substr(0, 7); }

TEST_CASE("verified labels from real chains", "[badge][lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  const std::string ft =
      hub.AddChild("org/ft", BuildType::kFinetune, {{"org/base", base, {"model.safetensors"}}},
                   "model.safetensors");
  const std::string q =
      hub.AddChild("org/q", BuildType::kQuantize, {{"org/ft", ft, {"model.safetensors"}}});
  const std::string lora =
      hub.AddChild("org/lora", BuildType::kAdapter, {{"org/base", base, {"model.safetensors"}}},
                   "adapter_model.safetensors");
  const std::string m = hub.AddChild(
      "org/m", BuildType::kMerge,
      {{"org/ft", ft, {"model.safetensors"}}, {"org/base", base, {"model.safetensors"}}},
      "model.safetensors");

  Badge bq = Label(hub, "org/q", q);
  CHECK(bq.state == BadgeState::kVerified);
  CHECK(bq.label == "Quantized from org/ft@" + Rev7(ft) + ", verified");
  CHECK(bq.message == "verified");
  CHECK(Label(hub, "org/q", q, nullptr, "exact").label ==
        "Bit-exact quantization of org/ft@" + Rev7(ft) + ", verified");
  CHECK(Label(hub, "org/ft", ft).label == "Fine-tuned from org/base@" + Rev7(base) + ", verified");
  CHECK(Label(hub, "org/lora", lora).label == "Adapter of org/base@" + Rev7(base) + ", verified");
  CHECK(Label(hub, "org/m", m).label ==
        "Merged from org/ft@" + Rev7(ft) + " + org/base@" + Rev7(base) + ", verified");
  CHECK(Label(hub, "org/base", base).label == "Signed by acme, verified");
}

TEST_CASE("unverified labels from real revisions", "[badge][lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  SECTION("an unattested GGUF whose card claims the base") {
    const std::string c = CommitOf("org/claimed");
    hub.Add("org/claimed", c,
            {{"README.md", "---\nbase_model: org/base\nbase_model_relation: quantized\n---\n"},
             {"model.gguf", "bytes"}},
            {}, nullptr, nullptr);
    Badge b = Label(hub, "org/claimed", c);
    CHECK(b.state == BadgeState::kUnverified);
    CHECK(b.label == "Unverified quantization");
  }
  SECTION("an unsigned revision with no claim") {
    const std::string c = CommitOf("org/plain");
    hub.Add("org/plain", c, {{"model.safetensors", "bytes"}}, {}, nullptr, nullptr);
    Badge b = Label(hub, "org/plain", c);
    CHECK(b.state == BadgeState::kUnverified);
    CHECK(b.label == "Unverified");
    CHECK(b.message == "unverified");
  }
  SECTION("a quantization whose parent is not on the hub") {
    const std::string q =
        hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
    hub.revisions.erase("org/base@" + base);
    CHECK(Label(hub, "org/q", q).label == "Unverified quantization");
  }
}

TEST_CASE("failed labels from real chains", "[badge][lineage]") {
  LineageHub hub;
  const std::string base = hub.AddBase();
  SECTION("a consumed parent digest that differs") {
    ParentRef parent("org/base", base, {"model.safetensors"});
    parent.digest_override["model.safetensors"] = std::string(64, 'a');
    const std::string q = hub.AddChild("org/q", BuildType::kQuantize, {parent});
    Badge b = Label(hub, "org/q", q);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.label == "Provenance check failed: org/base@" + Rev7(base) +
                         "/model.safetensors digest differs from attested");
  }
  SECTION("a quantization signed by an identity the policy does not allow") {
    const std::string c = CommitOf("org/impostor");
    testing::Files files = {{"model.gguf", "q"}};
    hub.Add("org/impostor", c, files,
            {hub.Step(BuildType::kQuantize, files, {{"org/base", base, {"model.safetensors"}}})},
            &hub.mallory, &hub.ci);
    Badge b = Label(hub, "org/impostor", c);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.label.rfind("Provenance check failed: ", 0) == 0);
  }
  SECTION("a parent named by a branch") {
    const std::string q =
        hub.AddChild("org/q", BuildType::kQuantize,
                     {ParentRef("org/base", base, {"model.safetensors"}, "main")});
    Badge b = Label(hub, "org/q", q);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.label.rfind("Provenance check failed: ", 0) == 0);
  }
  SECTION("a revoked base") {
    const std::string q =
        hub.AddChild("org/q", BuildType::kQuantize, {{"org/base", base, {"model.safetensors"}}});
    verifier::Revocations revoked;
    revoked.revisions.insert("org/base@" + base);
    Badge b = Label(hub, "org/q", q, &revoked);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.label == "Provenance check failed: org/base@" + Rev7(base) + ": revision revoked");
  }
}

}  // namespace
}  // namespace provbadge::badges
