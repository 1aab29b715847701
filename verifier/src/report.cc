// Report helpers and its readable text form (the JSON form is in report_json.cc).
#include "provbadge/verifier/report.h"

#include <set>
#include <sstream>
#include <tuple>

namespace provbadge::verifier {
namespace {

void PrintFinding(const Finding& f, const std::string& indent, std::ostringstream& out) {
  out << indent << "[" << SeverityName(f.severity) << "] " << f.code << ": " << f.message << "\n";
  if (!f.path.empty()) out << indent << "    path:     " << f.path << "\n";
  if (!f.expected.empty()) out << indent << "    expected: " << f.expected << "\n";
  if (!f.actual.empty()) out << indent << "    actual:   " << f.actual << "\n";
}

void PrintNode(const Report& report, size_t index, int depth, std::ostringstream& out) {
  const ReportNode& n = report.nodes[index];
  const std::string indent(static_cast<size_t>(depth) * 4 + 2, ' ');
  out << indent << n.repo;
  if (!n.commit.empty()) out << "@" << n.commit;
  out << "  " << VerdictName(n.status) << "  (" << (n.relation.empty() ? "-" : n.relation)
      << ") signer=" << (n.signer.empty() ? "-" : n.signer) << " builders=";
  if (n.builders.empty()) out << "-";
  for (size_t i = 0; i < n.builders.size(); ++i) out << (i ? "," : "") << n.builders[i];
  if (n.from_cache) out << " [cached]";
  out << "\n";
  for (const Finding& f : n.checks) PrintFinding(f, indent + "  ", out);
  // Parents always come after the node that depends on them (ReportFromJson checks it), so
  // this recursion ends; its depth is bounded by the walk's depth limit.
  for (size_t i = index + 1; i < report.nodes.size(); ++i) {
    if (report.nodes[i].parent == static_cast<int>(index)) PrintNode(report, i, depth + 1, out);
  }
}

// Flat findings that no node's checks already show (e.g. added after the walk).
std::vector<const Finding*> Unattributed(const Report& report) {
  std::set<std::tuple<std::string, std::string, std::string>> shown;
  for (const ReportNode& n : report.nodes) {
    for (const Finding& f : n.checks) shown.emplace(f.code, f.expected, f.actual);
  }
  std::vector<const Finding*> out;
  for (const Finding& f : report.findings) {
    if (!shown.count({f.code, f.expected, f.actual})) out.push_back(&f);
  }
  return out;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kVerified:
      return "verified";
    case Verdict::kUnverified:
      return "unverified";
    case Verdict::kFailed:
      return "failed";
  }
  return "failed";
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "error";
}

bool Report::HasErrors() const { return FirstError() != nullptr; }

const Finding* Report::FirstError() const {
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) return &f;
  }
  return nullptr;
}

std::string ReportToText(const Report& report) {
  std::ostringstream out;
  out << "subject:  " << report.subject << "\n";
  out << "verdict:  " << VerdictName(report.verdict) << "\n";
  if (report.claims_quantization) {
    out << "claims:   quantization"
        << (report.claimed_base.empty() ? "" : " of " + report.claimed_base)
        << " (unsigned hint)\n";
  }
  if (!report.fidelity.empty()) out << "fidelity: " << report.fidelity << "\n";
  if (report.nodes.empty()) {
    for (const ChainLink& l : report.chain) {
      out << "chain:    " << l.repo;
      if (!l.commit.empty()) out << "@" << l.commit;
      out << " (" << l.relation << ") signer=" << (l.signer.empty() ? "-" : l.signer)
          << " status=" << VerdictName(l.status) << "\n";
    }
    for (const Finding& f : report.findings) PrintFinding(f, "", out);
  } else {
    out << "lineage:\n";
    PrintNode(report, 0, 0, out);
    std::vector<const Finding*> rest = Unattributed(report);
    if (!rest.empty()) out << "other findings:\n";
    for (const Finding* f : rest) PrintFinding(*f, "  ", out);
  }
  if (!report.policy_digest.empty()) out << "policy:   " << report.policy_digest << "\n";
  if (!report.verifier_version.empty()) out << "verifier: " << report.verifier_version << "\n";
  return out.str();
}

}  // namespace provbadge::verifier
