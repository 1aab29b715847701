// Helpers for the verifier tests: vector paths, throwaway EC keys, hand-built signed bundles
// and finding lookups.
#ifndef PROVBADGE_TESTS_VERIFIER_TEST_HELPERS_H_
#define PROVBADGE_TESTS_VERIFIER_TEST_HELPERS_H_

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/memory_source.h"
#include "common/test_paths.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/public_key.h"
#include "provbadge/verifier/report.h"

namespace provbadge::testing {

inline std::string OmsDir() { return SharedDir() + "/vectors/model-signing"; }
inline std::string SignedModel(const std::string& name) {
  return OmsDir() + "/signed-models/" + name;
}
inline std::string SpecVector(const std::string& name) {
  return OmsDir() + "/oms-spec/test-vectors/v1.0/" + name;
}

inline std::shared_ptr<const verifier::PublicKey> VectorKey() {
  auto key = verifier::PublicKey::FromPem(
      ReadFileBytes(OmsDir() + "/keys/certificate/signing-key-pub.pem"));
  REQUIRE(key.ok());
  return *key;
}

// A fresh EC key pair in PEM (private PKCS#8, public SPKI).
struct TestKey {
  std::string private_pem;
  std::string public_pem;
  std::shared_ptr<const verifier::PublicKey> pub;
};

inline std::string BioString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

inline TestKey GenerateKey(const char* curve = "P-256") {
  EVP_PKEY* pkey = EVP_EC_gen(curve);
  REQUIRE(pkey != nullptr);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(priv, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  REQUIRE(PEM_write_bio_PUBKEY(pub, pkey) == 1);
  TestKey key{BioString(priv), BioString(pub), nullptr};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(pkey);
  auto parsed = verifier::PublicKey::FromPem(key.public_pem);
  REQUIRE(parsed.ok());
  key.pub = *parsed;
  return key;
}

// DER ECDSA signature over `message` with the curve's hash.
inline std::string SignMessage(const TestKey& key, const std::string& message) {
  BIO* in = BIO_new_mem_buf(key.private_pem.data(), static_cast<int>(key.private_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  REQUIRE(pkey != nullptr);
  const EVP_MD* md = key.pub->curve_name() == "P-384"   ? EVP_sha384()
                     : key.pub->curve_name() == "P-521" ? EVP_sha512()
                                                        : EVP_sha256();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, md, nullptr, pkey) == 1);
  REQUIRE(EVP_DigestSign(ctx, nullptr, &len, msg, message.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, msg,
                         message.size()) == 1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return sig;
}

// A key-mode bundle whose DSSE envelope signs exactly `payload` with `key`.
inline std::string MakeBundle(const TestKey& key, const std::string& payload) {
  std::string sig = SignMessage(key, verifier::DssePae(verifier::kInTotoPayloadType, payload));
  nlohmann::json bundle = {
      {"mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json"},
      {"verificationMaterial", {{"publicKey", {{"hint", key.pub->pem_hint()}}}}},
      {"dsseEnvelope",
       {{"payload", verifier::Base64Encode(payload)},
        {"payloadType", "application/vnd.in-toto+json"},
        {"signatures", nlohmann::json::array({{{"sig", verifier::Base64Encode(sig)}}})}}}};
  return bundle.dump();
}

// An OMS statement over (name, content) pairs, with a correct subject digest.
inline nlohmann::json MakeStatement(const std::vector<std::pair<std::string, std::string>>& files) {
  nlohmann::json resources = nlohmann::json::array();
  std::string concat;
  for (const auto& [name, content] : files) {
    std::string digest = verifier::Sha256Hex(content);
    resources.push_back({{"name", name}, {"algorithm", "sha256"}, {"digest", digest}});
    concat += verifier::Sha256Raw(content);
  }
  return {{"_type", "https://in-toto.io/Statement/v1"},
          {"subject", {{{"name", "model"}, {"digest", {{"sha256", verifier::Sha256Hex(concat)}}}}}},
          {"predicateType", "https://model_signing/signature/v1.0"},
          {"predicate",
           {{"resources", resources},
            {"serialization", {{"method", "files"}, {"hash_type", "sha256"}}}}}};
}

inline bool HasCode(const verifier::Report& report, const std::string& code) {
  return std::any_of(report.findings.begin(), report.findings.end(),
                     [&](const verifier::Finding& f) { return f.code == code; });
}

inline const verifier::Finding* FindCode(const verifier::Report& report, const std::string& code) {
  for (const verifier::Finding& f : report.findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

inline std::string Codes(const verifier::Report& report) {
  std::string out;
  for (const verifier::Finding& f : report.findings) out += f.code + " ";
  return out;
}

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_VERIFIER_TEST_HELPERS_H_
