// Bounds on what a Sigstore leaf certificate carries (provbadge/common/limits.h): embedded
// SCTs (kMaxScts) and SAN names (the parser takes at most kMaxSanEntries, the identity check
// exactly one). The certificates are built here with OpenSSL, parsed by the keyless leaf parser
// and given to the internal steps directly (verifier/src/sigstore_internal.h), since a keyless
// chain to a real CA is not needed to reach these checks. docs/threat-model.md ("Limits") maps
// every limit to its test.
#include <openssl/ct.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "../common/test_paths.h"
#include "provbadge/common/limits.h"
#include "verifier/src/sigstore_internal.h"

namespace provbadge::verifier {
namespace {

struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Cert = std::unique_ptr<X509, CertFree>;

// A self-signed leaf with `sans` email SANs and `scts` embedded SCTs (from distinct unknown
// logs, with dummy signatures).
Cert Leaf(size_t sans, size_t scts) {
  std::unique_ptr<EVP_PKEY, sigstore::PkeyFree> key(EVP_EC_gen("P-256"));
  REQUIRE(key);
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("leaf"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
  for (size_t i = 0; i < sans; ++i) {
    GENERAL_NAME* n = GENERAL_NAME_new();
    ASN1_IA5STRING* email = ASN1_IA5STRING_new();
    const std::string address = "u" + std::to_string(i) + "@example.com";
    ASN1_STRING_set(email, address.data(), static_cast<int>(address.size()));
    GENERAL_NAME_set0_value(n, GEN_EMAIL, email);
    sk_GENERAL_NAME_push(names, n);
  }
  if (sans > 0) REQUIRE(X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names, 0, 0) == 1);
  GENERAL_NAMES_free(names);
  STACK_OF(SCT)* list = sk_SCT_new_null();
  for (size_t i = 0; i < scts; ++i) {
    SCT* sct = SCT_new();
    SCT_set_version(sct, SCT_VERSION_V1);
    SCT_set_log_entry_type(sct, CT_LOG_ENTRY_TYPE_PRECERT);
    unsigned char log_id[32] = {static_cast<unsigned char>(i + 1)};
    SCT_set1_log_id(sct, log_id, sizeof log_id);
    SCT_set_timestamp(sct, 1700000000000);
    SCT_set_signature_nid(sct, NID_ecdsa_with_SHA256);
    unsigned char sig[8] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
    SCT_set1_signature(sct, sig, sizeof sig);
    sk_SCT_push(list, sct);
  }
  if (scts > 0) REQUIRE(X509_add1_ext_i2d(cert.get(), NID_ct_precert_scts, list, 0, 0) == 1);
  SCT_LIST_free(list);
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  return cert;
}

std::string Der(X509* cert) {
  unsigned char* out = nullptr;
  const int n = i2d_X509(cert, &out);
  REQUIRE(n > 0);
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return der;
}

TEST_CASE("limits: a leaf certificate carries at most kMaxScts SCTs", "[limits]") {
  std::ifstream in(testing::SharedDir() +
                   "/vectors/sigstore-conformance/public-good/trusted_root.json");
  auto root = TrustedRoot::FromJson(std::string(std::istreambuf_iterator<char>(in), {}));
  REQUIRE(root.ok());
  auto code = [&](size_t scts) {
    const std::string der = Der(Leaf(1, scts).get());
    sigstore::LeafCertificate leaf;
    std::string parse_code, why;
    REQUIRE(sigstore::ParseLeafCertificate(der, &leaf, &parse_code, &why));
    Finding fail;
    CHECK_FALSE(sigstore::VerifySct((*root)->impl(), leaf, std::string(32, '\0'), &fail));
    return fail.code;
  };
  CHECK(code(limits::kMaxScts) == "sigstore.sct.invalid");  // counted, then none verifies
  CHECK(code(limits::kMaxScts + 1) == "sigstore.sct.too_many");
}

TEST_CASE("limits: a leaf certificate names exactly one SAN (below kMaxSanEntries)", "[limits]") {
  auto code = [](size_t sans) {
    const std::string der = Der(Leaf(sans, 0).get());
    sigstore::LeafCertificate leaf;
    std::string parse_code, why;
    if (!sigstore::ParseLeafCertificate(der, &leaf, &parse_code, &why)) return parse_code;
    SigstorePolicy policy;
    std::string san, issuer;
    Finding fail;
    CHECK_FALSE(sigstore::CheckIdentity(leaf, policy, &san, &issuer, &fail));
    return fail.code;
  };
  CHECK(code(1) == "sigstore.identity.issuer_missing");  // the SAN passed
  CHECK(code(2) == "sigstore.identity.san");
  CHECK(code(limits::kMaxSanEntries) == "sigstore.identity.san");         // parsed, then refused
  CHECK(code(limits::kMaxSanEntries + 1) == "sigstore.bundle.too_many");  // refused at parse
}

}  // namespace
}  // namespace provbadge::verifier
