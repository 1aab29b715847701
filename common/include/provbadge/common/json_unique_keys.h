// Parsing JSON with nlohmann while refusing a key repeated within one object. RFC 8259 leaves
// duplicate names undefined and parsers disagree on which one wins, so an untrusted document
// carrying one is ambiguous: every parser of untrusted JSON objects refuses it.
//
// Header-only and templated on the nlohmann::basic_json type, so common/ still depends on
// nothing (the caller includes nlohmann). Callers pre-scan the nesting depth first
// (json_depth.h), since nlohmann's parser recurses.
//
// Thread-safety: pure function; no shared state.
#ifndef PROVBADGE_COMMON_JSON_UNIQUE_KEYS_H_
#define PROVBADGE_COMMON_JSON_UNIQUE_KEYS_H_

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace provbadge {

// Thrown by ParseJsonUniqueKeys as soon as the top-level object has more than the allowed
// number of keys, before the rest of the document is built.
struct JsonTooManyKeys {};

// Parses `text` into `out` and returns the first key that is repeated within one object, or an
// empty string when no key is. Throws whatever Json::parse throws for text that is not JSON
// (callers turn that into their own specific error), and JsonTooManyKeys when the top-level
// object has more than `max_top_level_keys` keys. `out` holds the whole document on return.
template <class Json>
std::string ParseJsonUniqueKeys(std::string_view text, Json& out,
                                size_t max_top_level_keys = std::numeric_limits<size_t>::max()) {
  std::vector<std::unordered_set<std::string>> open_objects;
  std::string duplicate;
  typename Json::parser_callback_t track = [&](int, typename Json::parse_event_t event,
                                               Json& parsed) {
    using Event = typename Json::parse_event_t;
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty()) {
      const auto& key = parsed.template get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && duplicate.empty()) duplicate = key;
      if (open_objects.size() == 1 && open_objects.back().size() > max_top_level_keys) {
        throw JsonTooManyKeys{};
      }
    }
    return true;
  };
  out = Json::parse(text.begin(), text.end(), track);
  return duplicate;
}

}  // namespace provbadge

#endif  // PROVBADGE_COMMON_JSON_UNIQUE_KEYS_H_
