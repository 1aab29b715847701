// Badge JSON: the shields.io endpoint schema plus provbadge's own fields.
#include <nlohmann/json.hpp>

#include <string>
#include <utility>

#include "badge_style.h"
#include "provbadge/badges/badge.h"
#include "provbadge/common/json_depth.h"
#include "provbadge/common/limits.h"

namespace provbadge::badges {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr size_t kMaxBadgeJsonBytes = limits::kMaxBadgeJsonBytes;
constexpr int kSchemaVersion = 1;

Error BadField(std::string_view where, std::string_view problem) {
  return InvalidInput("badge json: field \"" + std::string(where) + "\": " + std::string(problem));
}

Result<std::string> GetString(const json& obj, std::string_view key, std::string_view where) {
  std::string path = where.empty() ? std::string(key) : std::string(where) + "." + std::string(key);
  auto it = obj.find(key);
  if (it == obj.end()) return BadField(path, "missing");
  if (!it->is_string()) return BadField(path, "expected a string");
  return it->get<std::string>();
}

const json* GetArray(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? &*it : nullptr;
}

Result<verifier::ChainLink> ChainLinkFromJson(const json& j, const std::string& where) {
  if (!j.is_object()) return BadField(where, "expected an object");
  verifier::ChainLink link;
  std::pair<const char*, std::string*> fields[] = {{"repo", &link.repo},
                                                   {"commit", &link.commit},
                                                   {"relation", &link.relation},
                                                   {"signer", &link.signer}};
  for (auto& [key, out] : fields) {
    Result<std::string> v = GetString(j, key, where);
    if (!v.ok()) return v.error();
    *out = std::move(*v);
  }
  Result<std::string> status = GetString(j, "status", where);
  if (!status.ok()) return status.error();
  std::optional<verifier::Verdict> verdict = internal::VerdictFromText(*status);
  if (!verdict) return BadField(where + ".status", "unknown status \"" + *status + "\"");
  link.status = *verdict;
  return link;
}

Result<Reason> ReasonFromJson(const json& j, const std::string& where) {
  if (!j.is_object()) return BadField(where, "expected an object");
  Result<std::string> code = GetString(j, "code", where);
  if (!code.ok()) return code.error();
  Result<std::string> text = GetString(j, "text", where);
  if (!text.ok()) return text.error();
  return Reason{std::move(*code), std::move(*text)};
}

Status ReadScalars(const json& j, Badge& badge) {
  auto version = j.find("schemaVersion");
  if (version == j.end() || !version->is_number_integer() || *version != kSchemaVersion) {
    return BadField("schemaVersion", "expected 1");
  }
  std::pair<const char*, std::string*> fields[] = {{"label", &badge.label},
                                                   {"message", &badge.message},
                                                   {"color", &badge.color},
                                                   {"repo", &badge.repo},
                                                   {"commit", &badge.commit},
                                                   {"policy_digest", &badge.policy_digest},
                                                   {"verifier_version", &badge.verifier_version},
                                                   {"checked_at", &badge.checked_at}};
  for (auto& [key, out] : fields) {
    Result<std::string> v = GetString(j, key, "");
    if (!v.ok()) return v.error();
    *out = std::move(*v);
  }
  Result<std::string> state = GetString(j, "state", "");
  if (!state.ok()) return state.error();
  std::optional<BadgeState> parsed = internal::BadgeStateFromName(*state);
  if (!parsed) return BadField("state", "unknown state \"" + *state + "\"");
  badge.state = *parsed;
  return Status::Ok();
}

Status ReadLists(const json& j, Badge& badge) {
  const json* chain = GetArray(j, "chain");
  if (chain == nullptr) return BadField("chain", "expected an array");
  for (size_t i = 0; i < chain->size(); ++i) {
    Result<verifier::ChainLink> link =
        ChainLinkFromJson((*chain)[i], "chain[" + std::to_string(i) + "]");
    if (!link.ok()) return link.error();
    badge.chain.push_back(std::move(*link));
  }
  const json* reasons = GetArray(j, "reasons");
  if (reasons == nullptr) return BadField("reasons", "expected an array");
  for (size_t i = 0; i < reasons->size(); ++i) {
    Result<Reason> reason = ReasonFromJson((*reasons)[i], "reasons[" + std::to_string(i) + "]");
    if (!reason.ok()) return reason.error();
    badge.reasons.push_back(std::move(*reason));
  }
  return Status::Ok();
}

}  // namespace

std::string BadgeToJson(const Badge& badge) {
  ordered_json j;
  j["schemaVersion"] = kSchemaVersion;
  j["label"] = badge.label;
  j["message"] = badge.message;
  j["color"] = badge.color;
  j["state"] = BadgeStateName(badge.state);
  j["repo"] = badge.repo;
  j["commit"] = badge.commit;
  j["chain"] = ordered_json::array();
  for (const verifier::ChainLink& link : badge.chain) {
    j["chain"].push_back({{"repo", link.repo},
                          {"commit", link.commit},
                          {"relation", link.relation},
                          {"signer", link.signer},
                          {"status", internal::VerdictText(link.status)}});
  }
  j["reasons"] = ordered_json::array();
  for (const Reason& r : badge.reasons) {
    j["reasons"].push_back({{"code", r.code}, {"text", r.text}});
  }
  j["policy_digest"] = badge.policy_digest;
  j["verifier_version"] = badge.verifier_version;
  j["checked_at"] = badge.checked_at;
  // Invalid UTF-8 (e.g. a hostile file name) becomes U+FFFD instead of throwing.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Badge> BadgeFromJson(std::string_view text) {
  if (text.size() > kMaxBadgeJsonBytes) {
    return InvalidInput("badge json: larger than " + std::to_string(kMaxBadgeJsonBytes) + " bytes");
  }
  if (!JsonDepthWithin(text, limits::kMaxJsonDepth)) {
    return InvalidInput("badge json: nested deeper than " + std::to_string(limits::kMaxJsonDepth) +
                        " levels");
  }
  try {
    json j = json::parse(text);
    if (!j.is_object()) return InvalidInput("badge json: expected an object");
    Badge badge;
    if (Status s = ReadScalars(j, badge); !s.ok()) return s.error();
    if (Status s = ReadLists(j, badge); !s.ok()) return s.error();
    return badge;
  } catch (const json::exception& e) {
    return InvalidInput(std::string("badge json: ") + e.what());
  }
}

}  // namespace provbadge::badges
