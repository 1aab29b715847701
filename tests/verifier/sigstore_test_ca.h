// A test Fulcio CA and CT log, in memory (OpenSSL), on top of the test log of
// sigstore_test_log.h: a self-signed P-256 CA in a custom trusted root, keyless leaf
// certificates with chosen extensions, validity and issuer (each with a valid embedded SCT
// unless asked otherwise), and v0.3 keyless bundles whose hashedrekord entry logs the leaf.
// Tests change one thing in a leaf (or in its DER) to build exactly one defect at a time.
//
// Ownership: owns its keys. Thread-safety: one test at a time.
#ifndef PROVBADGE_TESTS_VERIFIER_SIGSTORE_TEST_CA_H_
#define PROVBADGE_TESTS_VERIFIER_SIGSTORE_TEST_CA_H_

#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "sigstore_test_log.h"

namespace provbadge::verifier::testing_log {

inline constexpr const char* kTestIdentity =
    "https://ci.test/workflows/release.yml@refs/heads/main";
inline constexpr const char* kTestIssuer = "https://issuer.test";

// A DER TLV (short or long length form).
inline std::string Tlv(unsigned char tag, const std::string& content) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = content.size();
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else if (n < 0x100) {
    out += "\x81";
    out += static_cast<char>(n);
  } else {
    out += "\x82";
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  }
  return out + content;
}

inline std::string CertDer(X509* x) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509(x, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

inline std::string CertPem(const std::string& der) {
  std::string b64 = Base64Encode(der), out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END CERTIFICATE-----\n";
}

// One extension, its value given as DER.
struct Ext {
  std::string oid;  // dotted
  bool critical = false;
  std::string value_der;
};

struct LeafSpec {
  int64_t not_before = 1700000000 - 300, not_after = 1700000000 + 600;
  std::vector<std::string> san_uris{kTestIdentity};
  std::string issuer_cn = "test-fulcio";  // issuer name CN (the CA's is test-fulcio)
  bool code_signing = true, ca = false, sct = true;
  std::vector<Ext> extra;         // appended before the SCT list
  EVP_PKEY* sign_with = nullptr;  // default: the CA key
};

class TestCa {
 public:
  TestCa() : ca_key_(NewP256()), ct_key_(NewP256()), ct_id_(Sha256Raw(Spki(ct_key_.get()))) {
    X509* ca = X509_new();
    X509_set_version(ca, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(ca), 1);
    X509_NAME* name = Name("test-fulcio");
    X509_set_subject_name(ca, name);
    X509_set_issuer_name(ca, name);
    X509_NAME_free(name);
    ASN1_TIME_set(X509_getm_notBefore(ca), 1577836800);  // 2020-01-01
    ASN1_TIME_set(X509_getm_notAfter(ca), 1893456000);   // 2030-01-01
    X509_set_pubkey(ca, ca_key_.get());
    AddExt(ca, {"2.5.29.19", true, Tlv(0x30, "\x01\x01\xff")});
    AddExt(ca, {"2.5.29.15", true, std::string("\x03\x02\x01\x06", 4)});
    X509_sign(ca, ca_key_.get(), EVP_sha256());
    ca_der_ = CertDer(ca);
    X509_free(ca);
  }

  EVP_PKEY* ca_key() const { return ca_key_.get(); }
  const TestLog& log() const { return log_; }

  // The test log's trusted root plus this CT log and CA.
  std::string TrustedRoot() const {
    nlohmann::json root = nlohmann::json::parse(log_.TrustedRoot());
    const nlohmann::json valid = {{"start", "2020-01-01T00:00:00Z"}};
    root["ctlogs"] = {{{"baseUrl", "https://ct.test"},
                       {"hashAlgorithm", "SHA2_256"},
                       {"publicKey",
                        {{"rawBytes", Base64Encode(Spki(ct_key_.get()))},
                         {"keyDetails", "PKIX_ECDSA_P256_SHA_256"},
                         {"validFor", valid}}},
                       {"logId", {{"keyId", Base64Encode(ct_id_)}}}}};
    root["certificateAuthorities"] = {
        {{"subject", {{"commonName", "test-fulcio"}}},
         {"uri", "https://fulcio.test"},
         {"certChain", {{"certificates", {{{"rawBytes", Base64Encode(ca_der_)}}}}}},
         {"validFor", valid}}};
    return root.dump();
  }

  // A leaf for the test log's signer key, as `spec` says.
  std::string Leaf(const LeafSpec& spec) const {
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_NAME* issuer = Name(spec.issuer_cn);
    X509_set_issuer_name(x, issuer);
    X509_NAME_free(issuer);
    ASN1_TIME_set(X509_getm_notBefore(x), static_cast<time_t>(spec.not_before));
    ASN1_TIME_set(X509_getm_notAfter(x), static_cast<time_t>(spec.not_after));
    X509_set_pubkey(x, log_.signer());
    AddExt(x, {"2.5.29.15", true, std::string("\x03\x02\x07\x80", 4)});
    if (spec.code_signing) AddExt(x, {"2.5.29.37", false, Tlv(0x30, Tlv(0x06, kCodeSigning))});
    if (spec.ca) AddExt(x, {"2.5.29.19", true, Tlv(0x30, "\x01\x01\xff")});
    std::string names;
    for (const std::string& uri : spec.san_uris) names += Tlv(0x86, uri);
    AddExt(x, {"2.5.29.17", true, Tlv(0x30, names)});
    AddExt(x, {"1.3.6.1.4.1.57264.1.8", false, Tlv(0x0c, kTestIssuer)});
    for (const Ext& e : spec.extra) AddExt(x, e);
    EVP_PKEY* signer = spec.sign_with != nullptr ? spec.sign_with : ca_key_.get();
    X509_sign(x, signer, EVP_sha256());
    if (spec.sct) {
      AddExt(x, {"1.3.6.1.4.1.11129.2.4.2", false, Tlv(0x04, SctList(x))});
      X509_sign(x, signer, EVP_sha256());
    }
    std::string der = CertDer(x);
    X509_free(x);
    return der;
  }

  // A keyless v0.3 bundle over `artifact` carrying `leaf_der`, logged in the test log.
  nlohmann::json Bundle(std::string_view artifact, const std::string& leaf_der) const {
    const std::string sig = Sign(log_.signer(), artifact);
    const std::string body = TestLog::BodyWithPem(artifact, sig, CertPem(leaf_der));
    return {{"mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json"},
            {"verificationMaterial",
             {{"certificate", {{"rawBytes", Base64Encode(leaf_der)}}},
              {"tlogEntries", {log_.Entry(body, 7)}}}},
            {"messageSignature",
             {{"messageDigest",
               {{"algorithm", "SHA2_256"}, {"digest", Base64Encode(Sha256Raw(artifact))}}},
              {"signature", Base64Encode(sig)}}}};
  }

 private:
  static constexpr const char* kCodeSigning = "\x2b\x06\x01\x05\x05\x07\x03\x03";

  static X509_NAME* Name(const std::string& cn) {
    X509_NAME* n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("provbadge test"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    return n;
  }

  static void AddExt(X509* x, const Ext& e) {
    ASN1_OBJECT* oid = OBJ_txt2obj(e.oid.c_str(), 1);
    ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>(e.value_der.data()),
                          static_cast<int>(e.value_der.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, e.critical ? 1 : 0, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(value);
    ASN1_OBJECT_free(oid);
  }

  static std::string U(uint64_t v, int bytes) {
    std::string out;
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
  }

  // A TLS SignedCertificateTimestampList with one v1 SCT over `x`'s current TBS (RFC 6962).
  std::string SctList(X509* x) const {
    unsigned char* buf = nullptr;
    const int len = i2d_re_X509_tbs(x, &buf);
    const std::string tbs(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
    OPENSSL_free(buf);
    const uint64_t ts = 1700000000000;
    const std::string signed_data = std::string("\0\0", 2) + U(ts, 8) + U(1, 2) +
                                    Sha256Raw(Spki(ca_key_.get())) + U(tbs.size(), 3) + tbs +
                                    U(0, 2);
    const std::string sig = Sign(ct_key_.get(), signed_data);
    const std::string sct =
        std::string(1, '\0') + ct_id_ + U(ts, 8) + U(0, 2) + "\x04\x03" + U(sig.size(), 2) + sig;
    const std::string list = U(sct.size(), 2) + sct;
    return U(list.size(), 2) + list;
  }

  TestLog log_;
  Key ca_key_, ct_key_;
  std::string ct_id_, ca_der_;
};

}  // namespace provbadge::verifier::testing_log

#endif  // PROVBADGE_TESTS_VERIFIER_SIGSTORE_TEST_CA_H_
