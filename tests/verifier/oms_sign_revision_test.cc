// SignOmsKey round trips, and VerifyRevision under a trust policy.
#include <catch2/catch.hpp>

#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/oms_sign.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::Codes;
using testing::FindCode;
using testing::HasCode;
using testing::LoadFolder;
using testing::SignedModel;

testing::MemorySource SampleModel() {
  return testing::MemorySource({{"config.json", "{}"},
                                {"weights/model-00001.safetensors", "tensor bytes 1"},
                                {"weights/model-00002.safetensors", "tensor bytes 2"},
                                {"README.md", "# model"},
                                {".gitattributes", "*.safetensors filter=lfs"},
                                {".git/HEAD", "ref: refs/heads/main"},
                                {"notes/draft.txt", "unsigned notes"}});
}

json PayloadOf(const std::string& bundle) {
  json b = json::parse(bundle);
  auto payload = Base64Decode(b["dsseEnvelope"]["payload"].get<std::string>());
  REQUIRE(payload.ok());
  return json::parse(*payload);
}

TEST_CASE("SignOmsKey output verifies and records resources and ignore paths") {
  for (const char* curve : {"P-256", "P-384", "P-521"}) {
    INFO(curve);
    testing::TestKey key = testing::GenerateKey(curve);
    testing::MemorySource source = SampleModel();
    Result<std::string> sig = SignOmsKey(source, key.private_pem, "org/model", {"notes"});
    REQUIRE(sig.ok());
    source.Set("model.sig", *sig);
    Report report;
    VerifyOmsKey(source, *sig, *key.pub, OmsOptions{}, &report);
    INFO(Codes(report));
    CHECK(report.verdict == Verdict::kVerified);

    json bundle = json::parse(*sig);
    CHECK(bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json");
    CHECK(bundle["verificationMaterial"]["publicKey"]["hint"] == key.pub->pem_hint());
    json st = PayloadOf(*sig);
    CHECK(st["subject"][0]["name"] == "org/model");
    std::vector<std::string> names;
    for (const json& r : st["predicate"]["resources"]) names.push_back(r["name"]);
    CHECK(names == std::vector<std::string>{"README.md", "config.json",
                                            "weights/model-00001.safetensors",
                                            "weights/model-00002.safetensors"});
    CHECK(st["predicate"]["resources"][1]["digest"] == Sha256Hex("{}"));
    CHECK(st["predicate"]["serialization"]["method"] == "files");
    CHECK(st["predicate"]["serialization"]["hash_type"] == "sha256");
    auto ignores = st["predicate"]["serialization"]["ignore_paths"].get<std::vector<std::string>>();
    for (const char* p :
         {".git", ".gitattributes", ".github", ".gitignore", "model.sig", "notes"}) {
      CHECK(std::find(ignores.begin(), ignores.end(), p) != ignores.end());
    }
  }
}

TEST_CASE("A model signed by SignOmsKey then tampered with fails") {
  testing::TestKey key = testing::GenerateKey();
  testing::MemorySource source = SampleModel();
  Result<std::string> sig = SignOmsKey(source, key.private_pem, "m", {});
  REQUIRE(sig.ok());
  source.Set("weights/model-00002.safetensors", "poisoned");
  Report report;
  VerifyOmsKey(source, *sig, *key.pub, OmsOptions{}, &report);
  CHECK(report.verdict == Verdict::kFailed);
  const Finding* f = FindCode(report, "oms.file_changed");
  REQUIRE(f != nullptr);
  CHECK(f->path == "weights/model-00002.safetensors");
  CHECK(f->expected == Sha256Hex("tensor bytes 2"));
  CHECK(f->actual == Sha256Hex("poisoned"));
}

TEST_CASE("SignOmsKey rejects bad keys and ignore paths") {
  testing::MemorySource source = SampleModel();
  CHECK(SignOmsKey(source, "not a key", "m", {}).error().code() == ErrorCode::kInvalidInput);
  testing::TestKey key = testing::GenerateKey();
  CHECK_FALSE(SignOmsKey(source, key.public_pem, "m", {}).ok());
  CHECK_FALSE(SignOmsKey(source, key.private_pem, "m", {"../up"}).ok());
  source.FailListing(Unavailable("offline"));
  CHECK(SignOmsKey(source, key.private_pem, "m", {}).error().code() == ErrorCode::kUnavailable);
}

Identity KeyOnly(std::string name, std::shared_ptr<const PublicKey> key) {
  Identity id;
  id.name = std::move(name);
  id.key = std::move(key);
  return id;
}

struct PolicyFixture {
  testing::TestKey stranger = testing::GenerateKey();
  std::shared_ptr<const PublicKey> vector_key = testing::VectorKey();
  TrustPolicy policy;
  PolicyFixture() {
    policy.identities = {KeyOnly("stranger", stranger.pub), KeyOnly("ibm-test", vector_key)};
    policy.rules = {{"org/*", {"stranger", "ibm-test"}, {}}, {"evil/*", {"stranger"}, {}}};
    policy.digest = "sha256:" + std::string(64, 'c');
  }
};

constexpr char kCommit[] = "0123456789abcdef0123456789abcdef01234567";

TEST_CASE("VerifyRevision: an allowed publisher verifies and fills the chain") {
  PolicyFixture fx;
  testing::MemorySource source = LoadFolder(SignedModel("v1.1.0-elliptic-key"));
  Report report = VerifyRevision(source, "org/model", kCommit, fx.policy);
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kVerified);
  CHECK(report.subject == std::string("org/model@") + kCommit);
  CHECK(report.policy_digest == fx.policy.digest);
  CHECK_FALSE(report.verifier_version.empty());
  REQUIRE(report.chain.size() == 1);
  CHECK(report.chain[0].repo == "org/model");
  CHECK(report.chain[0].commit == kCommit);
  CHECK(report.chain[0].relation == "self");
  CHECK(report.chain[0].signer == "ibm-test");
  CHECK(report.chain[0].status == Verdict::kVerified);
}

TEST_CASE("VerifyRevision: rawBytes bundles try every allowed key") {
  PolicyFixture fx;
  testing::MemorySource source = LoadFolder(SignedModel("v1.0.0-elliptic-key"));
  Report report = VerifyRevision(source, "org/single", kCommit, fx.policy);
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kVerified);
  CHECK(report.chain.at(0).signer == "ibm-test");
}

TEST_CASE("VerifyRevision: no model.sig is unverified") {
  PolicyFixture fx;
  testing::MemorySource source(std::map<std::string, std::string>{{"weights.bin", "w"}});
  Report report = VerifyRevision(source, "org/model", kCommit, fx.policy);
  CHECK(report.verdict == Verdict::kUnverified);
  CHECK(HasCode(report, "oms.signature_missing"));
  CHECK(report.chain.at(0).status == Verdict::kUnverified);
}

TEST_CASE("VerifyRevision: no rule for the repository is unverified") {
  PolicyFixture fx;
  testing::MemorySource source = LoadFolder(SignedModel("v1.1.0-elliptic-key"));
  Report report = VerifyRevision(source, "someone/model", kCommit, fx.policy);
  CHECK(report.verdict == Verdict::kUnverified);
  CHECK(HasCode(report, "policy.no_publisher"));
}

TEST_CASE("VerifyRevision: a signer the policy does not allow fails, naming who was tried") {
  PolicyFixture fx;
  testing::MemorySource source = LoadFolder(SignedModel("v1.1.0-elliptic-key"));
  Report report = VerifyRevision(source, "evil/model", kCommit, fx.policy);
  CHECK(report.verdict == Verdict::kFailed);
  const Finding* f = FindCode(report, "policy.publisher_not_allowed");
  REQUIRE(f != nullptr);
  CHECK(f->message.find("stranger") != std::string::npos);
  CHECK(f->expected == "stranger");
  CHECK(report.chain.at(0).signer.empty());
  CHECK(report.chain.at(0).status == Verdict::kFailed);
}

TEST_CASE("VerifyRevision: tampering is reported by the key that verified the signature") {
  PolicyFixture fx;
  testing::MemorySource source = LoadFolder(SignedModel("v1.1.0-elliptic-key"));
  source.Set("signme-1", "tampered");
  Report report = VerifyRevision(source, "org/model", kCommit, fx.policy);
  CHECK(report.verdict == Verdict::kFailed);
  CHECK(HasCode(report, "oms.file_changed"));
  CHECK_FALSE(HasCode(report, "oms.hint_mismatch"));  // the stranger's key was not used
  CHECK(report.chain.at(0).signer == "ibm-test");
}

TEST_CASE("VerifyRevision: a malformed or unsupported model.sig fails") {
  PolicyFixture fx;
  testing::MemorySource source(
      std::map<std::string, std::string>{{"weights.bin", "w"}, {"model.sig", "{"}});
  Report report = VerifyRevision(source, "org/model", kCommit, fx.policy);
  CHECK(report.verdict == Verdict::kFailed);
  CHECK(HasCode(report, "bundle.malformed"));
  testing::MemorySource sigstore = LoadFolder(SignedModel("v1.1.0-sigstore"));
  report = VerifyRevision(sigstore, "org/model", kCommit, fx.policy);
  // A Sigstore-signed model.sig when the policy only allows key publishers for the repository.
  CHECK(report.verdict == Verdict::kFailed);
  CHECK(HasCode(report, "policy.publisher_not_allowed"));
}

}  // namespace
}  // namespace provbadge::verifier
