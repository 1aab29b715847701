// The socket-free parts of the hub HTTP client (hub_http_internal.h).
#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "hub_http_internal.h"
#include "provbadge/worker/directory_source.h"

namespace provbadge::worker::hub_http {
namespace {

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsLowerHex(std::string_view s, size_t length) {
  if (s.size() != length) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// A JSON number that is a non-negative integer below 2^53.
std::optional<uint64_t> JsonSize(const nlohmann::json& v) {
  if (!v.is_number_unsigned()) return std::nullopt;
  uint64_t n = v.get<uint64_t>();
  if (n >= (uint64_t{1} << 53)) return std::nullopt;
  return n;
}

Status EntryError(size_t index, std::string_view what) {
  return InvalidInput("hub tree entry " + std::to_string(index) + ": " + std::string(what));
}

// Reads one "file" entry into `info`.
Status ReadFileEntry(const nlohmann::json& entry, size_t index, verifier::FileInfo& info) {
  auto path = entry.find("path");
  if (path == entry.end() || !path->is_string()) return EntryError(index, "path: not a string");
  info.path = path->get<std::string>();
  if (Status s = ValidateRelativePath(info.path); !s.ok()) {
    return EntryError(index, "path: " + s.error().message());
  }
  auto size = entry.find("size");
  std::optional<uint64_t> n = size == entry.end() ? std::nullopt : JsonSize(*size);
  if (!n) return EntryError(index, "size: not a non-negative integer");
  info.size = *n;
  auto lfs = entry.find("lfs");
  if (lfs == entry.end() || lfs->is_null()) return Status::Ok();
  if (!lfs->is_object()) return EntryError(index, "lfs: not an object");
  auto oid = lfs->find("oid");
  if (oid == lfs->end() || !oid->is_string() || !IsLowerHex(oid->get<std::string>(), 64)) {
    return EntryError(index, "lfs.oid: not a 64-character lowercase hex sha256");
  }
  auto lfs_size = lfs->find("size");
  if (lfs_size != lfs->end() && JsonSize(*lfs_size) != n) {
    return EntryError(index, "lfs.size: differs from size");
  }
  info.sha256 = oid->get<std::string>();
  info.lfs = true;
  return Status::Ok();
}

}  // namespace

Result<Url> ParseUrl(std::string_view url) {
  Url out;
  constexpr std::string_view kHttp = "http://", kHttps = "https://";
  std::string_view rest;
  if (url.substr(0, kHttps.size()) == kHttps) {
    out.origin.tls = true;
    rest = url.substr(kHttps.size());
  } else if (url.substr(0, kHttp.size()) == kHttp) {
    rest = url.substr(kHttp.size());
  } else {
    return InvalidInput("url: must start with http:// or https://");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#' || c == '\\') {
      return InvalidInput("url: must not contain spaces, control characters, '#' or '\\'");
    }
  }
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    return InvalidInput("url: credentials in the URL are not allowed; use hub.token");
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidInput("url: unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return InvalidInput("url: bad port");
    if (!after.empty()) port = after.substr(1);
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return InvalidInput("url: missing host");
  std::optional<uint64_t> port_number = ParseU64(port);
  if (!port.empty() && (!port_number || *port_number == 0 || *port_number > 65535)) {
    return InvalidInput("url: port must be 1-65535");
  }
  out.origin.host = std::string(host);
  out.origin.port = port.empty() ? (out.origin.tls ? "443" : "80") : std::string(port);
  return out;
}

Result<Origin> ParseBaseUrl(std::string_view url) {
  Result<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.error();
  if (parsed->target.find('?') != std::string::npos) return InvalidInput("url: no query allowed");
  Origin origin = parsed->origin;
  origin.prefix = parsed->target;
  while (!origin.prefix.empty() && origin.prefix.back() == '/') origin.prefix.pop_back();
  return origin;
}

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      unsigned char b = static_cast<unsigned char>(c);
      out += {'%', kHex[b >> 4], kHex[b & 0xf]};
    }
  }
  return out;
}

std::optional<std::string> NextLink(std::string_view header) {
  while (!header.empty()) {
    size_t open = header.find('<');
    if (open == std::string_view::npos) return std::nullopt;
    size_t close = header.find('>', open);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view url = header.substr(open + 1, close - open - 1);
    size_t next = header.find(',', close);
    std::string_view params = header.substr(
        close + 1, next == std::string_view::npos ? std::string_view::npos : next - close - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos ||
        params.find("rel=next") != std::string_view::npos) {
      return std::string(url);
    }
    if (next == std::string_view::npos) return std::nullopt;
    header = header.substr(next + 1);
  }
  return std::nullopt;
}

Status AppendTreePage(std::string_view json, size_t max_files,
                      std::vector<verifier::FileInfo>& files) {
  auto page = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (page.is_discarded()) return InvalidInput("hub tree: not valid JSON");
  if (!page.is_array()) return InvalidInput("hub tree: not a JSON array");
  std::set<std::string> seen;
  for (const auto& f : files) seen.insert(f.path);
  for (size_t i = 0; i < page.size(); ++i) {
    const nlohmann::json& entry = page[i];
    if (!entry.is_object()) return EntryError(i, "not an object");
    auto type = entry.find("type");
    if (type == entry.end() || !type->is_string()) return EntryError(i, "type: not a string");
    if (*type == "directory") continue;
    if (*type != "file") return EntryError(i, "type: neither file nor directory");
    verifier::FileInfo info;
    if (Status s = ReadFileEntry(entry, i, info); !s.ok()) return s;
    if (!seen.insert(info.path).second) return EntryError(i, "path: listed twice");
    if (files.size() >= max_files) {
      return InvalidInput("hub tree: more than " + std::to_string(max_files) + " files");
    }
    files.push_back(std::move(info));
  }
  return Status::Ok();
}

Result<std::string> ParseRevisionSha(std::string_view json) {
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return InvalidInput("hub revision: not a JSON object");
  auto sha = doc.find("sha");
  if (sha == doc.end() || !sha->is_string() || !IsLowerHex(sha->get<std::string>(), 40)) {
    return InvalidInput("hub revision: \"sha\" is not a 40-character lowercase hex commit");
  }
  return sha->get<std::string>();
}

std::optional<ContentRange> ParseContentRange(std::string_view value) {
  constexpr std::string_view kBytes = "bytes ";
  if (value.substr(0, kBytes.size()) != kBytes) return std::nullopt;
  value.remove_prefix(kBytes.size());
  size_t dash = value.find('-'), slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  auto first = ParseU64(value.substr(0, dash));
  auto last = ParseU64(value.substr(dash + 1, slash - dash - 1));
  auto total = ParseU64(value.substr(slash + 1));
  if (!first || !last || !total || *first > *last || *last >= *total) return std::nullopt;
  return ContentRange{*first, *last, *total};
}

}  // namespace provbadge::worker::hub_http
