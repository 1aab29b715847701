#include "json_strict.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace provbadge::config {
namespace {

using nlohmann::json;

// Thrown from inside the parser callback and caught in ParseStrictJson; never escapes.
struct StrictJsonViolation {
  std::string message;
};

// Tracks the open objects and arrays while nlohmann parses, to find duplicate keys.
class DuplicateKeyChecker {
 public:
  bool OnEvent(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        Push(/*is_object=*/true);
        break;
      case json::parse_event_t::array_start:
        Push(/*is_object=*/false);
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames_.pop_back();
        break;
      case json::parse_event_t::key:
        OnKey(parsed.get<std::string>());
        break;
      case json::parse_event_t::value:
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object = false;
    std::set<std::string> keys;
    std::string last_key;
  };

  void Push(bool is_object) {
    if (frames_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      throw StrictJsonViolation{"nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    }
    frames_.push_back(Frame{is_object, {}, {}});
  }

  void OnKey(std::string key) {
    Frame& frame = frames_.back();
    if (!frame.keys.insert(key).second) {
      std::string where = EnclosingPath();
      throw StrictJsonViolation{"duplicate key \"" + key + "\"" +
                                (where.empty() ? std::string() : " in " + where)};
    }
    frame.last_key = std::move(key);
  }

  // "rules[].publishers"-style path of the object holding the current key.
  std::string EnclosingPath() const {
    std::string path;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      if (frames_[i].is_object) {
        if (!path.empty()) path += '.';
        path += frames_[i].last_key;
      } else {
        path += "[]";
      }
    }
    return path;
  }

  std::vector<Frame> frames_;
};

// nlohmann's what() starts with "[json.exception.parse_error.101] "; operators need the rest.
std::string WithoutExceptionTag(const std::string& what) {
  size_t end = what.find("] ");
  if (what.rfind("[json.exception.", 0) == 0 && end != std::string::npos) {
    return what.substr(end + 2);
  }
  return what;
}

}  // namespace

Result<json> ParseStrictJson(std::string_view text) {
  DuplicateKeyChecker checker;
  try {
    return json::parse(text, [&checker](int /*depth*/, json::parse_event_t event, json& parsed) {
      return checker.OnEvent(event, parsed);
    });
  } catch (const StrictJsonViolation& violation) {
    return InvalidInput("invalid JSON: " + violation.message);
  } catch (const json::exception& e) {
    return InvalidInput("invalid JSON: " + WithoutExceptionTag(e.what()));
  }
}

std::string_view JsonTypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number with a fraction";
    case json::value_t::binary:
    case json::value_t::discarded:
      break;
  }
  return "an unsupported value";
}

}  // namespace provbadge::config
