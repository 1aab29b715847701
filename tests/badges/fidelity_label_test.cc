// The bit-exact tier end to end: a real lineage walk with fidelity on (the GGUF vectors of
// ../shared/vectors/gguf re-derived from the parent's safetensors), then BadgeFromReport.
#include <catch2/catch.hpp>

#include "../verifier/fidelity_lineage_fixture.h"
#include "provbadge/badges/badge.h"
#include "provbadge/verifier/lineage.h"

namespace provbadge::badges {
namespace {

using testing::AddGgufChild;
using testing::AddTinySource;
using testing::HubResolver;
using testing::LineageHub;

Badge Decide(LineageHub& hub, const std::string& repo, const std::string& commit) {
  HubResolver resolver(hub);
  testing::MemorySource source = hub.Get(repo, commit);
  verifier::LineageOptions options{&resolver, nullptr, nullptr};
  Result<verifier::Report> report =
      verifier::VerifyLineage(source, repo, commit, hub.policy, options);
  REQUIRE(report.ok());
  INFO(testing::NodeCodes(*report));
  Badge b = BadgeFromReport(*report, repo, commit, "2026-01-01T00:00:00Z");
  INFO(b.label);
  return b;
}

TEST_CASE("fidelity sets the badge tier", "[badge][lineage][fidelity]") {
  LineageHub hub;
  hub.policy.fidelity = testing::FidelityAlways();
  const std::string tiny = AddTinySource(hub);
  const std::string rev7 = tiny.substr(0, 7);

  SECTION("every tensor exact: bit-exact quantization") {
    const std::string q = AddGgufChild(hub, "org/tiny-gguf", "tiny-Q4_K_M.gguf", tiny);
    Badge b = Decide(hub, "org/tiny-gguf", q);
    CHECK(b.state == BadgeState::kVerified);
    CHECK(b.label == "Bit-exact quantization of org/tiny@" + rev7 + ", verified");
  }
  SECTION("tampered: failed, naming the first located block") {
    const std::string q = AddGgufChild(hub, "org/evil-gguf", "tiny-Q4_K_M-tampered.gguf", tiny);
    Badge b = Decide(hub, "org/evil-gguf", q);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.label ==
          "Provenance check failed: model.gguf: re-quantizing the parent differs at "
          "blk.0.attn_q.weight block 37 (row 37)");
  }
  SECTION("fidelity off: the plain quantization label") {
    hub.policy.fidelity = {};
    const std::string q = AddGgufChild(hub, "org/tiny-gguf", "tiny-Q4_K_M.gguf", tiny);
    CHECK(Decide(hub, "org/tiny-gguf", q).label ==
          "Quantized from org/tiny@" + rev7 + ", verified");
  }
}

TEST_CASE("unverifiable fidelity keeps the plain verified label", "[badge][lineage][fidelity]") {
  LineageHub hub;
  hub.policy.fidelity = testing::FidelityAlways();
  std::string config = testing::GgufVector("config.json");
  config.replace(config.find("LlamaForCausalLM"), 16, "FooForCausalLM");
  const std::string tiny = AddTinySource(hub, config);
  const std::string q = AddGgufChild(hub, "org/tiny-gguf", "tiny-Q4_K_M.gguf", tiny);
  Badge b = Decide(hub, "org/tiny-gguf", q);
  CHECK(b.state == BadgeState::kVerified);
  CHECK(b.label == "Quantized from org/tiny@" + tiny.substr(0, 7) + ", verified");
}

}  // namespace
}  // namespace provbadge::badges
