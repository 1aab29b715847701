// BadgeFromReport: the fail-closed mapping from a verification report to a badge.
#include "provbadge/badges/badge.h"

#include <catch2/catch.hpp>

#include <string>

namespace provbadge::badges {
namespace {

using verifier::ChainLink;
using verifier::Finding;
using verifier::Report;
using verifier::Severity;
using verifier::Verdict;

const std::string kCommit(40, 'c');

Report VerifiedReport() {
  Report r;
  r.subject = "org/model@" + kCommit;
  r.verdict = Verdict::kVerified;
  r.chain.push_back({"org/model", kCommit, "self", "acme", Verdict::kVerified});
  r.policy_digest = "sha256:" + std::string(64, '0');
  r.verifier_version = "0.1.0";
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
  CHECK(b.label == "provenance");
  CHECK(b.message == "signed by acme, verified");
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

TEST_CASE("fail closed: a verified verdict with an error finding is failed", "[badge]") {
  Report r = VerifiedReport();
  r.findings.push_back(MakeFinding("oms.file_changed", Severity::kError,
                                   "The file differs from the signed digest.", "weights.bin"));
  Badge b = FromReport(r);
  CHECK(b.state == BadgeState::kFailed);
  CHECK(b.message == "check failed: weights.bin digest differs from signed");
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
    CHECK(b.message == "check failed: no signer recorded");
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
  CHECK(b.message == "check failed: chain link org/base not verified");
  CHECK(b.reasons.back().code == "badge.chain_link_unverified");
}

TEST_CASE("fail closed: an out-of-range verdict is failed", "[badge]") {
  Report r = VerifiedReport();
  r.verdict = static_cast<Verdict>(42);
  CHECK(FromReport(r).state == BadgeState::kFailed);
}

TEST_CASE("unverified badges say why in short", "[badge]") {
  Report r;
  r.verdict = Verdict::kUnverified;
  SECTION("unsigned") {
    r.findings.push_back(
        MakeFinding("oms.signature_missing", Severity::kError, "No model.sig.", "model.sig"));
    Badge b = FromReport(r);
    CHECK(b.state == BadgeState::kUnverified);
    CHECK(b.label == "provenance");
    CHECK(b.message == "unverified: unsigned");
    CHECK(b.color == "#9f9f9f");
    REQUIRE(b.reasons.size() == 1);
    CHECK(b.reasons[0].code == "oms.signature_missing");
    CHECK(b.reasons[0].text == "No model.sig.");
  }
  SECTION("no trusted publisher") {
    r.findings.push_back(MakeFinding("policy.no_publisher", Severity::kError, "No rule."));
    CHECK(FromReport(r).message == "unverified: no trusted publisher");
  }
  SECTION("anything else") {
    r.findings.push_back(MakeFinding("lineage.chain_stops", Severity::kError, "Stops."));
    CHECK(FromReport(r).message == "unverified");
  }
}

TEST_CASE("failed badges name the first error in short", "[badge]") {
  Report r;
  r.verdict = Verdict::kFailed;
  r.findings.push_back(MakeFinding("oms.extra", Severity::kWarning, "A warning first."));
  SECTION("unknown code with a path uses the sentence") {
    r.findings.push_back(MakeFinding("oms.weird", Severity::kError, "Strange bytes.", "a.gguf"));
    r.findings.push_back(MakeFinding("oms.file_changed", Severity::kError, "x", "b.bin"));
    Badge b = FromReport(r);
    CHECK(b.state == BadgeState::kFailed);
    CHECK(b.message == "check failed: a.gguf: Strange bytes");
    REQUIRE(b.reasons.size() == 3);  // the warning and both errors
    CHECK(b.reasons[0].code == "oms.extra");
  }
  SECTION("no error finding at all") { CHECK(FromReport(r).message == "check failed"); }
  SECTION("long messages are cut to 80 characters with an ellipsis") {
    r.findings.push_back(
        MakeFinding("oms.file_changed", Severity::kError, "", std::string(200, 'p') + ".bin"));
    Badge b = FromReport(r);
    CHECK(b.message.size() == 79 + std::string("\u2026").size());
    CHECK(b.message.substr(0, 17) == "check failed: ppp");
    CHECK(b.message.substr(79) == "\u2026");
  }
  SECTION("control characters from a hostile finding never reach the message") {
    r.findings.push_back(MakeFinding("x.y", Severity::kError, "line1\nline2\r\x01", ""));
    CHECK(FromReport(r).message == "check failed: line1 line2");
  }
}

TEST_CASE("a very long signer keeps the verified suffix", "[badge]") {
  Report r = VerifiedReport();
  r.chain[0].signer = std::string(300, 's');
  Badge b = FromReport(r);
  CHECK(b.state == BadgeState::kVerified);
  CHECK(b.message.rfind(", verified") == b.message.size() - 10);
  CHECK(b.message.find("\u2026") != std::string::npos);
}

TEST_CASE("pending badge", "[badge]") {
  Badge b = PendingBadge("org/model", kCommit);
  CHECK(b.state == BadgeState::kPending);
  CHECK(b.label == "Checking provenance\u2026");
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
  CHECK(b.message == "check failed: model.sig not signed by an allowed publisher");
}

}  // namespace
}  // namespace provbadge::badges
