#include <catch2/catch.hpp>

#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/public_key.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using testing::GenerateKey;
using testing::OmsDir;
using testing::ReadFileBytes;

TEST_CASE("DssePae matches the DSSE spec example byte for byte") {
  CHECK(DssePae("http://example.com/HelloWorld", "hello world") ==
        "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  CHECK(DssePae("", "") == "DSSEv1 0  0 ");
  std::string body("a\0b", 3);
  CHECK(DssePae("t", body) == std::string("DSSEv1 1 t 3 a\0b", 16));
}

TEST_CASE("PublicKey parses the certtool key after its text preamble") {
  auto key = PublicKey::FromPem(ReadFileBytes(OmsDir() + "/keys/certificate/signing-key-pub.pem"));
  REQUIRE(key.ok());
  CHECK((*key)->curve_name() == "P-384");
  CHECK((*key)->pem_hint() == "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
}

TEST_CASE("PublicKey hint is the sha256 of OpenSSL's PEM text of the SPKI") {
  testing::TestKey key = GenerateKey("P-256");
  CHECK(key.pub->curve_name() == "P-256");
  CHECK(key.pub->pem_hint() == Sha256Hex(key.public_pem));
  testing::TestKey key521 = GenerateKey("P-521");
  CHECK(key521.pub->curve_name() == "P-521");
}

TEST_CASE("PublicKey verifies ECDSA with the curve hash only") {
  testing::TestKey key = GenerateKey("P-384");
  std::string sig = testing::SignMessage(key, "message");
  CHECK(key.pub->VerifyEcdsa("message", sig));
  CHECK_FALSE(key.pub->VerifyEcdsa("messagf", sig));
  CHECK_FALSE(key.pub->VerifyEcdsaSha256("message", sig));
  CHECK_FALSE(key.pub->VerifyEcdsa("message", ""));
  CHECK_FALSE(key.pub->VerifyEcdsa("message", "not der"));
  testing::TestKey other = GenerateKey("P-384");
  CHECK_FALSE(other.pub->VerifyEcdsa("message", sig));
}

TEST_CASE("PublicKey rejects what is not a supported EC public key") {
  CHECK(PublicKey::FromPem("").error().code() == ErrorCode::kInvalidInput);
  CHECK_FALSE(
      PublicKey::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").ok());
  // A private key is not accepted where a public key is expected.
  CHECK_FALSE(PublicKey::FromPem(GenerateKey().private_pem).ok());
  // An Ed25519 key is not an EC key.
  EVP_PKEY* ed = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  REQUIRE(ed != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PUBKEY(bio, ed) == 1);
  auto parsed = PublicKey::FromPem(testing::BioString(bio));
  BIO_free(bio);
  EVP_PKEY_free(ed);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().message().find("not an EC key") != std::string::npos);
  // secp256k1 is EC but not a supported curve.
  EVP_PKEY* k1 = EVP_EC_gen("secp256k1");
  REQUIRE(k1 != nullptr);
  bio = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PUBKEY(bio, k1) == 1);
  auto k1_parsed = PublicKey::FromPem(testing::BioString(bio));
  BIO_free(bio);
  EVP_PKEY_free(k1);
  REQUIRE_FALSE(k1_parsed.ok());
  CHECK(k1_parsed.error().message().find("not supported") != std::string::npos);
}

}  // namespace
}  // namespace provbadge::verifier
