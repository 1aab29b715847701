// The pure (socket-free) parts of the hub HTTP client, tested without a server: URL and Link
// header parsing, percent-encoding, and the tree listing's JSON.
//
// Thread-safety: pure functions on plain values.
#ifndef PROVBADGE_WORKER_SRC_HUB_HTTP_INTERNAL_H_
#define PROVBADGE_WORKER_SRC_HUB_HTTP_INTERNAL_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::worker::hub_http {

// scheme://host[:port][/prefix]: where requests go.
struct Origin {
  bool tls = false;
  std::string host;    // without brackets for IPv6
  std::string port;    // "443" / "80" by default
  std::string prefix;  // path prefix without trailing '/', "" for none
  bool SameServer(const Origin& other) const {
    return tls == other.tls && host == other.host && port == other.port;
  }
};

// An absolute http(s) URL split into its origin and target ("/path?query"). The origin's
// prefix is empty. kInvalidInput for anything else (userinfo, fragments, other schemes,
// control characters or spaces).
struct Url {
  Origin origin;
  std::string target;
};
Result<Url> ParseUrl(std::string_view url);

// hub.url: an absolute http(s) URL without query; its path becomes the origin's prefix.
Result<Origin> ParseBaseUrl(std::string_view url);

// Every byte except unreserved characters (and '/' when `keep_slash`) as %XX.
std::string PercentEncode(std::string_view text, bool keep_slash);

// The rel="next" URL of a Link header value, if any.
std::optional<std::string> NextLink(std::string_view link_header);

// One page of GET /api/models/{repo}/tree/{commit}?recursive=true: "file" entries are
// appended to `files` (sha256 = lfs.oid, lfs = true, when present); "directory" entries are
// skipped. kInvalidInput names the entry and the field (bad path, size, oid; a duplicate path;
// more than `max_files` files in total).
Status AppendTreePage(std::string_view json, size_t max_files,
                      std::vector<verifier::FileInfo>& files);

// GET /api/models/{repo}/revision/{ref} -> its "sha" (40 lowercase hex), or kInvalidInput.
Result<std::string> ParseRevisionSha(std::string_view json);

// "bytes a-b/total" -> {a, b, total}; nullopt if malformed.
struct ContentRange {
  uint64_t first = 0, last = 0, total = 0;
};
std::optional<ContentRange> ParseContentRange(std::string_view value);

}  // namespace provbadge::worker::hub_http

#endif  // PROVBADGE_WORKER_SRC_HUB_HTTP_INTERNAL_H_
