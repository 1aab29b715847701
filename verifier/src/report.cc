// Report helpers and its JSON / text forms.
#include "provbadge/verifier/report.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <sstream>

#include "json_util.h"
#include "limits.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

std::optional<Verdict> VerdictFromName(std::string_view s) {
  if (s == "verified") return Verdict::kVerified;
  if (s == "unverified") return Verdict::kUnverified;
  if (s == "failed") return Verdict::kFailed;
  return std::nullopt;
}

std::optional<Severity> SeverityFromName(std::string_view s) {
  if (s == "error") return Severity::kError;
  if (s == "warning") return Severity::kWarning;
  if (s == "info") return Severity::kInfo;
  return std::nullopt;
}

// Reads an optional string member; false when present with another type.
bool GetString(const json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

Result<Finding> FindingFromJson(const json& j) {
  if (!j.is_object()) return InvalidInput("finding is not an object");
  Finding f;
  std::string severity = "error";
  if (!GetString(j, "code", &f.code) || f.code.empty()) return InvalidInput("finding.code");
  if (!GetString(j, "severity", &severity)) return InvalidInput("finding.severity");
  std::optional<Severity> s = SeverityFromName(severity);
  if (!s) return InvalidInput("finding.severity: unknown value '" + severity + "'");
  f.severity = *s;
  if (!GetString(j, "message", &f.message) || !GetString(j, "path", &f.path) ||
      !GetString(j, "expected", &f.expected) || !GetString(j, "actual", &f.actual)) {
    return InvalidInput("finding: a text field is not a string");
  }
  return f;
}

Result<ChainLink> LinkFromJson(const json& j) {
  if (!j.is_object()) return InvalidInput("chain link is not an object");
  ChainLink l;
  std::string status = "unverified";
  if (!GetString(j, "repo", &l.repo) || !GetString(j, "commit", &l.commit) ||
      !GetString(j, "relation", &l.relation) || !GetString(j, "signer", &l.signer) ||
      !GetString(j, "status", &status)) {
    return InvalidInput("chain link: a field is not a string");
  }
  std::optional<Verdict> v = VerdictFromName(status);
  if (!v) return InvalidInput("chain link status: unknown value '" + status + "'");
  l.status = *v;
  return l;
}

Result<Report> ReportFromParsed(const json& j) {
  if (!j.is_object()) return InvalidInput("report is not a JSON object");
  Report r;
  std::string verdict;
  if (!GetString(j, "verdict", &verdict)) return InvalidInput("report.verdict is not a string");
  std::optional<Verdict> v = VerdictFromName(verdict);
  if (!v) return InvalidInput("report.verdict: missing or unknown value '" + verdict + "'");
  r.verdict = *v;
  if (!GetString(j, "subject", &r.subject) || !GetString(j, "policy_digest", &r.policy_digest) ||
      !GetString(j, "verifier_version", &r.verifier_version)) {
    return InvalidInput("report: a text field is not a string");
  }
  if (auto it = j.find("findings"); it != j.end()) {
    if (!it->is_array()) return InvalidInput("report.findings is not an array");
    for (const json& f : *it) {
      Result<Finding> parsed = FindingFromJson(f);
      if (!parsed.ok()) return parsed.error().Wrap("report.findings");
      r.findings.push_back(std::move(*parsed));
    }
  }
  if (auto it = j.find("chain"); it != j.end()) {
    if (!it->is_array()) return InvalidInput("report.chain is not an array");
    for (const json& l : *it) {
      Result<ChainLink> parsed = LinkFromJson(l);
      if (!parsed.ok()) return parsed.error().Wrap("report.chain");
      r.chain.push_back(std::move(*parsed));
    }
  }
  return r;
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

std::string ReportToJson(const Report& report) {
  json findings = json::array();
  for (const Finding& f : report.findings) {
    findings.push_back({{"code", f.code},
                        {"severity", SeverityName(f.severity)},
                        {"message", f.message},
                        {"path", f.path},
                        {"expected", f.expected},
                        {"actual", f.actual}});
  }
  json chain = json::array();
  for (const ChainLink& l : report.chain) {
    chain.push_back({{"repo", l.repo},
                     {"commit", l.commit},
                     {"relation", l.relation},
                     {"signer", l.signer},
                     {"status", VerdictName(l.status)}});
  }
  json j = {{"subject", report.subject},
            {"verdict", VerdictName(report.verdict)},
            {"findings", std::move(findings)},
            {"chain", std::move(chain)},
            {"policy_digest", report.policy_digest},
            {"verifier_version", report.verifier_version}};
  // Invalid UTF-8 (e.g. a hostile file name) is replaced rather than thrown on.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Report> ReportFromJson(std::string_view text) {
  json j;
  switch (internal::ParseJsonBounded(text, limits::kMaxJsonDepth, &j)) {
    case internal::JsonParseStatus::kTooDeep:
      return InvalidInput("report JSON nests too deeply");
    case internal::JsonParseStatus::kInvalid:
      return InvalidInput("report is not valid JSON");
    case internal::JsonParseStatus::kOk:
      break;
  }
  try {
    return ReportFromParsed(j);
  } catch (const json::exception& e) {
    return InvalidInput(std::string("report JSON: ") + e.what());
  }
}

std::string ReportToText(const Report& report) {
  std::ostringstream out;
  out << "subject:  " << report.subject << "\n";
  out << "verdict:  " << VerdictName(report.verdict) << "\n";
  for (const ChainLink& l : report.chain) {
    out << "chain:    " << l.repo;
    if (!l.commit.empty()) out << "@" << l.commit;
    out << " (" << l.relation << ") signer=" << (l.signer.empty() ? "-" : l.signer)
        << " status=" << VerdictName(l.status) << "\n";
  }
  for (const Finding& f : report.findings) {
    out << "[" << SeverityName(f.severity) << "] " << f.code << ": " << f.message << "\n";
    if (!f.path.empty()) out << "    path:     " << f.path << "\n";
    if (!f.expected.empty()) out << "    expected: " << f.expected << "\n";
    if (!f.actual.empty()) out << "    actual:   " << f.actual << "\n";
  }
  if (!report.policy_digest.empty()) out << "policy:   " << report.policy_digest << "\n";
  if (!report.verifier_version.empty()) out << "verifier: " << report.verifier_version << "\n";
  return out.str();
}

}  // namespace provbadge::verifier
