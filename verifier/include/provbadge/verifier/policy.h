// The trust policy: who may sign which repository. Parsed once (config/ loads the file and
// the PEM keys) and shared read-only across verification threads.
//
// Thread-safety: immutable after construction; safe to share across threads.
#ifndef PROVBADGE_VERIFIER_POLICY_H_
#define PROVBADGE_VERIFIER_POLICY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/verifier/public_key.h"
#include "provbadge/verifier/sigstore_trusted_root.h"
#include "provbadge/verifier/sigstore_verify.h"

namespace provbadge::verifier {

// A named signer, of one of three kinds (policy file: "key" | "certificateIdentity" +
// "certificateOidcIssuer" | "certificateChain"; docs/policy.md).
struct Identity {
  enum class Kind { kKey, kSigstore, kCertificateChain };
  std::string name;
  Kind kind = Kind::kKey;
  // kKey: the public key, parsed twice from the same PEM: `key` for DSSE envelopes and OMS key
  // mode, `sigstore_key` for key-mode Sigstore bundles. Both non-null for a key identity.
  std::shared_ptr<const PublicKey> key;
  std::shared_ptr<const SigstoreKey> sigstore_key;
  // kSigstore: the Fulcio certificate's SAN and OIDC issuer, matched exactly; the certificate
  // is checked against TrustPolicy::trusted_roots.
  std::string certificate_identity;
  std::string certificate_oidc_issuer;
  // kCertificateChain: the private PKI's anchors (TrustedRoot::FromCertificatePems).
  std::shared_ptr<const TrustedRoot> chain_root;
};

std::string_view IdentityKindName(Identity::Kind kind);  // "key" | "sigstore" | "certificateChain"

// Policy file key "fidelity": "off" | "gguf-up-to-<N>-GB" (GGUF files up to N GiB are
// re-quantized and compared; max_bytes = N GiB) | "always".
enum class FidelityMode { kOff, kGgufUpTo, kAlways };
struct FidelityPolicy {
  FidelityMode mode = FidelityMode::kOff;
  uint64_t max_bytes = 0;  // kGgufUpTo only
};

// Who may sign `model.sig` (publishers) for repositories matching `repos` (a glob where
// `*` matches any run of characters except '/', e.g. "org/*").
struct Rule {
  std::string repos;
  std::vector<std::string> publishers;
  std::vector<std::string> builders;
};

// When the digest engine re-reads a file whose sha256 the hub already knows (FileInfo.sha256):
// kNever takes every known sha256 without reading a byte; kSmall takes LFS-known ones
// (FileInfo.lfs) and reads the rest; kAlways reads everything and reports a known sha256 that
// differs from the bytes.
enum class RehashMode { kNever, kSmall, kAlways };
std::string_view RehashModeName(RehashMode mode);  // "never" | "small" | "always"
// false when `name` is none of the three.
bool ParseRehashMode(std::string_view name, RehashMode* mode);

struct TrustPolicy {
  std::vector<Identity> identities;
  std::vector<Rule> rules;
  int max_depth = 8;
  RehashMode rehash = RehashMode::kSmall;  // policy file key "rehash"
  std::string digest;                      // "sha256:<hex>" over the policy file bytes
  // "trustedRoots": Sigstore trusted roots (public-good or private) for kSigstore identities
  // and key-mode bundles; each parsed once.
  std::vector<std::shared_ptr<const TrustedRoot>> trusted_roots;
  FidelityPolicy fidelity;  // policy file key "fidelity"

  // Identities allowed to publish `repo` (union over matching rules), in policy order.
  std::vector<const Identity*> PublishersFor(std::string_view repo) const;
  // Identities allowed to sign `repo`'s provenance lines (union over matching rules' builders),
  // in policy order.
  std::vector<const Identity*> BuildersFor(std::string_view repo) const;
  // The identity named `name`, or nullptr.
  const Identity* FindIdentity(std::string_view name) const;
};

// Glob match used by rules: '*' matches [^/]*, every other character matches itself.
bool RepoGlobMatch(std::string_view glob, std::string_view repo);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_POLICY_H_
