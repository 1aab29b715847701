// The upload event: one message per (repo, updated ref), immutable, idempotent
// (notes/formats.md §7). Documented in docs/upload-event.md.
//
// Thread-safety: plain values and pure functions.
#ifndef PROVBADGE_QUEUE_UPLOAD_EVENT_H_
#define PROVBADGE_QUEUE_UPLOAD_EVENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"

namespace provbadge::queue {

inline constexpr std::string_view kUploadEventSchema = "urn:provbadge:upload-event:v1";

struct UploadEvent {
  std::string event_id;     // [A-Za-z0-9._:-]{1,128}
  std::string repo;         // "org/name": each part [A-Za-z0-9][A-Za-z0-9._-]{0,95}, no ".."
  std::string ref;          // "main", "refs/heads/main", "refs/pr/3" ...; may be empty
  std::string commit;       // 40 lowercase hex
  int64_t seq = 0;          // ordering: larger is newer (Unix ms at enqueue); 0 < seq < 2^53
  std::string received_at;  // RFC 3339 UTC
  std::string source;       // "cli", "hf-webhook", ...
};

// Parses and validates; kInvalidInput names the field and the reason. Bodies over 64 KiB,
// unknown schema versions and JSON nested deeper than 16 levels are rejected.
Result<UploadEvent> ParseUploadEvent(std::string_view json);
std::string SerializeUploadEvent(const UploadEvent& event);
// Validation shared with other entry points (CLI, webhook).
Status ValidateRepoName(std::string_view repo);
Status ValidateCommit(std::string_view commit);

}  // namespace provbadge::queue

#endif  // PROVBADGE_QUEUE_UPLOAD_EVENT_H_
