// Internal types and steps of Sigstore verification (one .cc file per step, in the spirit of
// sigstore-go's verify package). Each step returns true or sets `*fail` (a Finding with a
// stable "sigstore.*" code) and returns false.
//
// Thread-safety: the trusted root (TrustedRoot::Impl) is immutable after parsing and shared;
// a ParsedBundle belongs to one verification.
#ifndef PROVBADGE_VERIFIER_SRC_SIGSTORE_INTERNAL_H_
#define PROVBADGE_VERIFIER_SRC_SIGSTORE_INTERNAL_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecdsa_fixed_key.h"
#include "provbadge/common/result.h"
#include "provbadge/verifier/report.h"
#include "provbadge/verifier/sigstore_trusted_root.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "sigstore_leaf.h"

namespace provbadge::verifier::sigstore {

// --- OpenSSL ownership -----------------------------------------------------------------
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

// --- crypto and encoding helpers (sigstore_crypto.cc) -----------------------------------
// Strict standard base64: alphabet A-Z a-z 0-9 + /, length a multiple of 4, '=' only as
// final padding. Like Go's decoder (which produced most bundles), line breaks are skipped
// and non-zero pad bits are accepted. Appends to *out.
bool StrictBase64Decode(std::string_view b64, std::string* out);
std::string Sha256(std::string_view data);  // 32 raw bytes
std::string Hex(std::string_view raw);
// The hash a key signs with by default: SHA-256 for P-256/RSA, SHA-384 for P-384, SHA-512
// for P-521, none (nullptr) for Ed25519.
const EVP_MD* DefaultMd(EVP_PKEY* key);
bool VerifySig(EVP_PKEY* key, const EVP_MD* md, std::string_view msg, std::string_view sig);
// The same for a trusted-root key: through `fixed`, its fixed-base verifier, when it has one
// (ecdsa_fixed_key.h), else VerifySig.
bool VerifySig(EVP_PKEY* key, const FixedKeyEcdsa* fixed, const EVP_MD* md, std::string_view msg,
               std::string_view sig);
// Verifies over a precomputed SHA-256 digest (digest mode); false for Ed25519.
bool VerifyPrehashedSha256(EVP_PKEY* key, std::string_view digest32, std::string_view sig);
PkeyPtr KeyFromSpkiDer(std::string_view der);
X509Ptr CertFromDer(std::string_view der);
std::string CertDer(X509* cert);
std::string SpkiDer(EVP_PKEY* key);
// RFC 3339 ("2021-01-12T11:53:27Z", optional fraction, Z or ±hh:mm) to Unix seconds.
std::optional<int64_t> ParseRfc3339(std::string_view s);
std::optional<int64_t> Asn1TimeToUnix(const ASN1_TIME* t);
// Host of an https://host[/...] URL (the checkpoint origin of a log).
std::string UrlHost(std::string_view url);
void Fail(Finding* fail, std::string code, std::string message, std::string expected = "",
          std::string actual = "");

// --- trusted root ------------------------------------------------------------------------
struct TlogKey {
  std::string base_url, origin;   // origin: host of base_url
  std::string log_id;             // raw key ID bytes
  std::string checkpoint_key_id;  // raw; empty means log_id
  PkeyPtr key;
  TimeRange valid_for;
};
struct CtLog {
  std::string log_id;  // raw
  PkeyPtr key;
  TimeRange valid_for;
};
// A Fulcio CA or a TSA: the chain from the trusted root, leaf first, anchor last.
struct Authority {
  std::vector<X509Ptr> chain;
  std::vector<std::string> spki_sha256;                   // per chain cert, for SCT issuer_key_hash
  std::vector<std::pair<int64_t, int64_t>> cert_windows;  // notBefore/notAfter per cert
  TimeRange valid_for;
  StorePtr store;       // trusted: chain[0] (partial chain; chain signatures checked at load)
  bool usable = false;  // the chain's internal signatures verified at load
  STACK_OF(X509) * certs = nullptr;  // chain as a stack
  bool open_validity = false;        // private PKI anchors: no validFor in the root
  // TSAs only: chain[0] is the only accepted timestamp signer. It was validated once at load
  // (X509_verify_cert, purpose timestampSigning); `signer_chain` is that validated chain (for
  // the ESS signing-certificate check) and `signer` holds chain[0] alone (PKCS7 lookup).
  STACK_OF(X509) * signer_chain = nullptr;
  STACK_OF(X509) * signer = nullptr;
  std::vector<std::string> chain_der;  // DER of each chain certificate
  // Keyless leaves (sigstore_leaf_chain.cc), per chain certificate: its subject Name DER, its
  // subjectKeyIdentifier (empty when absent), and whether it may issue one (see CanIssue).
  std::vector<std::string> subject_der, skid;
  std::vector<bool> can_issue;
  // Per chain certificate: its key with fixed-base precomputation (P-384/P-521 only, else
  // null; see ecdsa_fixed_key.h), used for the keyless leaf signature and, for a TSA's
  // chain[0], the token signature.
  std::vector<std::unique_ptr<FixedKeyEcdsa>> fixed_key;
  ~Authority();
};

}  // namespace provbadge::verifier::sigstore

namespace provbadge::verifier {
struct TrustedRoot::Impl {
  std::vector<sigstore::TlogKey> tlogs;
  std::vector<sigstore::CtLog> ctlogs;
  std::vector<std::unique_ptr<sigstore::Authority>> cas;
  std::vector<std::unique_ptr<sigstore::Authority>> tsas;
  bool private_pki = false;
};
}  // namespace provbadge::verifier

namespace provbadge::verifier::sigstore {

// --- the parsed bundle (sigstore_bundle.cc) -----------------------------------------------
struct InclusionProof {
  int64_t log_index = 0;
  std::string root_hash;  // raw
  int64_t tree_size = 0;
  std::vector<std::string> hashes;  // raw
  bool has_checkpoint = false;
  std::string checkpoint;  // the signed note text
};
struct TlogEntry {
  int64_t log_index = 0;
  std::string log_id;  // raw
  std::string kind, version;
  std::optional<int64_t> integrated_time;
  std::string set;  // raw signedEntryTimestamp; empty when absent
  std::optional<InclusionProof> proof;
  std::string_view body_b64;  // into the bundle JSON document (owned by ParsedBundle)
  std::string body;           // decoded canonicalized body
};
struct ParsedBundle {
  int minor_version = 3;  // 1, 2 or 3
  enum class Material { kPublicKey, kCertificate } material = Material::kPublicKey;
  std::string key_hint;
  std::vector<X509Ptr> chain;  // leaf first (bundle-provided; untrusted); keyless: chain[0] null
  std::vector<std::string> chain_der;
  LeafCertificate leaf;  // keyless: the leaf parsed by hand (views into chain_der[0])
  std::vector<TlogEntry> tlog;
  std::vector<std::string> timestamps;  // DER TimeStampResp
  bool is_dsse = false;
  // messageSignature
  std::string message_digest;  // raw, may be empty
  std::string signature;       // raw (message signature or the DSSE sig)
  std::string_view signature_b64;
  // dsseEnvelope
  std::string payload_type;
  std::string payload;  // raw
  std::string_view payload_b64;
};
// Owns the JSON document the string_views point into.
struct BundleDoc;
// `root` (may be null): chain certificates DER-equal to one of its CA certificates reuse the
// root's parsed object instead of being parsed again. `x509_leaf` false (keyless): the leaf is
// parsed into `leaf` (ParseLeafCertificate) and chain[0] stays null.
bool ParseSigstoreBundle(std::string_view json, const TrustedRoot::Impl* root, bool x509_leaf,
                         std::shared_ptr<BundleDoc>* doc, ParsedBundle* out, Finding* fail);
// The trusted root's CA certificate whose DER is exactly `der`, or null.
X509* FindRootCaCert(const TrustedRoot::Impl& root, std::string_view der);

// --- steps ---------------------------------------------------------------------------------
// sigstore_set.cc: Rekor v1 signed entry timestamp; returns the log used.
const TlogKey* FindTlog(const TrustedRoot::Impl& root, std::string_view log_id);
bool VerifySet(const TrustedRoot::Impl& root, const TlogEntry& e, Finding* fail);
// sigstore_timestamp.cc: one RFC 3161 token over `signature`; sets *gen_time.
bool VerifyRfc3161(const TrustedRoot::Impl& root, std::string_view der, std::string_view signature,
                   int64_t* gen_time, Finding* fail);
// sigstore_inclusion_proof.cc
bool VerifyInclusionProof(const TlogEntry& e, Finding* fail);
// sigstore_checkpoint.cc: signed note against the log's key; then size/root vs the proof.
bool VerifyCheckpoint(const TrustedRoot::Impl& root, const TlogEntry& e, Finding* fail);
// sigstore_cert_chain.cc (certificate mode, X509 leaf in chain[0]): chain the leaf to a CA
// valid at every time in `times` (private PKI: at times[0], or now when empty); returns
// SHA-256 of the issuer's SPKI.
bool VerifyCertificateChain(const TrustedRoot::Impl& root, const ParsedBundle& b,
                            const std::vector<int64_t>& times, std::string* issuer_spki_sha256,
                            Finding* fail);
// Shared by both chain paths: the window checks of one time against a CA and the leaf's
// notBefore/notAfter; the usage check (EKU codeSigning, not a CA); the chain/validity failure.
bool AuthorityValidAt(const Authority& ca, int64_t not_before, int64_t not_after, int64_t t);
bool LeafUsageOk(bool code_signing, bool is_ca, Finding* fail);
bool FailChain(bool chained, Finding* fail);
// sigstore_leaf_chain.cc: the keyless leaf (parsed without X509, sigstore_leaf.h) chained to
// a Fulcio CA certificate of the trusted root valid at every time in `times` (non-empty).
bool VerifyLeafChain(const TrustedRoot::Impl& root, const LeafCertificate& leaf,
                     const std::vector<int64_t>& times, std::string* issuer_spki_sha256,
                     Finding* fail);
// At trusted-root load: per chain certificate of `a`, its subject DER, SKID and can_issue.
void PrepareLeafIssuers(Authority* a);
// sigstore_sct.cc: the keyless leaf's embedded SCTs (precertificate TBS cut out of its DER).
bool VerifySct(const TrustedRoot::Impl& root, const LeafCertificate& leaf,
               std::string_view issuer_spki_sha256, Finding* fail);
// sigstore_identity.cc
bool CheckIdentity(const LeafCertificate& leaf, const SigstorePolicy& policy, std::string* san,
                   std::string* issuer, Finding* fail);
bool LeafSan(X509* leaf, std::string* san);
// sigstore_signature.cc
// `artifact_sha256`: 32 raw bytes (empty for SigstoreArtifact::Kind::kNone).
bool VerifyContentSignature(const ParsedBundle& b, EVP_PKEY* key, const SigstoreArtifact& artifact,
                            std::string_view artifact_sha256, const SigstorePolicy& policy,
                            Finding* fail);
bool CheckDsseSubject(const ParsedBundle& b, std::string_view artifact_sha256, Finding* fail);
// sigstore_tlog_body.cc: the entry body matches the bundle (signature, key/cert, digest).
// `signer_der`: the leaf certificate DER or the key's SPKI DER; `artifact_sha256` raw.
bool VerifyTlogBody(const TlogEntry& e, const ParsedBundle& b, std::string_view signer_der,
                    bool signer_is_cert, std::string_view artifact_sha256, Finding* fail);

}  // namespace provbadge::verifier::sigstore

#endif  // PROVBADGE_VERIFIER_SRC_SIGSTORE_INTERNAL_H_
