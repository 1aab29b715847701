// Lineage test fixture: an in-memory hub of signed revisions (model.sig by SignOmsKey, each
// provenance line a DSSE envelope signed with a throwaway EC key), a counting ParentResolver
// with fault injection, and an in-memory LineageCache that stores CachedNodeToJson bytes.
//
// Ownership: LineageHub owns its revisions and keys; the resolver and cache borrow nothing but
// the hub. Thread-safety: single-threaded test use.
#ifndef PROVBADGE_TESTS_VERIFIER_LINEAGE_FIXTURE_H_
#define PROVBADGE_TESTS_VERIFIER_LINEAGE_FIXTURE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/lineage.h"
#include "provbadge/verifier/oms_sign.h"
#include "provbadge/verifier/provenance.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "test_helpers.h"

namespace provbadge::testing {

using Files = std::map<std::string, std::string>;

// A stable fake commit for a name: 40 hex digits.
inline std::string CommitOf(const std::string& name) {
  return verifier::Sha256Hex("commit:" + name).substr(0, 40);
}

// One parent of a step: the repo, its commit, and the parent files consumed (paths).
struct ParentRef {
  ParentRef(std::string r, std::string c, std::vector<std::string> files = {}, std::string rev = "")
      : repo(std::move(r)),
        commit(std::move(c)),
        consumed(std::move(files)),
        revision(std::move(rev)) {}
  std::string repo, commit;
  std::vector<std::string> consumed;
  std::map<std::string, std::string> digest_override;  // path -> sha256 to attest instead
  std::string revision;                                // as written in the URI; empty: `commit`
};

// A DSSE envelope line over `payload`, signed with `key`.
inline std::string DsseLine(const TestKey& key, const std::string& payload) {
  std::string sig = SignMessage(key, verifier::DssePae(verifier::kInTotoPayloadType, payload));
  nlohmann::json env = {
      {"payloadType", std::string(verifier::kInTotoPayloadType)},
      {"payload", verifier::Base64Encode(payload)},
      {"signatures",
       nlohmann::json::array({{{"keyid", ""}, {"sig", verifier::Base64Encode(sig)}}})}};
  return env.dump();
}

inline verifier::Identity KeyIdentity(const std::string& name, const TestKey& key) {
  verifier::Identity id;
  id.name = name;
  id.kind = verifier::Identity::Kind::kKey;
  id.key = key.pub;
  auto sk = verifier::SigstoreKey::FromPem(key.public_pem);
  REQUIRE(sk.ok());
  id.sigstore_key = *sk;
  return id;
}

class LineageHub {
 public:
  TestKey acme = GenerateKey();     // publisher of org/*
  TestKey ci = GenerateKey();       // builder of org/*
  TestKey mallory = GenerateKey();  // in no rule
  verifier::TrustPolicy policy;
  std::map<std::string, MemorySource> revisions;  // "repo@commit"

  LineageHub() {
    policy.identities = {KeyIdentity("acme", acme), KeyIdentity("ci", ci),
                         KeyIdentity("mallory", mallory)};
    policy.rules = {{"org/*", {"acme"}, {"ci"}}};
    policy.digest = "sha256:" + std::string(64, 'e');
    policy.max_depth = 8;
  }

  const MemorySource& Get(const std::string& repo, const std::string& commit) const {
    return revisions.at(repo + "@" + commit);
  }
  std::string Sha(const std::string& repo, const std::string& commit,
                  const std::string& path) const {
    return verifier::Sha256Hex(Get(repo, commit).Get(path));
  }

  // The step a revision's provenance carries: subjects = its weight files.
  verifier::ProvenanceStep Step(verifier::BuildType type, const Files& files,
                                const std::vector<ParentRef>& parents) const {
    verifier::ProvenanceStep step;
    step.build_type = type;
    for (const auto& [path, content] : files) {
      if (verifier::IsWeightFile(path))
        step.subjects.push_back({path, verifier::Sha256Hex(content)});
    }
    if (type == verifier::BuildType::kQuantize) step.parameters["method"] = "Q4_K_M";
    for (const ParentRef& p : parents) {
      const std::string rev = p.revision.empty() ? p.commit : p.revision;
      verifier::ProvenanceDependency model;
      model.kind = verifier::ProvenanceDependency::Kind::kParentModel;
      model.uri = "hf://" + p.repo + "@" + rev;
      if (p.revision.empty()) model.digest["gitCommit"] = p.commit;
      step.dependencies.push_back(model);
      for (const std::string& path : p.consumed) {
        verifier::ProvenanceDependency file;
        file.kind = verifier::ProvenanceDependency::Kind::kParentFile;
        file.uri = "hf://" + p.repo + "@" + rev + "/" + path;
        auto over = p.digest_override.find(path);
        file.digest["sha256"] =
            over != p.digest_override.end() ? over->second : Sha(p.repo, p.commit, path);
        step.dependencies.push_back(file);
      }
    }
    return step;
  }

  // Adds repo@commit with `files`, then (if `steps`) provenance.intoto.jsonl signed by
  // `builder`, then (if `publisher`) model.sig over everything except `unsigned_paths`.
  MemorySource& Add(const std::string& repo, const std::string& commit, Files files,
                    const std::vector<verifier::ProvenanceStep>& steps, const TestKey* publisher,
                    const TestKey* builder, const std::vector<std::string>& unsigned_paths = {}) {
    MemorySource source(std::move(files));
    if (!steps.empty()) {
      std::string lines;
      for (const verifier::ProvenanceStep& s : steps) {
        lines += DsseLine(*builder, verifier::ProvenanceStatementJson(s)) + "\n";
      }
      source.Set(std::string(verifier::kProvenanceFile), lines);
    }
    if (publisher != nullptr) {
      auto sig = verifier::SignOmsKey(source, publisher->private_pem, repo, unsigned_paths);
      REQUIRE(sig.ok());
      source.Set("model.sig", *sig);
    }
    return revisions[repo + "@" + commit] = std::move(source);
  }

  // A base trained by ci and signed by acme: org/base with model.safetensors.
  std::string AddBase(const std::string& repo = "org/base") {
    const std::string commit = CommitOf(repo);
    Files files = {{"config.json", "{\"arch\":\"" + repo + "\"}"},
                   {"model.safetensors", "weights of " + repo}};
    Add(repo, commit, files, {Step(verifier::BuildType::kTrain, files, {})}, &acme, &ci);
    return commit;
  }

  // A child of `parents` made by `type` with one weight file `weight`.
  std::string AddChild(const std::string& repo, verifier::BuildType type,
                       const std::vector<ParentRef>& parents,
                       const std::string& weight = "model.gguf") {
    const std::string commit = CommitOf(repo);
    Files files = {{weight, "weights of " + repo}};
    Add(repo, commit, files, {Step(type, files, parents)}, &acme, &ci);
    return commit;
  }
};

// Opens hub revisions as copies; counts opens; injects faults by "repo@commit".
class HubResolver : public verifier::ParentResolver {
 public:
  explicit HubResolver(const LineageHub& hub) : hub_(hub) {}
  std::map<std::string, int> opens;
  std::map<std::string, Error> faults;

  Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(std::string_view repo,
                                                                 std::string_view commit) override {
    const std::string key = std::string(repo) + "@" + std::string(commit);
    ++opens[key];
    if (auto f = faults.find(key); f != faults.end()) return f->second;
    auto it = hub_.revisions.find(key);
    if (it == hub_.revisions.end()) return NotFound(key + ": no such revision");
    return std::unique_ptr<verifier::RevisionSource>(std::make_unique<MemorySource>(it->second));
  }
  int Opens(const std::string& repo, const std::string& commit) const {
    auto it = opens.find(repo + "@" + commit);
    return it == opens.end() ? 0 : it->second;
  }

 private:
  const LineageHub& hub_;
};

// Keeps CachedNodeToJson bytes like the badge store does.
class MemoryLineageCache : public verifier::LineageCache {
 public:
  std::map<std::string, std::string> entries;  // "repo@commit|digest" -> JSON
  int gets = 0, puts = 0;
  std::optional<Error> get_fault;

  Result<std::optional<verifier::CachedNode>> Get(std::string_view repo, std::string_view commit,
                                                  std::string_view digest) override {
    ++gets;
    if (get_fault) return *get_fault;
    auto it = entries.find(Key(repo, commit, digest));
    if (it == entries.end()) return std::optional<verifier::CachedNode>();
    auto node = verifier::CachedNodeFromJson(it->second);
    if (!node.ok()) return node.error();
    return std::optional<verifier::CachedNode>(std::move(*node));
  }
  Status Put(std::string_view repo, std::string_view commit, std::string_view digest,
             const verifier::CachedNode& node) override {
    ++puts;
    entries[Key(repo, commit, digest)] = verifier::CachedNodeToJson(node);
    return Status::Ok();
  }
  static std::string Key(std::string_view repo, std::string_view commit, std::string_view d) {
    return std::string(repo) + "@" + std::string(commit) + "|" + std::string(d);
  }
};

inline bool NodeHas(const verifier::ReportNode& node, const std::string& code) {
  for (const verifier::Finding& f : node.checks) {
    if (f.code == code) return true;
  }
  return false;
}

inline std::string NodeCodes(const verifier::Report& report) {
  std::string out;
  for (const verifier::ReportNode& n : report.nodes) {
    out += n.repo + "@" + n.commit.substr(0, 7) + "[" +
           std::string(verifier::VerdictName(n.status)) + "]:";
    for (const verifier::Finding& f : n.checks) {
      if (f.severity != verifier::Severity::kInfo) out += " " + f.code;
    }
    out += "\n";
  }
  return out;
}

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_VERIFIER_LINEAGE_FIXTURE_H_
