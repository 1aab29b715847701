// The Redis key layout and redis:// URL parsing (redis_store.h). No hiredis here.
#include <charconv>
#include <string>

#include "provbadge/badges/redis_store.h"

namespace provbadge::badges {
namespace {

// '%', '{' and '}' percent-encoded: a part can neither close the hash tag nor fake an escape.
std::string EscapePart(std::string_view part) {
  std::string out;
  out.reserve(part.size());
  for (char c : part) {
    if (c == '%') {
      out += "%25";
    } else if (c == '{') {
      out += "%7B";
    } else if (c == '}') {
      out += "%7D";
    } else {
      out += c;
    }
  }
  return out;
}

Result<int> ParseNumber(std::string_view text, int min, int max, std::string_view what) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return InvalidInput("redis url: " + std::string(what) + " must be a number between " +
                        std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

}  // namespace

std::string RedisRepoKey(std::string_view prefix, std::string_view kind, std::string_view repo,
                         std::string_view last) {
  return RedisTaggedKey(prefix, kind, repo) + ":" + EscapePart(last);
}

std::string RedisTaggedKey(std::string_view prefix, std::string_view kind, std::string_view tag) {
  return std::string(prefix) + ":" + std::string(kind) + ":{" + EscapePart(tag) + "}";
}

std::string RedisJoinFields(const std::vector<std::string_view>& parts) {
  std::string out;
  for (std::string_view part : parts) {
    out += std::to_string(part.size());
    out += ':';
    out += part;
  }
  return out;
}

std::optional<std::vector<std::string>> RedisSplitFields(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    size_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + colon, n);
    if (ec != std::errc() || end != text.data() + colon || n > text.size() - colon - 1) {
      return std::nullopt;
    }
    out.emplace_back(text.substr(colon + 1, n));
    text.remove_prefix(colon + 1 + n);
  }
  return out;
}

std::string RedisBadgeKey(std::string_view prefix, std::string_view repo, std::string_view commit) {
  return RedisRepoKey(prefix, "badge", repo, commit);
}

std::string RedisRefKey(std::string_view prefix, std::string_view repo, std::string_view ref) {
  return RedisRepoKey(prefix, "ref", repo, ref);
}

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidInput("redis url: must start with redis:// (rediss:// is not supported)");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidInput("redis url: must not contain spaces or control characters");
    }
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint endpoint;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      return InvalidInput("redis url: credentials must be [user]:password@");
    }
    endpoint.password = std::string(userinfo.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  std::string_view hostport = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      Result<int> n = ParseNumber(db, 0, 1'000'000, "database");
      if (!n.ok()) return n.error();
      endpoint.db = *n;
    }
  }
  std::string_view host = hostport;
  if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    Result<int> port = ParseNumber(hostport.substr(colon + 1), 1, 65535, "port");
    if (!port.ok()) return port.error();
    endpoint.port = *port;
  }
  if (host.empty()) return InvalidInput("redis url: host must not be empty");
  endpoint.host = std::string(host);
  return endpoint;
}

}  // namespace provbadge::badges
