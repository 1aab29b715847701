// Step 2 (certificate, keyless): the Fulcio leaf, parsed without an OpenSSL X509
// (sigstore_leaf.h lists every check), is issued by a CA certificate of the trusted root and
// valid, with that CA, at every verified signing time. This replaces X509_verify_cert for the
// leaf: the CA chains were verified once at load and their issuing properties precomputed
// (PrepareLeafIssuers), so per bundle it costs one signature verification. Only the trusted
// root's certificates can issue: the bundle's own intermediates are not used (as sigstore-go).
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

// X509_verify_cert's checks of a would-be chain certificate (check_extensions, check_issued):
// no unhandled critical or invalid extension, no proxy certificate, a CA, keyUsage (when
// present) allowing keyCertSign. Certificates with name constraints, policy extensions or
// RFC 3779 resources are not used for keyless leaves at all (fail closed: their semantics are
// not re-implemented here).
bool UsableCa(X509* c) {
  const uint32_t flags = X509_get_extension_flags(c);
  if ((flags & (EXFLAG_CRITICAL | EXFLAG_INVALID | EXFLAG_PROXY)) != 0) return false;
  if (X509_check_ca(c) == 0 || (X509_get_key_usage(c) & KU_KEY_CERT_SIGN) == 0) return false;
  for (int nid : {NID_name_constraints, NID_policy_constraints, NID_policy_mappings,
                  NID_inhibit_any_policy, NID_sbgp_ipAddrBlock, NID_sbgp_autonomousSysNum}) {
    if (X509_get_ext_by_NID(c, nid, -1) >= 0) return false;
  }
  return true;
}

// chain[j] may issue a keyless leaf: it and every certificate above it are usable CAs, each
// link is an issuance (name, key identifiers, key usage), and no path length is exceeded.
bool CanIssue(const Authority& a, size_t j) {
  int64_t below = 0;  // non-self-issued CA certificates between the leaf and chain[k]
  for (size_t k = j; k < a.chain.size(); ++k) {
    X509* c = a.chain[k].get();
    if (!UsableCa(c)) return false;
    if (k > j) {
      if (X509_check_issued(c, a.chain[k - 1].get()) != X509_V_OK) return false;
      const long path_len = X509_get_pathlen(c);
      if (path_len >= 0 && below > path_len) return false;
    }
    if ((X509_get_extension_flags(c) & EXFLAG_SI) == 0) ++below;
  }
  return true;
}

std::string SubjectDer(X509* c) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509_NAME(X509_get_subject_name(c), &buf);
  std::string out;
  if (len > 0) out.assign(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

// The trusted CA certificate (index into a.chain) that issued `leaf`, or -1.
int IssuerIndex(const Authority& a, const LeafCertificate& leaf) {
  for (size_t j = 0; j < a.chain.size(); ++j) {
    if (!a.can_issue[j] || a.subject_der[j] != leaf.issuer) continue;
    if (!leaf.akid.empty() && !a.skid[j].empty() && leaf.akid != a.skid[j]) continue;
    EVP_PKEY* key = X509_get0_pubkey(a.chain[j].get());
    if (key == nullptr || EVP_PKEY_get_base_id(key) != leaf.sig_key_type) continue;
    if (VerifySig(key, a.fixed_key[j].get(), leaf.sig_md, leaf.tbs, leaf.signature)) {
      return static_cast<int>(j);
    }
  }
  ERR_clear_error();
  return -1;
}

}  // namespace

void PrepareLeafIssuers(Authority* a) {
  for (size_t j = 0; j < a->chain.size(); ++j) {
    X509* c = a->chain[j].get();
    a->subject_der.push_back(SubjectDer(c));
    const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(c);
    a->skid.emplace_back(
        skid ? std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(skid)),
                           static_cast<size_t>(ASN1_STRING_length(skid)))
             : std::string());
    a->can_issue.push_back(!a->open_validity && !a->subject_der.back().empty() && CanIssue(*a, j));
    a->fixed_key.push_back(FixedKeyEcdsa::Make(X509_get0_pubkey(c)));
  }
  ERR_clear_error();
}

bool VerifyLeafChain(const TrustedRoot::Impl& root, const LeafCertificate& leaf,
                     const std::vector<int64_t>& times, std::string* issuer_spki_sha256,
                     Finding* fail) {
  if (leaf.unhandled_critical) {
    Fail(fail, "sigstore.cert.critical_extension",
         "the signing certificate has a critical extension this verifier does not process");
    return false;
  }
  if (!LeafUsageOk(leaf.code_signing, leaf.is_ca, fail)) return false;
  bool chained = false;
  for (const auto& ca : root.cas) {
    const int j = IssuerIndex(*ca, leaf);
    if (j < 0) continue;
    chained = true;
    bool all = !times.empty();
    for (int64_t t : times) all = all && AuthorityValidAt(*ca, leaf.not_before, leaf.not_after, t);
    if (all) {
      *issuer_spki_sha256 = ca->spki_sha256[static_cast<size_t>(j)];
      return true;
    }
  }
  return FailChain(chained, fail);
}

}  // namespace provbadge::verifier::sigstore
