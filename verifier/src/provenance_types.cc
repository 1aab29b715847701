// Provenance vocabulary: build types, hf:// URIs, weight files, the step accessors and the
// statement a producer writes (ProvenanceStatementJson).
#include <nlohmann/json.hpp>

#include <array>

#include "json_util.h"
#include "limits.h"
#include "oms_internal.h"
#include "provenance_internal.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

constexpr std::array<BuildType, 5> kBuildTypes = {BuildType::kTrain, BuildType::kFinetune,
                                                  BuildType::kAdapter, BuildType::kMerge,
                                                  BuildType::kQuantize};

// org or name of a hub repository: [A-Za-z0-9._-]+, not "." or "..".
bool IsRepoPart(std::string_view s) {
  if (s.empty() || s.size() > 96 || s == "." || s == "..") return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A branch, tag or commit: printable, no '/', bounded.
bool IsRevision(std::string_view s) {
  if (s.empty() || s.size() > 256 || s == "." || s == "..") return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '/') return false;
  }
  return true;
}

}  // namespace

namespace internal {

void AddProvenanceFinding(std::vector<Finding>* out, int line, std::string code, Severity severity,
                          std::string message, std::string path, std::string expected,
                          std::string actual) {
  if (line > 0) message = "line " + std::to_string(line) + ": " + message;
  out->push_back(Finding{std::move(code), severity, std::move(message), std::move(path),
                         std::move(expected), std::move(actual)});
}

bool IsHexOfLength(std::string_view s, size_t length, std::string* lower) {
  if (s.size() != length) return false;
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  if (lower != nullptr) *lower = std::move(out);
  return true;
}

}  // namespace internal

bool ParseBuildTypeUri(std::string_view uri, BuildType* type) {
  for (BuildType t : kBuildTypes) {
    if (uri == BuildTypeUri(t)) {
      *type = t;
      return true;
    }
  }
  return false;
}

Result<HfUri> ParseHfUri(std::string_view uri) {
  constexpr std::string_view kScheme = "hf://";
  if (uri.size() > limits::kMaxUriBytes) return InvalidInput("the URI is too long");
  if (uri.substr(0, kScheme.size()) != kScheme) return InvalidInput("not an hf:// URI");
  std::string_view rest = uri.substr(kScheme.size());
  HfUri out;
  constexpr std::string_view kDatasets = "datasets/";
  if (rest.substr(0, kDatasets.size()) == kDatasets) {
    out.dataset = true;
    rest.remove_prefix(kDatasets.size());
  }
  size_t slash = rest.find('/');
  size_t at = rest.find('@');
  if (slash == std::string_view::npos || at == std::string_view::npos || at < slash) {
    return InvalidInput("expected hf://[datasets/]org/name@revision[/path]");
  }
  std::string_view org = rest.substr(0, slash);
  std::string_view name = rest.substr(slash + 1, at - slash - 1);
  if (!IsRepoPart(org) || !IsRepoPart(name)) {
    return InvalidInput("the repository is not org/name with letters, digits, '.', '_' or '-'");
  }
  std::string_view after = rest.substr(at + 1);
  size_t path_slash = after.find('/');
  std::string_view revision = after.substr(0, path_slash);
  if (!IsRevision(revision)) return InvalidInput("the revision after '@' is empty or invalid");
  if (path_slash != std::string_view::npos) {
    std::string_view path = after.substr(path_slash + 1);
    if (!internal::IsValidRelativePath(path)) {
      return InvalidInput("the file path after the revision is not a plain relative path");
    }
    out.path = std::string(path);
  }
  out.repo = std::string(org) + "/" + std::string(name);
  out.revision = std::string(revision);
  out.pinned = revision.size() == 40 &&
               revision.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  return out;
}

bool IsWeightFile(std::string_view path) {
  static constexpr std::string_view kExtensions[] = {
      ".safetensors", ".gguf", ".bin", ".pt", ".pth", ".onnx", ".h5", ".msgpack", ".ckpt"};
  for (std::string_view ext : kExtensions) {
    if (path.size() > ext.size() && path.substr(path.size() - ext.size()) == ext) return true;
  }
  return false;
}

std::vector<const ProvenanceDependency*> ProvenanceStep::Parents() const {
  std::vector<const ProvenanceDependency*> out;
  for (const ProvenanceDependency& d : dependencies) {
    if (d.kind == ProvenanceDependency::Kind::kParentModel) out.push_back(&d);
  }
  return out;
}

std::vector<const ProvenanceDependency*> ProvenanceStep::ConsumedFiles(
    std::string_view repo, std::string_view commit) const {
  std::vector<const ProvenanceDependency*> out;
  for (const ProvenanceDependency& d : dependencies) {
    if (d.kind == ProvenanceDependency::Kind::kParentFile && d.hf.repo == repo &&
        d.hf.revision == commit) {
      out.push_back(&d);
    }
  }
  return out;
}

std::string ProvenanceStatementJson(const ProvenanceStep& step) {
  json subjects = json::array();
  for (const ProvenanceSubject& s : step.subjects) {
    subjects.push_back({{"name", s.name}, {"digest", {{"sha256", s.sha256}}}});
  }
  json params = json::object();
  for (const auto& [key, value] : step.parameters) {
    json parsed;
    if (!value.empty() && (value[0] == '{' || value[0] == '[') &&
        internal::ParseJsonBounded(value, limits::kMaxJsonDepth, &parsed) ==
            internal::JsonParseStatus::kOk) {
      params[key] = std::move(parsed);
    } else {
      params[key] = value;
    }
  }
  json deps = json::array();
  for (const ProvenanceDependency& d : step.dependencies) {
    json entry = {{"uri", d.uri}};
    if (!d.name.empty()) entry["name"] = d.name;
    if (!d.digest.empty()) entry["digest"] = d.digest;
    deps.push_back(std::move(entry));
  }
  json statement = {{"_type", std::string(kInTotoStatementType)},
                    {"subject", std::move(subjects)},
                    {"predicateType", std::string(kSlsaProvenancePredicateType)},
                    {"predicate",
                     {{"buildDefinition",
                       {{"buildType", BuildTypeUri(step.build_type)},
                        {"externalParameters", std::move(params)},
                        {"resolvedDependencies", std::move(deps)}}},
                      {"runDetails",
                       {{"builder",
                         {{"id", "https://provbadge.dev/builders/" +
                                     (step.builder.empty() ? "unknown" : step.builder)}}}}}}}};
  return statement.dump();
}

}  // namespace provbadge::verifier
