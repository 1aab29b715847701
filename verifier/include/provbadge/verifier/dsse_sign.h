// DSSE signing and envelopes (https://github.com/secure-systems-lab/dsse): the publisher side
// of provenance lines (`provbadge attest`), signed verdicts (badges/verdict.h) and OMS bundles.
//
// A DsseSigner owns one parsed private key (parsed once; reused for every signature). Keys:
// EC P-256 / P-384 / P-521 (PKCS#8 or SEC1 PEM; ECDSA with the curve's hash, DER signatures)
// or Ed25519 (PKCS#8 PEM; pure Ed25519, 64-byte signatures). Encrypted PEM is refused.
//
// Envelope JSON (compact, one line):
//   {"payloadType": T, "payload": base64(P), "signatures": [{"keyid": K, "sig": base64(S)}]}
// where S signs DssePae(T, P).
//
// Ownership: a DsseSigner owns its EVP_PKEY. Thread-safety: a DsseSigner is immutable after
// FromPem; Sign and SignEnvelope may be called concurrently. The free functions are reentrant.
#ifndef PROVBADGE_VERIFIER_DSSE_SIGN_H_
#define PROVBADGE_VERIFIER_DSSE_SIGN_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/public_key.h"

namespace provbadge::verifier {

class DsseSigner {
 public:
  enum class Algorithm { kEcdsaP256, kEcdsaP384, kEcdsaP521, kEd25519 };

  // Parses the first private key in `private_pem`. `keyid` goes into every signature; empty:
  // the lowercase hex SHA-256 of the public key's PEM text (the OMS publicKey.hint).
  // kInvalidInput for anything else (RSA, other curves, encrypted or malformed PEM).
  static Result<std::shared_ptr<const DsseSigner>> FromPem(std::string_view private_pem,
                                                           std::string keyid = "");
  ~DsseSigner();
  DsseSigner(const DsseSigner&) = delete;
  DsseSigner& operator=(const DsseSigner&) = delete;

  // The raw signature over `message` (ECDSA: DER with the curve's hash; Ed25519: 64 bytes).
  Result<std::string> Sign(std::string_view message) const;
  // A compact DSSE envelope over `payload` (the signature covers DssePae(type, payload)).
  Result<std::string> SignEnvelope(std::string_view payload_type, std::string_view payload) const;

  Algorithm algorithm() const { return algorithm_; }
  bool is_ec() const { return algorithm_ != Algorithm::kEd25519; }
  const std::string& keyid() const { return keyid_; }
  // The public half as a "PUBLIC KEY" PEM block, and the SHA-256 hex of that text.
  const std::string& public_pem() const { return public_pem_; }
  const std::string& public_pem_hint() const { return public_pem_hint_; }

 private:
  DsseSigner() = default;
  void* pkey_ = nullptr;  // EVP_PKEY*
  Algorithm algorithm_ = Algorithm::kEcdsaP256;
  std::string keyid_, public_pem_, public_pem_hint_;
};

std::string_view DsseAlgorithmName(DsseSigner::Algorithm algorithm);  // "ecdsa-p256-sha256" ...

// A parsed DSSE envelope (payload and signatures base64-decoded).
struct DsseEnvelope {
  struct Signature {
    std::string keyid;
    std::string sig;  // raw bytes
  };
  std::string payload_type;
  std::string payload;  // raw bytes
  std::vector<Signature> signatures;
};

// Parses an envelope of at most `max_bytes` (nesting depth bounded; at most 16 signatures;
// payloadType, payload and signatures required, each signature with a non-empty "sig").
// kInvalidInput with a specific message otherwise. Never throws.
Result<DsseEnvelope> ParseDsseEnvelope(std::string_view json, size_t max_bytes = 16 << 20);

// True when one of the envelope's signatures is a valid ECDSA signature by `key` over
// DssePae(payload_type, payload). keyids are hints only and are not trusted.
bool DsseSignedBy(const DsseEnvelope& envelope, const PublicKey& key);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_DSSE_SIGN_H_
