// Signed verdicts (SLSA VSA in DSSE): round trip, and every tamper, wrong key, wrong subject
// and malformed envelope rejected.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "provbadge/badges/verdict.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"

namespace provbadge::badges {
namespace {

using nlohmann::json;

struct KeyPair {
  std::string private_pem, public_pem;
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

KeyPair NewKey(const char* type = "EC") {
  EVP_PKEY* pkey =
      std::string(type) == "EC" ? EVP_EC_gen("P-256") : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  REQUIRE(pkey != nullptr);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(priv, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  REQUIRE(PEM_write_bio_PUBKEY(pub, pkey) == 1);
  KeyPair k{BioText(priv), BioText(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(pkey);
  return k;
}

std::shared_ptr<const verifier::PublicKey> Pub(const KeyPair& k) {
  auto pub = verifier::PublicKey::FromPem(k.public_pem);
  REQUIRE(pub.ok());
  return *pub;
}

std::shared_ptr<const VerdictKey> Load(const KeyPair& k, std::string keyid = "worker-1") {
  auto key = LoadVerdictKey(k.private_pem, std::move(keyid));
  REQUIRE(key.ok());
  return *key;
}

Badge VerifiedBadge() {
  Badge b;
  b.repo = "quantlab/tiny-GGUF";
  b.commit = "0123456789abcdef0123456789abcdef01234567";
  b.state = BadgeState::kVerified;
  b.label = "Quantized from acme/chat@89abcde, verified";
  b.message = "Quantized from acme/chat@89abcde, verified";
  b.chain = {{"quantlab/tiny-GGUF", b.commit, "quantize", "quantlab", verifier::Verdict::kVerified},
             {"acme/chat", "89abcdef0123456789abcdef0123456789abcdef", "finetune", "acme",
              verifier::Verdict::kVerified}};
  b.policy_digest = "sha256:" + std::string(64, 'd');
  b.verifier_version = "0.1.0";
  b.checked_at = "2026-01-02T03:04:05Z";
  return b;
}

// Re-signs a modified statement with `key` (for checks after the signature).
std::string Resign(const std::string& envelope, const VerdictKey& key,
                   const std::function<void(json&)>& edit) {
  json env = json::parse(envelope);
  json st = json::parse(*verifier::Base64Decode(env["payload"].get<std::string>()));
  edit(st);
  return *key.signer->SignEnvelope(verifier::kInTotoPayloadType, st.dump());
}

TEST_CASE("a signed verdict round-trips") {
  KeyPair k = NewKey();
  auto key = Load(k);
  auto envelope = SignVerdict(VerifiedBadge(), *key);
  REQUIRE(envelope.ok());
  const json env = json::parse(*envelope);
  CHECK(env["payloadType"] == "application/vnd.in-toto+json");
  CHECK(env["signatures"][0]["keyid"] == "worker-1");
  const json st = json::parse(*verifier::Base64Decode(env["payload"].get<std::string>()));
  CHECK(st["predicateType"] == "https://slsa.dev/verification_summary/v1");
  CHECK(st["subject"][0]["name"] == "hf://quantlab/tiny-GGUF@" + VerifiedBadge().commit);
  CHECK(st["predicate"]["verificationResult"] == "PASSED");
  CHECK(st["predicate"]["slsaVersion"] == "1.0");
  CHECK(st["predicate"]["policy"]["digest"]["sha256"] == std::string(64, 'd'));
  CHECK(st["predicate"]["inputAttestations"].size() == 2);
  CHECK(st["predicate"]["verifier"]["version"]["provbadge"] == "0.1.0");

  auto v = VerifyVerdict(*envelope, *Pub(k));
  REQUIRE(v.ok());
  CHECK(v->repo == "quantlab/tiny-GGUF");
  CHECK(v->commit == VerifiedBadge().commit);
  CHECK(v->state == "verified");
  CHECK(v->result == "PASSED");
  CHECK(v->label == VerifiedBadge().label);
  CHECK(v->message == VerifiedBadge().message);
  CHECK(v->policy_digest == VerifiedBadge().policy_digest);
  CHECK(v->time == "2026-01-02T03:04:05Z");

  Badge failed = VerifiedBadge();
  failed.state = BadgeState::kFailed;
  auto f = VerifyVerdict(*SignVerdict(failed, *key), *Pub(k));
  REQUIRE(f.ok());
  CHECK(f->result == "FAILED");
  CHECK(f->state == "failed");
}

TEST_CASE("a verdict fails after any one byte of payload or signature changes") {
  KeyPair k = NewKey();
  auto key = Load(k);
  const std::string envelope = *SignVerdict(VerifiedBadge(), *key);
  const json env = json::parse(envelope);
  const std::string payload = *verifier::Base64Decode(env["payload"].get<std::string>());
  const std::string sig = *verifier::Base64Decode(env["signatures"][0]["sig"].get<std::string>());
  size_t rejected = 0;
  for (size_t i = 0; i < payload.size(); i += 7) {
    std::string p = payload;
    p[i] ^= 0x01;
    json bad = env;
    bad["payload"] = verifier::Base64Encode(p);
    rejected += VerifyVerdict(bad.dump(), *Pub(k)).ok() ? 0 : 1;
  }
  CHECK(rejected == (payload.size() + 6) / 7);
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string s = sig;
    s[i] ^= 0x01;
    json bad = env;
    bad["signatures"][0]["sig"] = verifier::Base64Encode(s);
    auto v = VerifyVerdict(bad.dump(), *Pub(k));
    CHECK_FALSE(v.ok());
  }
  json bad_type = env;
  bad_type["payloadType"] = "application/json";
  CHECK_FALSE(VerifyVerdict(bad_type.dump(), *Pub(k)).ok());
}

TEST_CASE("a verdict signed by another key is rejected") {
  const std::string envelope = *SignVerdict(VerifiedBadge(), *Load(NewKey()));
  auto v = VerifyVerdict(envelope, *Pub(NewKey()));
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().code() == ErrorCode::kVerificationFailed);
}

TEST_CASE("a verdict whose subject, resource or result do not agree is rejected") {
  KeyPair k = NewKey();
  auto key = Load(k);
  const std::string envelope = *SignVerdict(VerifiedBadge(), *key);
  const std::vector<std::pair<std::string, std::function<void(json&)>>> edits = {
      {"gitCommit", [](json& s) { s["subject"][0]["digest"]["gitCommit"] = std::string(40, 'f'); }},
      {"resourceUri",
       [](json& s) { s["predicate"]["resourceUri"] = "hf://other/repo@" + std::string(40, '0'); }},
      {"exactly one subject", [](json& s) { s["subject"].push_back(s["subject"][0]); }},
      {"hf://org/name", [](json& s) { s["subject"][0]["name"] = "quantlab/tiny-GGUF"; }},
      {"contradicts", [](json& s) { s["predicate"]["provbadge"]["state"] = "failed"; }},
      {"contradicts", [](json& s) { s["predicate"]["verificationResult"] = "FAILED"; }},
      {"PASSED or FAILED", [](json& s) { s["predicate"]["verificationResult"] = "MAYBE"; }},
      {"predicateType", [](json& s) { s["predicateType"] = "https://slsa.dev/provenance/v1"; }},
      {"Statement", [](json& s) { s.erase("_type"); }},
      {"provbadge.state", [](json& s) { s["predicate"].erase("provbadge"); }},
      {"timeVerified", [](json& s) { s["predicate"]["timeVerified"] = 5; }},
      {"predicate", [](json& s) { s["predicate"] = json::array(); }},
  };
  for (const auto& [message, edit] : edits) {
    INFO(message);
    auto v = VerifyVerdict(Resign(envelope, *key, edit), *Pub(k));
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code() == ErrorCode::kInvalidInput);
    CHECK(v.error().message().find(message) != std::string::npos);
  }
  // Authentic, but about another revision: the caller compares repo and commit.
  auto v = VerifyVerdict(envelope, *Pub(k));
  REQUIRE(v.ok());
  CHECK(v->repo != "acme/chat");
}

TEST_CASE("malformed envelopes and payloads are rejected, never thrown") {
  KeyPair k = NewKey();
  auto key = Load(k);
  for (const std::string& text :
       {std::string(""), std::string("{"), std::string("[]"), std::string("null"),
        std::string(
            R"({"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]})"),
        std::string(5 << 20, ' ')}) {
    CHECK_FALSE(VerifyVerdict(text, *Pub(k)).ok());
  }
  for (const std::string& payload : {std::string("not json"), std::string("[1,2]"),
                                     std::string(200, '[') + std::string(200, ']')}) {
    INFO(payload.substr(0, 20));
    auto env = key->signer->SignEnvelope(verifier::kInTotoPayloadType, payload);
    REQUIRE(env.ok());
    auto v = VerifyVerdict(*env, *Pub(k));
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code() == ErrorCode::kInvalidInput);
  }
}

TEST_CASE("pending badges are not signed; verdict keys are EC only") {
  auto key = Load(NewKey());
  Badge pending = VerifiedBadge();
  pending.state = BadgeState::kPending;
  CHECK_FALSE(SignVerdict(pending, *key).ok());
  Badge no_commit = VerifiedBadge();
  no_commit.commit = "main";
  CHECK_FALSE(SignVerdict(no_commit, *key).ok());
  Badge no_time = VerifiedBadge();
  no_time.checked_at.clear();
  CHECK_FALSE(SignVerdict(no_time, *key).ok());
  CHECK_FALSE(LoadVerdictKey(NewKey("ED25519").private_pem, "").ok());
  CHECK_FALSE(LoadVerdictKey("garbage", "").ok());
  auto default_id = LoadVerdictKey(NewKey().private_pem, "");
  REQUIRE(default_id.ok());
  CHECK((*default_id)->signer->keyid().size() == 64);
}

}  // namespace
}  // namespace provbadge::badges
