// ParseConfig / LoadConfig: the configuration file, env overrides, path resolution.
#include "provbadge/config/config.h"

#include <algorithm>
#include <string>
#include <vector>

#include "config_fields.h"
#include "environment.h"
#include "file_util.h"
#include "json_strict.h"
#include "suggest.h"

namespace provbadge::config {
namespace {

using nlohmann::json;

std::vector<std::string> KeysOf(std::string_view section) {
  std::vector<std::string> keys;
  for (const FieldSpec& field : ConfigFields()) {
    if (field.section == section) keys.emplace_back(field.key);
  }
  return keys;
}

// Top-level names: the sections plus the top-level keys.
std::vector<std::string> TopLevelNames() {
  std::vector<std::string> names = ConfigSections();
  for (const std::string& key : KeysOf("")) names.push_back(key);
  return names;
}

bool IsSection(const std::string& name) {
  const std::vector<std::string>& sections = ConfigSections();
  return std::find(sections.begin(), sections.end(), name) != sections.end();
}

Status ApplySection(const std::string& section, const json& body, Config& config) {
  if (!body.is_object()) {
    return InvalidInput(section + ": must be an object (got " + std::string(JsonTypeName(body)) +
                        ")");
  }
  for (const auto& [key, value] : body.items()) {
    std::string name = section + "." + key;
    const FieldSpec* field = FindField(section, key);
    if (field == nullptr) {
      std::vector<std::string> known;
      for (const std::string& k : KeysOf(section)) known.push_back(section + "." + k);
      return InvalidInput(name + ": unknown key" + DidYouMean(name, known));
    }
    if (Status set = SetFieldFromJson(*field, value, name, config); !set.ok()) return set;
  }
  return Status::Ok();
}

Status ApplyDocument(const json& document, Config& config) {
  if (!document.is_object()) {
    return InvalidInput("the configuration must be a JSON object (got " +
                        std::string(JsonTypeName(document)) + ")");
  }
  for (const auto& [name, value] : document.items()) {
    if (IsSection(name)) {
      if (Status applied = ApplySection(name, value, config); !applied.ok()) return applied;
      continue;
    }
    const FieldSpec* field = FindField("", name);
    if (field == nullptr) {
      return InvalidInput(name + ": unknown section" + DidYouMean(name, TopLevelNames()));
    }
    if (Status set = SetFieldFromJson(*field, value, name, config); !set.ok()) return set;
  }
  return Status::Ok();
}

void ResolvePaths(const std::string& base_dir, Config& config) {
  for (const FieldSpec& field : ConfigFields()) {
    if (!field.is_path) continue;
    std::string& path = field.string_ref(config);
    if (path.empty()) continue;  // an optional path that is not set (hub.token_file, ...)
    path = ResolveAgainst(base_dir, path);
  }
}

// Keys that are required together, checked once the file and the environment are applied.
Status CheckBackends(const Config& config) {
  if (config.queue.kind == "rabbitmq" && config.queue.url.empty()) {
    return InvalidInput("queue.url: required when queue.kind is 'rabbitmq'");
  }
  if (config.store.kind == "redis" && config.store.url.empty()) {
    return InvalidInput("store.url: required when store.kind is 'redis'");
  }
  return Status::Ok();
}

// `origin` (the file's path, or "") prefixes the errors that come from the file's text.
Result<Config> ParseFromOrigin(std::string_view json_text, const Environment& env,
                               const std::string& base_dir, const std::string& origin) {
  auto from_file = [&origin](const Error& error) {
    return origin.empty() ? error : error.Wrap(origin);
  };
  Result<json> document = ParseStrictJson(json_text);
  if (!document.ok()) return from_file(document.error());
  Config config;
  if (Status applied = ApplyDocument(*document, config); !applied.ok()) {
    return from_file(applied.error());
  }
  if (Status overridden = ApplyEnvironment(env, config); !overridden.ok()) {
    return overridden.error();
  }
  if (Status backends = CheckBackends(config); !backends.ok()) return backends.error();
  ResolvePaths(base_dir, config);
  return config;
}

}  // namespace

Result<Config> ParseConfig(std::string_view json_text, const Environment& env,
                           const std::string& base_dir) {
  return ParseFromOrigin(json_text, env, base_dir, "");
}

Result<Config> LoadConfig(const std::string& path, const Environment& env) {
  Result<std::string> text = ReadSmallFile(path, kMaxConfigFileBytes);
  if (!text.ok()) return text.error();
  return ParseFromOrigin(*text, env, DirectoryOf(path), path);
}

}  // namespace provbadge::config
