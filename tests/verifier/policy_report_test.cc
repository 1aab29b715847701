#include <catch2/catch.hpp>

#include "provbadge/verifier/policy.h"
#include "provbadge/verifier/report.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

TEST_CASE("RepoGlobMatch: star matches within one path segment") {
  CHECK(RepoGlobMatch("org/*", "org/model"));
  CHECK(RepoGlobMatch("org/*", "org/"));
  CHECK_FALSE(RepoGlobMatch("org/*", "org/a/b"));
  CHECK_FALSE(RepoGlobMatch("org/*", "other/model"));
  CHECK(RepoGlobMatch("org/exact", "org/exact"));
  CHECK_FALSE(RepoGlobMatch("org/exact", "org/exact2"));
  CHECK(RepoGlobMatch("*/*-GGUF", "org/llama-GGUF"));
  CHECK_FALSE(RepoGlobMatch("*/*-GGUF", "org/llama-AWQ"));
  CHECK(RepoGlobMatch("org/*a*b", "org/xaybab"));
  CHECK_FALSE(RepoGlobMatch("*", "org/model"));
  CHECK_FALSE(RepoGlobMatch("", "org/model"));
}

Identity KeyOnly(std::string name, std::shared_ptr<const PublicKey> key) {
  Identity id;
  id.name = std::move(name);
  id.key = std::move(key);
  return id;
}

TEST_CASE("PublishersFor unions matching rules in identity order without duplicates") {
  TrustPolicy policy;
  auto key = testing::GenerateKey().pub;
  policy.identities = {KeyOnly("alice", key), KeyOnly("bob", key), KeyOnly("carol", key)};
  policy.rules = {{"org/*", {"carol", "alice"}, {}},
                  {"org/special", {"bob", "alice"}, {}},
                  {"other/*", {"bob"}, {}}};
  auto names = [&](std::string_view repo) {
    std::vector<std::string> out;
    for (const Identity* id : policy.PublishersFor(repo)) out.push_back(id->name);
    return out;
  };
  CHECK(names("org/model") == std::vector<std::string>{"alice", "carol"});
  CHECK(names("org/special") == std::vector<std::string>{"alice", "bob", "carol"});
  CHECK(names("nobody/model").empty());
}

Report SampleReport() {
  Report r;
  r.subject = "org/model@0123456789abcdef0123456789abcdef01234567";
  r.verdict = Verdict::kFailed;
  r.findings = {{"oms.file_changed", Severity::kError, "the file differs", "w.bin", "aa", "bb"},
                {"oms.legacy_raw_bytes", Severity::kInfo, "legacy", "", "", ""}};
  r.chain = {
      {"org/model", "0123456789abcdef0123456789abcdef01234567", "self", "alice", Verdict::kFailed}};
  r.policy_digest = "sha256:abcd";
  r.verifier_version = "0.1.0";
  return r;
}

TEST_CASE("Report JSON round trip keeps every field") {
  Report r = SampleReport();
  Result<Report> back = ReportFromJson(ReportToJson(r));
  REQUIRE(back.ok());
  CHECK(back->subject == r.subject);
  CHECK(back->verdict == r.verdict);
  REQUIRE(back->findings.size() == 2);
  CHECK(back->findings[0].code == "oms.file_changed");
  CHECK(back->findings[0].severity == Severity::kError);
  CHECK(back->findings[0].path == "w.bin");
  CHECK(back->findings[0].expected == "aa");
  CHECK(back->findings[0].actual == "bb");
  CHECK(back->findings[1].severity == Severity::kInfo);
  REQUIRE(back->chain.size() == 1);
  CHECK(back->chain[0].signer == "alice");
  CHECK(back->chain[0].relation == "self");
  CHECK(back->chain[0].status == Verdict::kFailed);
  CHECK(back->policy_digest == r.policy_digest);
  CHECK(back->verifier_version == r.verifier_version);
  CHECK(ReportToJson(*back) == ReportToJson(r));
}

TEST_CASE("ReportFromJson rejects bad shapes") {
  CHECK_FALSE(ReportFromJson("").ok());
  CHECK_FALSE(ReportFromJson("[]").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"great"})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"verified","findings":{}})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"verified","findings":[{"code":1}]})").ok());
  CHECK_FALSE(
      ReportFromJson(R"({"verdict":"verified","findings":[{"code":"x","severity":"bad"}]})").ok());
  CHECK_FALSE(ReportFromJson(R"({"verdict":"verified","chain":[{"status":"nope"}]})").ok());
  CHECK_FALSE(ReportFromJson(std::string(100000, '[')).ok());
  CHECK(ReportFromJson(R"({"verdict":"unverified"})").ok());
}

TEST_CASE("Report helpers and text form") {
  Report r = SampleReport();
  CHECK(r.HasErrors());
  REQUIRE(r.FirstError() != nullptr);
  CHECK(r.FirstError()->code == "oms.file_changed");
  std::string text = ReportToText(r);
  CHECK(text.find("verdict:  failed") != std::string::npos);
  CHECK(text.find("oms.file_changed") != std::string::npos);
  CHECK(text.find("expected: aa") != std::string::npos);
  Report clean;
  CHECK_FALSE(clean.HasErrors());
  CHECK(clean.FirstError() == nullptr);
  CHECK(VerdictName(Verdict::kUnverified) == "unverified");
  CHECK(SeverityName(Severity::kWarning) == "warning");
}

}  // namespace
}  // namespace provbadge::verifier
