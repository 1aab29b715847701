// The Fulcio leaf certificate of a keyless bundle, parsed by hand instead of as an OpenSSL
// X509: OpenSSL 3.0 runs its provider decoder set-up for every SubjectPublicKeyInfo d2i_X509
// meets (~100-190 us per certificate, no cache), more than the rest of the parse. This parser
// is strict and bounded, and the keyless chain step (VerifyLeafChain) then performs every
// check X509_verify_cert made for this leaf against the trusted root's partial-chain store.
//
// ParseLeafCertificate (step 0) checks, failing with sigstore.bundle.certificate unless noted:
//  - DER only: minimal definite lengths, low tag numbers, no trailing bytes anywhere (after the
//    certificate, in TBSCertificate, in every extension value), truncation rejected;
//  - Certificate = SEQUENCE {tbsCertificate, signatureAlgorithm, BIT STRING (0 unused bits)},
//    the inner signature AlgorithmIdentifier byte-equal to the outer one (as X509_verify);
//  - version v3 (explicit [0] INTEGER 2); serial a minimal, positive INTEGER of <= 20 octets;
//    issuer and subject Names (SEQUENCE OF SET OF {OID, value}); validity two DER times
//    (UTCTime or GeneralizedTime, seconds, 'Z'); no issuer/subjectUniqueID;
//  - SubjectPublicKeyInfo: EC P-256/P-384/P-521 (named curve, point validated on the curve),
//    Ed25519 or RSA; the key is built without the decoder (a per-curve template key plus
//    EVP_PKEY_set1_encoded_public_key; RSA goes through d2i_PUBKEY);
//  - extensions: present, at most limits::kMaxCertExtensions, no OID twice (X509_get_ext_d2i
//    treats a duplicate as invalid), critical encoded only as TRUE; parsed: keyUsage,
//    basicConstraints, extKeyUsage, subjectAltName (at most limits::kMaxSanEntries names,
//    else sigstore.bundle.too_many), authorityKeyIdentifier (keyIdentifier only), the SCT list,
//    the Fulcio issuer OIDs 1.3.6.1.4.1.57264.1.1 and .1.8; proxyCertInfo is rejected.
//    Any other critical extension is recorded and rejected by VerifyLeafChain (as
//    X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION).
// VerifyLeafChain (step 2, sigstore_leaf_chain.cc) then checks: no unhandled critical
// extension (sigstore.cert.critical_extension); EKU codeSigning and not a CA (basicConstraints
// cA, keyUsage keyCertSign or a Netscape cert type; sigstore.cert.usage); an issuer among the
// trusted root's CA certificates whose subject DER equals the leaf's issuer DER, whose SKID
// equals the leaf's AKID keyIdentifier when both exist, that may issue (see the trusted
// root's `can_issue`), and whose key verifies the leaf signature over the TBS bytes with the
// signature algorithm's hash (sigstore.cert.chain); the leaf's window, the CA's validFor and
// every CA certificate's window contain every verified signing time (sigstore.cert.validity).
//
// Ownership: the views point into the certificate DER (ParsedBundle::chain_der[0]), which must
// outlive the LeafCertificate and not move. Thread-safety: a LeafCertificate is one
// verification's data; the per-curve template keys behind it are built once (function-local
// statics) and only read (EVP_PKEY_copy_parameters), so parsing runs on many threads at once.
#ifndef PROVBADGE_VERIFIER_SRC_SIGSTORE_LEAF_H_
#define PROVBADGE_VERIFIER_SRC_SIGSTORE_LEAF_H_

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace provbadge::verifier::sigstore {

struct LeafPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

struct LeafCertificate {
  std::string_view tbs;             // the TBSCertificate TLV (the signed bytes)
  std::string_view tbs_before_ext;  // TBSCertificate content up to the [3] extensions
  std::string_view extensions;      // content of the extensions SEQUENCE
  std::string_view sct_extension;   // the whole SCT-list Extension TLV (inside `extensions`)
  std::string_view sct_list;        // its TLS-encoded SignedCertificateTimestampList
  std::string_view signature;       // signatureValue bits
  std::string_view issuer;          // issuer Name TLV
  std::string_view akid;            // authorityKeyIdentifier keyIdentifier (may be empty)
  const EVP_MD* sig_md = nullptr;   // hash of the signature algorithm (null: Ed25519)
  int sig_key_type = 0;             // EVP_PKEY_EC, EVP_PKEY_RSA or EVP_PKEY_ED25519
  int64_t not_before = 0, not_after = 0;
  std::unique_ptr<EVP_PKEY, LeafPkeyFree> key;
  bool code_signing = false;  // extKeyUsage names id-kp-codeSigning
  bool is_ca = false;         // basicConstraints cA, keyUsage keyCertSign or Netscape type
  bool unhandled_critical = false;
  size_t san_count = 0;
  bool san_usable = false;  // the only SAN is a URI, an email or a UTF8String otherName
  std::string_view san;
  bool has_issuer_v2 = false, issuer_v2_ok = false, has_issuer_v1 = false;
  std::string_view issuer_v2, issuer_v1;  // OIDC issuer: .1.8 UTF8String value, .1.1 raw
};

// Records a parse failure for ParseLeafCertificate's callers and returns false.
struct LeafError {
  std::string* code;
  std::string* why;
  bool Err(const char* what, const char* code_text = "sigstore.bundle.certificate") {
    *code = code_text;
    *why = std::string("the signing certificate is not a valid DER X.509 leaf: ") + what;
    return false;
  }
};

// OID contents (no tag and length) the leaf parser knows.
namespace oid {
using std::literals::string_view_literals::operator""sv;
inline constexpr std::string_view kEcPublicKey = "\x2a\x86\x48\xce\x3d\x02\x01"sv,
                                  kP256 = "\x2a\x86\x48\xce\x3d\x03\x01\x07"sv,
                                  kP384 = "\x2b\x81\x04\x00\x22"sv,
                                  kP521 = "\x2b\x81\x04\x00\x23"sv, kEd25519 = "\x2b\x65\x70"sv,
                                  kRsaEncryption = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"sv,
                                  kEcdsaSha256 = "\x2a\x86\x48\xce\x3d\x04\x03\x02"sv,
                                  kEcdsaSha384 = "\x2a\x86\x48\xce\x3d\x04\x03\x03"sv,
                                  kEcdsaSha512 = "\x2a\x86\x48\xce\x3d\x04\x03\x04"sv,
                                  kRsaSha256 = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"sv,
                                  kRsaSha384 = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c"sv,
                                  kRsaSha512 = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d"sv,
                                  kKeyUsage = "\x55\x1d\x0f"sv, kSubjectAltName = "\x55\x1d\x11"sv,
                                  kBasicConstraints = "\x55\x1d\x13"sv,
                                  kAuthorityKeyId = "\x55\x1d\x23"sv,
                                  kExtKeyUsage = "\x55\x1d\x25"sv,
                                  kCodeSigning = "\x2b\x06\x01\x05\x05\x07\x03\x03"sv,
                                  kProxyCertInfo = "\x2b\x06\x01\x05\x05\x07\x01\x0e"sv,
                                  kNetscapeCertType = "\x60\x86\x48\x01\x86\xf8\x42\x01\x01"sv,
                                  kSctList = "\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x02"sv,
                                  kFulcioIssuerV1 = "\x2b\x06\x01\x04\x01\x83\xbf\x30\x01\x01"sv,
                                  kFulcioIssuerV2 = "\x2b\x06\x01\x04\x01\x83\xbf\x30\x01\x08"sv;
}  // namespace oid

// Parses `der` strictly into *out. On failure returns false with `*code` and `*why` set.
bool ParseLeafCertificate(std::string_view der, LeafCertificate* out, std::string* code,
                          std::string* why);
// The extensions parser (sigstore_leaf_extensions.cc), called by ParseLeafCertificate with
// the content of the extensions SEQUENCE.
bool ParseLeafExtensions(std::string_view exts, LeafCertificate* out, std::string* code,
                         std::string* why);

}  // namespace provbadge::verifier::sigstore

#endif  // PROVBADGE_VERIFIER_SRC_SIGSTORE_LEAF_H_
