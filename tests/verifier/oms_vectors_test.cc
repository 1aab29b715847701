// OMS key-mode verification against the upstream signed models and the OMS spec vectors.
#include <catch2/catch.hpp>

#include "provbadge/verifier/oms.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using testing::Codes;
using testing::HasCode;
using testing::LoadFolder;
using testing::ReadFileBytes;
using testing::SignedModel;
using testing::SpecVector;
using testing::VectorKey;

Report VerifyDir(const std::string& dir, std::vector<std::string> ignore = {}) {
  testing::MemorySource source = LoadFolder(dir);
  OmsOptions options;
  options.ignore_paths = std::move(ignore);
  Report report;
  VerifyOmsKey(source, ReadFileBytes(dir + "/model.sig"), *VectorKey(), options, &report);
  return report;
}

TEST_CASE("The elliptic-key signed models verify with the test key") {
  struct Case {
    std::string dir;
    std::vector<std::string> ignore;
    bool legacy_raw_bytes;
  };
  for (const Case& c : {Case{"v0.3.1-elliptic-key", {}, true},  // single file, resource "."
                        Case{"v1.0.0-elliptic-key", {}, true},  // single file, resource "."
                        Case{"v1.0.1-elliptic-key", {"ignore-me"}, true},
                        Case{"v1.1.0-elliptic-key", {}, false}}) {  // ignore-me in the bundle
    INFO(c.dir);
    Report report = VerifyDir(SignedModel(c.dir), c.ignore);
    INFO(Codes(report));
    CHECK(report.verdict == Verdict::kVerified);
    CHECK_FALSE(report.HasErrors());
    CHECK(HasCode(report, "oms.legacy_raw_bytes") == c.legacy_raw_bytes);
  }
}

TEST_CASE("v1.0.1 without the ignore path fails on the unsigned ignore-me file") {
  Report report = VerifyDir(SignedModel("v1.0.1-elliptic-key"));
  CHECK(report.verdict == Verdict::kFailed);
  const Finding* extra = testing::FindCode(report, "oms.file_extra");
  REQUIRE(extra != nullptr);
  CHECK(extra->path == "ignore-me");
  CHECK(extra->actual == Sha256Hex(""));
}

TEST_CASE("v1.1.0 reports the file its signer chose to ignore") {
  Report report = VerifyDir(SignedModel("v1.1.0-elliptic-key"));
  const Finding* ignored = testing::FindCode(report, "oms.file_ignored");
  REQUIRE(ignored != nullptr);
  CHECK(ignored->path == "ignore-me");
  CHECK(ignored->severity == Severity::kInfo);
}

TEST_CASE("Certificate and Sigstore mode models are unsupported and never verified") {
  for (const char* dir : {"v0.2.0-certificate", "v0.3.1-certificate", "v1.0.0-certificate",
                          "v1.0.1-certificate", "v1.1.0-certificate", "v0.3.1-sigstore",
                          "v1.0.0-sigstore", "v1.0.1-sigstore", "v1.1.0-sigstore"}) {
    INFO(dir);
    Report report = VerifyDir(SignedModel(dir), {"ignore-me"});
    CHECK(report.verdict == Verdict::kFailed);
    const Finding* f = testing::FindCode(report, "oms.mode_unsupported");
    REQUIRE(f != nullptr);
    CHECK(f->message.find("unsupported in this version") != std::string::npos);
  }
}

Report VerifySpecBundle(const std::string& name) {
  testing::MemorySource source = LoadFolder(SignedModel("v1.1.0-elliptic-key"));
  source.Remove("model.sig");
  Report report;
  VerifyOmsKey(source, ReadFileBytes(SpecVector(name)), *VectorKey(), OmsOptions{}, &report);
  return report;
}

TEST_CASE("OMS spec valid key bundle verifies against signme-1 and signme-2") {
  Report report = VerifySpecBundle("valid/key.bundle.json");
  INFO(Codes(report));
  CHECK(report.verdict == Verdict::kVerified);
}

TEST_CASE("OMS spec valid certificate and sigstore bundles are reported unsupported") {
  for (const char* name : {"valid/certificate.bundle.json", "valid/sigstore.bundle.json"}) {
    INFO(name);
    Report report = VerifySpecBundle(name);
    CHECK(report.verdict == Verdict::kFailed);
    CHECK(HasCode(report, "oms.mode_unsupported"));
  }
}

TEST_CASE("OMS spec invalid bundles fail with a specific finding") {
  struct Case {
    const char* name;
    const char* code;
  };
  for (const Case& c :
       {Case{"invalid/empty.bundle.json", "bundle.malformed"},
        Case{"invalid/missing-envelope.bundle.json", "bundle.malformed"},
        Case{"invalid/missing-verification-material.bundle.json", "bundle.malformed"},
        Case{"invalid/missing-tlog-entries.bundle.json", "oms.mode_unsupported"},
        // Its signature does not verify, so the predicate is never parsed.
        Case{"invalid-payload/wrong-predicate.bundle.json", "oms.signature_invalid"}}) {
    INFO(c.name);
    Report report = VerifySpecBundle(c.name);
    INFO(Codes(report));
    CHECK(report.verdict == Verdict::kFailed);
    CHECK(HasCode(report, c.code));
  }
}

}  // namespace
}  // namespace provbadge::verifier
