// Strict JSON parsing for the operator's files (configuration and trust policy).
//
// Stricter than nlohmann::json::parse: a duplicated object key is an error (the last value
// must not silently win), nesting is bounded, and a syntax error names the line and column.
// Never throws.
//
// Thread-safety: reentrant.
#ifndef PROVBADGE_CONFIG_SRC_JSON_STRICT_H_
#define PROVBADGE_CONFIG_SRC_JSON_STRICT_H_

#include <string_view>

#include <nlohmann/json.hpp>

#include "provbadge/common/limits.h"
#include "provbadge/common/result.h"

namespace provbadge::config {

// Deepest nesting accepted; the files we read need 4 levels.
inline constexpr int kMaxJsonDepth = limits::kMaxConfigJsonDepth;

// Parses `text`. Errors are kInvalidInput: "invalid JSON: parse error at line 3, column 7: ...",
// "duplicate key \"kind\" in queue", "nesting deeper than 32 levels".
Result<nlohmann::json> ParseStrictJson(std::string_view text);

// The JSON type name of `value` as an operator would say it ("a string", "an object", ...).
std::string_view JsonTypeName(const nlohmann::json& value);

}  // namespace provbadge::config

#endif  // PROVBADGE_CONFIG_SRC_JSON_STRICT_H_
