// SLSA provenance statements for `provbadge attest`: argument parsing, hashing, building.
#include "provbadge/verifier/attest.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "provbadge/verifier/manifest.h"

#include "oms_internal.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

constexpr size_t kMaxRepoSegment = 96;
constexpr size_t kMaxFiles = 100000;

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsRepoSegment(std::string_view s) {
  if (s.empty() || s.size() > kMaxRepoSegment || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool IsKeySegment(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// Files a parent's signature and provenance live in: never "consumed" model files.
bool IsMetadataFile(std::string_view path) {
  if (path == "model.sig" || path == kProvenanceFileName) return true;
  return path.substr(0, 4) == ".git";  // .git/, .gitattributes, .gitignore, .github/
}

Status CheckDigests(const std::vector<FileDigest>& files, std::string_view what) {
  std::set<std::string_view> seen;
  for (const FileDigest& f : files) {
    if (!internal::IsValidRelativePath(f.path)) {
      return InvalidInput(std::string(what) + " path '" + f.path + "' is invalid");
    }
    if (!seen.insert(f.path).second) {
      return InvalidInput(std::string(what) + " '" + f.path + "' is listed twice");
    }
    if (f.sha256.size() != 64 || !IsHex(f.sha256)) {
      return InvalidInput(std::string(what) + " '" + f.path + "' has no sha256 digest");
    }
  }
  return Status::Ok();
}

Status CheckParentCount(BuildType type, size_t n) {
  switch (type) {
    case BuildType::kTrain:
      if (n != 0) return InvalidInput("a train step has no parent model (use finetune)");
      return Status::Ok();
    case BuildType::kMerge:
      if (n < 2) return InvalidInput("a merge step needs at least two parent models");
      return Status::Ok();
    default:
      if (n != 1) {
        return InvalidInput("a " + std::string(BuildTypeName(type)) +
                            " step needs exactly one parent model");
      }
      return Status::Ok();
  }
}

// Sets params into an object, nesting dotted keys; refuses duplicates and value/prefix clashes.
Result<json> ExternalParameters(const std::vector<std::pair<std::string, std::string>>& params) {
  json out = json::object();
  for (const auto& [key, value] : params) {
    json* node = &out;
    size_t start = 0;
    while (true) {
      const size_t dot = key.find('.', start);
      const std::string seg = key.substr(start, dot == std::string::npos ? dot : dot - start);
      if (!IsKeySegment(seg)) return InvalidInput("parameter key '" + key + "' is invalid");
      if (dot == std::string::npos) {
        if (node->contains(seg)) {
          return InvalidInput("parameter '" + key +
                              "' is given twice or clashes with a "
                              "dotted key");
        }
        (*node)[seg] = value;
        break;
      }
      json& child = (*node)[seg];
      if (child.is_null()) child = json::object();
      if (!child.is_object()) {
        return InvalidInput("parameter '" + key + "' nests under a key that has a value");
      }
      node = &child;
      start = dot + 1;
    }
  }
  return out;
}

// The per-build-type conventions the verifier enforces (docs/provenance.md): refused here
// so that a publisher never signs a line the verifier rejects.
Status CheckConventions(BuildType type, const json& params) {
  for (const char* key : {"method", "format", "tool", "toolVersion", "recipe"}) {
    if (params.contains(key) && !params[key].is_string()) {
      return InvalidInput("parameter '" + std::string(key) + "' must be a plain value");
    }
  }
  if (params.contains("hyperparameters") && !params["hyperparameters"].is_object()) {
    return InvalidInput("hyperparameters are given as hyperparameters.<name>=<value>");
  }
  if (type != BuildType::kQuantize) return Status::Ok();
  if (!params.contains("method") || params["method"].get<std::string>().empty()) {
    return InvalidInput("a quantize step needs --param method=<e.g. Q4_K_M>");
  }
  if (params.contains("format")) {
    const std::string& f = params["format"].get_ref<const std::string&>();
    if (f != "gguf" && f != "awq" && f != "gptq") {
      return InvalidInput("parameter format must be gguf, awq or gptq, not '" + f + "'");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<BuildType> ParseBuildType(std::string_view name) {
  if (name == "train") return BuildType::kTrain;
  if (name == "finetune") return BuildType::kFinetune;
  if (name == "adapter") return BuildType::kAdapter;
  if (name == "merge") return BuildType::kMerge;
  if (name == "quantize") return BuildType::kQuantize;
  return InvalidInput("build type '" + std::string(name) +
                      "' is not one of train, finetune, adapter, merge, quantize");
}

std::string_view BuildTypeName(BuildType type) {
  switch (type) {
    case BuildType::kTrain:
      return "train";
    case BuildType::kFinetune:
      return "finetune";
    case BuildType::kAdapter:
      return "adapter";
    case BuildType::kMerge:
      return "merge";
    case BuildType::kQuantize:
      return "quantize";
  }
  return "quantize";
}

std::string BuildTypeUri(BuildType type) {
  return "https://provbadge.dev/buildtypes/" + std::string(BuildTypeName(type)) + "/v1";
}

Result<HfModelRef> ParseParentUri(std::string_view uri) {
  constexpr std::string_view kScheme = "hf://";
  if (uri.substr(0, kScheme.size()) != kScheme) {
    return InvalidInput("parent '" + std::string(uri) + "' is not an hf://org/name@<commit> URI");
  }
  std::string_view rest = uri.substr(kScheme.size());
  const size_t at = rest.rfind('@');
  if (at == std::string_view::npos) {
    return InvalidInput("parent '" + std::string(uri) +
                        "' names no revision: pin it as hf://org/name@<40-hex commit>");
  }
  const std::string_view repo = rest.substr(0, at);
  const std::string_view rev = rest.substr(at + 1);
  const size_t slash = repo.find('/');
  const std::string_view org = slash == std::string_view::npos ? repo : repo.substr(0, slash);
  if (org == "datasets" || org == "spaces") {
    return InvalidInput("parent '" + std::string(uri) +
                        "' is not a model (datasets and spaces are dependencies)");
  }
  if (slash == std::string_view::npos || !IsRepoSegment(org) ||
      !IsRepoSegment(repo.substr(slash + 1))) {
    return InvalidInput("parent '" + std::string(uri) + "' does not name a repository org/name");
  }
  if (rev.size() != 40 || !IsHex(rev)) {
    return InvalidInput("parent revision '" + std::string(rev) +
                        "' is a branch, tag or short commit, not a 40-hex commit: the parent "
                        "could move under this model (a silent rebase); pin it to the commit");
  }
  return HfModelRef{std::string(repo), Lower(rev)};
}

Result<Dependency> ParseDependency(std::string_view arg) {
  Dependency dep;
  const size_t eq = arg.rfind('=');
  const size_t colon = eq == std::string_view::npos ? eq : arg.find(':', eq);
  const bool has_digest = eq != std::string_view::npos && colon != std::string_view::npos &&
                          (arg.substr(eq + 1, colon - eq - 1) == "sha256" ||
                           arg.substr(eq + 1, colon - eq - 1) == "gitCommit");
  dep.uri = std::string(has_digest ? arg.substr(0, eq) : arg);
  const size_t scheme = dep.uri.find("://");
  if (dep.uri.empty() || scheme == std::string::npos || scheme == 0 ||
      dep.uri.find_first_of(" \t\r\n\"") != std::string::npos) {
    return InvalidInput("dependency '" + std::string(arg) +
                        "' is not URI[=sha256:<hex>|gitCommit:<hex>]");
  }
  if (!has_digest) return dep;
  dep.digest_algorithm = std::string(arg.substr(eq + 1, colon - eq - 1));
  dep.digest = Lower(arg.substr(colon + 1));
  const size_t want = dep.digest_algorithm == "sha256" ? 64 : 40;
  if (dep.digest.size() != want || !IsHex(dep.digest)) {
    return InvalidInput("dependency '" + std::string(arg) + "': a " + dep.digest_algorithm +
                        " digest is " + std::to_string(want) + " hex characters");
  }
  return dep;
}

Result<std::pair<std::string, std::string>> ParseParam(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidInput("parameter '" + std::string(arg) + "' is not key=value");
  }
  std::string key(arg.substr(0, eq));
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    if (!IsKeySegment(key.substr(start, dot == std::string::npos ? dot : dot - start))) {
      return InvalidInput("parameter key '" + key +
                          "' is invalid (dot-separated letters, digits, '-' and '_')");
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return std::make_pair(std::move(key), std::string(arg.substr(eq + 1)));
}

Result<std::vector<FileDigest>> HashFiles(RevisionSource& source,
                                          const std::vector<std::string>& paths, unsigned threads) {
  ManifestOptions options;
  options.rehash = RehashMode::kAlways;  // an attestation vouches for bytes it read itself
  options.threads = threads;
  Manifest manifest(source, options);
  std::set<std::string_view> seen;
  std::vector<DigestKey> keys;
  for (const std::string& p : paths) {
    if (!internal::IsValidRelativePath(p)) return InvalidInput("file path '" + p + "' is invalid");
    if (!seen.insert(p).second) return InvalidInput("file '" + p + "' is named twice");
    std::optional<FileInfo> info = manifest.Find(p);
    if (!info) return NotFound("file '" + p + "' does not exist");
    if (info->is_symlink) return InvalidInput("file '" + p + "' is a symbolic link");
    keys.push_back(DigestKey::Whole(p));
  }
  manifest.Prefetch(keys);
  std::vector<FileDigest> out;
  for (const std::string& p : paths) {
    Result<std::string> digest = manifest.Sha256(p);
    if (!digest.ok()) return digest.error().Wrap(p);
    out.push_back({p, std::move(*digest)});
  }
  return out;
}

Result<std::vector<FileDigest>> HashParentFiles(RevisionSource& parent, unsigned threads) {
  Result<std::vector<FileInfo>> files = parent.ListFiles();
  if (!files.ok()) return files.error();
  if (files->size() > kMaxFiles) return InvalidInput("the parent has too many files");
  std::vector<std::string> paths;
  for (const FileInfo& f : *files) {
    if (!IsMetadataFile(f.path)) paths.push_back(f.path);
  }
  if (paths.empty()) return InvalidInput("the parent folder has no model files");
  std::sort(paths.begin(), paths.end());
  return HashFiles(parent, paths, threads);
}

Result<std::string> BuildProvenanceStatement(const ProvenanceInput& input) {
  if (input.subjects.empty()) return InvalidInput("at least one subject is required");
  if (Status s = CheckDigests(input.subjects, "subject"); !s.ok()) return s.error();
  if (Status s = CheckParentCount(input.build_type, input.parents.size()); !s.ok()) {
    return s.error();
  }
  if (input.builder_id.find("://") == std::string::npos) {
    return InvalidInput("builder id '" + input.builder_id + "' is not a URI");
  }
  if (input.invocation_id.empty() || input.started_on.empty()) {
    return InvalidInput("invocationId and startedOn are required");
  }
  Result<json> params = ExternalParameters(input.params);
  if (!params.ok()) return params.error();
  if (Status s = CheckConventions(input.build_type, *params); !s.ok()) return s.error();

  json deps = json::array();
  std::set<std::string> parent_uris;
  for (const ParentInput& p : input.parents) {
    Result<HfModelRef> ref = ParseParentUri(p.ref.Uri());  // re-validated: never trust callers
    if (!ref.ok()) return ref.error();
    if (!parent_uris.insert(ref->Uri()).second) {
      return InvalidInput("parent " + ref->Uri() + " is named twice");
    }
    if (p.consumed.empty()) return InvalidInput("no consumed files for parent " + ref->Uri());
    if (Status s = CheckDigests(p.consumed, "parent file"); !s.ok()) return s.error();
    deps.push_back({{"uri", ref->Uri()}, {"digest", {{"gitCommit", ref->commit}}}});
    for (const FileDigest& f : p.consumed) {
      deps.push_back({{"uri", ref->Uri() + "/" + f.path}, {"digest", {{"sha256", f.sha256}}}});
    }
  }
  for (const Dependency& d : input.dependencies) {
    json entry = {{"uri", d.uri}};
    if (!d.digest_algorithm.empty()) entry["digest"] = {{d.digest_algorithm, d.digest}};
    deps.push_back(std::move(entry));
  }
  json subjects = json::array();
  for (const FileDigest& f : input.subjects) {
    subjects.push_back({{"name", f.path}, {"digest", {{"sha256", f.sha256}}}});
  }
  json statement = {
      {"_type", std::string(kInTotoStatementV1)},
      {"subject", std::move(subjects)},
      {"predicateType", std::string(kSlsaProvenanceV1)},
      {"predicate",
       {{"buildDefinition",
         {{"buildType", BuildTypeUri(input.build_type)},
          {"externalParameters", std::move(*params)},
          {"resolvedDependencies", std::move(deps)}}},
        {"runDetails",
         {{"builder", {{"id", input.builder_id}}},
          {"metadata",
           {{"invocationId", input.invocation_id}, {"startedOn", input.started_on}}}}}}}};
  try {
    return statement.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception&) {
    return InvalidInput("a parameter, path or URI is not valid UTF-8");
  }
}

}  // namespace provbadge::verifier
