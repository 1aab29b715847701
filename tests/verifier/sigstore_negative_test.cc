// Own negative vectors the conformance suite lacks, built with an in-memory test log
// (sigstore_test_log.h) or by changing one thing in a conformance vector: each must fail at
// its own step, and the unmodified input must verify (so the test can fail).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "common/test_paths.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "sigstore_test_log.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing_log::TestLog;

const std::string kArtifact = testing_log::kArtifact;
using Fixture = testing_log::KeyModeFixture;

json& Entries(json& b) { return b["verificationMaterial"]["tlogEntries"]; }

TEST_CASE("test log: the unmodified key-mode bundle verifies", "[sigstore]") {
  Fixture f;
  CHECK(f.Run(f.log.Bundle(kArtifact)).empty());
  CHECK(f.Run(f.log.Bundle(kArtifact), "another artifact") == "sigstore.signature.invalid");
}

TEST_CASE("test log: a logged key differing from the bundle's is a body mismatch", "[sigstore]") {
  Fixture f;
  json b = f.log.Bundle(kArtifact);
  const std::string sig = testing_log::Sign(f.log.signer(), kArtifact);
  testing_log::Key other = testing_log::NewP256();
  Entries(b)[0] = f.log.Entry(TestLog::Body(kArtifact, sig, other.get()), 7);  // valid SET
  CHECK(f.Run(b) == "sigstore.tlog.body_mismatch");
}

TEST_CASE("test log: a proof root differing from the checkpoint root is rejected", "[sigstore]") {
  Fixture f;
  json b = f.log.Bundle(kArtifact);
  // A correctly signed checkpoint for another tree state.
  Entries(b)[0]["inclusionProof"]["checkpoint"]["envelope"] =
      f.log.Checkpoint(1, std::string(32, 'x'));
  CHECK(f.Run(b) == "sigstore.checkpoint.root_mismatch");
  b = f.log.Bundle(kArtifact);
  Entries(b)[0]["inclusionProof"]["treeSize"] = "2";  // the proof no longer reaches its root
  CHECK(f.Run(b) == "sigstore.tlog.inclusion_proof");
}

TEST_CASE("test log: checkpoint signature lines are bounded and unknown ones ignored",
          "[sigstore]") {
  Fixture f;
  json b = f.log.Bundle(kArtifact);
  std::string env = Entries(b)[0]["inclusionProof"]["checkpoint"]["envelope"];
  const std::string witness = "\xe2\x80\x94 witness.test AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
  Entries(b)[0]["inclusionProof"]["checkpoint"]["envelope"] = env + witness;
  CHECK(f.Run(b).empty());
  std::string many = env;
  for (int i = 0; i < 40; ++i) many += witness;
  Entries(b)[0]["inclusionProof"]["checkpoint"]["envelope"] = many;
  CHECK(f.Run(b) == "sigstore.checkpoint.too_many_signatures");
}

TEST_CASE("test log: duplicated and oversized entries, timestamps and signatures", "[sigstore]") {
  Fixture f;
  json b = f.log.Bundle(kArtifact);
  Entries(b).push_back(Entries(b)[0]);
  CHECK(f.Run(b) == "sigstore.bundle.duplicate");

  b = f.log.Bundle(kArtifact);
  const std::string sig = testing_log::Sign(f.log.signer(), kArtifact);
  for (int i = 0; i < 9; ++i) {
    Entries(b).push_back(f.log.Entry(TestLog::Body(kArtifact, sig, f.log.signer()), 100 + i));
  }
  CHECK(f.Run(b) == "sigstore.bundle.too_many");

  b = f.log.Bundle(kArtifact);
  json ts = {{"signedTimestamp", "MAA="}};
  b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] = {ts, ts};
  CHECK(f.Run(b) == "sigstore.bundle.duplicate");
  json many = json::array();
  for (int i = 0; i < 9; ++i)
    many.push_back({{"signedTimestamp", Base64Encode(std::string(i + 1, 'a'))}});
  b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] = many;
  CHECK(f.Run(b) == "sigstore.bundle.too_many");
  b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"] = {
      {{"signedTimestamp", Base64Encode(std::string(70000, 'a'))}}};
  CHECK(f.Run(b) == "sigstore.bundle.too_large");

  b = f.log.Bundle(kArtifact);
  b.erase("messageSignature");
  json sig_entry = {{"sig", Base64Encode(sig)}};
  b["dsseEnvelope"] = {{"payload", Base64Encode("{}")},
                       {"payloadType", "application/vnd.in-toto+json"},
                       {"signatures", {sig_entry, sig_entry}}};
  CHECK(f.Run(b) == "sigstore.dsse.signature_count");
}

TEST_CASE("test log: key hint, missing log and untrusted SET", "[sigstore]") {
  Fixture f;
  json b = f.log.Bundle(kArtifact);
  b["verificationMaterial"]["publicKey"]["hint"] = "not-this-key";
  CHECK(f.Run(b) == "sigstore.key.hint_mismatch");
  b = f.log.Bundle(kArtifact);
  Entries(b) = json::array();
  CHECK(f.Run(b) == "sigstore.time.none");
  b = f.log.Bundle(kArtifact);
  Entries(b)[0]["integratedTime"] = "1700000001";  // the SET covers another time
  CHECK(f.Run(b) == "sigstore.tlog.set_invalid");
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("a DSSE bundle is rejected for an artifact its in-toto subject does not name",
          "[sigstore]") {
  const std::string dir = testing::SharedDir() + "/vectors/sigstore-conformance/";
  auto root = TrustedRoot::FromJson(Slurp(dir + "public-good/trusted_root.json"));
  REQUIRE(root.ok());
  const std::string bundle = Slurp(dir + "happy-path-intoto-in-dsse-v3/bundle.sigstore.json");
  SigstorePolicy p;
  p.identity =
      "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/"
      "workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
  p.issuer = "https://token.actions.githubusercontent.com";
  const std::string good = Slurp(dir + "a.txt");
  SigstoreOutcome ok = VerifySigstoreBundle(bundle, root->get(), SigstoreArtifact::Bytes(good), p);
  INFO((ok.FirstError() ? ok.FirstError()->code + " " + ok.FirstError()->message : ""));
  REQUIRE(ok.verified);
  SigstoreOutcome bad =
      VerifySigstoreBundle(bundle, root->get(), SigstoreArtifact::Bytes("another artifact"), p);
  REQUIRE_FALSE(bad.verified);
  CHECK(bad.FirstError()->code == "sigstore.dsse.subject_mismatch");
}

}  // namespace
}  // namespace provbadge::verifier
