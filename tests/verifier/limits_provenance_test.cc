// Bounds of provbadge/common/limits.h on provenance.intoto.jsonl and its SLSA statements: each
// input exactly at its limit passes that check, one past it fails with its specific code.
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <catch2/catch.hpp>
#include <string>

#include "provbadge/common/limits.h"
#include "provenance_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::prov::Has;
using testing::prov::QuantizeStatement;

struct Parsed {
  bool ok = false;
  std::vector<Finding> findings;
  // The first finding's code and message, for INFO.
  std::string First() const {
    return findings.empty() ? "" : findings[0].code + ": " + findings[0].message;
  }
};

Parsed Parse(const json& statement) {
  Parsed p;
  ProvenanceStep step;
  p.ok = ParseProvenanceStatement(statement.dump(), &step, &p.findings);
  return p;
}

json& Def(json& st) { return st["predicate"]["buildDefinition"]; }

// `at` (a statement at a limit) parses cleanly; `over` (one past it) fails with `code`.
void CheckBoundary(const Parsed& at, const Parsed& over, const std::string& code) {
  INFO(at.First());
  CHECK(at.ok);
  CHECK_FALSE(over.ok);
  CHECK(Has(over.findings, code));
}

TEST_CASE("limits: a SLSA statement lists at most kMaxSubjects subjects", "[limits]") {
  json at = QuantizeStatement({{"model.gguf", "q4"}});
  const json subject = at["subject"][0];
  at["subject"] = json::array();
  for (size_t i = 0; i < limits::kMaxSubjects; ++i) {
    json s = subject;
    s["name"] = "f" + std::to_string(i) + ".gguf";
    at["subject"].push_back(std::move(s));
  }
  Parsed ok = Parse(at);
  INFO(ok.First());
  CHECK(ok.ok);
  at["subject"].push_back(subject);
  Parsed over = Parse(at);
  CHECK_FALSE(over.ok);
  REQUIRE_FALSE(over.findings.empty());
  CHECK(over.findings[0].code == "provenance.subject_invalid");
  CHECK(over.findings[0].expected == "<= " + std::to_string(limits::kMaxSubjects));
}

TEST_CASE("limits: externalParameters has at most kMaxProvenanceParameters members", "[limits]") {
  json st = QuantizeStatement({{"model.gguf", "q4"}});
  json& params = Def(st)["externalParameters"];
  for (size_t i = 0; params.size() < limits::kMaxProvenanceParameters; ++i)
    params["extra" + std::to_string(i)] = "x";
  Parsed at = Parse(st);
  params["one_more"] = "x";
  CheckBoundary(at, Parse(st), "provenance.parameters_invalid");
}

TEST_CASE("limits: resolvedDependencies has at most kMaxProvenanceDependencies entries",
          "[limits]") {
  json st = QuantizeStatement({{"model.gguf", "q4"}});
  json& deps = Def(st)["resolvedDependencies"];
  for (size_t i = 0; deps.size() < limits::kMaxProvenanceDependencies; ++i)
    deps.push_back({{"uri", "https://example.com/tool/" + std::to_string(i)}});
  Parsed ok = Parse(st);
  INFO(ok.First());
  CHECK(ok.ok);
  deps.push_back({{"uri", "https://example.com/tool/one-more"}});
  Parsed over = Parse(st);
  CHECK_FALSE(over.ok);
  REQUIRE_FALSE(over.findings.empty());
  CHECK(over.findings[0].code == "provenance.dependency_invalid");
  CHECK_THAT(over.findings[0].message,
             Catch::Contains(std::to_string(limits::kMaxProvenanceDependencies)));
}

TEST_CASE("limits: a dependency URI is at most kMaxUriBytes", "[limits]") {
  auto with_uri_of = [](size_t bytes) {
    json st = QuantizeStatement({{"model.gguf", "q4"}});
    const std::string prefix = "https://example.com/";
    Def(st)["resolvedDependencies"].push_back(
        {{"uri", prefix + std::string(bytes - prefix.size(), 'u')}});
    return Parse(st);
  };
  CheckBoundary(with_uri_of(limits::kMaxUriBytes), with_uri_of(limits::kMaxUriBytes + 1),
                "provenance.dependency_invalid");
}

TEST_CASE("limits: a dependency digest has at most kMaxDigestEntries entries", "[limits]") {
  auto with_digests = [](size_t entries) {
    json st = QuantizeStatement({{"model.gguf", "q4"}});
    json& digest = Def(st)["resolvedDependencies"][1]["digest"];  // already holds sha256
    for (size_t i = 1; i < entries; ++i) digest["alg" + std::to_string(i)] = "abcd";
    return Parse(st);
  };
  CheckBoundary(with_digests(limits::kMaxDigestEntries),
                with_digests(limits::kMaxDigestEntries + 1), "provenance.dependency_invalid");
}

// File-level bounds through VerifyProvenanceFile with one builder (nothing needs to verify).
ProvenanceResult VerifyFile(const std::string& contents) {
  static const testing::TestKey ci = testing::GenerateKey();
  TrustPolicy policy;
  policy.identities = {testing::prov::KeyIdentityOf("ci", ci)};
  policy.rules = {{"org/*", {}, {"ci"}}};
  return VerifyProvenanceFile(contents, "org/q", policy);
}

TEST_CASE("limits: provenance.intoto.jsonl is at most kMaxProvenanceFileBytes", "[limits]") {
  CHECK_FALSE(Has(VerifyFile(std::string(limits::kMaxProvenanceFileBytes, '\n')).findings,
                  "provenance.file_too_large"));
  CHECK(Has(VerifyFile(std::string(limits::kMaxProvenanceFileBytes + 1, '\n')).findings,
            "provenance.file_too_large"));
}

TEST_CASE("limits: provenance.intoto.jsonl has at most kMaxProvenanceLines lines", "[limits]") {
  std::string lines;
  for (size_t i = 0; i < limits::kMaxProvenanceLines; ++i) lines += "{}\n";
  CHECK_FALSE(Has(VerifyFile(lines).findings, "provenance.too_many_lines"));
  CHECK(Has(VerifyFile(lines + "{}\n").findings, "provenance.too_many_lines"));
}

TEST_CASE("limits: one provenance line is at most kMaxProvenanceLineBytes", "[limits]") {
  auto line_of = [](size_t bytes) { return "{" + std::string(bytes - 2, ' ') + "}\n"; };
  CHECK_FALSE(Has(VerifyFile(line_of(limits::kMaxProvenanceLineBytes)).findings,
                  "provenance.line_too_large"));
  CHECK(Has(VerifyFile(line_of(limits::kMaxProvenanceLineBytes + 1)).findings,
            "provenance.line_too_large"));
}

}  // namespace
}  // namespace provbadge::verifier
