// Bounded JSON parsing helpers.
#include "json_util.h"

namespace provbadge::verifier::internal {

size_t JsonNestingDepth(std::string_view text, size_t limit) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

JsonParseStatus ParseJsonBounded(std::string_view text, size_t max_depth, nlohmann::json* out) {
  if (JsonNestingDepth(text, max_depth) > max_depth) return JsonParseStatus::kTooDeep;
  *out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return out->is_discarded() ? JsonParseStatus::kInvalid : JsonParseStatus::kOk;
}

const std::string* StringMember(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace provbadge::verifier::internal
