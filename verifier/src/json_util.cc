// Bounded JSON parsing helpers. The document is parsed by simdjson (strict RFC 8259: UTF-8
// validated, no trailing content, no comments) and converted into nlohmann::json, the type
// the verifier's readers work on: ~8x faster than nlohmann's own lexer on Sigstore bundles
// (bench/README.md), whose cost is per character of the large base64 strings.
#include "json_util.h"

#include <simdjson.h>

#include <cstdint>

#include "provbadge/common/json_depth.h"

namespace provbadge::verifier::internal {
namespace {

using Type = simdjson::dom::element_type;

// nlohmann's value kinds as its own parser produces them: a non-negative integer is
// number_unsigned, a negative one number_integer, anything else with a fraction or exponent
// number_float; for duplicate keys the last value wins. Recursion is bounded by the depth
// pre-scan.
bool Convert(simdjson::dom::element e, nlohmann::json* out) {
  switch (e.type()) {
    case Type::OBJECT: {
      simdjson::dom::object in;
      if (e.get_object().get(in) != simdjson::SUCCESS) return false;
      *out = nlohmann::json::object();
      auto& obj = out->get_ref<nlohmann::json::object_t&>();
      for (const simdjson::dom::key_value_pair& field : in) {
        nlohmann::json child;
        if (!Convert(field.value, &child)) return false;
        obj.insert_or_assign(std::string(field.key), std::move(child));
      }
      return true;
    }
    case Type::ARRAY: {
      simdjson::dom::array in;
      if (e.get_array().get(in) != simdjson::SUCCESS) return false;
      *out = nlohmann::json::array();
      auto& arr = out->get_ref<nlohmann::json::array_t&>();
      for (const simdjson::dom::element item : in) {
        arr.emplace_back();
        if (!Convert(item, &arr.back())) return false;
      }
      return true;
    }
    case Type::STRING:
      *out = std::string(e.get_string().value_unsafe());
      return true;
    case Type::INT64: {
      const int64_t v = e.get_int64().value_unsafe();
      if (v >= 0) {
        *out = static_cast<uint64_t>(v);
      } else {
        *out = v;
      }
      return true;
    }
    case Type::UINT64:
      *out = e.get_uint64().value_unsafe();
      return true;
    case Type::DOUBLE:
      *out = e.get_double().value_unsafe();
      return true;
    case Type::BOOL:
      *out = e.get_bool().value_unsafe();
      return true;
    case Type::NULL_VALUE:
      *out = nullptr;
      return true;
  }
  return false;
}

// Documents up to this size reuse the thread's parser (its buffers stay allocated); larger
// ones get a parser of their own so one big input does not pin its buffers to the thread.
constexpr size_t kReusedParserMaxBytes = size_t{1} << 20;

}  // namespace

JsonParseStatus ParseJsonBounded(std::string_view text, size_t max_depth, nlohmann::json* out) {
  if (!JsonDepthWithin(text, max_depth)) return JsonParseStatus::kTooDeep;
  const simdjson::padded_string padded(text);
  thread_local simdjson::dom::parser reused;
  simdjson::dom::parser own;
  simdjson::dom::parser& parser = text.size() <= kReusedParserMaxBytes ? reused : own;
  simdjson::dom::element root;
  nlohmann::json value;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS || !Convert(root, &value)) {
    *out = nlohmann::json(nlohmann::json::value_t::discarded);
    return JsonParseStatus::kInvalid;
  }
  *out = std::move(value);
  return JsonParseStatus::kOk;
}

const std::string* StringMember(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace provbadge::verifier::internal
