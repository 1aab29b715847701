// Step 5: the identity policy of keyless verification. The leaf's SAN (Fulcio writes exactly
// one: a URI, an email or a username otherName) and its OIDC issuer (extension
// 1.3.6.1.4.1.57264.1.8, a DER UTF8String, else the deprecated .1.1 holding raw bytes) must
// equal the policy's values; a regex is used only when the policy asks for it, and must match
// the whole value (never a prefix or substring).
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

const ASN1_OBJECT* Oid(const char* text) { return OBJ_txt2obj(text, 1); }

std::string Asn1String(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

bool ExtensionData(X509* cert, const ASN1_OBJECT* oid, std::string* out) {
  const int idx = X509_get_ext_by_OBJ(cert, oid, -1);
  if (idx < 0) return false;
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  if (data == nullptr) return false;
  *out = Asn1String(data);
  return true;
}

bool LeafIssuer(X509* leaf, std::string* issuer) {
  static const ASN1_OBJECT* kIssuerV2 = Oid("1.3.6.1.4.1.57264.1.8");
  static const ASN1_OBJECT* kIssuerV1 = Oid("1.3.6.1.4.1.57264.1.1");
  std::string raw;
  if (kIssuerV2 != nullptr && ExtensionData(leaf, kIssuerV2, &raw)) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(raw.data());
    ASN1_UTF8STRING* s = d2i_ASN1_UTF8STRING(nullptr, &p, static_cast<long>(raw.size()));
    if (s == nullptr) {
      ERR_clear_error();
      return false;
    }
    *issuer = Asn1String(s);
    ASN1_UTF8STRING_free(s);
    return true;
  }
  return kIssuerV1 != nullptr && ExtensionData(leaf, kIssuerV1, issuer);
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

bool CheckIdentity(X509* leaf, const SigstorePolicy& policy, std::string* san, std::string* issuer,
                   Finding* fail) {
  if (!LeafSan(leaf, san)) {
    Fail(fail, "sigstore.identity.san",
         "the signing certificate does not carry exactly one URI, email or username SAN");
    return false;
  }
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
