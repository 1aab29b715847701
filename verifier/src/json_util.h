// Bounded JSON parsing for untrusted input: the common nesting-depth pre-scan (the conversion
// into nlohmann::json recurses, so a deep document could exhaust the stack) and a non-throwing
// parse (simdjson, converted to nlohmann::json; json_util.cc).
//
// Thread-safety: reentrant.
#ifndef PROVBADGE_VERIFIER_SRC_JSON_UTIL_H_
#define PROVBADGE_VERIFIER_SRC_JSON_UTIL_H_

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace provbadge::verifier::internal {

enum class JsonParseStatus { kOk, kTooDeep, kInvalid };

// Parses `text` into `*out` when its nesting is at most `max_depth`. Never throws.
JsonParseStatus ParseJsonBounded(std::string_view text, size_t max_depth, nlohmann::json* out);

// Member `key` of `obj` if it is a string, else nullptr.
const std::string* StringMember(const nlohmann::json& obj, const char* key);

}  // namespace provbadge::verifier::internal

#endif  // PROVBADGE_VERIFIER_SRC_JSON_UTIL_H_
