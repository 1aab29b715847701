// The configuration schema as data: one FieldSpec per key, with how to reach it in Config,
// its JSON/env names and its validation. Parsing (config.cc) and env overrides
// (environment.cc) both set values through SetFieldFrom*, so a file value and a variable are
// validated identically.
//
// Thread-safety: the table is immutable; the setters touch only the Config passed in.
#ifndef PROVBADGE_CONFIG_SRC_CONFIG_FIELDS_H_
#define PROVBADGE_CONFIG_SRC_CONFIG_FIELDS_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "provbadge/common/result.h"
#include "provbadge/config/config.h"

namespace provbadge::config {

struct FieldSpec {
  std::string_view section;  // "" for a top-level key ("policy")
  std::string_view key;
  // Exactly one of string_ref / int_ref is set.
  std::string& (*string_ref)(Config&) = nullptr;
  int& (*int_ref)(Config&) = nullptr;
  int min = 0;  // int fields: inclusive range
  int max = 0;
  // String fields: the reason `value` is not allowed, or "" when it is.
  std::string (*check)(std::string_view value) = nullptr;
  bool is_path = false;  // resolved against the config file's directory
};

// Every key, in documentation order.
const std::vector<FieldSpec>& ConfigFields();
// The sections that hold keys ("queue", "store", ...), in documentation order.
const std::vector<std::string>& ConfigSections();

// "queue.kind", or "policy" for a top-level key.
std::string FieldName(const FieldSpec& field);
// "PROVBADGE_QUEUE_KIND", or "PROVBADGE_POLICY" for a top-level key.
std::string EnvVarName(const FieldSpec& field);
// nullptr when `section`.`key` is not a configuration key.
const FieldSpec* FindField(std::string_view section, std::string_view key);

// Validates and stores a JSON value. Errors are "<source>: <reason>".
Status SetFieldFromJson(const FieldSpec& field, const nlohmann::json& value,
                        const std::string& source, Config& config);
// Validates and stores the text of an environment variable (integers in decimal).
Status SetFieldFromText(const FieldSpec& field, std::string_view text, const std::string& source,
                        Config& config);

}  // namespace provbadge::config

#endif  // PROVBADGE_CONFIG_SRC_CONFIG_FIELDS_H_
