// Policy identities of every kind: BuildersFor / FindIdentity, and model.sig verified by a
// certificate-chain publisher (test PKI) or a Sigstore publisher (exact identity and issuer
// against the policy's trusted roots), through VerifyRevision and VerifyNode.
#include <catch2/catch.hpp>

#include "provbadge/verifier/node.h"
#include "provbadge/verifier/oms.h"
#include "provenance_helpers.h"

namespace provbadge::verifier {
namespace {

using testing::Codes;
using testing::FindCode;
using testing::HasCode;
using testing::LoadFolder;
using testing::SignedModel;

constexpr char kCommit[] = "0123456789abcdef0123456789abcdef01234567";
const char* kIdentity = "stefanb@us.ibm.com";
const char* kIssuer = "https://sigstore.verify.ibm.com/oauth2";

Identity Sigstore(const std::string& name, const std::string& identity,
                  const std::string& issuer = kIssuer) {
  Identity id;
  id.name = name;
  id.kind = Identity::Kind::kSigstore;
  id.certificate_identity = identity;
  id.certificate_oidc_issuer = issuer;
  return id;
}

TrustPolicy PolicyWith(std::vector<Identity> publishers) {
  TrustPolicy policy;
  auto root = TrustedRoot::FromJson(
      testing::ReadFileBytes(testing::OmsDir() + "/trust/custom_trust_config.json"));
  REQUIRE(root.ok());
  policy.trusted_roots = {*root};
  std::vector<std::string> names;
  for (const Identity& id : publishers) names.push_back(id.name);
  policy.identities = std::move(publishers);
  policy.rules = {{"ibm/*", names, {}}};
  return policy;
}

// The vectors' unsigned "ignore-me" file is dropped: the hub check allows no extra file.
testing::MemorySource Model(const std::string& name) {
  testing::MemorySource source = LoadFolder(SignedModel(name));
  source.Remove("ignore-me");
  return source;
}

TEST_CASE("BuildersFor and FindIdentity") {
  TrustPolicy policy;
  policy.identities = {Sigstore("gh", "https://github.com/org/repo"),
                       testing::prov::ChainIdentityOf("pki"), Sigstore("other", "x")};
  policy.rules = {{"org/*", {"other"}, {"pki", "gh"}}, {"org/special", {}, {"gh", "other"}}};
  auto names = [&](std::string_view repo) {
    std::vector<std::string> out;
    for (const Identity* id : policy.BuildersFor(repo)) out.push_back(id->name);
    return out;
  };
  CHECK(names("org/model") == std::vector<std::string>{"gh", "pki"});
  CHECK(names("org/special") == std::vector<std::string>{"gh", "pki", "other"});
  CHECK(names("elsewhere/model").empty());
  REQUIRE(policy.FindIdentity("pki") != nullptr);
  CHECK(policy.FindIdentity("pki")->kind == Identity::Kind::kCertificateChain);
  CHECK(policy.FindIdentity("pk") == nullptr);
  CHECK(policy.PublishersFor("org/model").size() == 1);  // publishers of any kind count
  CHECK(IdentityKindName(Identity::Kind::kSigstore) == "sigstore");
}

TEST_CASE("a certificate-chain publisher verifies model.sig") {
  TrustPolicy policy = PolicyWith({testing::prov::ChainIdentityOf("pki")});
  for (const char* name : {"v1.0.0-certificate", "v1.1.0-certificate"}) {
    INFO(name);
    testing::MemorySource source = Model(name);
    Report report = VerifyRevision(source, "ibm/model", kCommit, policy);
    INFO(Codes(report));
    CHECK(report.verdict == Verdict::kVerified);
    CHECK(report.chain.at(0).signer == "pki");
    Result<NodeResult> node = VerifyNode(source, "ibm/model", kCommit, policy);
    REQUIRE(node.ok());
    CHECK(node->node.status == Verdict::kVerified);
    CHECK(node->node.relation == "signed");
    CHECK(node->signed_files.size() == 2);  // signme-1, signme-2
  }
  // Tampering is still caught after the signer is found.
  testing::MemorySource source = Model("v1.1.0-certificate");
  source.Set("signme-1", "tampered");
  Report report = VerifyRevision(source, "ibm/model", kCommit, policy);
  CHECK(report.verdict == Verdict::kFailed);
  CHECK(HasCode(report, "oms.file_changed"));
}

TEST_CASE("a Sigstore publisher verifies model.sig with the exact identity and issuer") {
  TrustPolicy policy =
      PolicyWith({Sigstore("other", "someone@example.com"), Sigstore("stefan", kIdentity)});
  testing::MemorySource source = Model("v1.1.0-sigstore");
  Report report = VerifyRevision(source, "ibm/model", kCommit, policy);
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kVerified);
  CHECK(report.chain.at(0).signer == "stefan");
}

TEST_CASE("fail closed: a prefix identity, another issuer, no trusted root, a key publisher") {
  struct Case {
    const char* what;
    TrustPolicy policy;
  };
  std::vector<Case> cases;
  cases.push_back({"prefix identity", PolicyWith({Sigstore("s", "stefanb@us.ibm.co")})});
  cases.push_back({"suffix identity", PolicyWith({Sigstore("s", "tefanb@us.ibm.com")})});
  cases.push_back(
      {"prefix issuer", PolicyWith({Sigstore("s", kIdentity, "https://sigstore.verify.ibm.com")})});
  cases.push_back({"chain identity", PolicyWith({testing::prov::ChainIdentityOf("pki")})});
  TrustPolicy no_root = PolicyWith({Sigstore("s", kIdentity)});
  no_root.trusted_roots.clear();
  cases.push_back({"no trusted root", no_root});
  for (Case& c : cases) {
    INFO(c.what);
    testing::MemorySource source = Model("v1.1.0-sigstore");
    Report report = VerifyRevision(source, "ibm/model", kCommit, c.policy);
    INFO(Codes(report));
    CHECK(report.verdict == Verdict::kFailed);
    const Finding* f = FindCode(report, "policy.publisher_not_allowed");
    REQUIRE(f != nullptr);
    if (std::string(c.what) != "no trusted root" && std::string(c.what) != "chain identity") {
      CHECK(f->actual.find(kIdentity) != std::string::npos);  // the identity seen
    }
    CHECK(report.chain.at(0).signer.empty());
  }
  // A certificate bundle signed by the test PKI is not accepted by a Sigstore identity.
  testing::MemorySource pki = Model("v1.1.0-certificate");
  Report report = VerifyRevision(pki, "ibm/model", kCommit, PolicyWith({Sigstore("s", kIdentity)}));
  CHECK(report.verdict == Verdict::kFailed);
  CHECK(HasCode(report, "policy.publisher_not_allowed"));
}

}  // namespace
}  // namespace provbadge::verifier
