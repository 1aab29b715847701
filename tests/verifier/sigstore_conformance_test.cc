// The sigstore-conformance bundle-verify cases (shared/vectors/sigstore-conformance), each in
// artifact and digest mode: every pass case verifies and every fail case fails with the
// finding code of its own defect (kExpectedCodes), never merely "fails".
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "common/test_paths.h"
#include "provbadge/verifier/sigstore_verify.h"

namespace provbadge::verifier {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Dir() { return testing::SharedDir() + "/vectors/sigstore-conformance/"; }

// The failing step each fail case must be rejected at.
const std::map<std::string, std::string>& ExpectedCodes() {
  static const std::map<std::string, std::string> kCodes = {
      {"bundle-empty-certificate-chain_fail", "sigstore.bundle.certificate_chain"},
      {"bundle-from-wrong-instance_fail", "sigstore.tlog.unknown_log"},
      {"bundle-invalid-base64-signature_fail", "sigstore.bundle.base64"},
      {"bundle-malformed-json_fail", "sigstore.bundle.json"},
      {"bundle-negative-log-index_fail", "sigstore.bundle.log_index"},
      {"bundle-unknown-version_fail", "sigstore.bundle.media_type"},
      {"checkpoint-wrong-roothash_fail", "sigstore.checkpoint.root_mismatch"},
      {"dsse-invalid-sig_fail", "sigstore.signature.invalid"},
      {"dsse-mismatch-envelope_fail", "sigstore.tlog.body_mismatch"},
      {"inclusion-proof-corrupted-hash_fail", "sigstore.tlog.inclusion_proof"},
      {"intoto-expired-certificate_fail", "sigstore.cert.validity"},
      {"intoto-log-entry-mismatch_fail", "sigstore.tlog.body_mismatch"},
      {"intoto-missing-inclusion-proof_fail", "sigstore.tlog.inclusion_proof_missing"},
      {"intoto-tsa-timestamp-outside-cert-validity_fail", "sigstore.cert.validity"},
      {"invalid-checkpoint-signature_fail", "sigstore.checkpoint.signature"},
      {"invalid-inclusion-proof_fail", "sigstore.tlog.inclusion_proof"},
      {"managed-key-no-key_fail", "sigstore.policy.material_mismatch"},
      {"managed-key-wrong-key_fail", "sigstore.key.invalid"},
      {"message-digest-mismatch_fail", "sigstore.bundle.message_digest"},
      {"rekor2-checkpoint-missing-log-signature_fail", "sigstore.checkpoint.signature"},
      {"rekor2-checkpoint-missing-origin_fail", "sigstore.checkpoint.malformed"},
      {"rekor2-checkpoint-missing-root-hash_fail", "sigstore.checkpoint.malformed"},
      {"rekor2-checkpoint-missing-size_fail", "sigstore.checkpoint.malformed"},
      {"rekor2-dsse-invalid-sig_fail", "sigstore.signature.invalid"},
      {"rekor2-dsse-mismatch-envelope_fail", "sigstore.tlog.body_mismatch"},
      {"rekor2-dsse-mismatch-sig_fail", "sigstore.tlog.body_mismatch"},
      {"rekor2-no-inclusion-proof_fail", "sigstore.tlog.inclusion_proof_missing"},
      {"rekor2-no-timestamp_fail", "sigstore.time.none"},
      {"rekor2-timestamp-outside-trust-root-tsa-validity_fail", "sigstore.tsa.validity"},
      {"rekor2-timestamp-outside-tsa-cert-validity_fail", "sigstore.tsa.certificate_validity"},
      {"rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", "sigstore.tsa.invalid"},
      {"rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", "sigstore.tsa.invalid"},
      {"rekor2-timestamp-with-incorrect-time_fail", "sigstore.cert.validity"},
      {"set-invalid-signature_fail", "sigstore.tlog.set_invalid"},
      {"signature-mismatch_fail", "sigstore.signature.invalid"},
      {"wrong-hashedrekord-artifact_fail", "sigstore.tlog.body_mismatch"},
      {"wrong-hashedrekord-entry_fail", "sigstore.tlog.body_mismatch"},
      {"wrong-material_fail", "sigstore.signature.invalid"},
  };
  return kCodes;
}

// Runs one case; returns "" when verified, else the first error code.
std::string RunCase(const nlohmann::json& c, bool digest_mode) {
  auto root = TrustedRoot::FromJson(Slurp(Dir() + c["trusted_root"].get<std::string>()));
  if (!root.ok()) return "sigstore.trust.invalid";
  SigstorePolicy policy;
  if (c["key"].is_string()) {
    auto key = SigstoreKey::FromPem(Slurp(Dir() + c["key"].get<std::string>()));
    if (!key.ok()) return "sigstore.key.invalid";
    policy.mode = SigstorePolicy::Mode::kKey;
    policy.key = *key;
  } else {
    policy.identity = c["identity"].get<std::string>();
    policy.issuer = c["issuer"].get<std::string>();
  }
  const std::string artifact_bytes = Slurp(Dir() + c["artifact"].get<std::string>());
  SigstoreArtifact artifact = SigstoreArtifact::Bytes(artifact_bytes);
  if (digest_mode) {
    auto d = SigstoreArtifact::FromDigestString(c["artifact_digest"].get<std::string>());
    REQUIRE(d.ok());
    artifact = *d;
  }
  SigstoreOutcome out = VerifySigstoreBundle(Slurp(Dir() + c["bundle"].get<std::string>()),
                                             root->get(), artifact, policy);
  if (out.verified) {
    REQUIRE(out.FirstError() == nullptr);
    return "";
  }
  REQUIRE(out.FirstError() != nullptr);
  return out.FirstError()->code;
}

TEST_CASE("every conformance case passes or fails for its own reason", "[sigstore]") {
  const auto cases = nlohmann::json::parse(Slurp(Dir() + "cases.json"));
  REQUIRE(cases.size() == 54);
  size_t checks = 0;
  for (const auto& c : cases) {
    const std::string name = c["name"].get<std::string>();
    for (bool digest_mode : {false, true}) {
      INFO(name << (digest_mode ? " [digest]" : " [artifact]"));
      const std::string code = RunCase(c, digest_mode);
      if (c["expect"] == "pass") {
        CHECK(code.empty());
      } else {
        auto want = ExpectedCodes().find(name);
        REQUIRE(want != ExpectedCodes().end());
        CHECK(code == want->second);
      }
      ++checks;
    }
  }
  CHECK(checks == 108);
}

TEST_CASE("the public-good trusted root parses into ready objects", "[sigstore]") {
  auto root = TrustedRoot::FromJson(Slurp(Dir() + "public-good/trusted_root.json"));
  REQUIRE(root.ok());
  CHECK((*root)->tlog_count() == 2);
  CHECK((*root)->ca_count() == 2);
  CHECK((*root)->ctlog_count() == 2);
  CHECK((*root)->tsa_count() == 1);
}

TEST_CASE("a trusted root with a validity interval lacking start is rejected", "[sigstore]") {
  auto doc = nlohmann::json::parse(Slurp(Dir() + "public-good/trusted_root.json"));
  doc["tlogs"][0]["publicKey"]["validFor"].erase("start");
  auto root = TrustedRoot::FromJson(doc.dump());
  REQUIRE_FALSE(root.ok());
  CHECK(root.error().message().find("start") != std::string::npos);
  doc = nlohmann::json::parse(Slurp(Dir() + "public-good/trusted_root.json"));
  doc["certificateAuthorities"][0]["validFor"]["end"] = "2020-01-01T00:00:00Z";  // before start
  CHECK_FALSE(TrustedRoot::FromJson(doc.dump()).ok());
}

TEST_CASE("keyless identity matching is exact unless an anchored regex is asked for",
          "[sigstore]") {
  const auto cases = nlohmann::json::parse(Slurp(Dir() + "cases.json"));
  nlohmann::json happy;
  for (const auto& c : cases) {
    if (c["name"] == "happy-path-v0.3") happy = c;
  }
  REQUIRE(happy.is_object());
  auto root = TrustedRoot::FromJson(Slurp(Dir() + happy["trusted_root"].get<std::string>()));
  REQUIRE(root.ok());
  const std::string bundle = Slurp(Dir() + happy["bundle"].get<std::string>());
  const std::string bytes = Slurp(Dir() + happy["artifact"].get<std::string>());
  const std::string id = happy["identity"].get<std::string>();
  auto run = [&](std::string identity, std::string issuer, bool regex) {
    SigstorePolicy p;
    p.identity = std::move(identity);
    p.issuer = std::move(issuer);
    p.identity_is_regex = regex;
    SigstoreOutcome o =
        VerifySigstoreBundle(bundle, root->get(), SigstoreArtifact::Bytes(bytes), p);
    return o.verified ? std::string() : o.FirstError()->code;
  };
  const std::string issuer = happy["issuer"].get<std::string>();
  CHECK(run(id, issuer, false).empty());
  CHECK(run(id.substr(0, id.size() - 1), issuer, false) == "sigstore.identity.mismatch");
  CHECK(run("sigstore-conformance/extremely", issuer, false) == "sigstore.identity.mismatch");
  CHECK(run("sigstore-conformance/extremely", issuer, true) == "sigstore.identity.mismatch");
  CHECK(run("https://github.com/sigstore-conformance/.*", issuer, true).empty());
  CHECK(run(id + "x", issuer, false) == "sigstore.identity.mismatch");
  CHECK(run(id, issuer + "/", false) == "sigstore.identity.issuer_mismatch");
  CHECK(run(id, "https://token.actions.githubusercontent", false) ==
        "sigstore.identity.issuer_mismatch");
}

}  // namespace
}  // namespace provbadge::verifier
