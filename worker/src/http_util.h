// Small helpers shared by the HTTP API's handlers (http_api.cc, badge_read.cc,
// verdict_read.cc, admin_api.cc).
//
// Thread-safety: pure functions.
#ifndef PROVBADGE_WORKER_SRC_HTTP_UTIL_H_
#define PROVBADGE_WORKER_SRC_HTTP_UTIL_H_

#include <optional>
#include <string>
#include <string_view>

#include "provbadge/worker/http_api.h"

namespace provbadge::worker {

// A JSON error reply {"error": message} that is never cached.
HttpResponse JsonError(int status, std::string_view message);

// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a broken escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

// RFC 9110 §13.1.2: `etag` weakly matches the comma-separated If-None-Match list, or "*".
bool EtagMatches(std::string_view if_none_match, std::string_view etag);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_SRC_HTTP_UTIL_H_
