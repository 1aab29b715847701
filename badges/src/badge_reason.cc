// Short failure reasons for failed badges.
#include "badge_reason.h"

#include <cctype>

namespace provbadge::badges::internal {
namespace {

using verifier::Finding;
using verifier::Report;
using verifier::ReportNode;
using verifier::Severity;
using verifier::Verdict;

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
      {"builder_not_allowed", "not signed by an allowed builder"},
      {"signer_not_allowed", "not signed by an allowed builder"},
      {"subject_mismatch", "digest differs from attested"},
      {"consumed_digest_mismatch", "digest differs from attested"},
      {"consumed_file_missing", "is missing from the parent"},
      {"consumed_file_unsigned", "is not signed by the parent"},
      {"parent_not_pinned", "parent not pinned to a commit"},
      {"cycle", "lineage has a cycle"},
      {"too_deep", "lineage deeper than the policy allows"},
      {"too_many_nodes", "lineage too large"},
      {"parent_unreadable", "parent revision unreadable"},
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

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

std::string ShortenCommits(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] != '@') continue;
    size_t n = 0;
    while (i + 1 + n < text.size() && n < 41 && IsHex(text[i + 1 + n])) ++n;
    if (n == 40) {
      out.append(text.substr(i + 1, 7));
      i += 40;
    }
  }
  return out;
}

std::string ShortFailure(const Finding& f) {
  if (CodeTail(f.code) == "revoked" && !f.actual.empty()) return ShortenCommits(f.actual);
  std::string_view phrase = KnownPhrase(f.code);
  std::string detail = phrase.empty() ? WithoutFinalPeriod(f.message) : std::string(phrase);
  if (detail.empty()) detail = f.code;
  std::string path = f.path;
  if (path.rfind("hf://", 0) == 0) path = ShortenCommits(path.substr(5));
  if (path.empty()) return detail;
  return path + (phrase.empty() ? ": " : " ") + detail;
}

std::string FailureReason(const Report& report) {
  for (size_t i = 0; i < report.nodes.size(); ++i) {
    const ReportNode& n = report.nodes[i];
    if (n.status != Verdict::kFailed) continue;
    for (const Finding& f : n.checks) {
      if (f.severity != Severity::kError) continue;
      std::string reason = ShortFailure(f);
      if (i == 0) return reason;
      return n.repo + "@" + n.commit.substr(0, 7) + ": " + reason;
    }
  }
  for (const Finding& f : report.findings) {
    if (f.severity == Severity::kError) return ShortFailure(f);
  }
  return "";
}

}  // namespace provbadge::badges::internal
