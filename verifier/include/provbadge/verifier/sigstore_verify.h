// Sigstore bundle verification (bundle v0.1/v0.2/v0.3): keyless (Fulcio certificate +
// identity policy), key (a caller-supplied public key) and certificate-chain (private PKI)
// modes, over messageSignature or DSSE content, with transparency-log entries (Rekor v1/v2)
// and RFC 3161 timestamps. The steps follow notes/sigstore.md §c in order; the first failing
// step is reported as a Finding with a stable "sigstore.*" code (docs/findings.md).
//
// Thread-safety: VerifySigstoreBundle is reentrant; a TrustedRoot and a SigstoreKey may be
// shared by any number of concurrent verifications.
// Contract: fail closed — `verified` is true only when every required step passed.
#ifndef PROVBADGE_VERIFIER_SIGSTORE_VERIFY_H_
#define PROVBADGE_VERIFIER_SIGSTORE_VERIFY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/report.h"
#include "provbadge/verifier/sigstore_trusted_root.h"

namespace provbadge::verifier {

// A public key for key mode (EC P-256/P-384/P-521, Ed25519 or RSA), parsed once.
// Ownership: owns its EVP_PKEY. Thread-safety: immutable, shareable.
class SigstoreKey {
 public:
  // The first PEM "PUBLIC KEY" block of `pem`. kInvalidInput when it does not parse.
  static Result<std::shared_ptr<const SigstoreKey>> FromPem(std::string_view pem);
  ~SigstoreKey();
  SigstoreKey(const SigstoreKey&) = delete;
  SigstoreKey& operator=(const SigstoreKey&) = delete;
  void* native() const { return pkey_; }                // EVP_PKEY*
  const std::string& spki_der() const { return der_; }  // DER SubjectPublicKeyInfo

 private:
  SigstoreKey() = default;
  void* pkey_ = nullptr;
  std::string der_;
};

struct SigstorePolicy {
  enum class Mode { kKeyless, kKey, kCertificateChain };
  Mode mode = Mode::kKeyless;
  // kKeyless: the certificate's SAN and OIDC issuer. Exact string equality unless the *_regex
  // flag is set; a regex must then match the whole value (std::regex_match, ECMAScript).
  std::string identity;
  std::string issuer;
  bool identity_is_regex = false;
  bool issuer_is_regex = false;
  // kKey: the verification key (required).
  std::shared_ptr<const SigstoreKey> key;
  // kCertificateChain only: accept the OMS v0.2 "compat" DSSE PAE (formats.md §1.7) as a
  // fallback, with SHA-256. Never used for Sigstore bundles.
  bool allow_oms_compat_pae = false;
  // kCertificateChain: the time certificates are checked at (Unix seconds); 0 means now.
  int64_t verification_time = 0;
};

struct SigstoreArtifact {
  enum class Kind { kBytes, kSha256, kNone };
  Kind kind = Kind::kNone;
  std::string_view bytes;  // kBytes: the artifact (must outlive the call)
  std::string sha256;      // kSha256: 32 raw bytes
  // kNone is only valid for DSSE content: the caller checks the returned payload itself.
  static SigstoreArtifact Bytes(std::string_view b) { return {Kind::kBytes, b, {}}; }
  // "sha256:<64 hex>"; kInvalidInput otherwise.
  static Result<SigstoreArtifact> FromDigestString(std::string_view s);
};

struct SigstoreOutcome {
  bool verified = false;
  std::vector<Finding> findings;  // the first kError finding is the failing step
  std::string signer_identity;    // SAN of the leaf (certificate modes)
  std::string signer_issuer;      // OIDC issuer (keyless)
  std::string payload_type;       // DSSE content: the verified payload type and bytes
  std::string payload;
  int64_t signing_time = 0;  // the earliest verified time (0 when none)
  const Finding* FirstError() const;
};

// Verifies one bundle. `root` supplies the CAs, logs, CT logs and TSAs; null fails
// ("sigstore.trust.missing") in every mode: key mode still needs a log or timestamp to trust.
SigstoreOutcome VerifySigstoreBundle(std::string_view bundle_json, const TrustedRoot* root,
                                     const SigstoreArtifact& artifact,
                                     const SigstorePolicy& policy);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_SIGSTORE_VERIFY_H_
