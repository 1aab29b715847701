// VerifyProvenanceFile / CheckProvenanceSubjects: signatures against the repository's builders
// (DSSE with keys; Sigstore certificate-chain bundles), file-level limits, subjects vs files.
#include <catch2/catch.hpp>

#include "provbadge/verifier/manifest.h"
#include "provenance_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::prov::CertificateChainLine;
using testing::prov::ChainIdentityOf;
using testing::prov::CodesOf;
using testing::prov::DsseLineFor;
using testing::prov::Find;
using testing::prov::Has;
using testing::prov::KeyIdentityOf;
using testing::prov::QuantizeStatement;

struct Fixture {
  testing::TestKey acme = testing::GenerateKey();      // publisher of org/*, not a builder
  testing::TestKey ci = testing::GenerateKey();        // builder of org/*
  testing::TestKey stranger = testing::GenerateKey();  // in no policy
  TrustPolicy policy;
  std::string statement = QuantizeStatement({{"model.gguf", "q4"}}).dump();
  Fixture() {
    policy.identities = {KeyIdentityOf("acme", acme), KeyIdentityOf("ci", ci),
                         ChainIdentityOf("pki")};
    policy.rules = {
        {"org/*", {"acme"}, {"ci"}}, {"pki/*", {"acme"}, {"pki"}}, {"nobuild/*", {"acme"}, {}}};
  }
  ProvenanceResult Verify(const std::string& contents, const std::string& repo = "org/q") const {
    return VerifyProvenanceFile(contents, repo, policy);
  }
};

TEST_CASE("a DSSE line signed by an allowed builder verifies") {
  Fixture fx;
  ProvenanceResult r = fx.Verify(DsseLineFor(&fx.ci, fx.statement) + "\n");
  INFO(CodesOf(r.findings));
  REQUIRE(r.steps.size() == 1);
  CHECK(r.steps[0].builder == "ci");
  CHECK(r.steps[0].line == 1);
  CHECK(r.builders == std::vector<std::string>{"ci"});
  CHECK_FALSE(testing::prov::HasErrors(r.findings));
  CHECK(Find(r.findings, "provenance.signature_verified")->severity == Severity::kInfo);
}

TEST_CASE("fail closed: publisher-not-builder, stranger, unsigned, tampered") {
  Fixture fx;
  ProvenanceResult r = fx.Verify(DsseLineFor(&fx.acme, fx.statement));
  CHECK(r.steps.empty());
  const Finding* f = Find(r.findings, "provenance.signer_not_allowed");
  REQUIRE(f != nullptr);
  CHECK(f->expected == "ci");
  CHECK(f->actual.find("acme") != std::string::npos);  // the identity seen
  r = fx.Verify(DsseLineFor(&fx.stranger, fx.statement));
  CHECK(r.steps.empty());
  REQUIRE(Find(r.findings, "provenance.signer_not_allowed") != nullptr);
  CHECK(Find(r.findings, "provenance.signer_not_allowed")->actual.find("unknown key") !=
        std::string::npos);
  r = fx.Verify(DsseLineFor(nullptr, fx.statement));
  CHECK(r.steps.empty());
  CHECK(Has(r.findings, "provenance.unsigned"));
  // The signature of one statement on another payload.
  json env = json::parse(DsseLineFor(&fx.ci, fx.statement));
  env["payload"] = Base64Encode(QuantizeStatement({{"model.gguf", "evil"}}).dump());
  r = fx.Verify(env.dump());
  CHECK(r.steps.empty());
  CHECK(Has(r.findings, "provenance.signer_not_allowed"));
  // The builder of another repository is no builder here.
  r = fx.Verify(DsseLineFor(&fx.ci, fx.statement), "other/q");
  CHECK(r.steps.empty());
  CHECK(Has(r.findings, "policy.no_builder"));
  r = fx.Verify(DsseLineFor(&fx.ci, fx.statement), "nobuild/q");
  CHECK(Has(r.findings, "policy.no_builder"));
}

TEST_CASE("a line that is not an in-toto DSSE envelope") {
  Fixture fx;
  CHECK(Has(fx.Verify(DsseLineFor(&fx.ci, fx.statement, "text/plain")).findings,
            "provenance.payload_type"));
  for (const char* bad : {"not json", "[1,2]", R"({"foo":1})", R"({"payloadType":)",
                          R"({"payloadType":"application/vnd.in-toto+json","payload":"%%",)"
                          R"("signatures":[{"sig":"AAAA"}]})"}) {
    INFO(bad);
    ProvenanceResult r = fx.Verify(bad);
    CHECK(r.steps.empty());
    CHECK(Has(r.findings, "provenance.line_malformed"));
  }
}

TEST_CASE("lines: blank and CRLF lines, duplicates, limits") {
  Fixture fx;
  std::string line = DsseLineFor(&fx.ci, fx.statement);
  std::string other = DsseLineFor(&fx.ci, QuantizeStatement({{"b.gguf", "b"}}).dump());
  ProvenanceResult r = fx.Verify("\n" + line + "\r\n  \n" + other + "\n" + line + "\n");
  INFO(CodesOf(r.findings));
  CHECK(r.steps.size() == 2);
  CHECK(r.steps[1].line == 4);
  const Finding* dup = Find(r.findings, "provenance.duplicate_line");
  REQUIRE(dup != nullptr);
  CHECK(dup->message.rfind("line 5:", 0) == 0);
  CHECK(Has(fx.Verify("\n \n").findings, "provenance.empty"));
  std::string many;
  for (int i = 0; i < 300; ++i) many += "{\"n\":" + std::to_string(i) + "}\n";
  r = fx.Verify(many);
  CHECK(Has(r.findings, "provenance.too_many_lines"));
  CHECK(std::count_if(r.findings.begin(), r.findings.end(), [](const Finding& f) {
          return f.code == "provenance.line_malformed";
        }) == 256);
  CHECK(Has(fx.Verify(std::string((16u << 20) + 1, ' ') + "x").findings,
            "provenance.line_too_large"));
  CHECK(Has(fx.Verify(std::string((64u << 20) + 1, '\n')).findings, "provenance.file_too_large"));
}

TEST_CASE("a Sigstore certificate-chain bundle line verifies against its chain identity") {
  Fixture fx;
  std::string line = CertificateChainLine(fx.statement);
  ProvenanceResult r = fx.Verify(line, "pki/q");
  INFO(CodesOf(r.findings));
  REQUIRE(r.steps.size() == 1);
  CHECK(r.steps[0].builder == "pki");
  // The same bundle where the chain identity is not a builder.
  r = fx.Verify(line, "org/q");
  CHECK(r.steps.empty());
  REQUIRE(Has(r.findings, "provenance.signer_not_allowed"));
  CHECK(Find(r.findings, "provenance.signer_not_allowed")->actual.find("pki") != std::string::npos);
  // A tampered payload in the bundle.
  json bundle = json::parse(line);
  bundle["dsseEnvelope"]["payload"] = Base64Encode(QuantizeStatement({{"x.gguf", "x"}}).dump());
  r = fx.Verify(bundle.dump(), "pki/q");
  CHECK(r.steps.empty());
  CHECK(testing::prov::HasErrors(r.findings));
}

// Subjects against the files of a revision.
struct Revision {
  testing::MemorySource source{{{"model.gguf", "q4"},
                                {"extra.gguf", "unattested"},
                                {"config.json", "{}"},
                                {"README.md", "card"}}};
};

std::vector<ProvenanceStep> Steps(const std::map<std::string, std::string>& subjects) {
  ProvenanceStep step;
  std::vector<Finding> ignored;
  REQUIRE(ParseProvenanceStatement(QuantizeStatement(subjects).dump(), &step, &ignored));
  step.line = 1;
  return {step};
}

TEST_CASE("subjects must be the revision's files with equal sha256, covering every weight") {
  Revision rev;
  Manifest manifest(rev.source);
  std::vector<Finding> findings;
  REQUIRE(CheckProvenanceSubjects(Steps({{"model.gguf", "q4"}, {"extra.gguf", "unattested"}}),
                                  manifest, &findings));
  INFO(CodesOf(findings));
  CHECK_FALSE(testing::prov::HasErrors(findings));
  CHECK(Has(findings, "provenance.subjects_match"));
  CHECK(Has(findings, "provenance.weights_covered"));

  findings.clear();
  CheckProvenanceSubjects(Steps({{"model.gguf", "q4"}}), manifest, &findings);
  const Finding* f = Find(findings, "provenance.weights_not_covered");
  REQUIRE(f != nullptr);
  CHECK(f->path == "extra.gguf");

  findings.clear();
  CheckProvenanceSubjects(Steps({{"model.gguf", "q4"}, {"gone.gguf", "x"}}), manifest, &findings);
  REQUIRE(Has(findings, "provenance.subject_missing_file"));
  CHECK(Find(findings, "provenance.subject_missing_file")->path == "gone.gguf");
}

TEST_CASE("a subject digest off by one byte is a mismatch with expected vs actual") {
  Revision rev;
  Manifest manifest(rev.source);
  std::vector<ProvenanceStep> steps = Steps({{"model.gguf", "q4"}, {"extra.gguf", "unattested"}});
  std::string& sha = steps[0].subjects[1].sha256;  // model.gguf (subjects are name-sorted)
  REQUIRE(steps[0].subjects[1].name == "model.gguf");
  sha.back() = sha.back() == '0' ? '1' : '0';
  std::vector<Finding> findings;
  CheckProvenanceSubjects(steps, manifest, &findings);
  const Finding* f = Find(findings, "provenance.subject_mismatch");
  REQUIRE(f != nullptr);
  CHECK(f->path == "model.gguf");
  CHECK(f->expected == sha);
  CHECK(f->actual == Sha256Hex("q4"));
  CHECK_FALSE(Has(findings, "provenance.subjects_match"));
}

TEST_CASE("two statements attesting the same file: warning") {
  Revision rev;
  Manifest manifest(rev.source);
  std::vector<ProvenanceStep> steps = Steps({{"model.gguf", "q4"}, {"extra.gguf", "unattested"}});
  steps.push_back(steps[0]);
  steps[1].line = 2;
  std::vector<Finding> findings;
  CheckProvenanceSubjects(steps, manifest, &findings);
  REQUIRE(Has(findings, "provenance.subject_duplicate"));
  CHECK(Find(findings, "provenance.subject_duplicate")->severity == Severity::kWarning);
}

}  // namespace
}  // namespace provbadge::verifier
