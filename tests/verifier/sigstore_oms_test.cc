// OMS model signatures in Sigstore mode (Fulcio identity, the upstream trust config) and
// certificate mode (the test PKI), on every *-sigstore and *-certificate signed model,
// including the v0.2.0 legacy statement with the compat PAE; plus their negatives.
#include <catch2/catch.hpp>

#include "provbadge/verifier/oms.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using testing::Codes;
using testing::HasCode;
using testing::LoadFolder;
using testing::OmsDir;
using testing::ReadFileBytes;
using testing::SignedModel;

const char* kIdentity = "stefanb@us.ibm.com";
const char* kIssuer = "https://sigstore.verify.ibm.com/oauth2";

std::shared_ptr<const TrustedRoot> TrustConfig() {
  static auto root =
      TrustedRoot::FromJson(ReadFileBytes(OmsDir() + "/trust/custom_trust_config.json"));
  REQUIRE(root.ok());
  return *root;
}

std::shared_ptr<const TrustedRoot> TestPki() {
  static auto root =
      TrustedRoot::FromCertificatePems({ReadFileBytes(OmsDir() + "/keys/certificate/ca-cert.pem")});
  REQUIRE(root.ok());
  return *root;
}

Report Verify(const std::string& name, const TrustedRoot& root, const SigstorePolicy& policy,
              testing::MemorySource* override_source = nullptr) {
  const std::string dir = SignedModel(name);
  testing::MemorySource source = LoadFolder(dir);
  OmsOptions options;
  options.ignore_paths = {"ignore-me"};
  Report report;
  VerifyOmsBundle(override_source ? *override_source : source, ReadFileBytes(dir + "/model.sig"),
                  root, policy, options, &report);
  return report;
}

SigstorePolicy Keyless(std::string identity = kIdentity, std::string issuer = kIssuer) {
  SigstorePolicy p;
  p.identity = std::move(identity);
  p.issuer = std::move(issuer);
  return p;
}

SigstorePolicy CertificateMode() {
  SigstorePolicy p;
  p.mode = SigstorePolicy::Mode::kCertificateChain;
  return p;
}

TEST_CASE("every *-sigstore model verifies in Sigstore mode", "[sigstore][oms]") {
  for (const char* name :
       {"v0.3.1-sigstore", "v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore"}) {
    INFO(name);
    Report r = Verify(name, *TrustConfig(), Keyless());
    INFO(Codes(r));
    CHECK(r.verdict == Verdict::kVerified);
    CHECK(HasCode(r, "oms.signer"));
  }
}

TEST_CASE("Sigstore mode rejects another identity or issuer", "[sigstore][oms]") {
  CHECK(HasCode(Verify("v1.1.0-sigstore", *TrustConfig(), Keyless("stefanb@us.ibm.co")),
                "sigstore.identity.mismatch"));
  CHECK(HasCode(Verify("v1.1.0-sigstore", *TrustConfig(), Keyless("tefanb@us.ibm.com")),
                "sigstore.identity.mismatch"));
  CHECK(HasCode(Verify("v1.1.0-sigstore", *TrustConfig(),
                       Keyless(kIdentity, "https://sigstore.verify.ibm.com")),
                "sigstore.identity.issuer_mismatch"));
  // A Sigstore bundle is not accepted by the private PKI, nor a certificate bundle by Fulcio.
  CHECK(Verify("v1.1.0-sigstore", *TestPki(), CertificateMode()).verdict == Verdict::kFailed);
  CHECK(HasCode(Verify("v1.1.0-certificate", *TrustConfig(), Keyless()), "sigstore.time.none"));
}

TEST_CASE("every *-certificate model verifies in certificate mode", "[sigstore][oms]") {
  for (const char* name : {"v0.2.0-certificate", "v0.3.1-certificate", "v1.0.0-certificate",
                           "v1.0.1-certificate", "v1.1.0-certificate"}) {
    INFO(name);
    Report r = Verify(name, *TestPki(), CertificateMode());
    INFO(Codes(r));
    CHECK(r.verdict == Verdict::kVerified);
  }
  CHECK(
      HasCode(Verify("v0.2.0-certificate", *TestPki(), CertificateMode()), "oms.legacy_statement"));
}

TEST_CASE("certificate mode fails closed", "[sigstore][oms]") {
  // An unrelated anchor (the public-good Fulcio root): the chain does not reach it.
  auto doc = nlohmann::json::parse(ReadFileBytes(OmsDir() + "/trust/custom_trust_config.json"));
  std::string b64 = doc["trustedRoot"]["certificateAuthorities"][1]["certChain"]["certificates"]
                        .back()["rawBytes"];
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  pem += "-----END CERTIFICATE-----\n";
  auto other = TrustedRoot::FromCertificatePems({pem});
  REQUIRE(other.ok());
  Report r = Verify("v1.1.0-certificate", **other, CertificateMode());
  CHECK(r.verdict == Verdict::kFailed);
  // A changed file is caught by the set comparison, also for the v0.2 legacy statement.
  for (const char* name : {"v0.2.0-certificate", "v1.1.0-certificate"}) {
    testing::MemorySource source = LoadFolder(SignedModel(name));
    source.Set("signme-1", "tampered");
    Report t = Verify(name, *TestPki(), CertificateMode(), &source);
    INFO(name << " " << Codes(t));
    CHECK(t.verdict == Verdict::kFailed);
  }
  // The compat PAE is never accepted outside certificate mode's OMS path.
  CHECK_FALSE(TrustedRoot::FromCertificatePems({"not a certificate"}).ok());
}

}  // namespace
}  // namespace provbadge::verifier
