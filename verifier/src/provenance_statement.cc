// ParseProvenanceStatement: an authenticated in-toto Statement v1 with an SLSA provenance v1
// predicate, into a ProvenanceStep (docs/provenance.md).
#include <nlohmann/json.hpp>

#include <set>

#include "json_util.h"
#include "limits.h"
#include "oms_internal.h"
#include "provenance_internal.h"

namespace provbadge::verifier {
namespace {

using internal::AddProvenanceFinding;
using internal::StringMember;
using nlohmann::json;
using Dep = ProvenanceDependency;

const std::string kFile(kProvenanceFile);

struct Ctx {
  ProvenanceStep* step;
  std::vector<Finding>* out;
  bool Fail(std::string code, std::string message, std::string path = "", std::string expected = "",
            std::string actual = "") {
    AddProvenanceFinding(out, step->line, std::move(code), Severity::kError, std::move(message),
                         path.empty() ? kFile : std::move(path), std::move(expected),
                         std::move(actual));
    return false;
  }
};

bool ParseSubjects(const json& st, Ctx& c) {
  auto it = st.find("subject");
  if (it == st.end() || !it->is_array() || it->empty()) {
    return c.Fail("provenance.subject_invalid", "the statement has no subject list");
  }
  if (it->size() > limits::kMaxSubjects) {
    return c.Fail("provenance.subject_invalid", "the statement lists too many subjects", "",
                  "<= " + std::to_string(limits::kMaxSubjects), std::to_string(it->size()));
  }
  std::set<std::string> names;
  for (const json& s : *it) {
    const std::string* name = StringMember(s, "name");
    if (name == nullptr || !internal::IsValidRelativePath(*name)) {
      return c.Fail("provenance.subject_invalid",
                    "a subject's name is missing or is not a plain relative path in the revision",
                    "", "a relative path", name ? *name : "<missing>");
    }
    auto digest = s.find("digest");
    const std::string* sha = digest != s.end() ? StringMember(*digest, "sha256") : nullptr;
    std::string hex;
    if (sha == nullptr || !internal::IsHexOfLength(*sha, 64, &hex)) {
      return c.Fail("provenance.subject_invalid", "a subject has no sha256 digest of 64 hex digits",
                    *name, "digest.sha256", sha ? *sha : "<missing>");
    }
    if (!names.insert(*name).second) {
      return c.Fail("provenance.subject_duplicate", "the statement lists the same subject twice",
                    *name);
    }
    c.step->subjects.push_back({*name, std::move(hex)});
  }
  return true;
}

// Per build type, the externalParameters documented in docs/provenance.md.
bool CheckParameters(Ctx& c) {
  const auto& p = c.step->parameters;
  auto need = [&](const char* key) {
    auto it = p.find(key);
    if (it != p.end() && !it->second.empty()) return true;
    return c.Fail("provenance.parameters_invalid",
                  std::string("a ") + std::string(BuildTypeName(c.step->build_type)) +
                      " step must say \"" + key + "\" in externalParameters",
                  "", key, "<missing>");
  };
  if (c.step->build_type == BuildType::kQuantize) {
    if (!need("method")) return false;
    auto format = p.find("format");
    if (format != p.end() && format->second != "gguf" && format->second != "awq" &&
        format->second != "gptq") {
      return c.Fail("provenance.parameters_invalid",
                    "externalParameters.format must be gguf, awq or gptq", "", "gguf|awq|gptq",
                    format->second);
    }
  }
  return true;
}

bool ParseParameters(const json& def, Ctx& c) {
  auto it = def.find("externalParameters");
  if (it == def.end() || !it->is_object()) {
    return c.Fail("provenance.parameters_invalid",
                  "buildDefinition.externalParameters is missing or not an object");
  }
  if (it->size() > limits::kMaxProvenanceParameters) {
    return c.Fail("provenance.parameters_invalid", "externalParameters has too many members", "",
                  "<= " + std::to_string(limits::kMaxProvenanceParameters),
                  std::to_string(it->size()));
  }
  // Documented members must have their documented types.
  static const std::set<std::string> kStrings = {"method", "format", "tool", "toolVersion",
                                                 "recipe"};
  for (const auto& [key, value] : it->items()) {
    if (kStrings.count(key) > 0 && !value.is_string()) {
      return c.Fail("provenance.parameters_invalid",
                    "externalParameters." + key + " must be a string", "", "a string",
                    value.type_name());
    }
    if (key == "hyperparameters" && !value.is_object()) {
      return c.Fail("provenance.parameters_invalid",
                    "externalParameters.hyperparameters must be an object", "", "an object",
                    value.type_name());
    }
    c.step->parameters[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return CheckParameters(c);
}

// The digest map of a ResourceDescriptor: algorithm -> lowercase hex.
bool ParseDigest(const json& entry, Dep* dep, Ctx& c) {
  auto it = entry.find("digest");
  if (it == entry.end()) return true;
  if (!it->is_object() || it->size() > limits::kMaxDigestEntries) {
    return c.Fail("provenance.dependency_invalid",
                  "a dependency's digest is not a small object of algorithm: hex", dep->uri);
  }
  for (const auto& [alg, value] : it->items()) {
    std::string hex;
    size_t want = alg == "sha256" ? 64 : alg == "gitCommit" || alg == "sha1" ? 40 : 0;
    bool ok = value.is_string() &&
              (want != 0 ? internal::IsHexOfLength(value.get<std::string>(), want, &hex)
                         : !value.get<std::string>().empty() &&
                               internal::IsHexOfLength(value.get<std::string>(),
                                                       value.get<std::string>().size(), &hex));
    if (!ok) {
      return c.Fail("provenance.dependency_invalid",
                    "a dependency's digest." + alg + " is not a hex digest of the right length",
                    dep->uri, alg + (want ? " of " + std::to_string(want) + " hex digits" : ""),
                    value.dump());
    }
    dep->digest[alg] = std::move(hex);
  }
  return true;
}

bool RequireDigest(const Dep& dep, const char* alg, Ctx& c) {
  if (dep.digest.count(alg) > 0) return true;
  return c.Fail("provenance.dependency_invalid",
                std::string("this kind of dependency must carry digest.") + alg, dep.uri,
                std::string("digest.") + alg, "<missing>");
}

// Classifies one hf:// entry. Unpinned parents are kept (empty commit) with an error finding.
bool ClassifyHf(Dep* dep, Ctx& c) {
  Result<HfUri> hf = ParseHfUri(dep->uri);
  if (!hf.ok()) {
    return c.Fail("provenance.dependency_invalid",
                  "an hf:// dependency URI does not parse: " + hf.error().message(), dep->uri,
                  "hf://org/name@<40-hex commit>[/path]", dep->uri);
  }
  dep->hf = *hf;
  if (hf->dataset) {
    dep->kind = Dep::Kind::kDataset;
    if (!hf->pinned) {
      AddProvenanceFinding(c.out, c.step->line, "provenance.dataset_not_pinned", Severity::kWarning,
                           "a dataset is named by a branch or tag, not a commit: its content can "
                           "change after the fact",
                           dep->uri, "a 40-hex commit", hf->revision);
    }
    return true;
  }
  dep->kind = hf->path.empty() ? Dep::Kind::kParentModel : Dep::Kind::kParentFile;
  if (!hf->pinned) {
    c.Fail("provenance.parent_not_pinned",
           "the parent is named by a branch or tag instead of a commit (a silent rebase: the base "
           "can move under this model)",
           dep->uri, "hf://" + hf->repo + "@<40-hex commit>", hf->revision);
    return true;  // kept so the report can name the parent; the node fails on the finding
  }
  if (dep->kind == Dep::Kind::kParentModel) {
    auto commit = dep->digest.find("gitCommit");
    if (commit == dep->digest.end() || commit->second != hf->revision) {
      return c.Fail("provenance.dependency_invalid",
                    "a parent model's digest.gitCommit must equal the commit in its URI", dep->uri,
                    hf->revision, commit == dep->digest.end() ? "<missing>" : commit->second);
    }
    return true;
  }
  return RequireDigest(*dep, "sha256", c);
}

bool ClassifyDependency(Dep* dep, Ctx& c) {
  const std::string& uri = dep->uri;
  if (uri.rfind("hf://", 0) == 0) return ClassifyHf(dep, c);
  if (uri.rfind("git+", 0) == 0) {
    dep->kind = Dep::Kind::kCode;
    return RequireDigest(*dep, "gitCommit", c);
  }
  if (uri.rfind("oci://", 0) == 0) {
    dep->kind = Dep::Kind::kImage;
    return RequireDigest(*dep, "sha256", c);
  }
  dep->kind = Dep::Kind::kOther;
  return true;
}

bool ParseDependencies(const json& def, Ctx& c) {
  auto it = def.find("resolvedDependencies");
  if (it == def.end()) return true;
  if (!it->is_array() || it->size() > limits::kMaxProvenanceDependencies) {
    return c.Fail("provenance.dependency_invalid",
                  "resolvedDependencies is not an array of at most " +
                      std::to_string(limits::kMaxProvenanceDependencies) + " entries");
  }
  std::set<std::string> uris;
  bool ok = true;
  for (const json& entry : *it) {
    const std::string* uri = StringMember(entry, "uri");
    if (uri == nullptr || uri->empty() || uri->size() > limits::kMaxUriBytes) {
      ok = c.Fail("provenance.dependency_invalid",
                  "a resolvedDependencies entry has no usable \"uri\" string");
      continue;
    }
    Dep dep;
    dep.uri = *uri;
    if (const std::string* name = StringMember(entry, "name")) dep.name = *name;
    if (!uris.insert(dep.uri).second) {
      ok = c.Fail("provenance.dependency_duplicate", "a dependency is listed twice", dep.uri);
      continue;
    }
    if (!ParseDigest(entry, &dep, c) || !ClassifyDependency(&dep, c)) {
      ok = false;
      continue;
    }
    c.step->dependencies.push_back(std::move(dep));
  }
  return ok;
}

// Parents and consumed files must agree, and the build type must have the parents it needs.
bool CheckParents(Ctx& c) {
  const ProvenanceStep& step = *c.step;
  std::set<std::string> parents;
  for (const Dep* p : step.Parents()) parents.insert(p->hf.repo + "@" + p->hf.revision);
  bool ok = true;
  for (const Dep& d : step.dependencies) {
    if (d.kind != Dep::Kind::kParentFile) continue;
    if (parents.count(d.hf.repo + "@" + d.hf.revision) == 0) {
      ok = c.Fail("provenance.consumed_without_parent",
                  "a consumed parent file names a revision that is not listed as a parent model",
                  d.uri, "hf://" + d.hf.repo + "@" + d.hf.revision + " in resolvedDependencies",
                  "<missing>");
    }
  }
  size_t need = step.build_type == BuildType::kTrain   ? 0
                : step.build_type == BuildType::kMerge ? 2
                                                       : 1;
  if (step.Parents().size() < need) {
    ok = c.Fail("provenance.parent_missing",
                "a " + std::string(BuildTypeName(step.build_type)) +
                    " step must name its parent model(s) in resolvedDependencies",
                "", "at least " + std::to_string(need) + " hf://org/name@<commit> entries",
                std::to_string(step.Parents().size()));
  }
  return ok;
}

bool ParseHeader(const json& st, Ctx& c) {
  const std::string* type = StringMember(st, "_type");
  if (type == nullptr || *type != kInTotoStatementType) {
    return c.Fail("provenance.statement_malformed", "the payload is not an in-toto Statement v1",
                  "", std::string(kInTotoStatementType), type ? *type : "<missing>");
  }
  const std::string* ptype = StringMember(st, "predicateType");
  if (ptype == nullptr || *ptype != kSlsaProvenancePredicateType) {
    return c.Fail("provenance.predicate_type", "the statement is not SLSA provenance v1", "",
                  std::string(kSlsaProvenancePredicateType), ptype ? *ptype : "<missing>");
  }
  return true;
}

bool ParseStatementUnguarded(std::string_view payload, ProvenanceStep* step,
                             std::vector<Finding>* findings) {
  Ctx c{step, findings};
  json st;
  switch (internal::ParseJsonBounded(payload, limits::kMaxJsonDepth, &st)) {
    case internal::JsonParseStatus::kTooDeep:
      return c.Fail("provenance.statement_malformed",
                    "the statement nests JSON deeper than the verifier accepts", "",
                    "<= " + std::to_string(limits::kMaxJsonDepth), "more");
    case internal::JsonParseStatus::kInvalid:
      return c.Fail("provenance.statement_malformed", "the signed payload is not valid JSON");
    case internal::JsonParseStatus::kOk:
      break;
  }
  if (!st.is_object()) {
    return c.Fail("provenance.statement_malformed", "the signed payload is not a JSON object");
  }
  if (!ParseHeader(st, c) || !ParseSubjects(st, c)) return false;
  auto pred = st.find("predicate");
  const json* def = nullptr;
  if (pred != st.end() && pred->is_object()) {
    auto it = pred->find("buildDefinition");
    if (it != pred->end() && it->is_object()) def = &*it;
  }
  if (def == nullptr) {
    return c.Fail("provenance.statement_malformed", "the predicate has no buildDefinition object");
  }
  const std::string* build_type = StringMember(*def, "buildType");
  if (build_type == nullptr || !ParseBuildTypeUri(*build_type, &step->build_type)) {
    return c.Fail("provenance.build_type_unknown", "the buildType is not one provbadge knows", "",
                  "https://provbadge.dev/buildtypes/{train,finetune,adapter,merge,quantize}/v1",
                  build_type ? *build_type : "<missing>");
  }
  if (!ParseParameters(*def, c)) return false;
  bool deps_ok = ParseDependencies(*def, c);
  bool parents_ok = CheckParents(c);
  return deps_ok && parents_ok;
}

}  // namespace

bool ParseProvenanceStatement(std::string_view payload, ProvenanceStep* step,
                              std::vector<Finding>* findings) {
  try {
    return ParseStatementUnguarded(payload, step, findings);
  } catch (const std::exception& e) {  // a JSON access this parser did not foresee: fail closed
    Ctx c{step, findings};
    return c.Fail("provenance.statement_malformed",
                  std::string("the statement could not be read: ") + e.what());
  }
}

}  // namespace provbadge::verifier
