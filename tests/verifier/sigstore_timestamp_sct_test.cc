// Negative tests for the RFC 3161 timestamp and embedded-SCT steps, which verify against
// material prepared once in the trusted root (the TSA signing certificate validated at load,
// the precertificate TBS cut out of the leaf's own DER): a tampered token signature or content,
// a TSA chain without its signing certificate, a TSA whose certificate is no timestamping
// certificate, and a CT log key that did not sign the SCT must all fail closed.
#include <openssl/pkcs7.h>
#include <openssl/ts.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/test_paths.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/sigstore_verify.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Dir() { return testing::SharedDir() + "/vectors/sigstore-conformance/"; }

struct Case {
  json bundle, root;
  std::string artifact;
  SigstorePolicy policy;
};

// rekor2-happy-path: keyless, Rekor v2 (no SET), so the RFC 3161 token is the only time.
Case Rekor2() {
  Case c;
  c.bundle = json::parse(Slurp(Dir() + "rekor2-happy-path/bundle.sigstore.json"));
  c.root = json::parse(Slurp(Dir() + "rekor2-happy-path/trusted_root.json"));
  c.artifact = Slurp(Dir() + "a.txt");
  for (const json& k : json::parse(Slurp(Dir() + "cases.json"))) {
    if (k["name"] == "rekor2-happy-path") {
      c.policy.identity = k["identity"];
      c.policy.issuer = k["issuer"];
    }
  }
  return c;
}

std::string Run(const Case& c) {
  auto root = TrustedRoot::FromJson(c.root.dump());
  REQUIRE(root.ok());
  SigstoreOutcome out = VerifySigstoreBundle(c.bundle.dump(), root->get(),
                                             SigstoreArtifact::Bytes(c.artifact), c.policy);
  if (out.verified) return "";
  REQUIRE(out.FirstError() != nullptr);
  return out.FirstError()->code;
}

json& Token(Case& c) {
  return c.bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
                 ["signedTimestamp"];
}

// Decodes the bundle's TimeStampResp, lets `edit` change its PKCS7 token, re-encodes it.
template <typename Edit>
void EditToken(Case& c, Edit edit) {
  auto der = Base64Decode(Token(c).get<std::string>());
  REQUIRE(der.ok());
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der->data());
  TS_RESP* resp = d2i_TS_RESP(nullptr, &p, static_cast<long>(der->size()));
  REQUIRE(resp != nullptr);
  edit(TS_RESP_get_token(resp));
  unsigned char* out = nullptr;
  const int len = i2d_TS_RESP(resp, &out);
  REQUIRE(len > 0);
  Token(c) = Base64Encode(std::string(reinterpret_cast<char*>(out), static_cast<size_t>(len)));
  OPENSSL_free(out);
  TS_RESP_free(resp);
}

PKCS7_SIGNER_INFO* Signer(PKCS7* token) {
  return sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(token), 0);
}

TEST_CASE("rfc3161: the unmodified Rekor v2 bundle verifies", "[sigstore]") {
  CHECK(Run(Rekor2()).empty());
}

TEST_CASE("rfc3161: a flipped bit in the token's CMS signature fails", "[sigstore]") {
  Case c = Rekor2();
  EditToken(c, [](PKCS7* token) {
    ASN1_OCTET_STRING* sig = Signer(token)->enc_digest;
    sig->data[sig->length - 2] ^= 0x01;
  });
  CHECK(Run(c) == "sigstore.tsa.invalid");
}

TEST_CASE("rfc3161: changed token content (serial) breaks the messageDigest", "[sigstore]") {
  Case c = Rekor2();
  EditToken(c, [](PKCS7* token) {
    ASN1_OCTET_STRING* content = token->d.sign->contents->d.other->value.octet_string;
    const unsigned char* p = content->data;
    TS_TST_INFO* info = d2i_TS_TST_INFO(nullptr, &p, content->length);
    REQUIRE(info != nullptr);
    ASN1_INTEGER* serial = ASN1_INTEGER_dup(TS_TST_INFO_get_serial(info));
    serial->data[serial->length - 1] ^= 0x01;  // same length, another serial
    REQUIRE(TS_TST_INFO_set_serial(info, serial) == 1);
    ASN1_INTEGER_free(serial);
    unsigned char* der = nullptr;
    const int len = i2d_TS_TST_INFO(info, &der);
    REQUIRE(len == content->length);
    REQUIRE(ASN1_OCTET_STRING_set(content, der, len) == 1);
    OPENSSL_free(der);
    TS_TST_INFO_free(info);
  });
  CHECK(Run(c) == "sigstore.tsa.invalid");
}

TEST_CASE("rfc3161: a TSA chain without its signing certificate confers no time", "[sigstore]") {
  Case c = Rekor2();
  json& certs = c.root["timestampAuthorities"][0]["certChain"]["certificates"];
  REQUIRE(certs.size() >= 2);
  certs.erase(certs.begin());  // the intermediate (or root) is not the token's signer
  CHECK(Run(c) == "sigstore.tsa.invalid");
}

TEST_CASE("rfc3161: a TSA whose certificate is not a timestamping certificate fails",
          "[sigstore]") {
  Case c = Rekor2();
  // The Fulcio CA chain in the TSA's place: it chains, but has no timeStamping usage and did
  // not sign the token.
  c.root["timestampAuthorities"][0]["certChain"] = c.root["certificateAuthorities"][0]["certChain"];
  CHECK(Run(c) == "sigstore.tsa.invalid");
}

TEST_CASE("sct: a CT log key that did not sign the SCT fails", "[sigstore]") {
  Case c = Rekor2();
  for (json& log : c.root["ctlogs"]) {  // every CT log gets the Rekor log's P-256 key
    log["publicKey"]["rawBytes"] = c.root["tlogs"][0]["publicKey"]["rawBytes"];
    log["publicKey"]["keyDetails"] = "PKIX_ECDSA_P256_SHA_256";
  }
  CHECK(Run(c) == "sigstore.sct.invalid");
  c.root.erase("ctlogs");
  CHECK(Run(c) == "sigstore.sct.invalid");
}

}  // namespace
}  // namespace provbadge::verifier
