// Signed verdicts: a badge as an SLSA Verification Summary Attestation (VSA,
// https://slsa.dev/verification_summary/v1) in a DSSE envelope, so a consumer can check a
// badge without trusting the hub's web tier (`GET /v1/badges/{org}/{name}?format=vsa`,
// `provbadge verify-verdict`). Format: docs/vsa.md.
//
// Ownership: a VerdictKey owns its parsed private key (load once at startup, share it).
// Thread-safety: VerdictKey is immutable; every function is reentrant and may run
// concurrently with the same key.
#ifndef PROVBADGE_BADGES_VERDICT_H_
#define PROVBADGE_BADGES_VERDICT_H_

#include <memory>
#include <string>
#include <string_view>

#include "provbadge/badges/badge.h"
#include "provbadge/common/result.h"
#include "provbadge/verifier/dsse_sign.h"
#include "provbadge/verifier/public_key.h"

namespace provbadge::badges {

inline constexpr std::string_view kVsaPredicateType = "https://slsa.dev/verification_summary/v1";
inline constexpr std::string_view kVsaVerifierId = "https://provbadge.dev/verifier/v1";

// A parsed EC (P-256/P-384/P-521) signing key and the keyid written into each signature.
struct VerdictKey {
  std::shared_ptr<const verifier::DsseSigner> signer;
};

// Parses `private_pem` (PKCS#8 or SEC1, unencrypted). `keyid` empty: the SHA-256 hex of the
// public key's PEM text. kInvalidInput for anything else (Ed25519 included: verdicts are
// verified with verifier::PublicKey, which is ECDSA only).
Result<std::shared_ptr<const VerdictKey>> LoadVerdictKey(std::string_view private_pem,
                                                         std::string keyid);

// The compact DSSE envelope (payloadType application/vnd.in-toto+json) over the VSA of
// `badge`: subject {"name": "hf://org/name@commit", "digest": {"gitCommit"}}, predicate
// {verifier {id, version {provbadge}}, timeVerified, resourceUri, policy {uri, digest
// {sha256}}, inputAttestations (one per chain link), verificationResult PASSED (state
// verified) | FAILED, verifiedLevels, slsaVersion "1.0", provbadge {state, label, message,
// reasons, chain}}. kInvalidInput for a pending badge or one without repo, 40-hex commit or
// checked_at.
Result<std::string> SignVerdict(const Badge& badge, const VerdictKey& key);

struct VerifiedVerdict {
  std::string repo, commit;
  std::string state;          // "verified" | "unverified" | "failed"
  std::string label;          // Badge.label
  std::string message;        // Badge.message
  std::string result;         // "PASSED" | "FAILED"
  std::string policy_digest;  // "sha256:<hex>"
  std::string time;           // timeVerified
};

// Verifies the envelope's signature with `key` (ECDSA over the DSSE PAE; keyids are ignored),
// then the statement: in-toto v1, the VSA predicate type, exactly one subject whose name is
// hf://org/name@commit with a matching gitCommit and resourceUri, a PASSED/FAILED result
// consistent with provbadge.state (PASSED only with "verified"). kVerificationFailed for a bad
// signature; kInvalidInput for a malformed envelope or statement. Never throws.
Result<VerifiedVerdict> VerifyVerdict(std::string_view envelope_json,
                                      const verifier::PublicKey& key);

}  // namespace provbadge::badges

#endif  // PROVBADGE_BADGES_VERDICT_H_
