// ECDSA verification with one fixed public key, for the trusted root's P-384/P-521 keys (the
// Fulcio CA that signs every keyless leaf, the TSA that signs every RFC 3161 token).
//
// Why: OpenSSL 3.0 has no optimized P-384 code (its nistp384 arrived in 3.2), so every
// EVP_DigestVerify with a P-384 key runs the generic variable-base u1*G + u2*Q (~475 us on a
// 2.6 GHz Zen 4, two of them per keyless bundle). The key is known at load, so both points are
// fixed: this class keeps two copies of the curve group, one with the standard generator G and
// one whose "generator" is the public key Q, each with OpenSSL's fixed-base precomputation
// (EC_GROUP_precompute_mult), and computes R = u1*G + u2*Q as two fixed-base multiplications
// and one addition (~2.3x faster). Everything else is the ECDSA verification of FIPS 186-5 /
// SEC 1 §4.1.4 exactly as OpenSSL's ossl_ecdsa_verify performs it: DER signature re-encoded
// byte-equal (no BER, no trailing bytes), r and s in [1, n-1], the digest's leftmost
// bits(n) bits, R not the point at infinity, x(R) mod n == r (compared in Jacobian
// coordinates, which saves the field inversion of an affine conversion). Tests compare it with
// EVP_DigestVerify on valid, mutated and edge-case signatures (ecdsa_fixed_key_test.cc).
//
// P-256 keys are not handled (Make returns null): OpenSSL's nistz256 code is faster there.
//
// Ownership: owns its groups, point and precomputation. Thread-safety: immutable after Make;
// Verify may run on many threads at once (per-call BN_CTX; the groups are only read).
#ifndef PROVBADGE_VERIFIER_SRC_ECDSA_FIXED_KEY_H_
#define PROVBADGE_VERIFIER_SRC_ECDSA_FIXED_KEY_H_

#include <openssl/evp.h>

#include <memory>
#include <string_view>

namespace provbadge::verifier::sigstore {

class FixedKeyEcdsa {
 public:
  // Null when `key` is not an EC key on P-384 or P-521, or on any OpenSSL failure (callers
  // then verify with EVP_DigestVerify as before).
  static std::unique_ptr<FixedKeyEcdsa> Make(EVP_PKEY* key);
  ~FixedKeyEcdsa();
  FixedKeyEcdsa(const FixedKeyEcdsa&) = delete;
  FixedKeyEcdsa& operator=(const FixedKeyEcdsa&) = delete;

  // `der_sig` (an ECDSA-Sig-Value) over `msg` hashed with `md` (non-null). False on any
  // failure, invalid input included.
  bool Verify(const EVP_MD* md, std::string_view msg, std::string_view der_sig) const;
  // The same over an already computed digest.
  bool VerifyDigest(std::string_view digest, std::string_view der_sig) const;

 private:
  struct State;
  explicit FixedKeyEcdsa(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace provbadge::verifier::sigstore

#endif  // PROVBADGE_VERIFIER_SRC_ECDSA_FIXED_KEY_H_
