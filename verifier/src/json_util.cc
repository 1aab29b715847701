// Bounded JSON parsing helpers.
#include "json_util.h"

#include "provbadge/common/json_depth.h"

namespace provbadge::verifier::internal {

JsonParseStatus ParseJsonBounded(std::string_view text, size_t max_depth, nlohmann::json* out) {
  if (!JsonDepthWithin(text, max_depth)) return JsonParseStatus::kTooDeep;
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
