// A test transparency log for Sigstore negative vectors, entirely in memory (OpenSSL): a P-256
// log key in a custom trusted root, and key-mode bundles whose hashedrekord entry carries a
// valid SET, a one-leaf inclusion proof and a signed checkpoint. Tests mutate the returned
// JSON to build exactly one defect at a time. KeyModeFixture verifies them in key mode.
//
// Ownership: owns its keys. Thread-safety: one test at a time.
#ifndef PROVBADGE_TESTS_VERIFIER_SIGSTORE_TEST_LOG_H_
#define PROVBADGE_TESTS_VERIFIER_SIGSTORE_TEST_LOG_H_

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <catch2/catch.hpp>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/sigstore_verify.h"

namespace provbadge::verifier::testing_log {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

inline Key NewP256() { return Key(EVP_EC_gen("P-256")); }

inline std::string Spki(EVP_PKEY* k) {
  unsigned char* buf = nullptr;
  const int len = i2d_PUBKEY(k, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

inline std::string Pem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, k);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

inline std::string Sign(EVP_PKEY* k, std::string_view msg) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(msg.data()),
                 msg.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

class TestLog {
 public:
  TestLog() : log_key_(NewP256()), signer_(NewP256()), log_id_(Sha256Raw(Spki(log_key_.get()))) {}

  EVP_PKEY* signer() const { return signer_.get(); }
  EVP_PKEY* log_key() const { return log_key_.get(); }
  std::string SignerPem() const { return Pem(signer_.get()); }

  std::string TrustedRoot() const {
    nlohmann::json tlog = {{"baseUrl", "https://log.test"},
                           {"hashAlgorithm", "SHA2_256"},
                           {"publicKey",
                            {{"rawBytes", Base64Encode(Spki(log_key_.get()))},
                             {"keyDetails", "PKIX_ECDSA_P256_SHA_256"},
                             {"validFor", {{"start", "2020-01-01T00:00:00Z"}}}}},
                           {"logId", {{"keyId", Base64Encode(log_id_)}}}};
    return nlohmann::json{
        {"mediaType", "application/vnd.dev.sigstore.trustedroot+json;version=0.1"},
        {"tlogs", {tlog}}}
        .dump();
  }

  // A hashedrekord 0.0.1 body logging `signature` over `artifact` by `logged_key`.
  static std::string Body(std::string_view artifact, std::string_view signature,
                          EVP_PKEY* logged_key) {
    return BodyWithPem(artifact, signature, Pem(logged_key));
  }
  // The same, logging a PEM key or certificate.
  static std::string BodyWithPem(std::string_view artifact, std::string_view signature,
                                 const std::string& pem) {
    return nlohmann::json{
        {"apiVersion", "0.0.1"},
        {"kind", "hashedrekord"},
        {"spec",
         {{"data", {{"hash", {{"algorithm", "sha256"}, {"value", Sha256Hex(artifact)}}}}},
          {"signature",
           {{"content", Base64Encode(signature)},
            {"publicKey", {{"content", Base64Encode(pem)}}}}}}}}
        .dump();
  }

  // One tlog entry for `body` at index `index` in a one-leaf tree (root = leaf hash).
  nlohmann::json Entry(const std::string& body, int64_t index, int64_t time = 1700000000) const {
    const std::string body_b64 = Base64Encode(body);
    const std::string set_payload =
        "{\"body\":\"" + body_b64 + "\",\"integratedTime\":" + std::to_string(time) +
        ",\"logID\":\"" + HexEncode(log_id_) + "\",\"logIndex\":" + std::to_string(index) + "}";
    const std::string leaf = Sha256Raw(std::string(1, '\0') + body);
    return {{"logIndex", std::to_string(index)},
            {"logId", {{"keyId", Base64Encode(log_id_)}}},
            {"kindVersion", {{"kind", "hashedrekord"}, {"version", "0.0.1"}}},
            {"integratedTime", std::to_string(time)},
            {"inclusionPromise",
             {{"signedEntryTimestamp", Base64Encode(Sign(log_key_.get(), set_payload))}}},
            {"inclusionProof",
             {{"logIndex", "0"},
              {"rootHash", Base64Encode(leaf)},
              {"treeSize", "1"},
              {"hashes", nlohmann::json::array()},
              {"checkpoint", {{"envelope", Checkpoint(1, leaf)}}}}},
            {"canonicalizedBody", body_b64}};
  }

  std::string Checkpoint(int64_t size, const std::string& root) const {
    const std::string note =
        "log.test - 1\n" + std::to_string(size) + "\n" + Base64Encode(root) + "\n";
    const std::string sig = log_id_.substr(0, 4) + Sign(log_key_.get(), note);
    return note + "\n\xe2\x80\x94 log.test " + Base64Encode(sig) + "\n";
  }

  // A valid key-mode v0.3 bundle over `artifact`.
  nlohmann::json Bundle(std::string_view artifact) const {
    const std::string sig = Sign(signer_.get(), artifact);
    return {{"mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json"},
            {"verificationMaterial",
             {{"publicKey", {{"hint", Base64Encode(Sha256Raw(Spki(signer_.get())))}}},
              {"tlogEntries", {Entry(Body(artifact, sig, signer_.get()), 7)}}}},
            {"messageSignature",
             {{"messageDigest",
               {{"algorithm", "SHA2_256"}, {"digest", Base64Encode(Sha256Raw(artifact))}}},
              {"signature", Base64Encode(sig)}}}};
  }

 private:
  Key log_key_, signer_;
  std::string log_id_;
};

inline const std::string kArtifact = "the artifact bytes\n";

// A TestLog with its trusted root and a key-mode policy for its signer. Run gives "" when
// the bundle verifies, else the first error's code.
struct KeyModeFixture {
  TestLog log;
  std::shared_ptr<const TrustedRoot> root;
  SigstorePolicy policy;
  KeyModeFixture() {
    auto r = TrustedRoot::FromJson(log.TrustedRoot());
    REQUIRE(r.ok());
    root = *r;
    auto key = SigstoreKey::FromPem(log.SignerPem());
    REQUIRE(key.ok());
    policy.mode = SigstorePolicy::Mode::kKey;
    policy.key = *key;
  }
  std::string Run(const nlohmann::json& bundle, std::string_view artifact = kArtifact) {
    SigstoreOutcome o =
        VerifySigstoreBundle(bundle.dump(), root.get(), SigstoreArtifact::Bytes(artifact), policy);
    if (o.verified) return "";
    REQUIRE(o.FirstError() != nullptr);
    return o.FirstError()->code;
  }
};

}  // namespace provbadge::verifier::testing_log

#endif  // PROVBADGE_TESTS_VERIFIER_SIGSTORE_TEST_LOG_H_
