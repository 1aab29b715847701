// Quantization fidelity as a link of the lineage: a signed quantize step (format gguf) whose
// GGUF is re-derived from the parent's safetensors (../shared/vectors/gguf) when the policy
// says so — exact, the tampered file located, not checked when off or over the size limit,
// unverifiable without failing, and transient faults as errors.
#include <catch2/catch.hpp>

#include "fidelity_lineage_fixture.h"
#include "provbadge/verifier/lineage.h"

namespace provbadge::verifier {
namespace {

using testing::AddGgufChild;
using testing::AddTinySource;
using testing::HubResolver;
using testing::LineageHub;
using testing::NodeCodes;
using testing::NodeHas;

Result<Report> Walk(LineageHub& hub, HubResolver& resolver, const std::string& repo,
                    const std::string& commit, LineageCache* cache = nullptr) {
  testing::MemorySource source = hub.Get(repo, commit);
  LineageOptions options{&resolver, cache, nullptr};
  return VerifyLineage(source, repo, commit, hub.policy, options);
}

const Finding* FindCheck(const ReportNode& node, const std::string& code,
                         const std::string& in_message = "") {
  for (const Finding& f : node.checks) {
    if (f.code == code && f.message.find(in_message) != std::string::npos) return &f;
  }
  return nullptr;
}

bool AnyFidelityCheck(const ReportNode& node) {
  for (const Finding& f : node.checks) {
    if (f.code.rfind("fidelity.", 0) == 0) return true;
  }
  return false;
}

TEST_CASE("a faithful GGUF of the attested parent is exact", "[lineage][fidelity]") {
  LineageHub hub;
  hub.policy.fidelity = testing::FidelityAlways();
  const std::string tiny = AddTinySource(hub);
  // The from-F16 file is exact only through the bf16 -> f16 source path.
  const std::string file =
      GENERATE(std::string("tiny-Q4_K_M.gguf"), std::string("tiny-Q4_K_M-from-F16.gguf"),
               std::string("tiny-Q4_0.gguf"));
  const std::string q = AddGgufChild(hub, "org/tiny-gguf", file, tiny);
  HubResolver resolver(hub);
  Result<Report> r = Walk(hub, resolver, "org/tiny-gguf", q);
  REQUIRE(r.ok());
  INFO(file << "\n" << NodeCodes(*r));
  CHECK(r->verdict == Verdict::kVerified);
  CHECK(r->fidelity == "exact");
  REQUIRE(r->nodes.size() == 2);
  CHECK(r->nodes[0].relation == "quantize");
  const Finding* exact = FindCheck(r->nodes[0], "fidelity.exact");
  REQUIRE(exact != nullptr);
  CHECK(exact->severity == Severity::kInfo);
  CHECK(exact->path == "model.gguf");
  CHECK(exact->message.find("org/tiny@" + tiny.substr(0, 7)) != std::string::npos);
  CHECK(exact->message.find("not that the source is safe") != std::string::npos);
  CHECK_FALSE(AnyFidelityCheck(r->nodes[1]));  // recorded on the quantized revision only
  CHECK(r->findings.empty());
}

TEST_CASE("the tampered GGUF fails the chain at the located blocks", "[lineage][fidelity]") {
  LineageHub hub;
  hub.policy.fidelity = testing::FidelityAlways();
  const std::string tiny = AddTinySource(hub);
  const std::string q = AddGgufChild(hub, "org/evil-gguf", "tiny-Q4_K_M-tampered.gguf", tiny);
  HubResolver resolver(hub);
  Result<Report> r = Walk(hub, resolver, "org/evil-gguf", q);
  REQUIRE(r.ok());
  INFO(NodeCodes(*r));
  CHECK(r->verdict == Verdict::kFailed);
  CHECK(r->fidelity == "mismatch");
  CHECK(r->nodes[0].status == Verdict::kFailed);
  CHECK(r->nodes[1].status == Verdict::kVerified);  // the parent itself is fine
  const Finding* summary = FindCheck(r->nodes[0], "fidelity.mismatch");
  REQUIRE(summary != nullptr);
  CHECK(summary->severity == Severity::kError);
  CHECK(summary->path == "model.gguf");
  CHECK(summary->message.find("blk.0.attn_q.weight block 37 (row 37)") != std::string::npos);
  CHECK(summary->expected.find("org/tiny@" + tiny.substr(0, 7)) != std::string::npos);
  CHECK(summary->actual.find("2 tensor(s) differ") != std::string::npos);
  const Finding* attn = FindCheck(r->nodes[0], "fidelity.tensor_mismatch", "blk.0.attn_q.weight");
  REQUIRE(attn != nullptr);
  CHECK(attn->actual.find("1 of ") == 0);
  CHECK(attn->actual.find("first block 37, row 37") != std::string::npos);
  const Finding* gate = FindCheck(r->nodes[0], "fidelity.tensor_mismatch", "blk.0.ffn_gate.weight");
  REQUIRE(gate != nullptr);
  CHECK(gate->actual.find("2 of ") == 0);
  CHECK(gate->actual.find("first block 100, row 100") != std::string::npos);
  // The summary comes first among the node's errors, so it is the badge's reason.
  const Finding* first_error = nullptr;
  for (const Finding& f : r->nodes[0].checks) {
    if (f.severity == Severity::kError && first_error == nullptr) first_error = &f;
  }
  REQUIRE(first_error != nullptr);
  CHECK(first_error->code == "fidelity.mismatch");
  CHECK(r->FirstError() != nullptr);
}

TEST_CASE("fidelity off or over the size limit: not checked", "[lineage][fidelity]") {
  LineageHub hub;
  const std::string tiny = AddTinySource(hub);
  const std::string q = AddGgufChild(hub, "org/evil-gguf", "tiny-Q4_K_M-tampered.gguf", tiny);
  HubResolver resolver(hub);
  const uint64_t size = hub.Get("org/evil-gguf", q).Get("model.gguf").size();

  SECTION("off (the default)") {
    Result<Report> r = Walk(hub, resolver, "org/evil-gguf", q);
    REQUIRE(r.ok());
    INFO(NodeCodes(*r));
    CHECK(r->verdict == Verdict::kVerified);  // the tamper is not looked for
    CHECK(r->fidelity.empty());
    CHECK_FALSE(AnyFidelityCheck(r->nodes[0]));
    CHECK(resolver.Opens("org/tiny", tiny) == 1);  // the walk's own open only
  }
  SECTION("gguf-up-to-N with a file over the limit") {
    hub.policy.fidelity = {FidelityMode::kGgufUpTo, size - 1};
    Result<Report> r = Walk(hub, resolver, "org/evil-gguf", q);
    REQUIRE(r.ok());
    INFO(NodeCodes(*r));
    CHECK(r->verdict == Verdict::kVerified);
    CHECK(r->fidelity.empty());
    const Finding* skipped = FindCheck(r->nodes[0], "fidelity.not_checked");
    REQUIRE(skipped != nullptr);
    CHECK(skipped->severity == Severity::kInfo);
    CHECK(skipped->actual == std::to_string(size) + " bytes");
    CHECK(resolver.Opens("org/tiny", tiny) == 1);
  }
  SECTION("gguf-up-to-N with the file within the limit is checked") {
    hub.policy.fidelity = {FidelityMode::kGgufUpTo, size};
    Result<Report> r = Walk(hub, resolver, "org/evil-gguf", q);
    REQUIRE(r.ok());
    CHECK(r->verdict == Verdict::kFailed);
    CHECK(r->fidelity == "mismatch");
  }
}

TEST_CASE("only quantize steps that say format gguf are checked", "[lineage][fidelity]") {
  LineageHub hub;
  hub.policy.fidelity = testing::FidelityAlways();
  const std::string tiny = AddTinySource(hub);
  const std::string format = GENERATE(std::string(""), std::string("awq"));
  const std::string q = AddGgufChild(hub, "org/other", "tiny-Q4_K_M-tampered.gguf", tiny, format);
  HubResolver resolver(hub);
  Result<Report> r = Walk(hub, resolver, "org/other", q);
  REQUIRE(r.ok());
  INFO("format '" << format << "'\n" << NodeCodes(*r));
  CHECK(r->verdict == Verdict::kVerified);
  CHECK(r->fidelity.empty());
  CHECK_FALSE(AnyFidelityCheck(r->nodes[0]));
}

TEST_CASE("an unknown architecture is unverifiable, not failed", "[lineage][fidelity]") {
  LineageHub hub;
  hub.policy.fidelity = testing::FidelityAlways();
  std::string config = testing::GgufVector("config.json");
  const size_t at = config.find("LlamaForCausalLM");
  REQUIRE(at != std::string::npos);
  config.replace(at, 16, "FooForCausalLM");
  const std::string tiny = AddTinySource(hub, config);
  const std::string q = AddGgufChild(hub, "org/tiny-gguf", "tiny-Q4_K_M.gguf", tiny);
  HubResolver resolver(hub);
  Result<Report> r = Walk(hub, resolver, "org/tiny-gguf", q);
  REQUIRE(r.ok());
  INFO(NodeCodes(*r));
  CHECK(r->verdict == Verdict::kVerified);
  CHECK(r->fidelity == "unverifiable");
  const Finding* why = FindCheck(r->nodes[0], "fidelity.unverifiable");
  REQUIRE(why != nullptr);
  CHECK(why->severity == Severity::kWarning);
  CHECK(FindCheck(r->nodes[0], "fidelity.architecture_unknown") != nullptr);
  CHECK_FALSE(r->HasErrors());
}

TEST_CASE("a parent that cannot be resolved leaves fidelity unverifiable", "[lineage][fidelity]") {
  LineageHub hub;
  hub.policy.fidelity = testing::FidelityAlways();
  const std::string tiny = AddTinySource(hub);
  const std::string q = AddGgufChild(hub, "org/tiny-gguf", "tiny-Q4_K_M.gguf", tiny);
  hub.revisions.erase("org/tiny@" + tiny);
  HubResolver resolver(hub);
  Result<Report> r = Walk(hub, resolver, "org/tiny-gguf", q);
  REQUIRE(r.ok());
  INFO(NodeCodes(*r));
  CHECK(r->verdict != Verdict::kVerified);  // lineage.parent_not_found
  CHECK(r->fidelity == "unverifiable");
  CHECK(FindCheck(r->nodes[0], "fidelity.unverifiable") != nullptr);
}

TEST_CASE("a transient fault while opening the parent for fidelity is an error",
          "[lineage][fidelity]") {
  LineageHub hub;
  hub.policy.fidelity = testing::FidelityAlways();
  const std::string tiny = AddTinySource(hub);
  const std::string q = AddGgufChild(hub, "org/tiny-gguf", "tiny-Q4_K_M.gguf", tiny);
  HubResolver resolver(hub);
  testing::MemoryLineageCache cache;
  REQUIRE(Walk(hub, resolver, "org/tiny-gguf", q, &cache).ok());  // caches the parent
  // The walk now takes the parent from the cache; only the fidelity check opens it.
  resolver.faults.emplace("org/tiny@" + tiny, Unavailable("hub timed out"));
  Result<Report> r = Walk(hub, resolver, "org/tiny-gguf", q, &cache);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace provbadge::verifier
