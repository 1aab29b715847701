// DsseSigner (EC and Ed25519), envelope parsing and DsseSignedBy, and OMS certificate-mode
// signing checked by the certificate-mode verifier with the upstream test PKI.
#include <catch2/catch.hpp>

#include "provbadge/verifier/dsse_sign.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/oms_sign.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::GenerateKey;
using testing::OmsDir;
using testing::ReadFileBytes;

std::string PemOf(EVP_PKEY* pkey, bool traditional) {
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(
      (traditional
           ? PEM_write_bio_PrivateKey_traditional(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr)
           : PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr)) == 1);
  std::string pem = testing::BioString(bio);
  BIO_free(bio);
  return pem;
}

DsseEnvelope Parsed(const std::string& envelope) {
  auto env = ParseDsseEnvelope(envelope);
  REQUIRE(env.ok());
  return *env;
}

TEST_CASE("an EC signer's envelope verifies with its public key, and only with it") {
  for (const char* curve : {"P-256", "P-384", "P-521"}) {
    INFO(curve);
    testing::TestKey key = GenerateKey(curve);
    auto signer = DsseSigner::FromPem(key.private_pem);
    REQUIRE(signer.ok());
    CHECK((*signer)->is_ec());
    CHECK((*signer)->keyid() == key.pub->pem_hint());  // default keyid: the OMS hint
    CHECK((*signer)->public_pem() == key.public_pem);
    auto envelope = (*signer)->SignEnvelope(kInTotoPayloadType, R"({"a":1})");
    REQUIRE(envelope.ok());
    CHECK(envelope->find('\n') == std::string::npos);  // one jsonl line
    DsseEnvelope env = Parsed(*envelope);
    CHECK(env.payload_type == kInTotoPayloadType);
    CHECK(env.payload == R"({"a":1})");
    REQUIRE(env.signatures.size() == 1);
    CHECK(env.signatures[0].keyid == key.pub->pem_hint());
    CHECK(DsseSignedBy(env, *key.pub));
    CHECK_FALSE(DsseSignedBy(env, *GenerateKey(curve).pub));
  }
}

TEST_CASE("one changed byte of payload, type or signature breaks the envelope") {
  testing::TestKey key = GenerateKey();
  auto signer = DsseSigner::FromPem(key.private_pem, "builder-1");
  REQUIRE(signer.ok());
  DsseEnvelope good = Parsed(*(*signer)->SignEnvelope(kInTotoPayloadType, "payload bytes"));
  CHECK(good.signatures[0].keyid == "builder-1");
  REQUIRE(DsseSignedBy(good, *key.pub));
  for (size_t i = 0; i < good.payload.size(); ++i) {
    DsseEnvelope bad = good;
    bad.payload[i] ^= 0x01;
    CHECK_FALSE(DsseSignedBy(bad, *key.pub));
  }
  DsseEnvelope bad_type = good;
  bad_type.payload_type = "application/json";
  CHECK_FALSE(DsseSignedBy(bad_type, *key.pub));
  for (size_t i :
       {size_t{0}, good.signatures[0].sig.size() / 2, good.signatures[0].sig.size() - 1}) {
    DsseEnvelope bad = good;
    bad.signatures[0].sig[i] ^= 0x01;
    CHECK_FALSE(DsseSignedBy(bad, *key.pub));
  }
}

TEST_CASE("SEC1 EC keys and Ed25519 keys sign; other keys are refused without prompting") {
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  auto sec1 = DsseSigner::FromPem(PemOf(ec, /*traditional=*/true));
  REQUIRE(sec1.ok());
  CHECK((*sec1)->algorithm() == DsseSigner::Algorithm::kEcdsaP256);
  EVP_PKEY_free(ec);

  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  REQUIRE(ed != nullptr);
  auto ed_signer = DsseSigner::FromPem(PemOf(ed, false));
  REQUIRE(ed_signer.ok());
  CHECK((*ed_signer)->algorithm() == DsseSigner::Algorithm::kEd25519);
  CHECK(DsseAlgorithmName((*ed_signer)->algorithm()) == "ed25519");
  DsseEnvelope env = Parsed(*(*ed_signer)->SignEnvelope(kInTotoPayloadType, "hello"));
  REQUIRE(env.signatures[0].sig.size() == 64);
  const std::string pae = DssePae(kInTotoPayloadType, "hello");
  auto verify = [&](const std::string& sig) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    REQUIRE(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, ed) == 1);
    const int rc =
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(pae.data()), pae.size());
    EVP_MD_CTX_free(ctx);
    return rc == 1;
  };
  CHECK(verify(env.signatures[0].sig));
  std::string flipped = env.signatures[0].sig;
  flipped[5] ^= 0x01;
  CHECK_FALSE(verify(flipped));
  EVP_PKEY_free(ed);

  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  auto refused = DsseSigner::FromPem(PemOf(rsa, false));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message().find("neither an EC") != std::string::npos);
  EVP_PKEY_free(rsa);

  // Encrypted PEM: an error, never a passphrase prompt.
  EVP_PKEY* enc_key = EVP_EC_gen("P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio, enc_key, EVP_aes_128_cbc(), nullptr, 0, nullptr,
                                        const_cast<char*>("secret")) == 1);
  CHECK_FALSE(DsseSigner::FromPem(testing::BioString(bio)).ok());
  BIO_free(bio);
  EVP_PKEY_free(enc_key);
  CHECK_FALSE(DsseSigner::FromPem("not a key").ok());
  CHECK_FALSE(DsseSigner::FromPem(GenerateKey().public_pem).ok());  // a public key
}

TEST_CASE("malformed envelopes are refused with a specific message") {
  const std::string sig = Base64Encode("sig");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not valid JSON"},
      {"[]", "not a JSON object"},
      {R"({"payload":"","signatures":[{"sig":")" + sig + R"("}]})", "no payloadType"},
      {R"({"payloadType":"t","signatures":[{"sig":")" + sig + R"("}]})", "no payload"},
      {R"({"payloadType":"t","payload":"","signatures":[]})", "no signatures"},
      {R"({"payloadType":"t","payload":"%%%","signatures":[{"sig":")" + sig + R"("}]})",
       "not base64"},
      {R"({"payloadType":"t","payload":"","signatures":[{"keyid":"k"}]})", "has no sig"},
      {R"({"payloadType":"t","payload":"","signatures":[{"sig":"***"}]})", "not base64"},
      {std::string(100, '[') + std::string(100, ']'), "too deeply"},
  };
  for (const auto& [text, message] : cases) {
    INFO(text);
    auto env = ParseDsseEnvelope(text);
    REQUIRE_FALSE(env.ok());
    CHECK(env.error().code() == ErrorCode::kInvalidInput);
    CHECK(env.error().message().find(message) != std::string::npos);
  }
  json many = {{"payloadType", "t"}, {"payload", ""}, {"signatures", json::array()}};
  for (int i = 0; i < 17; ++i) many["signatures"].push_back({{"sig", sig}});
  CHECK_FALSE(ParseDsseEnvelope(many.dump()).ok());
  CHECK_FALSE(ParseDsseEnvelope(std::string(2000, ' '), 1000).ok());  // over the size bound
}

// The upstream test PKI: P-384 leaf (signing-key-cert.pem) under int-ca under root ca-cert.
std::string PkiFile(const std::string& name) {
  return ReadFileBytes(OmsDir() + "/keys/certificate/" + name);
}

Report VerifyCertificate(testing::MemorySource& source, const std::string& bundle) {
  auto root = TrustedRoot::FromCertificatePems({PkiFile("ca-cert.pem")});
  REQUIRE(root.ok());
  SigstorePolicy policy;
  policy.mode = SigstorePolicy::Mode::kCertificateChain;
  Report report;
  VerifyOmsBundle(source, bundle, **root, policy, OmsOptions{}, &report);
  return report;
}

TEST_CASE("OMS certificate-mode signing verifies in certificate mode, files and shards") {
  testing::MemorySource source({{"config.json", "{}"}, {"weights.bin", std::string(1000, 'w')}});
  const std::string chain = PkiFile("signing-key-cert.pem") + PkiFile("int-ca-cert.pem");
  for (bool shards : {false, true}) {
    INFO(shards);
    OmsSignOptions options;
    options.serialization.shards = shards;
    options.serialization.shard_size = 256;
    auto bundle = SignOmsCertificate(source, PkiFile("signing-key.pem"), chain, "m", options);
    REQUIRE(bundle.ok());
    json doc = json::parse(*bundle);
    const json& certs = doc["verificationMaterial"]["x509CertificateChain"]["certificates"];
    REQUIRE(certs.size() == 2);
    CHECK_FALSE(doc["verificationMaterial"].contains("publicKey"));
    Report report = VerifyCertificate(source, *bundle);
    INFO(testing::Codes(report));
    CHECK(report.verdict == Verdict::kVerified);
    if (shards) {
      const json payload =
          json::parse(*Base64Decode(doc["dsseEnvelope"]["payload"].get<std::string>()));
      CHECK(payload["predicate"]["serialization"]["method"] == "shards");
      CHECK(payload["predicate"]["resources"].size() == 5);  // 1 + 4 shards of 256
    }
    testing::MemorySource tampered = source;
    tampered.Set("weights.bin", std::string(1000, 'x'));
    CHECK(VerifyCertificate(tampered, *bundle).verdict == Verdict::kFailed);
  }
}

TEST_CASE("OMS certificate-mode signing refuses a chain whose leaf is not the key's") {
  testing::MemorySource source(std::map<std::string, std::string>{{"a", "b"}});
  const std::string key = PkiFile("signing-key.pem");
  auto wrong_leaf = SignOmsCertificate(source, key, PkiFile("int-ca-cert.pem"), "m", {});
  REQUIRE_FALSE(wrong_leaf.ok());
  CHECK(wrong_leaf.error().message().find("leaf") != std::string::npos);
  CHECK_FALSE(SignOmsCertificate(source, key, "no certificates here", "m", {}).ok());
  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  CHECK_FALSE(SignOmsKeyWithOptions(source, PemOf(ed, false), "m", {}).ok());  // OMS: EC only
  EVP_PKEY_free(ed);
}

}  // namespace
}  // namespace provbadge::verifier
