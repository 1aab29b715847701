// CachedNode's JSON form: what the badge store keeps (as opaque bytes) per (repo, commit,
// policy digest).
#include <nlohmann/json.hpp>

#include <utility>

#include "json_util.h"
#include "limits.h"
#include "provbadge/verifier/lineage.h"
#include "report_json.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

constexpr int kCacheFormat = 1;
constexpr size_t kMaxCachedNodeBytes = 64u << 20;

json PairsToJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json out = json::array();
  for (const auto& [a, b] : pairs) out.push_back(json::array({a, b}));
  return out;
}

Status PairsFromJson(const json& j, const char* key,
                     std::vector<std::pair<std::string, std::string>>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_array()) return InvalidInput(std::string(key) + " is not an array");
  for (const json& p : *it) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
      return InvalidInput(std::string(key) + ": an entry is not [path, sha256]");
    }
    out->emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  }
  return Status::Ok();
}

Result<ParentLink> ParentFromJson(const json& j) {
  if (!j.is_object()) return InvalidInput("parents: an entry is not an object");
  ParentLink link;
  if (!internal::GetOptionalString(j, "repo", &link.repo) ||
      !internal::GetOptionalString(j, "commit", &link.commit) ||
      !internal::GetOptionalString(j, "relation", &link.relation)) {
    return InvalidInput("parents: a text field is not a string");
  }
  if (Status s = PairsFromJson(j, "consumed", &link.consumed); !s.ok()) {
    return s.error().Wrap("parents");
  }
  return link;
}

Result<CachedNode> CachedNodeFromParsed(const json& j) {
  if (!j.is_object()) return InvalidInput("cached node is not an object");
  auto format = j.find("format");
  if (format == j.end() || !format->is_number_integer() || *format != kCacheFormat) {
    return InvalidInput("cached node: unknown format");
  }
  CachedNode out;
  auto node = j.find("node");
  if (node == j.end()) return InvalidInput("cached node: no node");
  Result<ReportNode> parsed = internal::NodeFromJson(*node);
  if (!parsed.ok()) return parsed.error().Wrap("cached node");
  out.node = std::move(*parsed);
  out.node.parent = -1;
  out.node.from_cache = false;
  if (!internal::GetOptionalString(j, "verifierVersion", &out.verifier_version)) {
    return InvalidInput("cached node: verifierVersion is not a string");
  }
  auto parents = j.find("parents");
  if (parents != j.end()) {
    if (!parents->is_array()) return InvalidInput("cached node: parents is not an array");
    for (const json& p : *parents) {
      Result<ParentLink> link = ParentFromJson(p);
      if (!link.ok()) return link.error().Wrap("cached node");
      out.parents.push_back(std::move(*link));
    }
  }
  if (Status s = PairsFromJson(j, "signedFiles", &out.signed_files); !s.ok()) {
    return s.error().Wrap("cached node");
  }
  return out;
}

}  // namespace

std::string CachedNodeToJson(const CachedNode& node) {
  json parents = json::array();
  for (const ParentLink& p : node.parents) {
    parents.push_back({{"repo", p.repo},
                       {"commit", p.commit},
                       {"relation", p.relation},
                       {"consumed", PairsToJson(p.consumed)}});
  }
  json j = {{"format", kCacheFormat},
            {"node", internal::NodeToJson(node.node)},
            {"parents", std::move(parents)},
            {"signedFiles", PairsToJson(node.signed_files)},
            {"verifierVersion", node.verifier_version}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<CachedNode> CachedNodeFromJson(std::string_view text) {
  if (text.size() > kMaxCachedNodeBytes) return InvalidInput("cached node: too large");
  json j;
  switch (internal::ParseJsonBounded(text, limits::kMaxJsonDepth, &j)) {
    case internal::JsonParseStatus::kTooDeep:
      return InvalidInput("cached node nests too deeply");
    case internal::JsonParseStatus::kInvalid:
      return InvalidInput("cached node is not valid JSON");
    case internal::JsonParseStatus::kOk:
      break;
  }
  try {
    return CachedNodeFromParsed(j);
  } catch (const json::exception& e) {
    return InvalidInput(std::string("cached node: ") + e.what());
  }
}

}  // namespace provbadge::verifier
