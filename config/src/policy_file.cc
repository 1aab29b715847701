// ParsePolicy / LoadPolicy: the trust policy file and the public keys it names.
#include <openssl/evp.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "file_util.h"
#include "json_strict.h"
#include "policy_parts.h"
#include "provbadge/config/config.h"
#include "suggest.h"

namespace provbadge::config {
namespace {

using nlohmann::json;
using policy_parts::CheckKeys;
using policy_parts::RequireString;
using verifier::Identity;
using verifier::Rule;
using verifier::TrustPolicy;

constexpr int kMinDepth = 1;
constexpr int kMaxDepth = 64;

// A rule's "publishers" or "builders": identity names, each defined and listed once.
Result<std::vector<std::string>> ParseNames(const json& rule, const std::string& key,
                                            const std::string& where,
                                            const std::set<std::string>& identities) {
  std::vector<std::string> names;
  auto it = rule.find(key);
  if (it == rule.end()) return names;
  std::string field = where + "." + key;
  if (!it->is_array()) {
    return InvalidInput(field + ": must be an array of identity names (got " +
                        std::string(JsonTypeName(*it)) + ")");
  }
  for (const json& item : *it) {
    if (!item.is_string()) return InvalidInput(field + ": every entry must be a string");
    std::string name = item.get<std::string>();
    if (identities.count(name) == 0) {
      std::vector<std::string> known(identities.begin(), identities.end());
      return InvalidInput(field + ": unknown identity \"" + name + "\"" + DidYouMean(name, known));
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return InvalidInput(field + ": \"" + name + "\" is listed twice");
    }
    names.push_back(std::move(name));
  }
  return names;
}

Status CheckRepoGlob(const std::string& glob, const std::string& where) {
  for (char c : glob) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidInput(where + ".repos: must not contain spaces or control characters");
    }
  }
  return Status::Ok();
}

Result<Rule> ParseRule(const json& entry, size_t index, const std::set<std::string>& identities) {
  std::string where = "rules[" + std::to_string(index) + "]";
  if (!entry.is_object()) {
    return InvalidInput(where + ": must be an object (got " + std::string(JsonTypeName(entry)) +
                        ")");
  }
  if (Status keys = CheckKeys(entry, where, {"repos", "publishers", "builders"}); !keys.ok()) {
    return keys.error();
  }
  Result<std::string> repos = RequireString(entry, "repos", where);
  if (!repos.ok()) return repos.error();
  if (Status glob = CheckRepoGlob(*repos, where); !glob.ok()) return glob.error();
  auto publishers = ParseNames(entry, "publishers", where, identities);
  if (!publishers.ok()) return publishers.error();
  auto builders = ParseNames(entry, "builders", where, identities);
  if (!builders.ok()) return builders.error();
  if (publishers->empty() && builders->empty()) {
    return InvalidInput(where + ": names no publishers and no builders");
  }
  return Rule{*repos, std::move(*publishers), std::move(*builders)};
}

Result<const json*> RequireArray(const json& document, const std::string& key) {
  auto it = document.find(key);
  if (it == document.end()) return InvalidInput("missing \"" + key + "\"");
  if (!it->is_array()) {
    return InvalidInput(key + ": must be an array (got " + std::string(JsonTypeName(*it)) + ")");
  }
  return &*it;
}

Result<int> ParseMaxDepth(const json& document) {
  auto it = document.find("maxDepth");
  if (it == document.end()) return TrustPolicy{}.max_depth;
  if (!it->is_number_integer()) {
    return InvalidInput("maxDepth: must be an integer (got " + std::string(JsonTypeName(*it)) +
                        ")");
  }
  bool too_big = it->is_number_unsigned() && it->get<uint64_t>() > kMaxDepth;
  int64_t value = too_big ? kMaxDepth + 1 : it->get<int64_t>();
  if (value < kMinDepth || value > kMaxDepth) {
    return InvalidInput("maxDepth: must be between " + std::to_string(kMinDepth) + " and " +
                        std::to_string(kMaxDepth) + " (got " + it->dump() + ")");
  }
  return static_cast<int>(value);
}

// "rehash": "never" | "small" | "always" (default "small"); see verifier::RehashMode.
Result<verifier::RehashMode> ParseRehash(const json& document) {
  auto it = document.find("rehash");
  if (it == document.end()) return TrustPolicy{}.rehash;
  verifier::RehashMode mode = verifier::RehashMode::kSmall;
  if (!it->is_string() || !verifier::ParseRehashMode(it->get<std::string>(), &mode)) {
    return InvalidInput("rehash: must be \"never\", \"small\" or \"always\" (got " + it->dump() +
                        ")");
  }
  return mode;
}

// "fidelity": "off" | "always" | "gguf-up-to-<N>-GB" (N whole GiB, 1..1048576; default off).
Result<verifier::FidelityPolicy> ParseFidelity(const json& document) {
  verifier::FidelityPolicy fidelity;
  auto it = document.find("fidelity");
  if (it == document.end()) return fidelity;
  const std::string expected =
      "fidelity: must be \"off\", \"always\" or \"gguf-up-to-<N>-GB\" with N a whole number "
      "of GiB from 1 to 1048576 (got " +
      it->dump() + ")";
  if (!it->is_string()) return InvalidInput(expected);
  const std::string value = it->get<std::string>();
  if (value == "off") return fidelity;
  if (value == "always") {
    fidelity.mode = verifier::FidelityMode::kAlways;
    return fidelity;
  }
  constexpr std::string_view kPrefix = "gguf-up-to-", kSuffix = "-GB";
  std::string_view v = value;
  if (v.size() <= kPrefix.size() + kSuffix.size() || v.substr(0, kPrefix.size()) != kPrefix ||
      v.substr(v.size() - kSuffix.size()) != kSuffix) {
    return InvalidInput(expected);
  }
  std::string_view digits = v.substr(kPrefix.size(), v.size() - kPrefix.size() - kSuffix.size());
  if (digits.size() > 7 || digits[0] == '0') return InvalidInput(expected);
  uint64_t gib = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return InvalidInput(expected);
    gib = gib * 10 + static_cast<uint64_t>(c - '0');
  }
  if (gib < 1 || gib > (1u << 20)) return InvalidInput(expected);
  fidelity.mode = verifier::FidelityMode::kGgufUpTo;
  fidelity.max_bytes = gib << 30;
  return fidelity;
}

// A certificateIdentity identity is checked against the trusted roots: without one it could
// never verify, which is a policy mistake worth saying at load time.
Status CheckSigstoreHasRoots(const TrustPolicy& policy) {
  if (!policy.trusted_roots.empty()) return Status::Ok();
  for (size_t i = 0; i < policy.identities.size(); ++i) {
    const verifier::Identity& id = policy.identities[i];
    if (id.kind != verifier::Identity::Kind::kSigstore) continue;
    return InvalidInput("identities[" + std::to_string(i) + "] \"" + id.name +
                        "\": a certificateIdentity identity needs \"trustedRoots\" (the Fulcio "
                        "CAs and logs its certificates are checked against), and there are none");
  }
  return Status::Ok();
}

std::string Sha256Digest(std::string_view bytes) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), hash, &length, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string digest = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    digest += kHex[hash[i] >> 4];
    digest += kHex[hash[i] & 0xf];
  }
  return digest;
}

Status ParseIdentities(const json& list, const std::string& base_dir, TrustPolicy& policy,
                       std::set<std::string>& names) {
  for (size_t i = 0; i < list.size(); ++i) {
    Result<Identity> identity = policy_parts::ParseIdentity(list[i], i, base_dir, names);
    if (!identity.ok()) return identity.error();
    policy.identities.push_back(std::move(*identity));
  }
  return Status::Ok();
}

Status ParseRules(const json& list, const std::set<std::string>& names, TrustPolicy& policy) {
  for (size_t i = 0; i < list.size(); ++i) {
    Result<Rule> rule = ParseRule(list[i], i, names);
    if (!rule.ok()) return rule.error();
    policy.rules.push_back(std::move(*rule));
  }
  return Status::Ok();
}

Result<TrustPolicy> ParseDocument(const json& document, const std::string& base_dir) {
  if (!document.is_object()) {
    return InvalidInput("the policy must be a JSON object (got " +
                        std::string(JsonTypeName(document)) + ")");
  }
  if (Status keys = CheckKeys(
          document, "", {"identities", "trustedRoots", "rules", "maxDepth", "rehash", "fidelity"});
      !keys.ok()) {
    return keys.error();
  }
  Result<const json*> identities = RequireArray(document, "identities");
  if (!identities.ok()) return identities.error();
  Result<const json*> rules = RequireArray(document, "rules");
  if (!rules.ok()) return rules.error();
  TrustPolicy policy;
  std::set<std::string> names;
  if (Status parsed = ParseIdentities(**identities, base_dir, policy, names); !parsed.ok()) {
    return parsed.error();
  }
  if (Status parsed = ParseRules(**rules, names, policy); !parsed.ok()) return parsed.error();
  Result<int> max_depth = ParseMaxDepth(document);
  if (!max_depth.ok()) return max_depth.error();
  policy.max_depth = *max_depth;
  Result<verifier::RehashMode> rehash = ParseRehash(document);
  if (!rehash.ok()) return rehash.error();
  policy.rehash = *rehash;
  auto roots = policy_parts::ParseTrustedRoots(document, base_dir);
  if (!roots.ok()) return roots.error();
  policy.trusted_roots = std::move(*roots);
  if (Status s = CheckSigstoreHasRoots(policy); !s.ok()) return s.error();
  Result<verifier::FidelityPolicy> fidelity = ParseFidelity(document);
  if (!fidelity.ok()) return fidelity.error();
  policy.fidelity = *fidelity;
  return policy;
}

}  // namespace

Result<TrustPolicy> ParsePolicy(std::string_view json_text, const std::string& base_dir) {
  Result<json> document = ParseStrictJson(json_text);
  if (!document.ok()) return document.error();
  Result<TrustPolicy> policy = ParseDocument(*document, base_dir);
  if (!policy.ok()) return policy.error();
  policy->digest = Sha256Digest(json_text);
  if (policy->digest.empty()) return Internal("policy: SHA-256 over the file failed");
  return policy;
}

Result<TrustPolicy> LoadPolicy(const std::string& path) {
  Result<std::string> text = ReadSmallFile(path, kMaxPolicyFileBytes);
  if (!text.ok()) return text.error();
  Result<TrustPolicy> policy = ParsePolicy(*text, DirectoryOf(path));
  if (!policy.ok()) return policy.error().Wrap(path);
  return policy;
}

}  // namespace provbadge::config
