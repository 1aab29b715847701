// VerifyNode: one revision — model.sig under the policy, provenance lines, subjects, claims —
// with the statuses, relation, parents and signed files the lineage walk builds on.
#include <catch2/catch.hpp>

#include "provbadge/verifier/node.h"
#include "provbadge/verifier/oms_sign.h"
#include "provenance_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::prov::CodesOf;
using testing::prov::DsseLineFor;
using testing::prov::Find;
using testing::prov::Has;
using testing::prov::kBaseCommit;
using testing::prov::KeyIdentityOf;
using testing::prov::QuantizeStatement;

constexpr char kCommit[] = "89abcdef0123456789abcdef0123456789abcdef";
constexpr char kCard[] =
    "---\nlicense: mit\nbase_model:\n  - org/base\nbase_model_relation: quantized\n---\n# Q\n";

struct Fixture {
  testing::TestKey acme = testing::GenerateKey();  // publisher of org/*
  testing::TestKey ci = testing::GenerateKey();    // builder of org/*
  testing::TestKey stranger = testing::GenerateKey();
  TrustPolicy policy;
  Fixture() {
    policy.identities = {KeyIdentityOf("acme", acme), KeyIdentityOf("ci", ci)};
    policy.rules = {{"org/*", {"acme"}, {"ci"}}};
  }
  // A revision with model.gguf, config.json and README.md; `lines` (if any) as its
  // provenance; model.sig by `publisher` (if any) over everything.
  testing::MemorySource Revision(const std::vector<std::string>& lines,
                                 const testing::TestKey* publisher) const {
    testing::MemorySource source(
        {{"model.gguf", "q4"}, {"config.json", "{}"}, {"README.md", kCard}});
    if (!lines.empty()) {
      std::string text;
      for (const std::string& l : lines) text += l + "\n";
      source.Set(std::string(kProvenanceFile), text);
    }
    if (publisher != nullptr) {
      auto sig = SignOmsKey(source, publisher->private_pem, "org/q", {});
      REQUIRE(sig.ok());
      source.Set("model.sig", *sig);
    }
    return source;
  }
  std::string Line(const json& statement, const testing::TestKey& key) const {
    return DsseLineFor(&key, statement.dump());
  }
  NodeResult Verify(testing::MemorySource& source) const {
    Result<NodeResult> r = VerifyNode(source, "org/q", kCommit, policy);
    REQUIRE(r.ok());
    return std::move(*r);
  }
};

TEST_CASE("a signed, attested quantization verifies with its parent and signed files") {
  Fixture fx;
  auto source = fx.Revision({fx.Line(QuantizeStatement({{"model.gguf", "q4"}}), fx.ci)}, &fx.acme);
  NodeResult r = fx.Verify(source);
  INFO(CodesOf(r.node.checks));
  CHECK(r.node.status == Verdict::kVerified);
  CHECK(r.node.repo == "org/q");
  CHECK(r.node.commit == kCommit);
  CHECK(r.node.relation == "quantize");
  CHECK(r.node.signer == "acme");
  CHECK(r.node.builders == std::vector<std::string>{"ci"});
  REQUIRE(r.parents.size() == 1);
  CHECK(r.parents[0].repo == "org/base");
  CHECK(r.parents[0].commit == kBaseCommit);
  CHECK(r.parents[0].relation == "quantize");
  CHECK(r.parents[0].consumed == std::vector<std::pair<std::string, std::string>>{
                                     {"model.safetensors", Sha256Hex("base weights")}});
  CHECK(r.steps.size() == 1);
  for (const char* code : {"oms.signature_verified", "provenance.signature_verified",
                           "provenance.subjects_match", "provenance.weights_covered"}) {
    INFO(code);
    REQUIRE(Has(r.node.checks, code));
    CHECK(Find(r.node.checks, code)->severity == Severity::kInfo);
  }
  std::map<std::string, std::string> signed_files(r.signed_files.begin(), r.signed_files.end());
  CHECK(signed_files.at("model.gguf") == Sha256Hex("q4"));
  CHECK(signed_files.count(std::string(kProvenanceFile)) == 1);
  CHECK(signed_files.count("model.sig") == 0);
  CHECK(r.claims_quantization);  // the card says so; it changes nothing above
  CHECK(r.claimed_base == "org/base");
}

TEST_CASE("model.sig only: a signed root") {
  Fixture fx;
  auto source = fx.Revision({}, &fx.acme);
  NodeResult r = fx.Verify(source);
  CHECK(r.node.status == Verdict::kVerified);
  CHECK(r.node.relation == "signed");
  CHECK(r.parents.empty());
  CHECK(Has(r.node.checks, "provenance.absent"));
}

TEST_CASE("no model.sig: unverified, nothing signed, claims kept") {
  Fixture fx;
  auto source = fx.Revision({fx.Line(QuantizeStatement({{"model.gguf", "q4"}}), fx.ci)}, nullptr);
  NodeResult r = fx.Verify(source);
  CHECK(r.node.status == Verdict::kUnverified);
  CHECK(Has(r.node.checks, "oms.signature_missing"));
  CHECK(r.node.signer.empty());
  CHECK(r.signed_files.empty());
  CHECK(r.claims_quantization);
}

TEST_CASE("fail closed: a wrong publisher, a publisher signing provenance, a bad subject") {
  Fixture fx;
  json good = QuantizeStatement({{"model.gguf", "q4"}});
  auto by_stranger = fx.Revision({fx.Line(good, fx.ci)}, &fx.stranger);
  NodeResult r = fx.Verify(by_stranger);
  CHECK(r.node.status == Verdict::kFailed);
  CHECK(Has(r.node.checks, "policy.publisher_not_allowed"));
  CHECK(r.signed_files.empty());

  auto by_publisher = fx.Revision({fx.Line(good, fx.acme)}, &fx.acme);
  r = fx.Verify(by_publisher);
  CHECK(r.node.status == Verdict::kFailed);
  REQUIRE(Has(r.node.checks, "provenance.signer_not_allowed"));
  CHECK(Find(r.node.checks, "provenance.signer_not_allowed")->actual.find("acme") !=
        std::string::npos);
  CHECK(r.parents.empty());
  CHECK(r.node.builders.empty());
  CHECK(r.node.relation.empty());
  CHECK(r.signed_files.empty());

  json off = good;
  std::string& sha = off["subject"][0]["digest"]["sha256"].get_ref<std::string&>();
  sha[10] = sha[10] == 'a' ? 'b' : 'a';
  auto mismatch = fx.Revision({fx.Line(off, fx.ci)}, &fx.acme);
  r = fx.Verify(mismatch);
  CHECK(r.node.status == Verdict::kFailed);
  REQUIRE(Has(r.node.checks, "provenance.subject_mismatch"));
  CHECK(Find(r.node.checks, "provenance.subject_mismatch")->path == "model.gguf");
}

TEST_CASE("an unpinned parent fails the node and is reported without a commit") {
  Fixture fx;
  json st = QuantizeStatement({{"model.gguf", "q4"}});
  auto& deps = st["predicate"]["buildDefinition"]["resolvedDependencies"];
  deps[0] = {{"uri", "hf://org/base@main"}};
  deps[1]["uri"] = "hf://org/base@main/model.safetensors";
  auto source = fx.Revision({fx.Line(st, fx.ci)}, &fx.acme);
  NodeResult r = fx.Verify(source);
  CHECK(r.node.status == Verdict::kFailed);
  CHECK(Has(r.node.checks, "provenance.parent_not_pinned"));
  REQUIRE(r.parents.size() == 1);
  CHECK(r.parents[0].repo == "org/base");
  CHECK(r.parents[0].commit.empty());
}

TEST_CASE("a weight file no statement attests fails the node") {
  Fixture fx;
  testing::MemorySource source({{"model.gguf", "q4"}, {"more.safetensors", "w"}});
  source.Set(std::string(kProvenanceFile),
             fx.Line(QuantizeStatement({{"model.gguf", "q4"}}), fx.ci));
  source.Set("model.sig", *SignOmsKey(source, fx.acme.private_pem, "org/q", {}));
  NodeResult r = fx.Verify(source);
  CHECK(r.node.status == Verdict::kFailed);
  REQUIRE(Has(r.node.checks, "provenance.weights_not_covered"));
  CHECK(Find(r.node.checks, "provenance.weights_not_covered")->path == "more.safetensors");
}

TEST_CASE("a transient listing fault is an error, not a verdict; other faults are findings") {
  Fixture fx;
  auto source = fx.Revision({}, &fx.acme);
  source.FailListing(Unavailable("hub storage down"));
  Result<NodeResult> r = VerifyNode(source, "org/q", kCommit, fx.policy);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kUnavailable);
  source.FailListing(InvalidInput("bad listing"));
  r = VerifyNode(source, "org/q", kCommit, fx.policy);
  REQUIRE(r.ok());
  CHECK(r->node.status == Verdict::kFailed);
  CHECK(Has(r->node.checks, "source.unavailable"));
}

// Counts Open calls per path.
class CountingSource : public RevisionSource {
 public:
  explicit CountingSource(testing::MemorySource& inner) : inner_(inner) {}
  Result<std::vector<FileInfo>> ListFiles() override { return inner_.ListFiles(); }
  Result<std::unique_ptr<FileReader>> Open(std::string_view path) override {
    ++opens[std::string(path)];
    return inner_.Open(path);
  }
  std::map<std::string, int> opens;

 private:
  testing::MemorySource& inner_;
};

TEST_CASE("each weight file is read once for model.sig and the subjects together") {
  Fixture fx;
  testing::MemorySource inner({{"model.safetensors", std::string(1 << 20, 'w')}});
  json st = QuantizeStatement({{"model.safetensors", std::string(1 << 20, 'w')}});
  inner.Set(std::string(kProvenanceFile), fx.Line(st, fx.ci));
  inner.Set("model.sig", *SignOmsKey(inner, fx.acme.private_pem, "org/q", {}));
  CountingSource source(inner);
  Result<NodeResult> r = VerifyNode(source, "org/q", kCommit, fx.policy);
  REQUIRE(r.ok());
  INFO(CodesOf(r->node.checks));
  CHECK(r->node.status == Verdict::kVerified);
  CHECK(source.opens["model.safetensors"] == 1);
}

TEST_CASE("card front matter claims") {
  using internal_claims = std::pair<bool, std::string>;
  auto claims = [](const std::string& card) {
    Fixture fx;
    testing::MemorySource source({{"README.md", card}});
    NodeResult r = fx.Verify(source);
    CHECK(r.node.status == Verdict::kUnverified);  // claims never verify anything
    return internal_claims{r.claims_quantization, r.claimed_base};
  };
  CHECK(claims("---\nbase_model: org/a\nbase_model_relation: quantized\n---\n") ==
        internal_claims{true, "org/a"});
  CHECK(claims("---\nbase_model: [\"org/b\", org/c]\n---\n") == internal_claims{false, "org/b"});
  CHECK(claims("---\nbase_model_relation: 'quantized'  # q\n---\n") == internal_claims{true, ""});
  CHECK(claims("---\nbase_model: org/a\nbase_model_relation: finetune\n---\n") ==
        internal_claims{false, "org/a"});
  CHECK(claims("base_model: org/a\nbase_model_relation: quantized\n") ==
        internal_claims{false, ""});  // no front matter
}

// A minimal GGUF v3 with string metadata and no tensors.
std::string Gguf(const std::vector<std::pair<std::string, std::string>>& kvs) {
  std::string b = "GGUF";
  auto u32 = [&](uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  auto u64 = [&](uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); };
  auto str = [&](const std::string& s) {
    u64(s.size());
    b += s;
  };
  u32(3);
  u64(0);
  u64(kvs.size());
  for (const auto& [k, v] : kvs) {
    str(k);
    u32(8);
    str(v);
  }
  while (b.size() % 32) b.push_back('\0');
  return b;
}

TEST_CASE("GGUF general.base_model.* claims a quantization") {
  Fixture fx;
  testing::MemorySource source(
      {{"m.gguf", Gguf({{"general.architecture", "llama"},
                        {"general.base_model.0.repo_url", "https://huggingface.co/org/base"}})}});
  NodeResult r = fx.Verify(source);
  CHECK(r.claims_quantization);
  CHECK(r.claimed_base == "org/base");
  testing::MemorySource plain({{"m.gguf", Gguf({{"general.architecture", "llama"}})}});
  r = fx.Verify(plain);
  CHECK_FALSE(r.claims_quantization);
}

}  // namespace
}  // namespace provbadge::verifier
