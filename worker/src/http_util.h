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

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_SRC_HTTP_UTIL_H_
