// ParseProvenanceStatement, ParseHfUri and the build types: every statement-level finding by
// its code.
#include <catch2/catch.hpp>

#include "provenance_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::prov::Find;
using testing::prov::Has;
using testing::prov::kBaseCommit;
using testing::prov::QuantizeStatement;

struct Parsed {
  bool ok = false;
  ProvenanceStep step;
  std::vector<Finding> findings;
};

Parsed Parse(const json& statement) {
  Parsed p;
  p.step.line = 3;
  p.ok = ParseProvenanceStatement(statement.dump(), &p.step, &p.findings);
  return p;
}

Parsed ParseText(const std::string& text) {
  Parsed p;
  p.ok = ParseProvenanceStatement(text, &p.step, &p.findings);
  return p;
}

json& Def(json& st) { return st["predicate"]["buildDefinition"]; }
json& Deps(json& st) { return Def(st)["resolvedDependencies"]; }

TEST_CASE("a quantize statement parses into its step") {
  json st = QuantizeStatement({{"model-Q4_K_M.gguf", "q4"}});
  Deps(st).push_back({{"uri", "hf://datasets/org/calib@" + kBaseCommit},
                      {"digest", {{"sha256", std::string(64, 'a')}}}});
  Deps(st).push_back({{"uri", "git+https://github.com/ggml-org/llama.cpp@" + kBaseCommit},
                      {"digest", {{"gitCommit", kBaseCommit}}}});
  Deps(st).push_back(
      {{"uri", "oci://ghcr.io/org/quantizer"}, {"digest", {{"sha256", std::string(64, 'B')}}}});
  Parsed p = Parse(st);
  INFO(testing::prov::CodesOf(p.findings));
  REQUIRE(p.ok);
  CHECK(p.findings.empty());
  CHECK(p.step.build_type == BuildType::kQuantize);
  REQUIRE(p.step.subjects.size() == 1);
  CHECK(p.step.subjects[0].name == "model-Q4_K_M.gguf");
  CHECK(p.step.subjects[0].sha256 == Sha256Hex("q4"));
  CHECK(p.step.parameters.at("method") == "Q4_K_M");
  CHECK(p.step.parameters.at("toolVersion") == "b3600");
  REQUIRE(p.step.Parents().size() == 1);
  CHECK(p.step.Parents()[0]->hf.repo == "org/base");
  auto consumed = p.step.ConsumedFiles("org/base", kBaseCommit);
  REQUIRE(consumed.size() == 1);
  CHECK(consumed[0]->hf.path == "model.safetensors");
  using Kind = ProvenanceDependency::Kind;
  CHECK(p.step.dependencies[2].kind == Kind::kDataset);
  CHECK(p.step.dependencies[3].kind == Kind::kCode);
  CHECK(p.step.dependencies[4].kind == Kind::kImage);
  CHECK(p.step.dependencies[4].digest.at("sha256") == std::string(64, 'b'));  // lowercased
}

TEST_CASE("the producer's statement JSON parses back to the same step") {
  Parsed p = Parse(QuantizeStatement({{"a.gguf", "x"}, {"b.gguf", "y"}}));
  REQUIRE(p.ok);
  p.step.parameters["hyperparameters"] = R"({"lr":0.1})";
  Parsed again = ParseText(ProvenanceStatementJson(p.step));
  REQUIRE(again.ok);
  CHECK(again.step.subjects.size() == 2);
  CHECK(again.step.parameters == p.step.parameters);
  CHECK(again.step.dependencies.size() == p.step.dependencies.size());
}

TEST_CASE("statement shape errors") {
  CHECK(Has(ParseText("not json").findings, "provenance.statement_malformed"));
  CHECK(Has(ParseText("[1]").findings, "provenance.statement_malformed"));
  CHECK(Has(ParseText(std::string(100, '[') + std::string(100, ']')).findings,
            "provenance.statement_malformed"));
  json st = QuantizeStatement({{"a.gguf", "x"}});
  st["_type"] = "https://in-toto.io/Statement/v0.1";
  Parsed p = Parse(st);
  CHECK_FALSE(p.ok);
  REQUIRE(Find(p.findings, "provenance.statement_malformed") != nullptr);
  CHECK(Find(p.findings, "provenance.statement_malformed")->actual ==
        "https://in-toto.io/Statement/v0.1");
  CHECK(Find(p.findings, "provenance.statement_malformed")->message.rfind("line 3: ", 0) == 0);
  st = QuantizeStatement({{"a.gguf", "x"}});
  st["predicateType"] = "https://slsa.dev/provenance/v0.2";
  CHECK(Has(Parse(st).findings, "provenance.predicate_type"));
  st = QuantizeStatement({{"a.gguf", "x"}});
  st["predicate"].erase("buildDefinition");
  CHECK(Has(Parse(st).findings, "provenance.statement_malformed"));
}

TEST_CASE("unknown build types are refused, exactly") {
  for (const char* uri : {"https://provbadge.dev/buildtypes/quantize/v2",
                          "https://provbadge.dev/buildtypes/distill/v1",
                          "https://provbadge.dev/buildtypes/quantize/v1/", ""}) {
    json st = QuantizeStatement({{"a.gguf", "x"}});
    Def(st)["buildType"] = uri;
    Parsed p = Parse(st);
    CHECK_FALSE(p.ok);
    CHECK(Has(p.findings, "provenance.build_type_unknown"));
  }
  BuildType t{};
  for (BuildType b : {BuildType::kTrain, BuildType::kFinetune, BuildType::kAdapter,
                      BuildType::kMerge, BuildType::kQuantize}) {
    REQUIRE(ParseBuildTypeUri(BuildTypeUri(b), &t));
    CHECK(t == b);
  }
  CHECK(BuildTypeUri(BuildType::kFinetune) == "https://provbadge.dev/buildtypes/finetune/v1");
}

TEST_CASE("subject errors") {
  json st = QuantizeStatement({{"a.gguf", "x"}});
  st["subject"][0]["digest"]["sha256"] = std::string(63, 'a');
  CHECK(Has(Parse(st).findings, "provenance.subject_invalid"));
  st = QuantizeStatement({{"a.gguf", "x"}});
  st["subject"][0]["name"] = "../etc/passwd";
  CHECK(Has(Parse(st).findings, "provenance.subject_invalid"));
  st = QuantizeStatement({{"a.gguf", "x"}});
  st["subject"] = json::array();
  CHECK(Has(Parse(st).findings, "provenance.subject_invalid"));
  st = QuantizeStatement({{"a.gguf", "x"}});
  st["subject"].push_back(st["subject"][0]);
  Parsed p = Parse(st);
  CHECK_FALSE(p.ok);
  CHECK(Has(p.findings, "provenance.subject_duplicate"));
}

TEST_CASE("externalParameters are checked per build type") {
  json st = QuantizeStatement({{"a.gguf", "x"}});
  Def(st)["externalParameters"].erase("method");
  Parsed p = Parse(st);
  CHECK_FALSE(p.ok);
  REQUIRE(Has(p.findings, "provenance.parameters_invalid"));
  CHECK(Find(p.findings, "provenance.parameters_invalid")->expected == "method");
  st = QuantizeStatement({{"a.gguf", "x"}});
  Def(st)["externalParameters"]["format"] = "exl2";
  CHECK(Has(Parse(st).findings, "provenance.parameters_invalid"));
  st = QuantizeStatement({{"a.gguf", "x"}});
  Def(st)["externalParameters"]["method"] = 4;
  CHECK(Has(Parse(st).findings, "provenance.parameters_invalid"));
  st = QuantizeStatement({{"a.gguf", "x"}});
  Def(st)["buildType"] = BuildTypeUri(BuildType::kFinetune);
  Def(st)["externalParameters"] = {{"recipe", "sft.yaml"}, {"hyperparameters", "lr=1"}};
  CHECK(Has(Parse(st).findings, "provenance.parameters_invalid"));
  Def(st)["externalParameters"] = {{"recipe", "sft.yaml"}, {"hyperparameters", {{"lr", 1e-5}}}};
  CHECK(Parse(st).ok);
  Def(st).erase("externalParameters");
  CHECK(Has(Parse(st).findings, "provenance.parameters_invalid"));
}

TEST_CASE("a parent named by a branch is a silent rebase: error, parent kept unpinned") {
  json st = QuantizeStatement({{"a.gguf", "x"}});
  Deps(st)[0] = {{"uri", "hf://org/base@main"}};
  Deps(st)[1]["uri"] = "hf://org/base@main/model.safetensors";
  Parsed p = Parse(st);
  CHECK(p.ok);  // the step stays (the report names the parent), the finding fails the node
  const Finding* f = Find(p.findings, "provenance.parent_not_pinned");
  REQUIRE(f != nullptr);
  CHECK(f->severity == Severity::kError);
  CHECK(f->actual == "main");
  REQUIRE(p.step.Parents().size() == 1);
  CHECK_FALSE(p.step.Parents()[0]->hf.pinned);
  // A 40-character branch name that is not lowercase hex is not a commit either.
  Deps(st)[0] = {{"uri", "hf://org/base@" + std::string(40, 'G')}};
  CHECK(Has(Parse(st).findings, "provenance.parent_not_pinned"));
}

TEST_CASE("dependency errors") {
  auto with_dep = [](json dep) {
    json st = QuantizeStatement({{"a.gguf", "x"}});
    Deps(st).push_back(std::move(dep));
    return Parse(st);
  };
  CHECK(Has(with_dep({{"uri", "hf://org@" + kBaseCommit}}).findings,
            "provenance.dependency_invalid"));
  CHECK(Has(with_dep({{"uri", "hf://org/x/../y@" + kBaseCommit}}).findings,
            "provenance.dependency_invalid"));
  CHECK(Has(with_dep({{"name", "no uri"}}).findings, "provenance.dependency_invalid"));
  CHECK(Has(with_dep({{"uri", "git+https://github.com/x/y@abc"}}).findings,
            "provenance.dependency_invalid"));  // no gitCommit
  CHECK(Has(with_dep({{"uri", "oci://ghcr.io/x"}, {"digest", {{"sha256", "abc"}}}}).findings,
            "provenance.dependency_invalid"));
  CHECK(Has(with_dep({{"uri", "hf://other/model@" + kBaseCommit + "/w.bin"},
                      {"digest", {{"sha256", std::string(64, 'c')}}}})
                .findings,
            "provenance.consumed_without_parent"));
  CHECK(Has(with_dep({{"uri", "hf://org/base@" + kBaseCommit}}).findings,
            "provenance.dependency_duplicate"));
  // gitCommit must equal the URI's commit.
  json st = QuantizeStatement({{"a.gguf", "x"}});
  Deps(st)[0]["digest"]["gitCommit"] = std::string(40, 'f');
  Parsed p = Parse(st);
  CHECK_FALSE(p.ok);
  CHECK(Has(p.findings, "provenance.dependency_invalid"));
  // An unpinned dataset is a warning only.
  p = with_dep({{"uri", "hf://datasets/org/calib@main"}});
  CHECK(p.ok);
  CHECK(Find(p.findings, "provenance.dataset_not_pinned")->severity == Severity::kWarning);
}

TEST_CASE("each build type names the parents it needs") {
  json st = QuantizeStatement({{"a.gguf", "x"}});
  Deps(st).erase(1);  // a parent without consumed files: bound by its commit (lineage warns)
  CHECK(Parse(st).ok);
  st = QuantizeStatement({{"a.gguf", "x"}});
  Deps(st) = json::array();
  CHECK(Has(Parse(st).findings, "provenance.parent_missing"));
  Def(st)["buildType"] = BuildTypeUri(BuildType::kTrain);
  CHECK(Parse(st).ok);  // training needs no parent
  st = QuantizeStatement({{"a.gguf", "x"}});
  Def(st)["buildType"] = BuildTypeUri(BuildType::kMerge);
  CHECK(Has(Parse(st).findings, "provenance.parent_missing"));  // a merge needs two
}

TEST_CASE("hf:// URIs") {
  auto ok = ParseHfUri("hf://org/name@" + kBaseCommit + "/sub/model.safetensors");
  REQUIRE(ok.ok());
  CHECK(ok->repo == "org/name");
  CHECK(ok->revision == kBaseCommit);
  CHECK(ok->path == "sub/model.safetensors");
  CHECK(ok->pinned);
  auto ds = ParseHfUri("hf://datasets/org/data@v1");
  REQUIRE(ds.ok());
  CHECK(ds->dataset);
  CHECK_FALSE(ds->pinned);
  for (const char* bad : {"https://org/name@x", "hf://org/name", "hf://org@x", "hf:///name@x",
                          "hf://org/name@", "hf://org/na me@x", "hf://org/name@x/../y"}) {
    INFO(bad);
    CHECK_FALSE(ParseHfUri(bad).ok());
  }
  CHECK(IsWeightFile("a/model.safetensors"));
  CHECK(IsWeightFile("m.gguf"));
  CHECK_FALSE(IsWeightFile("config.json"));
  CHECK_FALSE(IsWeightFile(".gguf"));
}

}  // namespace
}  // namespace provbadge::verifier
