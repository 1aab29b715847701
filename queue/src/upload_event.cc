#include "provbadge/queue/upload_event.h"

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "provbadge/common/json_depth.h"
#include "provbadge/common/json_unique_keys.h"
#include "provbadge/common/limits.h"

namespace provbadge::queue {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxBodyBytes = limits::kMaxUploadEventBytes;
constexpr size_t kMaxDepth = limits::kMaxUploadEventJsonDepth;
constexpr int64_t kMaxSeqExclusive = int64_t{1} << 53;
constexpr size_t kMaxEventIdLength = limits::kMaxEventIdBytes;
constexpr size_t kMaxRepoPartLength = limits::kMaxRepoPartBytes;
constexpr size_t kMaxRefLength = limits::kMaxRefBytes;
constexpr size_t kMaxSourceLength = limits::kMaxSourceBytes;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [A-Za-z0-9] followed by [A-Za-z0-9._-], 1..96 characters.
bool IsValidRepoPart(std::string_view part) {
  if (part.empty() || part.size() > kMaxRepoPartLength || !IsAlnum(part[0])) return false;
  for (char c : part) {
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsValidToken(std::string_view s, size_t max_len, std::string_view extra) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!IsAlnum(c) && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

Status ValidateEventId(std::string_view id) {
  if (IsValidToken(id, kMaxEventIdLength, "._:-")) return Status::Ok();
  return InvalidInput("event_id: must be 1-128 characters of [A-Za-z0-9._:-]");
}

Status ValidateRef(std::string_view ref) {
  if (ref.size() > kMaxRefLength) return InvalidInput("ref: longer than 255 characters");
  for (char c : ref) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') {
      return InvalidInput("ref: must be printable ASCII without spaces or backslashes");
    }
  }
  if (!ref.empty() && ref.front() == '/') return InvalidInput("ref: must not start with \"/\"");
  if (ref.find("..") != std::string_view::npos) return InvalidInput("ref: must not contain \"..\"");
  return Status::Ok();
}

Status ValidateSource(std::string_view source) {
  if (source.empty() || IsValidToken(source, kMaxSourceLength, "._:-")) return Status::Ok();
  return InvalidInput("source: must be 1-64 characters of [A-Za-z0-9._:-]");
}

bool InRange(std::string_view s, size_t pos, int lo, int hi) {
  int v = (s[pos] - '0') * 10 + (s[pos + 1] - '0');
  return v >= lo && v <= hi;
}

// RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.fraction]Z.
Status ValidateReceivedAt(std::string_view t) {
  static const Status kBad =
      InvalidInput("received_at: must be an RFC 3339 UTC time like 2026-08-30T12:00:00Z");
  if (t.empty()) return Status::Ok();
  if (t.size() < 20 || t.size() > 30 || t.back() != 'Z') return kBad;
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !IsDigit(t[i]) : t[i] != kShape[i]) return kBad;
  }
  if (!InRange(t, 5, 1, 12) || !InRange(t, 8, 1, 31) || !InRange(t, 11, 0, 23) ||
      !InRange(t, 14, 0, 59) || !InRange(t, 17, 0, 60)) {
    return kBad;
  }
  std::string_view rest = t.substr(kShape.size(), t.size() - kShape.size() - 1);
  if (rest.empty()) return Status::Ok();
  if (rest.size() < 2 || rest[0] != '.') return kBad;
  for (char c : rest.substr(1)) {
    if (!IsDigit(c)) return kBad;
  }
  return Status::Ok();
}

// Parses `text` into `out`, refusing duplicate keys in any object. Never throws.
Status ParseJsonObject(std::string_view text, Json& out) {
  std::string duplicate;
  try {
    duplicate = ParseJsonUniqueKeys(text, out);
  } catch (const Json::parse_error& e) {
    return InvalidInput("body: not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const Json::exception& e) {
    return InvalidInput(std::string("body: not valid JSON: ") + e.what());
  }
  if (!duplicate.empty()) {
    std::string shown = Json(duplicate).dump(-1, ' ', true, Json::error_handler_t::replace);
    if (shown.size() > 66) shown = shown.substr(0, 64) + "...";
    return InvalidInput("body: duplicate key " + shown);
  }
  if (!out.is_object()) return InvalidInput("body: must be a JSON object");
  return Status::Ok();
}

// Reads string field `name` into `out`. Absent is an error only when `required`.
Status ReadString(const Json& obj, const char* name, bool required, std::string& out) {
  auto it = obj.find(name);
  if (it == obj.end()) {
    return required ? InvalidInput(std::string(name) + ": required field is missing")
                    : Status::Ok();
  }
  if (!it->is_string()) return InvalidInput(std::string(name) + ": must be a string");
  out = it->get<std::string>();
  return Status::Ok();
}

Status ReadSeq(const Json& obj, int64_t& out) {
  auto it = obj.find("seq");
  if (it == obj.end()) return InvalidInput("seq: required field is missing");
  static const Status kRange = InvalidInput("seq: must be an integer with 0 < seq < 2^53");
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v == 0 || v >= static_cast<uint64_t>(kMaxSeqExclusive)) return kRange;
    out = static_cast<int64_t>(v);
    return Status::Ok();
  }
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v <= 0 || v >= kMaxSeqExclusive) return kRange;
    out = v;
    return Status::Ok();
  }
  if (it->is_number()) return kRange;  // fractions, exponents, overflowed integers
  return InvalidInput("seq: must be an integer");
}

Status CheckSchema(const Json& obj) {
  std::string schema;
  if (Status s = ReadString(obj, "schema", true, schema); !s.ok()) return s;
  if (schema != kUploadEventSchema) {
    return InvalidInput("schema: unsupported (expected \"" + std::string(kUploadEventSchema) +
                        "\")");
  }
  return Status::Ok();
}

Status ReadFields(const Json& obj, UploadEvent& ev) {
  const Status steps[] = {
      CheckSchema(obj),
      ReadString(obj, "event_id", true, ev.event_id),
      ReadString(obj, "repo", true, ev.repo),
      ReadString(obj, "commit", true, ev.commit),
      ReadSeq(obj, ev.seq),
      ReadString(obj, "ref", false, ev.ref),
      ReadString(obj, "received_at", false, ev.received_at),
      ReadString(obj, "source", false, ev.source),
  };
  for (const Status& s : steps) {
    if (!s.ok()) return s;
  }
  const Status checks[] = {
      ValidateEventId(ev.event_id), ValidateRepoName(ev.repo),          ValidateCommit(ev.commit),
      ValidateRef(ev.ref),          ValidateReceivedAt(ev.received_at), ValidateSource(ev.source),
  };
  for (const Status& s : checks) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Status ValidateRepoName(std::string_view repo) {
  size_t slash = repo.find('/');
  if (slash == std::string_view::npos || repo.find('/', slash + 1) != std::string_view::npos) {
    return InvalidInput("repo: must be \"org/name\" with exactly one \"/\"");
  }
  if (repo.find("..") != std::string_view::npos) {
    return InvalidInput("repo: must not contain \"..\"");
  }
  if (!IsValidRepoPart(repo.substr(0, slash)) || !IsValidRepoPart(repo.substr(slash + 1))) {
    return InvalidInput(
        "repo: each part must be 1-96 characters of [A-Za-z0-9._-] starting with a letter or "
        "digit");
  }
  return Status::Ok();
}

Status ValidateCommit(std::string_view commit) {
  bool ok = commit.size() == 40;
  for (char c : commit) ok = ok && (IsDigit(c) || (c >= 'a' && c <= 'f'));
  return ok ? Status::Ok() : InvalidInput("commit: must be 40 lowercase hex characters");
}

Result<UploadEvent> ParseUploadEvent(std::string_view json) {
  if (json.size() > kMaxBodyBytes) {
    return InvalidInput("body: larger than " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  if (!JsonDepthWithin(json, kMaxDepth)) {
    return InvalidInput("body: JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  Json obj;
  if (Status s = ParseJsonObject(json, obj); !s.ok()) return s.error();
  UploadEvent ev;
  if (Status s = ReadFields(obj, ev); !s.ok()) return s.error();
  return ev;
}

std::string SerializeUploadEvent(const UploadEvent& event) {
  nlohmann::ordered_json out;
  out["schema"] = kUploadEventSchema;
  out["event_id"] = event.event_id;
  out["repo"] = event.repo;
  if (!event.ref.empty()) out["ref"] = event.ref;
  out["commit"] = event.commit;
  out["seq"] = event.seq;
  if (!event.received_at.empty()) out["received_at"] = event.received_at;
  if (!event.source.empty()) out["source"] = event.source;
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace provbadge::queue
