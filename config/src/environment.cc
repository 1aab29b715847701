#include "environment.h"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "config_fields.h"
#include "suggest.h"

extern char** environ;

namespace provbadge::config {
namespace {

bool IsNonConfigVariable(std::string_view name) {
  return std::find(kNonConfigVariables.begin(), kNonConfigVariables.end(), name) !=
         kNonConfigVariables.end();
}

const FieldSpec* FindFieldByVariable(std::string_view name) {
  for (const FieldSpec& field : ConfigFields()) {
    if (EnvVarName(field) == name) return &field;
  }
  return nullptr;
}

std::vector<std::string> AllVariableNames() {
  std::vector<std::string> names;
  for (const FieldSpec& field : ConfigFields()) names.push_back(EnvVarName(field));
  return names;
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == std::string_view::npos || text.substr(0, kEnvPrefix.size()) != kEnvPrefix) {
      continue;
    }
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

Status ApplyEnvironment(const Environment& env, Config& config) {
  for (const auto& [name, value] : env) {
    if (std::string_view(name).substr(0, kEnvPrefix.size()) != kEnvPrefix) continue;
    if (IsNonConfigVariable(name)) continue;
    const FieldSpec* field = FindFieldByVariable(name);
    if (field == nullptr) {
      return InvalidInput(name + ": unknown configuration variable" +
                          DidYouMean(name, AllVariableNames()));
    }
    if (Status set = SetFieldFromText(*field, value, name, config); !set.ok()) return set;
  }
  return Status::Ok();
}

}  // namespace provbadge::config
