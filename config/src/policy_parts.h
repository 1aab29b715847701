// Parts of the trust policy file (policy_file.cc): the shared key checks, identities of the
// three kinds, and trusted roots. docs/policy.md is the schema.
//
// Every error is kInvalidInput and names where in the file it is ("identities[2] \"ci\"",
// "trustedRoots[0] roots/tr.json") and why.
// Thread-safety: reentrant.
#ifndef PROVBADGE_CONFIG_SRC_POLICY_PARTS_H_
#define PROVBADGE_CONFIG_SRC_POLICY_PARTS_H_

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "provbadge/common/result.h"
#include "provbadge/verifier/policy.h"

namespace provbadge::config::policy_parts {

inline constexpr size_t kMaxTrustedRootFileBytes = 4 << 20;
inline constexpr size_t kMaxCertificateChainFileBytes = 1 << 20;
inline constexpr size_t kMaxTrustedRoots = 16;

// Rejects any member of `object` not in `allowed` ("<where>.<key>: unknown key (did you
// mean ...?)").
Status CheckKeys(const nlohmann::json& object, const std::string& where,
                 const std::vector<std::string>& allowed);

// Member `key` of `object`: present, a string, non-empty.
Result<std::string> RequireString(const nlohmann::json& object, const std::string& key,
                                  const std::string& where);

// identities[index]: {"name", "key"} | {"name", "certificateIdentity", "certificateOidcIssuer"}
// | {"name", "certificateChain"}; files relative to `base_dir`. Adds the name to `names`
// (duplicates are an error).
Result<verifier::Identity> ParseIdentity(const nlohmann::json& entry, size_t index,
                                         const std::string& base_dir, std::set<std::string>& names);

// "trustedRoots": an array of paths to trusted_root.json files, each parsed once.
Result<std::vector<std::shared_ptr<const verifier::TrustedRoot>>> ParseTrustedRoots(
    const nlohmann::json& document, const std::string& base_dir);

}  // namespace provbadge::config::policy_parts

#endif  // PROVBADGE_CONFIG_SRC_POLICY_PARTS_H_
