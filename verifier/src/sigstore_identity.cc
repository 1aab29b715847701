// Step 5: the identity policy of keyless verification. The leaf's SAN (Fulcio writes exactly
// one: a URI, an email or a username otherName) and its OIDC issuer (extension
// 1.3.6.1.4.1.57264.1.8, a DER UTF8String, else the deprecated .1.1 holding raw bytes) must
// equal the policy's values; a regex is used only when the policy asks for it, and must match
// the whole value (never a prefix or substring). Keyless leaves come parsed by hand
// (sigstore_leaf.h); LeafSan reads an X509 leaf's SAN for certificate mode.
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <regex>

#include "limits.h"
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

std::string Asn1String(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

// The OIDC issuer: the .1.8 UTF8String when that extension is present (a malformed one names
// no issuer), else the deprecated .1.1's raw bytes.
bool LeafIssuer(const LeafCertificate& leaf, std::string* issuer) {
  if (leaf.has_issuer_v2) {
    if (!leaf.issuer_v2_ok) return false;
    issuer->assign(leaf.issuer_v2);
    return true;
  }
  if (!leaf.has_issuer_v1) return false;
  issuer->assign(leaf.issuer_v1);
  return true;
}

bool Matches(const std::string& value, const std::string& want, bool regex) {
  if (!regex) return value == want;
  try {
    return std::regex_match(value, std::regex(want, std::regex::ECMAScript));
  } catch (const std::regex_error&) {
    return false;  // an invalid pattern never matches
  }
}

}  // namespace

bool LeafSan(X509* leaf, std::string* san) {
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  ERR_clear_error();
  if (!names || sk_GENERAL_NAME_num(names.get()) != 1) return false;
  const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), 0);
  switch (n->type) {
    case GEN_URI:
    case GEN_EMAIL:
      *san = Asn1String(n->d.ia5);
      return true;
    case GEN_OTHERNAME:
      if (n->d.otherName->value->type == V_ASN1_UTF8STRING) {
        *san = Asn1String(n->d.otherName->value->value.utf8string);
        return true;
      }
      return false;
    default:
      return false;
  }
}

bool CheckIdentity(const LeafCertificate& leaf, const SigstorePolicy& policy, std::string* san,
                   std::string* issuer, Finding* fail) {
  if (!leaf.san_usable) {
    Fail(fail, "sigstore.identity.san",
         "the signing certificate does not carry exactly one URI, email or username SAN");
    return false;
  }
  san->assign(leaf.san);
  if (!LeafIssuer(leaf, issuer)) {
    Fail(fail, "sigstore.identity.issuer_missing",
         "the signing certificate names no OIDC issuer (1.3.6.1.4.1.57264.1.8 or .1.1)");
    return false;
  }
  if (policy.identity.empty() || !Matches(*san, policy.identity, policy.identity_is_regex)) {
    Fail(fail, "sigstore.identity.mismatch",
         "the certificate identity is not the one the policy allows", policy.identity, *san);
    return false;
  }
  if (policy.issuer.empty() || !Matches(*issuer, policy.issuer, policy.issuer_is_regex)) {
    Fail(fail, "sigstore.identity.issuer_mismatch",
         "the certificate's OIDC issuer is not the one the policy allows", policy.issuer, *issuer);
    return false;
  }
  return true;
}

}  // namespace provbadge::verifier::sigstore
