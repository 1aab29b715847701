// How a verification report becomes a badge (fail closed) and the label it shows.
#include "provbadge/badges/badge.h"

#include <string>
#include <utility>

#include "badge_reason.h"
#include "badge_style.h"
#include "text_util.h"

namespace provbadge::badges {
namespace {

using verifier::ChainLink;
using verifier::Finding;
using verifier::Report;
using verifier::ReportNode;
using verifier::Severity;
using verifier::Verdict;

constexpr size_t kMaxLabelChars = 120;
constexpr std::string_view kVerifiedSuffix = ", verified";
constexpr std::string_view kFailedPrefix = "Provenance check failed";

// Our own lookups (not Report::FirstError) so badges needs only the verifier's types.
bool HasError(const Report& report) {
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kError) return true;
  }
  for (const ReportNode& n : report.nodes) {
    for (const Finding& f : n.checks) {
      if (f.severity == Severity::kError) return true;
    }
  }
  return false;
}

// "Provenance check failed: <detail>", or without the colon when there is nothing to name.
void MakeFailed(Badge& badge, std::string detail) {
  badge.state = BadgeState::kFailed;
  detail = internal::OneLine(internal::ShortenCommits(detail));
  while (!detail.empty() && detail.back() == ' ') detail.pop_back();
  std::string label = std::string(kFailedPrefix) + (detail.empty() ? "" : ": " + detail);
  badge.label = internal::Truncate(label, kMaxLabelChars);
}

void Refuse(Badge& badge, std::string code, std::string text, std::string detail) {
  badge.reasons.push_back({std::move(code), std::move(text)});
  MakeFailed(badge, std::move(detail));
}

// "<text>, verified" with the text cut so the suffix always shows.
void MakeVerified(Badge& badge, std::string_view text) {
  badge.state = BadgeState::kVerified;
  size_t room = kMaxLabelChars - kVerifiedSuffix.size();
  badge.label = internal::Truncate(internal::OneLine(text), room) + std::string(kVerifiedSuffix);
}

// The root's relation: the lineage tree's when there is one, else the chain's.
std::string RootRelation(const Report& report) {
  if (!report.nodes.empty()) return report.nodes.front().relation;
  return report.chain.empty() ? "" : report.chain.front().relation;
}

// "org/base@1a2b3c4" for each direct parent of the root (the first only, unless a merge).
std::string ParentNames(const Report& report, bool all) {
  std::string out;
  auto add = [&](const std::string& repo, const std::string& commit) {
    if (!out.empty()) out += " + ";
    out += repo + "@" + commit.substr(0, 7);
  };
  if (report.nodes.empty()) {
    if (report.chain.size() > 1) add(report.chain[1].repo, report.chain[1].commit);
    return out;
  }
  for (const ReportNode& n : report.nodes) {
    if (n.parent != 0) continue;
    add(n.repo, n.commit);
    if (!all) break;
  }
  return out;
}

// A report that says kVerified becomes a verified badge only if nothing contradicts it.
void ApplyVerifiedVerdict(const Report& report, Badge& badge) {
  if (HasError(report)) {
    MakeFailed(badge, internal::FailureReason(report));
    return;
  }
  if (report.chain.empty() || report.chain.front().signer.empty()) {
    Refuse(badge, "badge.no_signer",
           "The report says verified but names no signer; a verified badge must name who "
           "verified it.",
           "no signer recorded");
    return;
  }
  for (const ChainLink& link : report.chain) {
    if (link.status != Verdict::kVerified) {
      Refuse(badge, "badge.chain_link_unverified",
             "The report says verified but the link " + link.repo + "@" + link.commit +
                 " is not verified.",
             "chain link " + link.repo + " not verified");
      return;
    }
  }
  for (const ReportNode& n : report.nodes) {
    if (n.status != Verdict::kVerified) {
      Refuse(badge, "badge.node_unverified",
             "The report says verified but the revision " + n.repo + "@" + n.commit +
                 " is not verified.",
             "lineage node " + n.repo + " not verified");
      return;
    }
  }
  const std::string relation = RootRelation(report);
  const std::string parents = ParentNames(report, relation == "merge");
  const bool derived = relation == "quantize" || relation == "finetune" || relation == "adapter" ||
                       relation == "merge";
  if (derived && parents.empty()) {
    Refuse(badge, "badge.no_parent",
           "The report says verified for a " + relation + " but names no parent revision.",
           "no parent recorded");
    return;
  }
  if (relation == "quantize" && report.fidelity == "exact") {
    MakeVerified(badge, "Bit-exact quantization of " + parents);
  } else if (relation == "quantize") {
    MakeVerified(badge, "Quantized from " + parents);
  } else if (relation == "finetune") {
    MakeVerified(badge, "Fine-tuned from " + parents);
  } else if (relation == "adapter") {
    MakeVerified(badge, "Adapter of " + parents);
  } else if (relation == "merge") {
    MakeVerified(badge, "Merged from " + parents);
  } else if (relation == "train" || relation == "signed" || relation == "self" ||
             relation.empty()) {
    MakeVerified(badge, "Signed by " + report.chain.front().signer);
  } else {
    Refuse(badge, "badge.unknown_relation",
           "The report says verified for a relation this badge cannot name: " + relation + ".",
           "unknown relation " + relation);
  }
}

void MakeUnverified(const Report& report, Badge& badge) {
  badge.state = BadgeState::kUnverified;
  const bool quantization = report.claims_quantization || RootRelation(report) == "quantize";
  badge.label = quantization ? "Unverified quantization" : "Unverified";
}

}  // namespace

std::string_view BadgeStateName(BadgeState s) {
  switch (s) {
    case BadgeState::kVerified:
      return "verified";
    case BadgeState::kUnverified:
      return "unverified";
    case BadgeState::kPending:
      return "pending";
    case BadgeState::kFailed:
      break;
  }
  return "failed";
}

Badge BadgeFromReport(const Report& report, std::string_view repo, std::string_view commit,
                      std::string_view checked_at) {
  Badge badge;
  badge.repo = repo;
  badge.commit = commit;
  badge.chain = report.chain;
  badge.policy_digest = report.policy_digest;
  badge.verifier_version = report.verifier_version;
  badge.checked_at = checked_at;
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kError || f.severity == Severity::kWarning) {
      badge.reasons.push_back({f.code, f.message});
    }
  }
  switch (report.verdict) {
    case Verdict::kVerified:
      ApplyVerifiedVerdict(report, badge);
      break;
    case Verdict::kUnverified:
      MakeUnverified(report, badge);
      break;
    default:  // kFailed, or any value out of range: fail closed.
      MakeFailed(badge, internal::FailureReason(report));
      break;
  }
  badge.message = BadgeStateName(badge.state);
  badge.color = internal::StateColor(badge.state);
  return badge;
}

Badge PendingBadge(std::string_view repo, std::string_view commit) {
  Badge badge;
  badge.repo = repo;
  badge.commit = commit;
  badge.state = BadgeState::kPending;
  badge.label = internal::kPendingLabel;
  badge.message = "pending";
  badge.color = internal::kColorPending;
  return badge;
}

}  // namespace provbadge::badges
