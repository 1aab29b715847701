// Strict parsing of the Fulcio leaf certificate without an OpenSSL X509 (see sigstore_leaf.h):
// the certificate frame, TBSCertificate fields, signature algorithm and public key.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "sigstore_der.h"
#include "sigstore_leaf.h"

namespace provbadge::verifier::sigstore {
namespace {

using der::Tlv;
using namespace oid;  // NOLINT(build/namespaces): the OID table

// AlgorithmIdentifier content: the OID and the parameters TLV (empty when absent).
bool Algorithm(std::string_view content, std::string_view* oid, std::string_view* params) {
  Tlv o;
  if (!der::Expect(&content, der::kOid, &o) || o.content.empty()) return false;
  *oid = o.content;
  *params = content;
  if (content.empty()) return true;
  Tlv p;
  return der::Read(&content, &p) && content.empty();
}

bool SignatureAlgorithm(std::string_view alg_content, LeafCertificate* out) {
  std::string_view oid, params;
  if (!Algorithm(alg_content, &oid, &params)) return false;
  struct Known {
    std::string_view oid;
    const EVP_MD* (*md)();
    int key_type;
  };
  static const Known kKnown[] = {
      {kEcdsaSha256, EVP_sha256, EVP_PKEY_EC}, {kEcdsaSha384, EVP_sha384, EVP_PKEY_EC},
      {kEcdsaSha512, EVP_sha512, EVP_PKEY_EC}, {kRsaSha256, EVP_sha256, EVP_PKEY_RSA},
      {kRsaSha384, EVP_sha384, EVP_PKEY_RSA},  {kRsaSha512, EVP_sha512, EVP_PKEY_RSA},
      {kEd25519, nullptr, EVP_PKEY_ED25519}};
  for (const Known& k : kKnown) {
    if (k.oid != oid) continue;
    // ECDSA and Ed25519 take no parameters; RSA PKCS#1 v1.5 takes NULL (or none).
    const bool rsa = k.key_type == EVP_PKEY_RSA;
    if (!params.empty() && !(rsa && params == std::string_view("\x05\x00", 2))) return false;
    out->sig_md = k.md != nullptr ? k.md() : nullptr;
    out->sig_key_type = k.key_type;
    return true;
  }
  return false;
}

// A public-key-only EVP_PKEY holding just the curve, built once per curve; leaf keys copy its
// parameters and set their point (EVP_PKEY_set1_encoded_public_key checks it is on the curve).
EVP_PKEY* CurveTemplate(const char* group) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_end()};
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEY_PARAMETERS, params) != 1) {
    key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();
  return key;  // kept for the process lifetime
}

EVP_PKEY* EcKey(std::string_view curve, std::string_view point) {
  static EVP_PKEY* const p256 = CurveTemplate("P-256");
  static EVP_PKEY* const p384 = CurveTemplate("P-384");
  static EVP_PKEY* const p521 = CurveTemplate("P-521");
  EVP_PKEY* tmpl = curve == kP256 ? p256 : curve == kP384 ? p384 : curve == kP521 ? p521 : nullptr;
  if (tmpl == nullptr || point.empty()) return nullptr;
  EVP_PKEY* key = EVP_PKEY_new();
  if (key == nullptr || EVP_PKEY_copy_parameters(key, tmpl) != 1 ||
      EVP_PKEY_set1_encoded_public_key(key, reinterpret_cast<const unsigned char*>(point.data()),
                                       point.size()) != 1) {
    EVP_PKEY_free(key);
    key = nullptr;
  }
  ERR_clear_error();
  return key;
}

EVP_PKEY* PublicKey(const Tlv& spki) {
  std::string_view body = spki.content, oid, params, bits;
  Tlv alg, key_bits;
  int unused = 0;
  if (!der::Expect(&body, der::kSequence, &alg) ||
      !der::Expect(&body, der::kBitString, &key_bits) || !body.empty() ||
      !Algorithm(alg.content, &oid, &params) || !der::BitString(key_bits.content, &unused, &bits) ||
      unused != 0) {
    return nullptr;
  }
  if (oid == kEcPublicKey) {
    std::string_view curve;
    return der::Only(params, der::kOid, &curve) ? EcKey(curve, bits) : nullptr;
  }
  if (oid == kEd25519) {
    if (!params.empty() || bits.size() != 32) return nullptr;
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(bits.data()), 32);
  }
  if (oid != kRsaEncryption || params != std::string_view("\x05\x00", 2)) return nullptr;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(spki.whole.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.whole.size()));
  if (key != nullptr && p != reinterpret_cast<const unsigned char*>(spki.whole.end())) {
    EVP_PKEY_free(key);
    key = nullptr;
  }
  ERR_clear_error();
  return key;
}

// Name ::= SEQUENCE OF RelativeDistinguishedName (SET SIZE(1..) OF {OID, value}).
bool Name(const Tlv& name) {
  if (name.tag != der::kSequence) return false;
  std::string_view rdns = name.content;
  while (!rdns.empty()) {
    Tlv rdn;
    if (!der::Expect(&rdns, der::kSet, &rdn) || rdn.content.empty()) return false;
    std::string_view atvs = rdn.content;
    while (!atvs.empty()) {
      Tlv atv, type, value;
      std::string_view a;
      if (!der::Expect(&atvs, der::kSequence, &atv)) return false;
      a = atv.content;
      if (!der::Expect(&a, der::kOid, &type) || !der::Read(&a, &value) || !a.empty()) return false;
    }
  }
  return true;
}

bool Validity(const Tlv& v, LeafCertificate* out) {
  std::string_view body = v.content;
  Tlv nb, na;
  return v.tag == der::kSequence && der::Read(&body, &nb) && der::Read(&body, &na) &&
         body.empty() && der::Time(nb, &out->not_before) && der::Time(na, &out->not_after);
}

}  // namespace

bool ParseLeafCertificate(std::string_view cert_der, LeafCertificate* out, std::string* code,
                          std::string* why) {
  LeafError c{code, why};
  std::string_view in = cert_der, body, fields;
  Tlv cert, tbs, alg, sig;
  if (!der::Expect(&in, der::kSequence, &cert) || !in.empty()) return c.Err("framing");
  body = cert.content;
  if (!der::Expect(&body, der::kSequence, &tbs) || !der::Expect(&body, der::kSequence, &alg) ||
      !der::Expect(&body, der::kBitString, &sig) || !body.empty()) {
    return c.Err("certificate fields");
  }
  int unused = 0;
  if (!der::BitString(sig.content, &unused, &out->signature) || unused != 0 ||
      out->signature.empty()) {
    return c.Err("signature value");
  }
  if (!SignatureAlgorithm(alg.content, out)) return c.Err("unsupported signature algorithm");
  out->tbs = tbs.whole;
  fields = tbs.content;
  Tlv version, serial, inner_alg, issuer, validity, subject, spki, exts;
  std::string_view v;
  if (!der::Expect(&fields, der::Explicit(0), &version) ||
      !der::Only(version.content, der::kInteger, &v) || v != std::string_view("\x02", 1)) {
    return c.Err("not a version 3 certificate");
  }
  if (!der::Expect(&fields, der::kInteger, &serial) || !der::MinimalInteger(serial.content) ||
      (static_cast<unsigned char>(serial.content[0]) & 0x80) || serial.content.size() > 21 ||
      (serial.content.size() == 21 && serial.content[0] != 0)) {
    return c.Err("serial number");
  }
  if (!der::Expect(&fields, der::kSequence, &inner_alg) || inner_alg.whole != alg.whole) {
    return c.Err("inner and outer signature algorithms differ");
  }
  if (!der::Read(&fields, &issuer) || !Name(issuer)) return c.Err("issuer name");
  if (!der::Read(&fields, &validity) || !Validity(validity, out)) return c.Err("validity");
  if (!der::Read(&fields, &subject) || !Name(subject)) return c.Err("subject name");
  if (!der::Expect(&fields, der::kSequence, &spki)) return c.Err("subject public key info");
  out->issuer = issuer.whole;
  out->tbs_before_ext = tbs.content.substr(0, tbs.content.size() - fields.size());
  if (!der::Expect(&fields, der::Explicit(3), &exts) || !fields.empty() ||
      !der::Only(exts.content, der::kSequence, &out->extensions) || out->extensions.empty()) {
    return c.Err("extensions missing, or fields after them");
  }
  out->key.reset(PublicKey(spki));
  if (!out->key) return c.Err("unsupported or invalid public key");
  return ParseLeafExtensions(out->extensions, out, code, why);
}

}  // namespace provbadge::verifier::sigstore
