// The report's JSON form (README "Report JSON"), both ways.
#include "report_json.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <optional>
#include <utility>

#include "json_util.h"
#include "limits.h"

namespace provbadge::verifier {
namespace internal {

using nlohmann::json;

std::optional<Verdict> VerdictFromName(std::string_view s) {
  if (s == "verified") return Verdict::kVerified;
  if (s == "unverified") return Verdict::kUnverified;
  if (s == "failed") return Verdict::kFailed;
  return std::nullopt;
}

bool GetOptionalString(const json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

namespace {

std::optional<Severity> SeverityFromName(std::string_view s) {
  if (s == "error") return Severity::kError;
  if (s == "warning") return Severity::kWarning;
  if (s == "info") return Severity::kInfo;
  return std::nullopt;
}

Result<ChainLink> LinkFromJson(const json& j) {
  if (!j.is_object()) return InvalidInput("chain link is not an object");
  ChainLink l;
  std::string status = "unverified";
  if (!GetOptionalString(j, "repo", &l.repo) || !GetOptionalString(j, "commit", &l.commit) ||
      !GetOptionalString(j, "relation", &l.relation) ||
      !GetOptionalString(j, "signer", &l.signer) || !GetOptionalString(j, "status", &status)) {
    return InvalidInput("chain link: a field is not a string");
  }
  std::optional<Verdict> v = VerdictFromName(status);
  if (!v) return InvalidInput("chain link status: unknown value '" + status + "'");
  l.status = *v;
  return l;
}

// Reads the array member `key` (absent: nothing) with `parse` for each element.
template <typename T, typename Parse>
Status ReadArray(const json& j, const char* key, Parse parse, std::vector<T>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_array()) return InvalidInput(std::string(key) + " is not an array");
  for (size_t i = 0; i < it->size(); ++i) {
    Result<T> parsed = parse((*it)[i]);
    if (!parsed.ok()) return parsed.error().Wrap(std::string(key) + "[" + std::to_string(i) + "]");
    out->push_back(std::move(*parsed));
  }
  return Status::Ok();
}

Status ReadNodes(const json& j, Report* r) {
  if (Status s = ReadArray<ReportNode>(j, "nodes", NodeFromJson, &r->nodes); !s.ok()) return s;
  for (size_t i = 0; i < r->nodes.size(); ++i) {
    const int parent = r->nodes[i].parent;
    const bool ok = i == 0 ? parent == -1 : parent >= 0 && static_cast<size_t>(parent) < i;
    if (!ok) {
      return InvalidInput(
          "nodes[" + std::to_string(i) + "].parent: " + std::to_string(parent) +
          (i == 0 ? " (the first node must have parent -1)" : " does not name an earlier node"));
    }
  }
  return Status::Ok();
}

Result<Report> ReportFromParsed(const json& j) {
  if (!j.is_object()) return InvalidInput("report is not a JSON object");
  Report r;
  std::string verdict;
  if (!GetOptionalString(j, "verdict", &verdict)) {
    return InvalidInput("report.verdict is not a string");
  }
  std::optional<Verdict> v = VerdictFromName(verdict);
  if (!v) return InvalidInput("report.verdict: missing or unknown value '" + verdict + "'");
  r.verdict = *v;
  if (!GetOptionalString(j, "subject", &r.subject) ||
      !GetOptionalString(j, "policy_digest", &r.policy_digest) ||
      !GetOptionalString(j, "verifier_version", &r.verifier_version) ||
      !GetOptionalString(j, "claimedBase", &r.claimed_base) ||
      !GetOptionalString(j, "fidelity", &r.fidelity)) {
    return InvalidInput("report: a text field is not a string");
  }
  if (r.fidelity != "" && r.fidelity != "exact" && r.fidelity != "mismatch" &&
      r.fidelity != "unverifiable" && r.fidelity != "grid-consistent") {
    return InvalidInput("report.fidelity: unknown value '" + r.fidelity + "'");
  }
  if (auto it = j.find("claimsQuantization"); it != j.end()) {
    if (!it->is_boolean()) return InvalidInput("report.claimsQuantization is not a boolean");
    r.claims_quantization = it->get<bool>();
  }
  if (Status s = ReadArray<Finding>(j, "findings", FindingFromJson, &r.findings); !s.ok()) {
    return s.error().Wrap("report");
  }
  if (Status s = ReadArray<ChainLink>(j, "chain", LinkFromJson, &r.chain); !s.ok()) {
    return s.error().Wrap("report");
  }
  if (Status s = ReadNodes(j, &r); !s.ok()) return s.error().Wrap("report");
  return r;
}

}  // namespace

json FindingToJson(const Finding& f) {
  return {{"code", f.code},         {"severity", SeverityName(f.severity)},
          {"message", f.message},   {"path", f.path},
          {"expected", f.expected}, {"actual", f.actual}};
}

Result<Finding> FindingFromJson(const json& j) {
  if (!j.is_object()) return InvalidInput("finding is not an object");
  Finding f;
  std::string severity = "error";
  if (!GetOptionalString(j, "code", &f.code) || f.code.empty()) {
    return InvalidInput("finding.code");
  }
  if (!GetOptionalString(j, "severity", &severity)) return InvalidInput("finding.severity");
  std::optional<Severity> s = SeverityFromName(severity);
  if (!s) return InvalidInput("finding.severity: unknown value '" + severity + "'");
  f.severity = *s;
  if (!GetOptionalString(j, "message", &f.message) || !GetOptionalString(j, "path", &f.path) ||
      !GetOptionalString(j, "expected", &f.expected) ||
      !GetOptionalString(j, "actual", &f.actual)) {
    return InvalidInput("finding: a text field is not a string");
  }
  return f;
}

json NodeToJson(const ReportNode& node) {
  json checks = json::array();
  for (const Finding& f : node.checks) checks.push_back(FindingToJson(f));
  return {
      {"repo", node.repo},     {"commit", node.commit},        {"relation", node.relation},
      {"signer", node.signer}, {"builders", node.builders},    {"status", VerdictName(node.status)},
      {"parent", node.parent}, {"fromCache", node.from_cache}, {"checks", std::move(checks)}};
}

Result<ReportNode> NodeFromJson(const json& j) {
  if (!j.is_object()) return InvalidInput("node is not an object");
  ReportNode node;
  std::string status = "unverified";
  if (!GetOptionalString(j, "repo", &node.repo) || !GetOptionalString(j, "commit", &node.commit) ||
      !GetOptionalString(j, "relation", &node.relation) ||
      !GetOptionalString(j, "signer", &node.signer) || !GetOptionalString(j, "status", &status)) {
    return InvalidInput("node: a text field is not a string");
  }
  std::optional<Verdict> v = VerdictFromName(status);
  if (!v) return InvalidInput("node.status: unknown value '" + status + "'");
  node.status = *v;
  if (auto it = j.find("builders"); it != j.end()) {
    if (!it->is_array()) return InvalidInput("node.builders is not an array");
    for (const json& b : *it) {
      if (!b.is_string()) return InvalidInput("node.builders: an entry is not a string");
      node.builders.push_back(b.get<std::string>());
    }
  }
  if (auto it = j.find("parent"); it != j.end()) {
    if (!it->is_number_integer() || *it < -1 || *it > std::numeric_limits<int>::max()) {
      return InvalidInput("node.parent is not an index");
    }
    node.parent = it->get<int>();
  }
  if (auto it = j.find("fromCache"); it != j.end()) {
    if (!it->is_boolean()) return InvalidInput("node.fromCache is not a boolean");
    node.from_cache = it->get<bool>();
  }
  if (Status s = ReadArray<Finding>(j, "checks", FindingFromJson, &node.checks); !s.ok()) {
    return s.error().Wrap("node");
  }
  return node;
}

}  // namespace internal

std::string ReportToJson(const Report& report) {
  using nlohmann::json;
  json findings = json::array();
  for (const Finding& f : report.findings) findings.push_back(internal::FindingToJson(f));
  json chain = json::array();
  for (const ChainLink& l : report.chain) {
    chain.push_back({{"repo", l.repo},
                     {"commit", l.commit},
                     {"relation", l.relation},
                     {"signer", l.signer},
                     {"status", VerdictName(l.status)}});
  }
  json nodes = json::array();
  for (const ReportNode& n : report.nodes) nodes.push_back(internal::NodeToJson(n));
  json j = {{"subject", report.subject},
            {"verdict", VerdictName(report.verdict)},
            {"findings", std::move(findings)},
            {"chain", std::move(chain)},
            {"nodes", std::move(nodes)},
            {"claimsQuantization", report.claims_quantization},
            {"claimedBase", report.claimed_base},
            {"fidelity", report.fidelity},
            {"policy_digest", report.policy_digest},
            {"verifier_version", report.verifier_version}};
  // Invalid UTF-8 (e.g. a hostile file name) is replaced rather than thrown on.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Report> ReportFromJson(std::string_view text) {
  nlohmann::json j;
  switch (internal::ParseJsonBounded(text, limits::kMaxJsonDepth, &j)) {
    case internal::JsonParseStatus::kTooDeep:
      return InvalidInput("report JSON nests too deeply");
    case internal::JsonParseStatus::kInvalid:
      return InvalidInput("report is not valid JSON");
    case internal::JsonParseStatus::kOk:
      break;
  }
  try {
    return internal::ReportFromParsed(j);
  } catch (const nlohmann::json::exception& e) {
    return InvalidInput(std::string("report JSON: ") + e.what());
  }
}

}  // namespace provbadge::verifier
