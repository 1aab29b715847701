// ReadVerdict: the ?format=vsa representation of a badge (verdict_read.h).
#include "verdict_read.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http_util.h"
#include "provbadge/queue/hub_webhook.h"
#include "provbadge/queue/upload_event.h"

namespace provbadge::worker {
namespace {

constexpr size_t kMaxRefBytes = 255;

HttpResponse Fail(int status, std::string_view message) { return JsonError(status, message); }

std::optional<std::string> Decode(std::string_view in) { return PercentDecode(in, true); }

struct VerdictQuery {
  std::optional<std::string> format, commit, ref;
  std::string error;  // non-empty: 400 with this message
};

VerdictQuery ParseQuery(std::string_view query) {
  VerdictQuery q;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::optional<std::string> key = Decode(pair.substr(0, eq));
    std::optional<std::string> value =
        Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) {
      q.error = "malformed percent-encoding in the query";
      return q;
    }
    std::optional<std::string>* slot = *key == "format"                           ? &q.format
                                       : (*key == "commit" || *key == "revision") ? &q.commit
                                       : *key == "ref"                            ? &q.ref
                                                                                  : nullptr;
    if (slot == nullptr) continue;  // unknown parameters are ignored, as on every read route
    if (slot->has_value()) {
      q.error = *key + " is given more than once (commit and revision are one parameter)";
      return q;
    }
    *slot = std::move(*value);
  }
  return q;
}

bool ValidRef(std::string_view ref) {
  if (ref.empty() || ref.size() > kMaxRefBytes) return false;
  for (char c : ref) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool WantsVerdict(std::string_view query) {
  VerdictQuery q = ParseQuery(query);
  return q.format.has_value() && *q.format == "vsa";
}

HttpResponse ReadVerdict(badges::BadgeStore& store, std::string_view repo, std::string_view query) {
  VerdictQuery q = ParseQuery(query);
  if (!q.error.empty()) return Fail(400, q.error);
  if (q.commit && q.ref) return Fail(400, "give commit or ref, not both");
  if (q.commit && !queue::ValidateCommit(*q.commit).ok()) {
    return Fail(400, "commit must be a 40-character lowercase hex commit id");
  }
  if (q.ref && !ValidRef(*q.ref)) {
    return Fail(400, "ref must be 1-255 characters without spaces or control characters");
  }
  Result<std::optional<badges::BadgeRecord>> found =
      q.commit ? store.GetRevision(repo, *q.commit)
               : store.GetRef(repo, q.ref ? queue::StoreRefName(*q.ref) : std::string("main"));
  if (!found.ok()) {
    return found.error().code() == ErrorCode::kUnavailable ? Fail(503, "badge store unavailable")
                                                           : Fail(500, "internal error");
  }
  if (!found->has_value()) {
    return Fail(404, q.commit ? "no badge for this revision" : "no badge for this ref");
  }
  const badges::BadgeRecord& record = **found;
  if (record.vsa_json.empty()) return Fail(404, "no signed verdict stored for this revision");
  HttpResponse response;
  response.content_type = "application/json";
  response.body = record.vsa_json;
  response.headers.emplace_back("Cache-Control", "public, max-age=60");
  return response;
}

}  // namespace provbadge::worker
