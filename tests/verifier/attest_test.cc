// SLSA provenance statements for `provbadge attest`: argument parsing (parent pinning,
// dependencies, params), parent hashing and the statement's exact shape and validation.
#include <catch2/catch.hpp>

#include "provbadge/verifier/attest.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";
const std::string kSha = std::string(64, 'a');

TEST_CASE("a parent must be pinned to a 40-hex commit") {
  auto ok = ParseParentUri("hf://acme/base@" + kCommit);
  REQUIRE(ok.ok());
  CHECK(ok->repo == "acme/base");
  CHECK(ok->commit == kCommit);
  CHECK(ok->Uri() == "hf://acme/base@" + kCommit);
  auto upper = ParseParentUri("hf://acme/base@0123456789ABCDEF0123456789ABCDEF01234567");
  REQUIRE(upper.ok());
  CHECK(upper->commit == kCommit);

  auto branch = ParseParentUri("hf://acme/base@main");
  REQUIRE_FALSE(branch.ok());
  CHECK(branch.error().message().find("branch") != std::string::npos);
  CHECK(branch.error().message().find("silent rebase") != std::string::npos);
  for (const std::string& bad : std::vector<std::string>{
           "hf://acme/base@v1.0", "hf://acme/base@0123456", "hf://acme/base",
           "https://x/y@" + kCommit, "hf://acme@" + kCommit, "hf://acme/base/extra@" + kCommit,
           "hf://../base@" + kCommit, "hf://datasets/acme@" + kCommit, "hf://acme/ba se@" + kCommit,
           "hf://acme/base@" + kCommit + "0"}) {
    INFO(bad);
    CHECK_FALSE(ParseParentUri(bad).ok());
  }
}

TEST_CASE("dependencies parse as URI[=sha256:HEX|gitCommit:HEX]") {
  auto plain = ParseDependency("oci://ghcr.io/acme/trainer");
  REQUIRE(plain.ok());
  CHECK(plain->digest_algorithm.empty());
  auto data = ParseDependency("hf://datasets/acme/corpus@" + kCommit + "=sha256:" + kSha);
  REQUIRE(data.ok());
  CHECK(data->uri == "hf://datasets/acme/corpus@" + kCommit);
  CHECK(data->digest_algorithm == "sha256");
  CHECK(data->digest == kSha);
  auto code = ParseDependency("git+https://github.com/acme/t@" + kCommit +
                              "=gitCommit:" + "0123456789ABCDEF0123456789ABCDEF01234567");
  REQUIRE(code.ok());
  CHECK(code->digest == kCommit);
  for (const std::string& bad : std::vector<std::string>{
           std::string("no-scheme"), std::string("://x"), "hf://x=sha256:abc",
           "hf://x=gitCommit:" + kSha, std::string("hf://a b"), std::string("")}) {
    INFO(bad);
    CHECK_FALSE(ParseDependency(bad).ok());
  }
}

TEST_CASE("params are key=value with dotted keys") {
  auto p = ParseParam("hyperparameters.learning_rate=2e-5");
  REQUIRE(p.ok());
  CHECK(p->first == "hyperparameters.learning_rate");
  CHECK(p->second == "2e-5");
  auto eq = ParseParam("recipe=a=b");
  REQUIRE(eq.ok());
  CHECK(eq->second == "a=b");
  CHECK(ParseParam("empty=").ok());
  for (const char* bad : {"novalue", "=x", "a..b=1", ".a=1", "a.=1", "sp ace=1", "a/b=1"}) {
    INFO(bad);
    CHECK_FALSE(ParseParam(bad).ok());
  }
}

TEST_CASE("parent files: every model file, not the signature, provenance or git files") {
  testing::MemorySource parent({{"model.safetensors", "weights"},
                                {"config.json", "{}"},
                                {"sub/tokenizer.json", "tok"},
                                {"model.sig", "sig"},
                                {"provenance.intoto.jsonl", "line"},
                                {".gitattributes", "*"},
                                {".github/x", "y"}});
  auto files = HashParentFiles(parent, 1);
  REQUIRE(files.ok());
  REQUIRE(files->size() == 3);
  CHECK((*files)[0].path == "config.json");
  CHECK((*files)[1].path == "model.safetensors");
  CHECK((*files)[1].sha256 == Sha256Hex("weights"));
  CHECK((*files)[2].path == "sub/tokenizer.json");

  testing::MemorySource only_sig(std::map<std::string, std::string>{{"model.sig", "s"}});
  CHECK_FALSE(HashParentFiles(only_sig).ok());
  parent.MarkSymlink("config.json");
  CHECK_FALSE(HashParentFiles(parent).ok());
}

TEST_CASE("HashFiles names a missing or duplicate subject") {
  testing::MemorySource model(std::map<std::string, std::string>{{"q.gguf", "gguf bytes"}});
  auto ok = HashFiles(model, {"q.gguf"});
  REQUIRE(ok.ok());
  CHECK((*ok)[0].sha256 == Sha256Hex("gguf bytes"));
  auto missing = HashFiles(model, {"nope.gguf"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
  CHECK(missing.error().message().find("nope.gguf") != std::string::npos);
  CHECK_FALSE(HashFiles(model, {"q.gguf", "q.gguf"}).ok());
  CHECK_FALSE(HashFiles(model, {"../q.gguf"}).ok());
}

ProvenanceInput Quantize() {
  ProvenanceInput in;
  in.build_type = BuildType::kQuantize;
  in.subjects = {{"model-Q4_K_M.gguf", kSha}};
  in.params = {{"method", "Q4_K_M"}, {"format", "gguf"}, {"tool", "llama.cpp"}};
  ParentInput parent;
  parent.ref = *ParseParentUri("hf://acme/chat@" + kCommit);
  parent.consumed = {{"config.json", std::string(64, 'b')},
                     {"model.safetensors", std::string(64, 'c')}};
  in.parents = {parent};
  in.dependencies = {*ParseDependency("oci://ghcr.io/ggml-org/llama.cpp=sha256:" + kSha)};
  in.builder_id = "https://builders.example/quantlab";
  in.invocation_id = "inv-1";
  in.started_on = "2026-01-02T03:04:05Z";
  return in;
}

TEST_CASE("the statement is an in-toto v1 SLSA provenance with the parent pinned") {
  auto text = BuildProvenanceStatement(Quantize());
  REQUIRE(text.ok());
  CHECK(text->find('\n') == std::string::npos);
  const json st = json::parse(*text);
  CHECK(st["_type"] == "https://in-toto.io/Statement/v1");
  CHECK(st["predicateType"] == "https://slsa.dev/provenance/v1");
  CHECK(st["subject"] ==
        json::parse(R"([{"name":"model-Q4_K_M.gguf","digest":{"sha256":")" + kSha + R"("}}])"));
  const json& def = st["predicate"]["buildDefinition"];
  CHECK(def["buildType"] == "https://provbadge.dev/buildtypes/quantize/v1");
  CHECK(def["externalParameters"] ==
        json({{"method", "Q4_K_M"}, {"format", "gguf"}, {"tool", "llama.cpp"}}));
  const json& deps = def["resolvedDependencies"];
  REQUIRE(deps.size() == 4);
  CHECK(deps[0] ==
        json({{"uri", "hf://acme/chat@" + kCommit}, {"digest", {{"gitCommit", kCommit}}}}));
  CHECK(deps[1] == json({{"uri", "hf://acme/chat@" + kCommit + "/config.json"},
                         {"digest", {{"sha256", std::string(64, 'b')}}}}));
  CHECK(deps[2]["uri"] == "hf://acme/chat@" + kCommit + "/model.safetensors");
  CHECK(deps[3] ==
        json({{"uri", "oci://ghcr.io/ggml-org/llama.cpp"}, {"digest", {{"sha256", kSha}}}}));
  const json& run = st["predicate"]["runDetails"];
  CHECK(run["builder"]["id"] == "https://builders.example/quantlab");
  CHECK(run["metadata"]["invocationId"] == "inv-1");
  CHECK(run["metadata"]["startedOn"] == "2026-01-02T03:04:05Z");
}

TEST_CASE("dotted params nest; clashes and duplicates are refused") {
  ProvenanceInput in = Quantize();
  in.build_type = BuildType::kFinetune;
  in.params = {{"recipe", "sft"}, {"hyperparameters.lr", "2e-5"}, {"hyperparameters.epochs", "3"}};
  auto text = BuildProvenanceStatement(in);
  REQUIRE(text.ok());
  CHECK(json::parse(*text)["predicate"]["buildDefinition"]["externalParameters"] ==
        json::parse(R"({"recipe":"sft","hyperparameters":{"lr":"2e-5","epochs":"3"}})"));
  in.params = {{"a", "1"}, {"a.b", "2"}};
  CHECK_FALSE(BuildProvenanceStatement(in).ok());
  in.params = {{"a.b", "2"}, {"a", "1"}};
  CHECK_FALSE(BuildProvenanceStatement(in).ok());
  in.params = {{"a", "1"}, {"a", "2"}};
  CHECK_FALSE(BuildProvenanceStatement(in).ok());
  in.params = {{"a", std::string("\xff\xfe")}};  // not UTF-8: an error, not an exception
  CHECK_FALSE(BuildProvenanceStatement(in).ok());
}

TEST_CASE("the verifier's parameter conventions are enforced before signing") {
  ProvenanceInput in = Quantize();
  in.params = {{"format", "gguf"}};  // quantize needs a method
  auto no_method = BuildProvenanceStatement(in);
  REQUIRE_FALSE(no_method.ok());
  CHECK(no_method.error().message().find("method") != std::string::npos);
  in.params = {{"method", "Q4_K_M"}, {"format", "exl2"}};
  CHECK_FALSE(BuildProvenanceStatement(in).ok());
  in.params = {{"method.x", "Q4_K_M"}};  // method must be a plain value
  CHECK_FALSE(BuildProvenanceStatement(in).ok());
  in.build_type = BuildType::kFinetune;
  in.params = {{"hyperparameters", "lr=1"}};  // hyperparameters is an object
  CHECK_FALSE(BuildProvenanceStatement(in).ok());
  in.params = {{"hyperparameters.lr", "1"}};
  CHECK(BuildProvenanceStatement(in).ok());
}

TEST_CASE("the statement is refused when a rule is broken") {
  auto refused = [](const ProvenanceInput& in) { return !BuildProvenanceStatement(in).ok(); };
  ProvenanceInput in = Quantize();
  in.subjects.clear();
  CHECK(refused(in));
  in = Quantize();
  in.subjects.push_back(in.subjects[0]);
  CHECK(refused(in));
  in = Quantize();
  in.subjects[0].sha256 = "abc";
  CHECK(refused(in));
  in = Quantize();
  in.subjects[0].path = "/abs.gguf";
  CHECK(refused(in));
  in = Quantize();
  in.parents.clear();  // quantize needs one parent
  CHECK(refused(in));
  in = Quantize();
  in.parents[0].ref.commit = "main";  // never trusts a ref built by hand
  CHECK(refused(in));
  in = Quantize();
  in.parents[0].consumed.clear();
  CHECK(refused(in));
  in = Quantize();
  in.build_type = BuildType::kTrain;  // train has no parent model
  CHECK(refused(in));
  in.parents.clear();
  CHECK_FALSE(refused(in));
  in = Quantize();
  in.build_type = BuildType::kMerge;  // merge needs two distinct parents
  CHECK(refused(in));
  in.parents.push_back(in.parents[0]);
  CHECK(refused(in));
  in.parents[1].ref.repo = "acme/other";
  CHECK_FALSE(refused(in));
  in = Quantize();
  in.builder_id = "not a uri";
  CHECK(refused(in));
  in = Quantize();
  in.started_on.clear();
  CHECK(refused(in));
}

TEST_CASE("build type names round-trip") {
  for (const char* name : {"train", "finetune", "adapter", "merge", "quantize"}) {
    auto t = ParseBuildType(name);
    REQUIRE(t.ok());
    CHECK(BuildTypeName(*t) == name);
    CHECK(BuildTypeUri(*t) == "https://provbadge.dev/buildtypes/" + std::string(name) + "/v1");
  }
  CHECK_FALSE(ParseBuildType("distill").ok());
}

}  // namespace
}  // namespace provbadge::verifier
