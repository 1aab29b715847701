// Step 1 (RFC 3161): a timestamp token over the signature bytes. The token must be granted,
// its message imprint must hash the signature, and its CMS signature must come from a TSA of
// the trusted root: the signer is that TSA's certificate (chain[0], validated once when the
// root was loaded; certificates embedded in the token confer no trust and are ignored), the
// ESS signing-certificate attribute must name it, and the signature must verify. These are the
// checks of TS_RESP_verify_signature without rebuilding the already validated chain per
// token. genTime must lie in the TSA's validFor and in every TSA chain certificate's validity
// (checked at genTime, not now). The token's embedded certificates are cut out of the DER
// before it is parsed (WithoutCertificates).
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include <cstring>

#include "sigstore_der.h"
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

struct RespFree {
  void operator()(TS_RESP* r) const { TS_RESP_free(r); }
};
struct VerifyCtxFree {
  void operator()(TS_VERIFY_CTX* c) const { TS_VERIFY_CTX_free(c); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
struct EssFree {
  void operator()(ESS_SIGNING_CERT* c) const { ESS_SIGNING_CERT_free(c); }
};
struct EssV2Free {
  void operator()(ESS_SIGNING_CERT_V2* c) const { ESS_SIGNING_CERT_V2_free(c); }
};

// The TimeStampResp DER without the token's embedded certificates (SignedData.certificates),
// or empty when it has none or another shape. Those certificates confer no trust and are never
// looked at (the signer comes from the trusted root), but d2i_TS_RESP would parse each one,
// OpenSSL 3.0's decoder set-up for its key included. The signature covers neither them nor
// the enclosing lengths, so nothing verified changes.
std::string WithoutCertificates(std::string_view resp_der) {
  std::string_view in = resp_der, resp, token, signed_data;
  der::Tlv r, status, ci, type, wrapped, sd;
  if (!der::Expect(&in, der::kSequence, &r) || !in.empty()) return "";
  resp = r.content;
  if (!der::Expect(&resp, der::kSequence, &status) || !der::Expect(&resp, der::kSequence, &ci) ||
      !resp.empty()) {
    return "";
  }
  token = ci.content;
  if (!der::Expect(&token, der::kOid, &type) || !der::Expect(&token, der::Explicit(0), &wrapped) ||
      !token.empty() || !der::Only(wrapped.content, der::kSequence, &signed_data)) {
    return "";
  }
  std::string kept;
  bool removed = false;
  for (int field = 0; !signed_data.empty(); ++field) {
    if (!der::Read(&signed_data, &sd)) return "";
    if (field == 3 && sd.tag == der::Explicit(0)) {
      removed = true;
      continue;
    }
    kept.append(sd.whole);
  }
  if (!removed) return "";
  std::string seq, explicit0, content_info, out;
  der::Put(&seq, der::kSequence, kept);
  der::Put(&explicit0, der::Explicit(0), seq);
  std::string ci_content(type.whole);
  ci_content += explicit0;
  der::Put(&content_info, der::kSequence, ci_content);
  std::string resp_content(status.whole);
  resp_content += content_info;
  der::Put(&out, der::kSequence, resp_content);
  return out;
}

// Status granted, version 1, message imprint over `signature` (no signature check here).
bool TokenContentValid(TS_RESP* resp, std::string_view signature) {
  std::unique_ptr<TS_VERIFY_CTX, VerifyCtxFree> ctx(TS_VERIFY_CTX_new());
  if (!ctx) return false;
  BIO* data = BIO_new_mem_buf(signature.data(), static_cast<int>(signature.size()));
  if (data == nullptr) return false;
  TS_VERIFY_CTX_set_data(ctx.get(), data);
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_DATA);
  return TS_RESP_verify_response(ctx.get(), resp) == 1;
}

ASN1_STRING* SignedSequence(const PKCS7_SIGNER_INFO* si, int nid) {
  ASN1_TYPE* attr = PKCS7_get_signed_attribute(si, nid);
  return attr != nullptr && attr->type == V_ASN1_SEQUENCE ? attr->value.sequence : nullptr;
}

// The ESS signingCertificate(V2) attribute names the TSA's validated chain (signer first).
bool EssNamesSigner(const PKCS7_SIGNER_INFO* si, const Authority& tsa) {
  std::unique_ptr<ESS_SIGNING_CERT, EssFree> v1;
  std::unique_ptr<ESS_SIGNING_CERT_V2, EssV2Free> v2;
  if (ASN1_STRING* seq = SignedSequence(si, NID_id_smime_aa_signingCertificate)) {
    const unsigned char* p = seq->data;
    v1.reset(d2i_ESS_SIGNING_CERT(nullptr, &p, seq->length));
    if (!v1) return false;
  }
  if (ASN1_STRING* seq = SignedSequence(si, NID_id_smime_aa_signingCertificateV2)) {
    const unsigned char* p = seq->data;
    v2.reset(d2i_ESS_SIGNING_CERT_V2(nullptr, &p, seq->length));
    if (!v2) return false;
  }
  return OSSL_ESS_check_signing_certs(v1.get(), v2.get(), tsa.signer_chain, 1) > 0;
}

// The encapsulated TSTInfo octets (eContent) of a signed token.
const ASN1_OCTET_STRING* TstInfoContent(PKCS7* token) {
  PKCS7* inner = token->d.sign->contents;
  if (inner == nullptr || OBJ_obj2nid(inner->type) != NID_id_smime_ct_TSTInfo) return nullptr;
  const ASN1_TYPE* t = inner->d.other;
  return t != nullptr && t->type == V_ASN1_OCTET_STRING ? t->value.octet_string : nullptr;
}

// PKCS7_signatureVerify's checks for a SignerInfo with signed attributes (RFC 5652 §5.4,
// which RFC 3161 tokens always have: ESS is one of them): the messageDigest attribute equals
// the digest of the TSTInfo octets under the SignerInfo's digestAlgorithm, and the signature
// verifies over the DER SET OF the signed attributes with that digest — through the TSA key's
// fixed-base verifier when it has one (ecdsa_fixed_key.h), else EVP_DigestVerify.
bool SignerInfoVerifies(PKCS7* token, PKCS7_SIGNER_INFO* si, X509* signer,
                        const FixedKeyEcdsa* fixed) {
  const ASN1_OCTET_STRING* content = TstInfoContent(token);
  const EVP_MD* md = EVP_get_digestbyobj(si->digest_alg->algorithm);
  STACK_OF(X509_ATTRIBUTE)* attrs = si->auth_attr;
  if (content == nullptr || md == nullptr || sk_X509_ATTRIBUTE_num(attrs) <= 0) return false;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASN1_OCTET_STRING* claimed = PKCS7_digest_from_attributes(attrs);
  if (EVP_Digest(ASN1_STRING_get0_data(content), static_cast<size_t>(ASN1_STRING_length(content)),
                 digest, &len, md, nullptr) != 1 ||
      claimed == nullptr || ASN1_STRING_length(claimed) != static_cast<int>(len) ||
      std::memcmp(ASN1_STRING_get0_data(claimed), digest, len) != 0) {
    return false;
  }
  unsigned char* der = nullptr;
  const int der_len =
      ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(attrs), &der, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
  if (der_len <= 0) return false;
  const std::string_view msg(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  const std::string_view sig(reinterpret_cast<const char*>(ASN1_STRING_get0_data(si->enc_digest)),
                             static_cast<size_t>(ASN1_STRING_length(si->enc_digest)));
  const bool ok = VerifySig(X509_get0_pubkey(signer), fixed, md, msg, sig);
  OPENSSL_free(der);
  return ok;
}

// The token's single SignerInfo is this TSA's signing certificate and its signature verifies.
bool TsaSigned(PKCS7* token, const Authority& tsa) {
  if (tsa.signer_chain == nullptr || token == nullptr || !PKCS7_type_is_signed(token) ||
      PKCS7_get_detached(token)) {
    return false;
  }
  STACK_OF(PKCS7_SIGNER_INFO)* infos = PKCS7_get_signer_info(token);
  if (infos == nullptr || sk_PKCS7_SIGNER_INFO_num(infos) != 1) return false;
  PKCS7_SIGNER_INFO* si = sk_PKCS7_SIGNER_INFO_value(infos, 0);
  // Only the trusted signing certificate is searched (PKCS7_NOINTERN: not the token's).
  std::unique_ptr<STACK_OF(X509), StackFree> signers(
      PKCS7_get0_signers(token, tsa.signer, PKCS7_NOINTERN));
  if (!signers || sk_X509_num(signers.get()) != 1) return false;
  X509* signer = sk_X509_value(signers.get(), 0);
  if (signer != tsa.chain[0].get() || !EssNamesSigner(si, tsa)) return false;
  return SignerInfoVerifies(token, si, signer, tsa.fixed_key[0].get());
}

}  // namespace

bool VerifyRfc3161(const TrustedRoot::Impl& root, std::string_view der, std::string_view signature,
                   int64_t* gen_time, Finding* fail) {
  const std::string stripped = WithoutCertificates(der);
  const std::string_view parsed = stripped.empty() ? der : std::string_view(stripped);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(parsed.data());
  std::unique_ptr<TS_RESP, RespFree> resp(
      d2i_TS_RESP(nullptr, &p, static_cast<long>(parsed.size())));
  if (!resp || p != reinterpret_cast<const unsigned char*>(parsed.data()) + parsed.size()) {
    ERR_clear_error();
    Fail(fail, "sigstore.tsa.malformed", "an RFC 3161 timestamp is not a DER TimeStampResp");
    return false;
  }
  TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  auto t = info ? Asn1TimeToUnix(TS_TST_INFO_get_time(info)) : std::nullopt;
  if (!t) {
    Fail(fail, "sigstore.tsa.malformed", "the timestamp token has no readable genTime");
    return false;
  }
  const Authority* signer = nullptr;
  if (TokenContentValid(resp.get(), signature)) {
    for (const auto& tsa : root.tsas) {
      if (TsaSigned(TS_RESP_get_token(resp.get()), *tsa)) {
        signer = tsa.get();
        break;
      }
    }
  }
  ERR_clear_error();
  if (signer == nullptr) {
    Fail(fail, "sigstore.tsa.invalid",
         "the RFC 3161 timestamp does not verify: not granted, not over this signature, or not "
         "signed by a TSA of the trusted root");
    return false;
  }
  if (!signer->valid_for.Contains(*t)) {
    Fail(fail, "sigstore.tsa.validity",
         "genTime lies outside the TSA's validity in the trusted root", "", std::to_string(*t));
    return false;
  }
  for (const auto& [not_before, not_after] : signer->cert_windows) {
    if (*t < not_before || *t > not_after) {
      Fail(fail, "sigstore.tsa.certificate_validity",
           "genTime lies outside the validity of the TSA's certificate chain", "",
           std::to_string(*t));
      return false;
    }
  }
  *gen_time = *t;
  return true;
}

}  // namespace provbadge::verifier::sigstore
