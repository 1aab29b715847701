// A parsed public key (EC P-256/P-384/P-521), parsed once and reused: parsing costs more than
// verifying (notes/stack.md §8.2).
//
// Ownership: owns its EVP_PKEY. Thread-safety: const methods are safe to call concurrently.
#ifndef PROVBADGE_VERIFIER_PUBLIC_KEY_H_
#define PROVBADGE_VERIFIER_PUBLIC_KEY_H_

#include <memory>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"

namespace provbadge::verifier {

class PublicKey {
 public:
  // Parses the first PEM "PUBLIC KEY" block in `pem` (text before it, as in certtool output,
  // is skipped). kInvalidInput for anything that is not an EC key on a supported curve.
  static Result<std::shared_ptr<const PublicKey>> FromPem(std::string_view pem);
  ~PublicKey();
  PublicKey(const PublicKey&) = delete;
  PublicKey& operator=(const PublicKey&) = delete;

  // ECDSA verification of a DER signature over `message`, with the curve's hash
  // (P-256: SHA-256, P-384: SHA-384, P-521: SHA-512).
  bool VerifyEcdsa(std::string_view message, std::string_view der_signature) const;
  // Same, with SHA-256 regardless of the curve (legacy OMS compatibility).
  bool VerifyEcdsaSha256(std::string_view message, std::string_view der_signature) const;

  // Lowercase hex SHA-256 of the canonical PEM text of the SPKI (the OMS `publicKey.hint`).
  const std::string& pem_hint() const { return pem_hint_; }
  std::string_view curve_name() const { return curve_; }
  // Opaque handle (EVP_PKEY*) for other verifier files.
  void* native() const { return pkey_; }

 private:
  PublicKey() = default;
  void* pkey_ = nullptr;
  std::string pem_hint_;
  std::string curve_;
};

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_PUBLIC_KEY_H_
