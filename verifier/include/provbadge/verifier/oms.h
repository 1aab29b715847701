// OMS (OpenSSF model signing) signature verification: `model.sig` over a revision.
//
// Thread-safety: reentrant; the inputs are only read.
#ifndef PROVBADGE_VERIFIER_OMS_H_
#define PROVBADGE_VERIFIER_OMS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provbadge/verifier/manifest.h"
#include "provbadge/verifier/policy.h"
#include "provbadge/verifier/public_key.h"
#include "provbadge/verifier/report.h"
#include "provbadge/verifier/revision_source.h"
#include "provbadge/verifier/sigstore_verify.h"

namespace provbadge::verifier {

inline constexpr std::string_view kModelSignatureFile = "model.sig";

struct OmsOptions {
  // Extra paths (relative to the revision root; a directory ignores its subtree) that may be
  // present without being signed, on top of the defaults (.git, .gitattributes, .github,
  // .gitignore and the signature file itself).
  std::vector<std::string> ignore_paths;
  std::string signature_path = std::string(kModelSignatureFile);
  // Digest engine: the revision's shared Manifest (borrowed; null: one is made per call with
  // `rehash` and `threads`). See manifest.h.
  Manifest* manifest = nullptr;
  RehashMode rehash = RehashMode::kSmall;
  unsigned threads = 0;  // 0: hardware concurrency
};

// Verifies `bundle_json` (the bytes of model.sig) in key mode against `key`, and the signed
// resources against the files of `source` as a set. Appends findings to `report` and sets
// `report->verdict`. Never throws.
void VerifyOmsKey(RevisionSource& source, std::string_view bundle_json, const PublicKey& key,
                  const OmsOptions& options, Report* report);

// Verifies model.sig in Sigstore mode (policy.mode kKeyless: Fulcio certificate, identity and
// issuer, tlog and timestamps from `root`) or certificate mode (kCertificateChain: `root` from
// TrustedRoot::FromCertificatePems), then the signed resources against the files as a set.
// The v0.2 legacy statement (https://model_signing/Digests/v0.1) is accepted in both modes.
// Appends findings ("sigstore.*" for the bundle) and sets `report->verdict`. Never throws.
void VerifyOmsBundle(RevisionSource& source, std::string_view bundle_json, const TrustedRoot& root,
                     const SigstorePolicy& policy, const OmsOptions& options, Report* report);

// What VerifyModelSignature found out besides the findings.
struct ModelSignatureCheck {
  const Identity* signer = nullptr;  // the allowed publisher whose signature verified, or null
  // (path, sha256 hex) of every file the verified signature covers (empty unless verified).
  std::vector<std::pair<std::string, std::string>> signed_files;
  std::optional<Error> transient;  // model.sig could not be read (kUnavailable): no verdict
};

// Checks model.sig of `repo` against every publisher the policy allows, whatever their kind:
// key identities verify a key-mode OMS bundle (VerifyOmsKey); certificateIdentity identities
// a Fulcio-certificate bundle (VerifyOmsBundle, kKeyless with the exact identity and issuer,
// against each of policy.trusted_roots); certificateChain identities a certificate-chain
// bundle (VerifyOmsBundle, kCertificateChain against the identity's chain_root). The files are
// hashed through `manifest` (shared with the revision's other checks). Appends findings and
// sets report->verdict (kUnverified for a missing signature or no allowed publisher).
ModelSignatureCheck VerifyModelSignature(RevisionSource& source, std::string_view repo,
                                         const TrustPolicy& policy, Manifest& manifest,
                                         Report* report);

// Verifies one hub revision under the policy: finds model.sig (absent: kUnverified with
// finding "oms.signature_missing"), tries the publishers the policy allows for `repo`, and
// fills the chain's first link with the signer that verified. Never throws.
Report VerifyRevision(RevisionSource& source, std::string_view repo, std::string_view commit,
                      const TrustPolicy& policy);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_OMS_H_
