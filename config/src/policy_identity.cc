// Trust policy identities (key, Sigstore certificate identity, certificate chain) and trusted
// roots, with the files they name.
#include <algorithm>
#include <string_view>

#include "file_util.h"
#include "json_strict.h"
#include "policy_parts.h"
#include "provbadge/verifier/public_key.h"
#include "provbadge/verifier/sigstore_trusted_root.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "suggest.h"

namespace provbadge::config::policy_parts {
namespace {

using nlohmann::json;
using verifier::Identity;

constexpr char kKindsHint[] =
    "give exactly one of \"key\", \"certificateIdentity\" + \"certificateOidcIssuer\", or "
    "\"certificateChain\"";

// Reads a file the policy names; every failure makes the policy unusable (kInvalidInput).
Result<std::string> ReadNamedFile(const std::string& path, const std::string& base_dir,
                                  size_t max_bytes, const std::string& context) {
  Result<std::string> text = ReadSmallFile(ResolveAgainst(base_dir, path), max_bytes);
  if (!text.ok()) return InvalidInput(context + ": " + text.error().message());
  return text;
}

Status LoadKey(const std::string& key_path, const std::string& base_dir, const std::string& where,
               Identity* id) {
  std::string context = where + ": key " + key_path;
  Result<std::string> pem = ReadNamedFile(key_path, base_dir, kMaxKeyFileBytes, context);
  if (!pem.ok()) return pem.error();
  auto key = verifier::PublicKey::FromPem(*pem);
  if (!key.ok()) {
    return InvalidInput(context + ": not a usable public key: " + key.error().message());
  }
  auto sigstore_key = verifier::SigstoreKey::FromPem(*pem);
  if (!sigstore_key.ok()) {
    return InvalidInput(context + ": not a usable public key: " + sigstore_key.error().message());
  }
  id->kind = Identity::Kind::kKey;
  id->key = *key;
  id->sigstore_key = *sigstore_key;
  return Status::Ok();
}

Status LoadChain(const std::string& chain_path, const std::string& base_dir,
                 const std::string& where, Identity* id) {
  std::string context = where + ": certificateChain " + chain_path;
  Result<std::string> pem =
      ReadNamedFile(chain_path, base_dir, kMaxCertificateChainFileBytes, context);
  if (!pem.ok()) return pem.error();
  auto root = verifier::TrustedRoot::FromCertificatePems({*pem});
  if (!root.ok()) {
    return InvalidInput(context +
                        ": not a usable PEM certificate chain: " + root.error().message());
  }
  id->kind = Identity::Kind::kCertificateChain;
  id->chain_root = *root;
  return Status::Ok();
}

// A certificate identity or issuer is compared byte for byte; refuse what cannot be meant.
Status CheckPrintable(const std::string& value, const std::string& field) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidInput(field + ": must not contain spaces or control characters");
    }
  }
  return Status::Ok();
}

Status LoadSigstore(const json& entry, const std::string& where, Identity* id) {
  Result<std::string> identity = RequireString(entry, "certificateIdentity", where);
  if (!identity.ok()) return identity.error();
  Result<std::string> issuer = RequireString(entry, "certificateOidcIssuer", where);
  if (!issuer.ok()) return issuer.error();
  if (Status s = CheckPrintable(*identity, where + ".certificateIdentity"); !s.ok()) return s;
  if (Status s = CheckPrintable(*issuer, where + ".certificateOidcIssuer"); !s.ok()) return s;
  id->kind = Identity::Kind::kSigstore;
  id->certificate_identity = *identity;
  id->certificate_oidc_issuer = *issuer;
  return Status::Ok();
}

// Which kind the entry declares; an error unless exactly one.
Result<Identity::Kind> DeclaredKind(const json& entry, const std::string& where) {
  std::vector<std::string> seen;
  if (entry.contains("key")) seen.push_back("key");
  bool sigstore = entry.contains("certificateIdentity") || entry.contains("certificateOidcIssuer");
  if (sigstore) seen.push_back("certificateIdentity/certificateOidcIssuer");
  if (entry.contains("certificateChain")) seen.push_back("certificateChain");
  if (seen.empty()) return InvalidInput(where + ": names no signer; " + kKindsHint);
  if (seen.size() > 1) {
    std::string got;
    for (const std::string& s : seen) got += (got.empty() ? "" : " and ") + s;
    return InvalidInput(where + ": " + kKindsHint + " (got " + got + ")");
  }
  if (seen[0] == "key") return Identity::Kind::kKey;
  return sigstore ? Identity::Kind::kSigstore : Identity::Kind::kCertificateChain;
}

}  // namespace

Status CheckKeys(const json& object, const std::string& where,
                 const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return InvalidInput(where + (where.empty() ? "" : ".") + key + ": unknown key" +
                          DidYouMean(key, allowed));
    }
  }
  return Status::Ok();
}

Result<std::string> RequireString(const json& object, const std::string& key,
                                  const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) return InvalidInput(where + ": missing \"" + key + "\"");
  if (!it->is_string()) {
    return InvalidInput(where + "." + key + ": must be a string (got " +
                        std::string(JsonTypeName(*it)) + ")");
  }
  std::string value = it->get<std::string>();
  if (value.empty()) return InvalidInput(where + "." + key + ": must not be empty");
  return value;
}

Result<Identity> ParseIdentity(const json& entry, size_t index, const std::string& base_dir,
                               std::set<std::string>& names) {
  std::string where = "identities[" + std::to_string(index) + "]";
  if (!entry.is_object()) {
    return InvalidInput(where + ": must be an object (got " + std::string(JsonTypeName(entry)) +
                        ")");
  }
  Result<std::string> name = RequireString(entry, "name", where);
  if (!name.ok()) return name.error();
  where += " \"" + *name + "\"";
  if (!names.insert(*name).second) return InvalidInput(where + ": duplicate identity name");
  if (Status keys = CheckKeys(
          entry, where,
          {"name", "key", "certificateIdentity", "certificateOidcIssuer", "certificateChain"});
      !keys.ok()) {
    return keys.error();
  }
  Result<Identity::Kind> kind = DeclaredKind(entry, where);
  if (!kind.ok()) return kind.error();
  Identity id;
  id.name = *name;
  Status loaded = Status::Ok();
  if (*kind == Identity::Kind::kKey) {
    Result<std::string> path = RequireString(entry, "key", where);
    loaded = path.ok() ? LoadKey(*path, base_dir, where, &id) : Status(path.error());
  } else if (*kind == Identity::Kind::kCertificateChain) {
    Result<std::string> path = RequireString(entry, "certificateChain", where);
    loaded = path.ok() ? LoadChain(*path, base_dir, where, &id) : Status(path.error());
  } else {
    loaded = LoadSigstore(entry, where, &id);
  }
  if (!loaded.ok()) return loaded.error();
  return id;
}

Result<std::vector<std::shared_ptr<const verifier::TrustedRoot>>> ParseTrustedRoots(
    const json& document, const std::string& base_dir) {
  std::vector<std::shared_ptr<const verifier::TrustedRoot>> roots;
  auto it = document.find("trustedRoots");
  if (it == document.end()) return roots;
  if (!it->is_array()) {
    return InvalidInput("trustedRoots: must be an array of paths (got " +
                        std::string(JsonTypeName(*it)) + ")");
  }
  if (it->size() > kMaxTrustedRoots) {
    return InvalidInput("trustedRoots: at most " + std::to_string(kMaxTrustedRoots) +
                        " entries (got " + std::to_string(it->size()) + ")");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    std::string where = "trustedRoots[" + std::to_string(i) + "]";
    if (!item.is_string() || item.get<std::string>().empty()) {
      return InvalidInput(where + ": must be a non-empty path string (got " + item.dump() + ")");
    }
    std::string path = item.get<std::string>();
    where += " " + path;
    if (!seen.insert(ResolveAgainst(base_dir, path)).second) {
      return InvalidInput(where + ": listed twice");
    }
    Result<std::string> text = ReadNamedFile(path, base_dir, kMaxTrustedRootFileBytes, where);
    if (!text.ok()) return text.error();
    auto root = verifier::TrustedRoot::FromJson(*text);
    if (!root.ok()) {
      return InvalidInput(where + ": not a usable trusted root: " + root.error().message());
    }
    roots.push_back(*root);
  }
  return roots;
}

}  // namespace provbadge::config::policy_parts
