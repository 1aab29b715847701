// BadgeFromReport: the fail-closed mapping from a verification report to a badge, and every
// label it can show (issue #5).
#include "provbadge/badges/badge.h"

#include <catch2/catch.hpp>

#include <string>

namespace provbadge::badges {
namespace {

using verifier::ChainLink;
using verifier::Finding;
using verifier::Report;
using verifier::ReportNode;
using verifier::Severity;
using verifier::Verdict;

const std::string kCommit(40, 'c');
const std::string kBase = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
const std::string kOther = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

Report VerifiedReport() {
  Report r;
  r.subject = "org/model@" + kCommit;
  r.verdict = Verdict::kVerified;
  r.chain.push_back({"org/model", kCommit, "self", "acme", Verdict::kVerified});
  r.policy_digest = "sha256:" + std::string(64, '0');
  r.verifier_version = "0.1.0";
  return r;
}

ReportNode Node(std::string repo, std::string commit, std::string relation, int parent,
                Verdict status = Verdict::kVerified) {
  ReportNode n;
  n.repo = std::move(repo);
  n.commit = std::move(commit);
  n.relation = std::move(relation);
  n.signer = "acme";
  n.parent = parent;
  n.status = status;
  return n;
}

// A verified lineage report: org/model (relation) <- org/base (train).
Report LineageReport(const std::string& relation) {
  Report r = VerifiedReport();
  r.chain.clear();
  r.nodes.push_back(Node("org/model", kCommit, relation, -1));
  r.nodes.push_back(Node("org/base", kBase, "train", 0));
  for (const ReportNode& n : r.nodes) {
    r.chain.push_back({n.repo, n.commit, n.relation, n.signer, n.status});
  }
  return r;
}

Finding MakeFinding(std::string code, Severity severity, std::string message,
                    std::string path = "") {
  Finding f;
  f.code = std::move(code);
  f.severity = severity;
  f.message = std::move(message);
  f.path = std::move(path);
  return f;
}

Badge FromReport(const Report& r) {
  return BadgeFromReport(r, "org/model", kCommit, "2024-05-01T12:00:00Z");
}

TEST_CASE("badge state names", "[badge]") {
  CHECK(BadgeStateName(BadgeState::kVerified) == "verified");
  CHECK(BadgeStateName(BadgeState::kUnverified) == "unverified");
  CHECK(BadgeStateName(BadgeState::kFailed) == "failed");
  CHECK(BadgeStateName(BadgeState::kPending) == "pending");
}

TEST_CASE("a clean verified report gives a verified badge naming the signer", "[badge]") {
  Report r = VerifiedReport();
  r.findings.push_back(MakeFinding("oms.note", Severity::kInfo, "Used LFS digests."));
  Badge b = FromReport(r);
  CHECK(b.state == BadgeState::kVerified);
  CHECK(b.label == "Signed by acme, verified");
  CHECK(b.message == "verified");
  CHECK(b.color == "#4c1");
  CHECK(b.repo == "org/model");
  CHECK(b.commit == kCommit);
  CHECK(b.checked_at == "2024-05-01T12:00:00Z");
  CHECK(b.policy_digest == r.policy_digest);
  CHECK(b.verifier_version == "0.1.0");
  REQUIRE(b.chain.size() == 1);
  CHECK(b.chain[0].signer == "acme");
  CHECK(b.reasons.empty());  // info findings are not reasons
}

TEST_CASE("verified labels name the relation and the parent at rev7", "[badge][label]") {
  CHECK(FromReport(LineageReport("quantize")).label == "Quantized from org/base@1a2b3c4, verified");
  CHECK(FromReport(LineageReport("finetune")).label ==
        "Fine-tuned from org/base@1a2b3c4, verified");
  CHECK(FromReport(LineageReport("adapter")).label == "Adapter of org/base@1a2b3c4, verified");
  CHECK(FromReport(LineageReport("merge")).label == "Merged from org/base@1a2b3c4, verified");
  Report root = LineageReport("train");
  root.nodes.resize(1);
  root.chain.resize(1);
  CHECK(FromReport(root).label == "Signed by acme, verified");
  root.nodes[0].relation = root.chain[0].relation = "signed";
  CHECK(FromReport(root).label == "Signed by acme, verified");
  for (const char* relation : {"quantize", "finetune", "adapter", "merge"}) {
    Badge b = FromReport(LineageReport(relation));
    CHECK(b.state == BadgeState::kVerified);
    CHECK(b.message == "verified");
  }
}

TEST_CASE("a bit-exact quantization says so; fidelity on other relations does not",
          "[badge][label]") {
  Report r = LineageReport("quantize");
  r.fidelity = "exact";
  CHECK(FromReport(r).label == "Bit-exact quantization of org/base@1a2b3c4, verified");
  r.fidelity = "unverifiable";
  CHECK(FromReport(r).label == "Quantized from org/base@1a2b3c4, verified");
  Report ft = LineageReport("finetune");
  ft.fidelity = "exact";
  CHECK(FromReport(ft).label == "Fine-tuned from org/base@1a2b3c4, verified");
}

TEST_CASE("a merge names every direct parent", "[badge][label]") {
  Report r = LineageReport("merge");
  r.nodes.push_back(Node("org/other", kOther, "train", 0));
  CHECK(FromReport(r).label == "Merged from org/base@1a2b3c4 + org/other@9f8e7d6, verified");
}

TEST_CASE("fail closed: a derived relation without a parent is not verified", "[badge]") {
  Report r = LineageReport("quantize");
  r.nodes.resize(1);
  r.chain.resize(1);
  Badge b = FromReport(r);
  CHECK(b.state == BadgeState::kFailed);
  CHECK(b.label == "Provenance check failed: no parent recorded");
  CHECK(b.reasons.back().code == "badge.no_parent");
  Report unknown = LineageReport("distill");
  CHECK(FromReport(unknown).state == BadgeState::kFailed);
}

TEST_CASE("fail closed: an unverified or erroring lineage node spoils a verified verdict",
          "[badge]") {
  SECTION("an ancestor node not verified") {
    Report r = LineageReport("quantize");
    r.nodes.push_back(Node("org/root", kOther, "train", 1, Verdict::kUnverified));
    Badge b = FromReport(r);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.reasons.back().code == "badge.node_unverified");
  }
  SECTION("an error check inside a node, not in the flat findings") {
    Report r = LineageReport("quantize");
    r.nodes[1].checks.push_back(MakeFinding("lineage.revoked", Severity::kError, "Revoked."));
    r.nodes[1].status = Verdict::kFailed;
    CHECK(FromReport(r).state == BadgeState::kFailed);
  }
}

TEST_CASE("fail closed: a verified verdict with an error finding is failed", "[badge]") {
  Report r = VerifiedReport();
  r.findings.push_back(MakeFinding("oms.file_changed", Severity::kError,
                                   "The file differs from the signed digest.", "weights.bin"));
  Badge b = FromReport(r);
  CHECK(b.state == BadgeState::kFailed);
  CHECK(b.label == "Provenance check failed: weights.bin digest differs from signed");
  CHECK(b.message == "failed");
  CHECK(b.color == "#e05d44");
  REQUIRE(b.reasons.size() == 1);
  CHECK(b.reasons[0].code == "oms.file_changed");
}

TEST_CASE("fail closed: a verified verdict without a signer is not verified", "[badge]") {
  SECTION("empty signer") {
    Report r = VerifiedReport();
    r.chain[0].signer.clear();
    Badge b = FromReport(r);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.label == "Provenance check failed: no signer recorded");
    REQUIRE_FALSE(b.reasons.empty());
    CHECK(b.reasons.back().code == "badge.no_signer");
  }
  SECTION("no chain at all") {
    Report r = VerifiedReport();
    r.chain.clear();
    CHECK(FromReport(r).state == BadgeState::kFailed);
  }
}

TEST_CASE("fail closed: a verified verdict with an unverified chain link is failed", "[badge]") {
  Report r = VerifiedReport();
  r.chain.push_back({"org/base", std::string(40, 'b'), "quantized", "", Verdict::kUnverified});
  Badge b = FromReport(r);
  CHECK(b.state == BadgeState::kFailed);
  CHECK(b.label == "Provenance check failed: chain link org/base not verified");
  CHECK(b.reasons.back().code == "badge.chain_link_unverified");
}

TEST_CASE("fail closed: an out-of-range verdict is failed", "[badge]") {
  Report r = VerifiedReport();
  r.verdict = static_cast<Verdict>(42);
  CHECK(FromReport(r).state == BadgeState::kFailed);
}

TEST_CASE("unverified labels: a claimed quantization, else plain", "[badge][label]") {
  Report r;
  r.verdict = Verdict::kUnverified;
  r.findings.push_back(
      MakeFinding("oms.signature_missing", Severity::kError, "No model.sig.", "model.sig"));
  SECTION("no claim") {
    Badge b = FromReport(r);
    CHECK(b.state == BadgeState::kUnverified);
    CHECK(b.label == "Unverified");
    CHECK(b.message == "unverified");
    CHECK(b.color == "#9f9f9f");
    REQUIRE(b.reasons.size() == 1);
    CHECK(b.reasons[0].code == "oms.signature_missing");
    CHECK(b.reasons[0].text == "No model.sig.");
  }
  SECTION("the card or GGUF claims a quantization") {
    r.claims_quantization = true;
    r.claimed_base = "org/base";
    CHECK(FromReport(r).label == "Unverified quantization");
  }
  SECTION("a quantize step whose chain stops") {
    r.nodes.push_back(Node("org/model", kCommit, "quantize", -1, Verdict::kVerified));
    r.nodes.push_back(Node("org/base", kBase, "", 0, Verdict::kUnverified));
    CHECK(FromReport(r).label == "Unverified quantization");
  }
  SECTION("a claim never makes a badge verified") {
    Report v = LineageReport("quantize");
    v.verdict = Verdict::kUnverified;
    v.claims_quantization = true;
    CHECK(FromReport(v).state == BadgeState::kUnverified);
  }
}

TEST_CASE("failed labels name the first error in short", "[badge][label]") {
  Report r;
  r.verdict = Verdict::kFailed;
  r.findings.push_back(MakeFinding("oms.extra", Severity::kWarning, "A warning first."));
  SECTION("unknown code with a path uses the sentence") {
    r.findings.push_back(MakeFinding("oms.weird", Severity::kError, "Strange bytes.", "a.gguf"));
    r.findings.push_back(MakeFinding("oms.file_changed", Severity::kError, "x", "b.bin"));
    Badge b = FromReport(r);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.label == "Provenance check failed: a.gguf: Strange bytes");
    REQUIRE(b.reasons.size() == 3);  // the warning and both errors
    CHECK(b.reasons[0].code == "oms.extra");
  }
  SECTION("no error finding at all") { CHECK(FromReport(r).label == "Provenance check failed"); }
  SECTION("long labels are cut to 120 characters with an ellipsis") {
    r.findings.push_back(
        MakeFinding("oms.file_changed", Severity::kError, "", std::string(200, 'p') + ".bin"));
    Badge b = FromReport(r);
    CHECK(b.label.size() == 119 + std::string("\u2026").size());
    CHECK(b.label.substr(0, 28) == "Provenance check failed: ppp");
    CHECK(b.label.substr(119) == "\u2026");
  }
  SECTION("control characters from a hostile finding never reach the label") {
    r.findings.push_back(MakeFinding("x.y", Severity::kError, "line1\nline2\r\x01", ""));
    CHECK(FromReport(r).label == "Provenance check failed: line1 line2");
  }
}

TEST_CASE("failed lineage labels name the node and the file at rev7", "[badge][label]") {
  Report r = LineageReport("quantize");
  r.verdict = Verdict::kFailed;
  SECTION("a consumed parent file whose digest differs") {
    r.nodes[0].status = Verdict::kFailed;
    r.nodes[0].checks.push_back(MakeFinding("lineage.consumed_digest_mismatch", Severity::kError,
                                            "Differs.", "hf://org/base@" + kBase + "/w.bin"));
    CHECK(FromReport(r).label ==
          "Provenance check failed: org/base@1a2b3c4/w.bin digest differs from attested");
  }
  SECTION("a revoked parent") {
    r.nodes[1].status = Verdict::kFailed;
    Finding f = MakeFinding("lineage.revoked", Severity::kError, "Revoked.");
    f.actual = "revision revoked";
    r.nodes[1].checks.push_back(f);
    CHECK(FromReport(r).label == "Provenance check failed: org/base@1a2b3c4: revision revoked");
  }
  SECTION("a revoked signer") {
    r.nodes[0].status = Verdict::kFailed;
    Finding f = MakeFinding("lineage.revoked", Severity::kError, "Revoked.");
    f.actual = "signer mallory revoked";
    r.nodes[0].checks.push_back(f);
    CHECK(FromReport(r).label == "Provenance check failed: signer mallory revoked");
  }
  SECTION("a cycle") {
    r.nodes[1].status = Verdict::kFailed;
    r.nodes[1].checks.push_back(MakeFinding("lineage.cycle", Severity::kError, "Cycle."));
    CHECK(FromReport(r).label == "Provenance check failed: org/base@1a2b3c4: lineage has a cycle");
  }
}

TEST_CASE("a very long signer keeps the verified suffix", "[badge]") {
  Report r = VerifiedReport();
  r.chain[0].signer = std::string(300, 's');
  Badge b = FromReport(r);
  CHECK(b.state == BadgeState::kVerified);
  CHECK(b.label.rfind(", verified") == b.label.size() - 10);
  CHECK(b.label.find("\u2026") != std::string::npos);
}

TEST_CASE("pending badge", "[badge]") {
  Badge b = PendingBadge("org/model", kCommit);
  CHECK(b.state == BadgeState::kPending);
  CHECK(b.label == "Checking provenance\u2026");
  CHECK(b.message == "pending");
  CHECK(b.color == "#dfb317");
  CHECK(b.repo == "org/model");
  CHECK(b.commit == kCommit);
  CHECK(b.checked_at.empty());
  CHECK(b.chain.empty());
}

TEST_CASE("a signer the policy does not allow reads as such on the badge", "[badge]") {
  Report r = VerifiedReport();
  r.verdict = Verdict::kFailed;
  r.findings.push_back(MakeFinding("policy.publisher_not_allowed", Severity::kError,
                                   "model.sig was not signed by any publisher the policy allows.",
                                   "model.sig"));
  Badge b = FromReport(r);
  CHECK(b.state == BadgeState::kFailed);
  CHECK(b.label == "Provenance check failed: model.sig not signed by an allowed publisher");
}

}  // namespace
}  // namespace provbadge::badges
