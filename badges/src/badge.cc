// How a verification report becomes a badge (fail closed).
#include <string>
#include <utility>

#include "badge_style.h"
#include "provbadge/badges/badge.h"
#include "text_util.h"

namespace provbadge::badges {
namespace {

using verifier::Finding;
using verifier::Report;
using verifier::Severity;
using verifier::Verdict;

constexpr size_t kMaxMessageChars = 80;
constexpr std::string_view kVerifiedPrefix = "signed by ";
constexpr std::string_view kVerifiedSuffix = ", verified";
constexpr std::string_view kFailedPrefix = "check failed: ";

// Our own lookups (not Report::FirstError) so badges needs only the verifier's types.
const Finding* FirstError(const Report& report) {
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kError) return &f;
  }
  return nullptr;
}

// The part of a dotted finding code after the last dot: "oms.file_changed" -> "file_changed".
std::string_view CodeTail(std::string_view code) {
  size_t dot = code.rfind('.');
  return dot == std::string_view::npos ? code : code.substr(dot + 1);
}

// A short phrase for well-known failure kinds, said after the path; empty if unknown.
std::string_view KnownPhrase(std::string_view code) {
  struct Entry {
    std::string_view tail;
    std::string_view phrase;
  };
  static constexpr Entry kPhrases[] = {
      {"file_changed", "digest differs from signed"},
      {"digest_mismatch", "digest differs from signed"},
      {"file_missing", "is missing"},
      {"file_unsigned", "is not signed"},
      {"file_extra", "is not signed"},
      {"signature_invalid", "signature does not verify"},
      {"identity_mismatch", "signer not allowed"},
      {"publisher_not_allowed", "not signed by an allowed publisher"},
  };
  for (const Entry& e : kPhrases) {
    if (CodeTail(code) == e.tail) return e.phrase;
  }
  return {};
}

std::string WithoutFinalPeriod(std::string text) {
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// "weights.bin digest differs from signed", else the finding's sentence, else its code.
std::string ShortFailure(const Finding& f) {
  std::string_view phrase = KnownPhrase(f.code);
  std::string detail = phrase.empty() ? WithoutFinalPeriod(f.message) : std::string(phrase);
  if (detail.empty()) detail = f.code;
  if (f.path.empty()) return detail;
  return f.path + (phrase.empty() ? ": " : " ") + detail;
}

std::string UnverifiedMessage(const Finding* first_error) {
  if (first_error == nullptr) return "unverified";
  const std::string& code = first_error->code;
  if (code == "oms.signature_missing") return "unverified: unsigned";
  if (code == "policy.no_publisher") return "unverified: no trusted publisher";
  return "unverified";
}

// "check failed: <detail>", or just "check failed" when there is nothing to name.
void MakeFailed(Badge& badge, std::string detail) {
  badge.state = BadgeState::kFailed;
  std::string message = detail.empty() ? "check failed" : std::string(kFailedPrefix) + detail;
  message = internal::OneLine(message);
  while (!message.empty() && message.back() == ' ') message.pop_back();
  badge.message = internal::Truncate(message, kMaxMessageChars);
}

void MakeVerified(Badge& badge, std::string_view signer) {
  size_t room = kMaxMessageChars - kVerifiedPrefix.size() - kVerifiedSuffix.size();
  badge.state = BadgeState::kVerified;
  badge.message = std::string(kVerifiedPrefix) +
                  internal::Truncate(internal::OneLine(signer), room) +
                  std::string(kVerifiedSuffix);
}

// A report that says kVerified becomes a verified badge only if nothing contradicts it.
void ApplyVerifiedVerdict(const Report& report, Badge& badge) {
  if (const Finding* error = FirstError(report)) {
    MakeFailed(badge, ShortFailure(*error));
    return;
  }
  if (report.chain.empty() || report.chain.front().signer.empty()) {
    badge.reasons.push_back({"badge.no_signer",
                             "The report says verified but names no signer; a verified badge "
                             "must name who verified it."});
    MakeFailed(badge, "no signer recorded");
    return;
  }
  for (const verifier::ChainLink& link : report.chain) {
    if (link.status != Verdict::kVerified) {
      badge.reasons.push_back(
          {"badge.chain_link_unverified", "The report says verified but the link " + link.repo +
                                              "@" + link.commit + " is not verified."});
      MakeFailed(badge, "chain link " + link.repo + " not verified");
      return;
    }
  }
  MakeVerified(badge, report.chain.front().signer);
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
  badge.label = internal::kLabel;
  badge.chain = report.chain;
  badge.policy_digest = report.policy_digest;
  badge.verifier_version = report.verifier_version;
  badge.checked_at = checked_at;
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kError || f.severity == Severity::kWarning) {
      badge.reasons.push_back({f.code, f.message});
    }
  }
  const Finding* first_error = FirstError(report);
  switch (report.verdict) {
    case Verdict::kVerified:
      ApplyVerifiedVerdict(report, badge);
      break;
    case Verdict::kUnverified:
      badge.state = BadgeState::kUnverified;
      badge.message = UnverifiedMessage(first_error);
      break;
    default:  // kFailed, or any value out of range: fail closed.
      MakeFailed(badge, first_error == nullptr ? "" : ShortFailure(*first_error));
      break;
  }
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
