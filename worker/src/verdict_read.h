// GET /v1/badges/{org}/{name}?format=vsa[&commit=<40 hex>|&ref=<ref>] (routed by HttpApi): the
// stored signed verdict of a revision — the DSSE envelope of its SLSA verification summary
// (badges/verdict.h), exactly as the worker stored it in BadgeRecord::vsa_json.
//
// Query: `commit` (alias `revision`, 40 lowercase hex) names a revision; `ref` (1-255 printable
// characters; "refs/heads/x" is read as "x") follows a ref pointer; neither: the "main" ref.
// Giving both, repeating one, or a malformed value is 400. No badge, or a badge stored without
// a signed verdict (verdicts not configured, or a pending badge): 404. A store fault: 503/500.
// 200 is application/json with the envelope bytes, Cache-Control public, max-age=60.
//
// Thread-safety: a pure function of the store, which must be thread-safe.
#ifndef PROVBADGE_WORKER_VERDICT_READ_H_
#define PROVBADGE_WORKER_VERDICT_READ_H_

#include <string_view>

#include "provbadge/badges/badge_store.h"
#include "provbadge/worker/http_api.h"

namespace provbadge::worker {

// True when `query` (the part after '?') asks for format=vsa.
bool WantsVerdict(std::string_view query);

// `repo` is a validated "org/name". Never throws.
HttpResponse ReadVerdict(badges::BadgeStore& store, std::string_view repo, std::string_view query);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_VERDICT_READ_H_
