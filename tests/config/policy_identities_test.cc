// The trust policy's identity kinds (key, certificateIdentity + certificateOidcIssuer,
// certificateChain), "trustedRoots" and "fidelity", with a specific error for each mistake.
#include <catch2/catch.hpp>

#include <string>

#include "common/test_paths.h"
#include "provbadge/config/config.h"
#include "provbadge/verifier/policy.h"
#include "test_support.h"

namespace provbadge::config {
namespace {

using Catch::Matchers::Contains;
using verifier::FidelityMode;
using verifier::Identity;
using verifier::TrustPolicy;

const std::string kVectors = provbadge::testing::SharedDir() + "/vectors/model-signing";

// A folder with a key, the test PKI's CA certificate and a Sigstore trust config.
struct Dir {
  Dir() {
    dir.Write("keys/ci.pub.pem", testing::GenerateEcPublicKeyPem());
    dir.Write("pki/ca.pem", testing::ReadFileOrThrow(kVectors + "/keys/certificate/ca-cert.pem"));
    dir.Write("roots/trust.json",
              testing::ReadFileOrThrow(kVectors + "/trust/custom_trust_config.json"));
    dir.Write("roots/broken.json", R"({"mediaType": "nope"})");
    dir.Write("pki/not-a-cert.pem", "hello");
  }
  Result<TrustPolicy> Parse(const std::string& identities, const std::string& extra = "") const {
    return ParsePolicy(R"({"identities": [)" + identities + R"(], "rules": [])" + extra + "}",
                       dir.path());
  }
  std::string Fails(const std::string& identities, const std::string& extra = "") const {
    Result<TrustPolicy> p = Parse(identities, extra);
    INFO(identities + extra);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code() == ErrorCode::kInvalidInput);
    return p.error().message();
  }
  testing::TempDir dir;
};

constexpr char kGh[] =
    R"({"name":"gh","certificateIdentity":"https://github.com/acme/train/.github/workflows/)"
    R"(sign.yml@refs/heads/main","certificateOidcIssuer":"https://token.actions.githubusercontent.com"})";

TEST_CASE("the three identity kinds and trusted roots load", "[config][policy]") {
  Dir d;
  Result<TrustPolicy> p = d.Parse(std::string(R"({"name":"ci","key":"keys/ci.pub.pem"},)") + kGh +
                                      R"(,{"name":"pki","certificateChain":"pki/ca.pem"})",
                                  R"(,"trustedRoots":["roots/trust.json"])");
  if (!p.ok()) FAIL(p.error().message());
  REQUIRE(p->identities.size() == 3);
  const Identity& ci = p->identities[0];
  CHECK(ci.kind == Identity::Kind::kKey);
  CHECK(ci.key != nullptr);
  CHECK(ci.sigstore_key != nullptr);
  const Identity* gh = p->FindIdentity("gh");
  REQUIRE(gh != nullptr);
  CHECK(gh->kind == Identity::Kind::kSigstore);
  CHECK(gh->certificate_identity ==
        "https://github.com/acme/train/.github/workflows/sign.yml@refs/heads/main");
  CHECK(gh->certificate_oidc_issuer == "https://token.actions.githubusercontent.com");
  const Identity* pki = p->FindIdentity("pki");
  REQUIRE(pki != nullptr);
  CHECK(pki->kind == Identity::Kind::kCertificateChain);
  REQUIRE(pki->chain_root != nullptr);
  CHECK(pki->chain_root->ca_count() == 1);
  REQUIRE(p->trusted_roots.size() == 1);
  CHECK(p->trusted_roots[0]->tlog_count() > 0);
}

TEST_CASE("identity kind errors name the identity and the reason", "[config][policy]") {
  Dir d;
  CHECK_THAT(d.Fails(R"({"name":"x"})"), Contains("identities[0] \"x\": names no signer"));
  CHECK_THAT(d.Fails(R"({"name":"x","key":"keys/ci.pub.pem","certificateChain":"pki/ca.pem"})"),
             Contains("(got key and certificateChain)"));
  CHECK(d.Fails(R"({"name":"x","certificateOidcIssuer":"https://i"})", R"(,"trustedRoots":[])") ==
        "identities[0] \"x\": missing \"certificateIdentity\"");
  CHECK(d.Fails(R"({"name":"x","certificateIdentity":"a@b"})") ==
        "identities[0] \"x\": missing \"certificateOidcIssuer\"");
  CHECK(d.Fails(R"({"name":"x","certificateIdentity":"a b","certificateOidcIssuer":"i"})") ==
        "identities[0] \"x\".certificateIdentity: must not contain spaces or control characters");
  CHECK(d.Fails(R"({"name":"x","certificateIdentity":"","certificateOidcIssuer":"i"})") ==
        "identities[0] \"x\".certificateIdentity: must not be empty");
  CHECK_THAT(d.Fails(R"({"name":"x","certificateChain":"pki/missing.pem"})"),
             Contains("identities[0] \"x\": certificateChain pki/missing.pem: "));
  CHECK_THAT(d.Fails(R"({"name":"x","certificateChain":"pki/not-a-cert.pem"})"),
             Contains("not a usable PEM certificate chain"));
  CHECK_THAT(d.Fails(R"({"name":"x","certificateChain":"pki/ca.pem","kye":1})"),
             Contains("identities[0] \"x\".kye: unknown key"));
  // A certificate identity without any trusted root could never verify.
  CHECK_THAT(d.Fails(kGh), Contains("identities[0] \"gh\": a certificateIdentity identity needs "
                                    "\"trustedRoots\""));
}

TEST_CASE("trustedRoots errors", "[config][policy]") {
  Dir d;
  CHECK(d.Fails("", R"(,"trustedRoots":"roots/trust.json")") ==
        "trustedRoots: must be an array of paths (got a string)");
  CHECK_THAT(d.Fails("", R"(,"trustedRoots":[""])"),
             Contains("trustedRoots[0]: must be a non-empty"));
  CHECK_THAT(d.Fails("", R"(,"trustedRoots":["roots/none.json"])"),
             Contains("trustedRoots[0] roots/none.json: "));
  CHECK_THAT(d.Fails("", R"(,"trustedRoots":["roots/broken.json"])"),
             Contains("trustedRoots[0] roots/broken.json: not a usable trusted root"));
  CHECK(d.Fails("", R"(,"trustedRoots":["roots/trust.json","roots/../roots/trust.json"])") ==
        "trustedRoots[1] roots/../roots/trust.json: listed twice");
}

TEST_CASE("fidelity: off, always, gguf-up-to-N-GB", "[config][policy]") {
  Dir d;
  CHECK(d.Parse("")->fidelity.mode == FidelityMode::kOff);
  CHECK(d.Parse("", R"(,"fidelity":"off")")->fidelity.mode == FidelityMode::kOff);
  CHECK(d.Parse("", R"(,"fidelity":"always")")->fidelity.mode == FidelityMode::kAlways);
  auto up_to = d.Parse("", R"(,"fidelity":"gguf-up-to-8-GB")");
  REQUIRE(up_to.ok());
  CHECK(up_to->fidelity.mode == FidelityMode::kGgufUpTo);
  CHECK(up_to->fidelity.max_bytes == (uint64_t{8} << 30));
  for (const std::string bad :
       {R"("gguf-up-to-0-GB")", R"("gguf-up-to-08-GB")", R"("gguf-up-to--1-GB")",
        R"("gguf-up-to-8-gb")", R"("gguf-up-to-GB")", R"("gguf-up-to-99999999-GB")", R"("on")",
        "true", "8"}) {
    INFO(bad);
    CHECK_THAT(d.Fails("", R"(,"fidelity":)" + bad), Contains("fidelity: must be"));
  }
}

TEST_CASE("maxDepth bounds", "[config][policy]") {
  Dir d;
  CHECK(d.Parse("", R"(,"maxDepth":1)")->max_depth == 1);
  CHECK(d.Parse("", R"(,"maxDepth":64)")->max_depth == 64);
  for (const std::string bad : {"0", "65", "-1", "1.5", "\"8\"", "18446744073709551615"}) {
    INFO(bad);
    CHECK_THAT(d.Fails("", R"(,"maxDepth":)" + bad), Contains("maxDepth: must be"));
  }
}

}  // namespace
}  // namespace provbadge::config
