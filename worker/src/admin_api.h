// The admin API of the worker's HTTP server (README "Admin API"), routed by HttpApi:
//
//   POST /v1/admin/revocations   header Authorization: Bearer <http.admin_token>
//     {"repo":"org/name","commit":"<40 lowercase hex>","reason":"..."}  revokes one revision
//     {"signer":"<identity name>","reason":"..."}                       revokes a signer
//   GET /v1/revocations          the public list of revocations (no token)
//
// Revoke() contract:
//  - 401 (with WWW-Authenticate) for a missing, malformed or wrong token, compared in constant
//    time over SHA-256 digests; 413 for a body over kMaxAdminBodyBytes; 400 naming the field for
//    a malformed body (not JSON, duplicate or unknown keys, missing/invalid repo, commit,
//    signer or reason, both a revision and a signer, a signer the trust policy does not know).
//    In all of these nothing is read or changed.
//  - Otherwise, in this order: BadgeStore::AddRevocation (idempotent); the start revisions are
//    the revoked revision, or every revision SignedBy the signer; every descendant is found by
//    a breadth-first walk over BadgeStore::Children (cycle-safe: each revision once; at most
//    `max_requeue` revisions, beyond that the reply says "truncated": true); the cached lineage
//    nodes of every revision found are dropped; then one upload event per revision found (no
//    ref: pointers stay where they are, the revision's record is re-decided) is published with
//    seq = max(now in ms, the stored record's seq + 1), so the re-decision always wins over the
//    verdict it replaces. Reply 202 {"revocation": {...}, "requeued": n, "truncated": bool,
//    "revisions": ["org/name@commit", ...]}.
//  - A store fault is 503 (kUnavailable) or 500; a publish failure is 503 naming how many
//    events were published. The revocation may then be recorded already: the admin repeats the
//    request, which is idempotent (AddRevocation is, and re-queued events are re-decided again).
//
// Ownership: borrows the store and queue, which must outlive it. Thread-safety: Revoke() and
// ListRevocationsResponse() are safe to call concurrently (the store and queue are).
#ifndef PROVBADGE_WORKER_ADMIN_API_H_
#define PROVBADGE_WORKER_ADMIN_API_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "provbadge/badges/badge_store.h"
#include "provbadge/queue/event_queue.h"
#include "provbadge/worker/http_api.h"

namespace provbadge::worker {

inline constexpr size_t kMaxAdminBodyBytes = 4096;
inline constexpr size_t kMaxRevocationReasonBytes = 1024;
inline constexpr size_t kMaxSignerNameBytes = 128;

struct AdminOptions {
  std::string token;  // must not be empty (HttpApi disables the route instead)
  // True when the trust policy has an identity of this name; empty: any well-formed name.
  std::function<bool(std::string_view)> signer_known;
  std::function<int64_t()> now_ms;  // Unix ms for the events' seq; empty: the system clock
  size_t max_requeue = 10000;       // revisions re-queued by one revocation at most
};

class AdminApi {
 public:
  AdminApi(badges::BadgeStore& store, queue::EventQueue& queue, AdminOptions options);
  // POST /v1/admin/revocations (the caller checked the method). Never throws.
  HttpResponse Revoke(const HttpRequest& request);

 private:
  bool TokenMatches(std::string_view authorization) const;

  badges::BadgeStore& store_;
  queue::EventQueue& queue_;
  AdminOptions options_;
  std::string token_digest_;  // SHA-256 of the token
};

// GET /v1/revocations: {"revocations": [{"kind", "repo", "commit", "signer", "reason",
// "createdAt"}]} (empty strings left out); 503/500 on a store fault.
HttpResponse ListRevocationsResponse(badges::BadgeStore& store);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_ADMIN_API_H_
