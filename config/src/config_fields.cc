#include "config_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>

#include "json_strict.h"

namespace provbadge::config {
namespace {

using nlohmann::json;

std::string Quoted(std::string_view value) { return "'" + std::string(value) + "'"; }

std::string OneOf(std::string_view value, std::initializer_list<std::string_view> allowed,
                  std::string_view listed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return "";
  return "must be one of " + std::string(listed) + " (got " + Quoted(value) + ")";
}

std::string CheckQueueKind(std::string_view value) {
  return OneOf(value, {"embedded", "rabbitmq"}, "embedded, rabbitmq");
}

std::string CheckStoreKind(std::string_view value) {
  return OneOf(value, {"embedded", "redis"}, "embedded, redis");
}

std::string CheckOnOff(std::string_view value) { return OneOf(value, {"on", "off"}, "on, off"); }

// "" (not set) or a URL of one of `schemes`, without spaces or control characters. The value
// may hold a password, so it is never echoed.
std::string CheckServerUrl(std::string_view value, std::initializer_list<std::string_view> schemes,
                           std::string_view listed) {
  if (value.empty()) return "";
  bool known = false;
  for (std::string_view scheme : schemes) known = known || value.rfind(scheme, 0) == 0;
  if (!known) return "must start with " + std::string(listed);
  for (char c : value) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "must not contain spaces or control characters";
    }
  }
  return "";
}

std::string CheckAmqpUrl(std::string_view value) {
  return CheckServerUrl(value, {"amqp://", "amqps://"}, "amqp:// or amqps://");
}

std::string CheckRedisUrl(std::string_view value) {
  return CheckServerUrl(value, {"redis://"}, "redis://");
}

std::string CheckQueueName(std::string_view value) {
  if (value.empty() || value.size() > 200) return "must be 1-200 bytes";
  for (char c : value) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "must not contain spaces or control characters";
    }
  }
  return "";
}

std::string CheckHubKind(std::string_view value) {
  return OneOf(value, {"mirror", "http"}, "mirror, http");
}

std::string CheckUrl(std::string_view value) {
  if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
    return "must start with http:// or https:// (got " + Quoted(value) + ")";
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "must not contain spaces or control characters";
    }
  }
  return "";
}

// Tokens and secrets: may be empty; never echoed in errors.
std::string CheckSecret(std::string_view value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "must not contain spaces or control characters";
    }
  }
  return "";
}

std::string CheckListen(std::string_view value) {
  Result<ListenAddress> address = ParseListenAddress(value);
  return address.ok() ? "" : address.error().message();
}

std::string CheckLogLevel(std::string_view value) {
  return OneOf(value, {"trace", "debug", "info", "warn", "error"},
               "trace, debug, info, warn, error");
}

std::string CheckLogFormat(std::string_view value) {
  return OneOf(value, {"text", "json"}, "text, json");
}

std::string CheckPath(std::string_view value) {
  if (value.empty()) return "must not be empty";
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20) return "must not contain control characters";
  }
  return "";
}

using StringRef = std::string& (*)(Config&);
using IntRef = int& (*)(Config&);
using StringCheck = std::string (*)(std::string_view);

FieldSpec Text(std::string_view section, std::string_view key, StringCheck check, StringRef ref) {
  FieldSpec field{section, key};
  field.string_ref = ref;
  field.check = check;
  return field;
}

FieldSpec Path(std::string_view section, std::string_view key, StringRef ref) {
  FieldSpec field = Text(section, key, CheckPath, ref);
  field.is_path = true;
  return field;
}

// A path that may be left empty (not set): hub.token_file, http.webhook_secret_file, ...
FieldSpec OptionalPath(std::string_view section, std::string_view key, StringRef ref) {
  FieldSpec field = Path(section, key, ref);
  field.check = [](std::string_view value) { return value.empty() ? "" : CheckPath(value); };
  return field;
}

FieldSpec Int(std::string_view section, std::string_view key, int min, int max, IntRef ref) {
  FieldSpec field{section, key};
  field.int_ref = ref;
  field.min = min;
  field.max = max;
  return field;
}

// Each accessor is a capture-less lambda, so it converts to the plain function pointer.
std::vector<FieldSpec> BuildFields() {
  using S = std::string&;
  return {
      Text("queue", "kind", CheckQueueKind, [](Config& c) -> S { return c.queue.kind; }),
      Path("queue", "path", [](Config& c) -> S { return c.queue.path; }),
      Int("queue", "max_attempts", 1, 100, [](Config& c) -> int& { return c.queue.max_attempts; }),
      Int("queue", "retry_base_ms", 1, 3600000,
          [](Config& c) -> int& { return c.queue.retry_base_ms; }),
      Text("queue", "url", CheckAmqpUrl, [](Config& c) -> S { return c.queue.url; }),
      OptionalPath("queue", "ca_file", [](Config& c) -> S { return c.queue.ca_file; }),
      Int("queue", "prefetch", 1, 65535, [](Config& c) -> int& { return c.queue.prefetch; }),
      Text("queue", "name", CheckQueueName, [](Config& c) -> S { return c.queue.name; }),
      Text("store", "kind", CheckStoreKind, [](Config& c) -> S { return c.store.kind; }),
      Path("store", "path", [](Config& c) -> S { return c.store.path; }),
      Text("store", "url", CheckRedisUrl, [](Config& c) -> S { return c.store.url; }),
      Text("store", "read_cache", CheckOnOff, [](Config& c) -> S { return c.store.read_cache; }),
      Int("store", "read_cache_max_entries", 1, 100000000,
          [](Config& c) -> int& { return c.store.read_cache_max_entries; }),
      Int("store", "read_cache_max_mb", 1, 65536,
          [](Config& c) -> int& { return c.store.read_cache_max_mb; }),
      Text("hub", "kind", CheckHubKind, [](Config& c) -> S { return c.hub.kind; }),
      Path("hub", "path", [](Config& c) -> S { return c.hub.path; }),
      Text("hub", "url", CheckUrl, [](Config& c) -> S { return c.hub.url; }),
      Text("hub", "token", CheckSecret, [](Config& c) -> S { return c.hub.token; }),
      OptionalPath("hub", "token_file", [](Config& c) -> S { return c.hub.token_file; }),
      OptionalPath("hub", "ca_file", [](Config& c) -> S { return c.hub.ca_file; }),
      Int("hub", "connect_timeout_ms", 1, 600000,
          [](Config& c) -> int& { return c.hub.connect_timeout_ms; }),
      Int("hub", "read_timeout_ms", 1, 3600000,
          [](Config& c) -> int& { return c.hub.read_timeout_ms; }),
      Int("hub", "max_attempts", 1, 20, [](Config& c) -> int& { return c.hub.max_attempts; }),
      Int("hub", "retry_base_ms", 1, 60000, [](Config& c) -> int& { return c.hub.retry_base_ms; }),
      Text("http", "listen", CheckListen, [](Config& c) -> S { return c.http.listen; }),
      Int("http", "threads", 1, 64, [](Config& c) -> int& { return c.http.threads; }),
      Text("http", "webhook_secret", CheckSecret,
           [](Config& c) -> S { return c.http.webhook_secret; }),
      OptionalPath("http", "webhook_secret_file",
                   [](Config& c) -> S { return c.http.webhook_secret_file; }),
      Text("http", "admin_token", CheckSecret, [](Config& c) -> S { return c.http.admin_token; }),
      OptionalPath("http", "admin_token_file",
                   [](Config& c) -> S { return c.http.admin_token_file; }),
      Int("worker", "threads", 1, 256, [](Config& c) -> int& { return c.worker.threads; }),
      Int("worker", "shutdown_grace_ms", 0, 3600000,
          [](Config& c) -> int& { return c.worker.shutdown_grace_ms; }),
      OptionalPath("worker", "verdict_key", [](Config& c) -> S { return c.worker.verdict_key; }),
      Text("worker", "verdict_key_id", CheckSecret,
           [](Config& c) -> S { return c.worker.verdict_key_id; }),
      Text("log", "level", CheckLogLevel, [](Config& c) -> S { return c.log.level; }),
      Text("log", "format", CheckLogFormat, [](Config& c) -> S { return c.log.format; }),
      Path("", "policy", [](Config& c) -> S { return c.policy; }),
  };
}

std::string Upper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

Status SetString(const FieldSpec& field, std::string_view value, const std::string& source,
                 Config& config) {
  if (field.check != nullptr) {
    std::string reason = field.check(value);
    if (!reason.empty()) return InvalidInput(source + ": " + reason);
  }
  field.string_ref(config) = std::string(value);
  return Status::Ok();
}

Error OutOfRange(const FieldSpec& field, const std::string& source, std::string_view got) {
  return InvalidInput(source + ": must be between " + std::to_string(field.min) + " and " +
                      std::to_string(field.max) + " (got " + std::string(got) + ")");
}

Status SetInt(const FieldSpec& field, int64_t value, const std::string& source, Config& config) {
  if (value < field.min || value > field.max) {
    return OutOfRange(field, source, std::to_string(value));
  }
  field.int_ref(config) = static_cast<int>(value);
  return Status::Ok();
}

}  // namespace

const std::vector<FieldSpec>& ConfigFields() {
  static const std::vector<FieldSpec> fields = BuildFields();
  return fields;
}

const std::vector<std::string>& ConfigSections() {
  static const std::vector<std::string> sections = {"queue", "store",  "hub",
                                                    "http",  "worker", "log"};
  return sections;
}

std::string FieldName(const FieldSpec& field) {
  if (field.section.empty()) return std::string(field.key);
  return std::string(field.section) + "." + std::string(field.key);
}

std::string EnvVarName(const FieldSpec& field) {
  std::string name = "PROVBADGE_";
  if (!field.section.empty()) name += Upper(field.section) + "_";
  return name + Upper(field.key);
}

const FieldSpec* FindField(std::string_view section, std::string_view key) {
  for (const FieldSpec& field : ConfigFields()) {
    if (field.section == section && field.key == key) return &field;
  }
  return nullptr;
}

Status SetFieldFromJson(const FieldSpec& field, const json& value, const std::string& source,
                        Config& config) {
  std::string got = " (got " + std::string(JsonTypeName(value)) + ")";
  if (field.string_ref != nullptr) {
    if (!value.is_string()) return InvalidInput(source + ": must be a string" + got);
    return SetString(field, value.get_ref<const std::string&>(), source, config);
  }
  if (!value.is_number_integer()) return InvalidInput(source + ": must be an integer" + got);
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return OutOfRange(field, source, std::to_string(value.get<uint64_t>()));
  }
  return SetInt(field, value.get<int64_t>(), source, config);
}

Status SetFieldFromText(const FieldSpec& field, std::string_view text, const std::string& source,
                        Config& config) {
  if (field.string_ref != nullptr) return SetString(field, text, source, config);
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error == std::errc::invalid_argument || stop != end) {
    return InvalidInput(source + ": must be an integer (got '" + std::string(text) + "')");
  }
  if (error == std::errc::result_out_of_range) return OutOfRange(field, source, text);
  return SetInt(field, value, source, config);
}

}  // namespace provbadge::config
