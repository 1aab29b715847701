// BadgeReader: the badge JSON/SVG read fast path (badge_read.h).
#include "badge_read.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <optional>

#include "http_util.h"
#include "provbadge/badges/badge.h"
#include "provbadge/queue/hub_webhook.h"
#include "provbadge/queue/upload_event.h"

namespace provbadge::worker {
namespace {

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kSvgType = "image/svg+xml; charset=utf-8";
constexpr std::string_view kPublicCache = "public, max-age=60";
constexpr size_t kMaxRefBytes = 255;

HttpResponse Fail(int status, std::string_view message) { return JsonError(status, message); }

std::optional<std::string> Decode(std::string_view in) { return PercentDecode(in, true); }

struct Target {
  std::string name;  // a commit or a ref name
  bool by_ref = true;
  std::string error;  // non-empty: 400 with this message
};

Target ParseTarget(std::string_view query) {
  std::optional<std::string> commit, ref;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::optional<std::string> key = Decode(pair.substr(0, eq));
    if (!key) continue;  // not one of ours (unknown parameters are ignored)
    std::optional<std::string>* slot = (*key == "commit" || *key == "revision") ? &commit
                                       : *key == "ref"                          ? &ref
                                                                                : nullptr;
    if (slot == nullptr) continue;
    if (slot->has_value()) {
      return {"", true, *key + " is given more than once (commit and revision are one parameter)"};
    }
    std::optional<std::string> value =
        Decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return {"", true, "malformed percent-encoding in the query"};
    *slot = std::move(*value);
  }
  if (commit && ref) return {"", true, "give commit or ref, not both"};
  if (commit) {
    if (!queue::ValidateCommit(*commit).ok()) {
      return {"", false, "commit must be a 40-character lowercase hex commit id"};
    }
    return {std::move(*commit), false, ""};
  }
  if (!ref) return {"main", true, ""};
  bool valid = !ref->empty() && ref->size() <= kMaxRefBytes;
  for (char c : *ref) valid = valid && static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  if (!valid)
    return {"", true, "ref must be 1-255 characters without spaces or control characters"};
  return {queue::StoreRefName(*ref), true, ""};
}

std::string MakeEtag(uint64_t hash, bool svg) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string etag = svg ? "\"s-" : "\"j-";
  for (int shift = 60; shift >= 0; shift -= 4) etag.push_back(kHex[(hash >> shift) & 0xf]);
  etag.push_back('"');
  return etag;
}

}  // namespace

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::shared_ptr<const std::string> SvgCache::Find(std::string_view badge_json, uint64_t hash) {
  size_t slot = hash % kSlots;
  std::lock_guard<std::mutex> lock(mu_[slot % kShards]);
  const Entry& entry = entries_[slot];
  return entry.key == badge_json ? entry.svg : nullptr;
}

void SvgCache::Store(std::string_view badge_json, uint64_t hash,
                     std::shared_ptr<const std::string> svg) {
  if (badge_json.size() > kMaxKeyBytes) return;
  size_t slot = hash % kSlots;
  std::lock_guard<std::mutex> lock(mu_[slot % kShards]);
  entries_[slot] = Entry{std::string(badge_json), std::move(svg)};
}

HttpResponse BadgeReader::Read(std::string_view repo, std::string_view query, bool svg,
                               std::string_view if_none_match) {
  Target target = ParseTarget(query);
  if (!target.error.empty()) return Fail(400, target.error);
  Result<std::optional<std::string>> found = store_.GetBadgeJson(repo, target.name, target.by_ref);
  if (!found.ok()) {
    return found.error().code() == ErrorCode::kUnavailable ? Fail(503, "badge store unavailable")
                                                           : Fail(500, "internal error");
  }
  if (!found->has_value()) {
    return Fail(404, target.by_ref ? "no badge for this repository" : "no badge for this revision");
  }
  std::string& json = **found;
  uint64_t hash = Fnv1a64(json);
  HttpResponse response;
  response.content_type = svg ? kSvgType : kJsonType;
  std::string etag = MakeEtag(hash, svg);
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Cache-Control", kPublicCache);
  if (svg) {
    // Defence in depth for an SVG opened directly: no scripts, no external loads.
    response.headers.emplace_back("Content-Security-Policy",
                                  "default-src 'none'; style-src 'unsafe-inline'");
  }
  if (!if_none_match.empty() && EtagMatches(if_none_match, etag)) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  if (!svg) {
    response.body = std::move(json);
    return response;
  }
  std::shared_ptr<const std::string> rendered = svg_cache_.Find(json, hash);
  if (rendered == nullptr) {
    Result<badges::Badge> badge = badges::BadgeFromJson(json);
    if (!badge.ok()) return Fail(500, "internal error");
    rendered = std::make_shared<const std::string>(badges::BadgeToSvg(*badge));
    svg_cache_.Store(json, hash, rendered);
  }
  response.body = *rendered;
  return response;
}

}  // namespace provbadge::worker
