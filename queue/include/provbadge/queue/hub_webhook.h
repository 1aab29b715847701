// Hub webhook normalisation: a Hugging Face webhook v3 payload (notes/formats.md §4.1) becomes
// a list of actions for the ingest to carry out. A pure function: no I/O, no clock (the caller
// passes `seq` and `received_at`).
//
//   scope repo.content (and narrower repo.content.*), action update, repo.type model:
//     one kPublish per updatedRefs entry with a newSha: an UploadEvent for (repo, ref, newSha)
//     whose event_id is hex sha256("<webhook.id>|<repo.id>|<ref>|<newSha>"), so a replayed
//     delivery dedupes in the queue while the first one is queued; one kDeleteRef per entry
//     whose newSha is null. The payload carries no time and no delivery id, so a delivery
//     replayed after its event was processed cannot be told apart here: the worker's ingest
//     checks each ref against the hub's current state instead (webhook_ingest.h).
//   scope repo, action delete: kPurgeRepo.
//   scope repo, action move: kMoveRepo (repo -> movedTo.name), then a kPublish of the new name
//     at headSha for ref "main" (when headSha is given), so the badge is re-checked under the
//     trust rules of the new name.
//   anything else (datasets, spaces, discussions, repo.config, repo create/update): no
//     actions, `ignored` says why. The hub must get a 2xx for these, or it retries them.
//
// Validation: at most kMaxHubWebhookBytes, JSON nested at most 32 deep, no duplicate keys,
// webhook.version 3, and every field that is used is checked (repo name, 40-hex shas, ref
// text); a field that is not used is not required. Errors are kInvalidInput naming the field
// ("updatedRefs[1].newSha: must be 40 lowercase hex characters or null").
//
// Thread-safety: pure functions on plain values.
#ifndef PROVBADGE_QUEUE_HUB_WEBHOOK_H_
#define PROVBADGE_QUEUE_HUB_WEBHOOK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/limits.h"
#include "provbadge/common/result.h"
#include "provbadge/queue/upload_event.h"

namespace provbadge::queue {

// provbadge/common/limits.h: the payload size and its updatedRefs entries.
inline constexpr size_t kMaxHubWebhookBytes = limits::kMaxHubWebhookBytes;
inline constexpr size_t kMaxHubWebhookRefs = limits::kMaxHubWebhookRefs;

struct WebhookAction {
  enum class Kind { kPublish, kDeleteRef, kPurgeRepo, kMoveRepo };
  Kind kind = Kind::kPublish;
  UploadEvent event;       // kPublish: the event to queue (event.repo is the repo)
  std::string old_commit;  // kPublish from updatedRefs: the entry's oldSha ("" when null);
                           // the ingest's replay guard tells "hub lags" from "stale" with it
  std::string repo;        // every kind: the repo acted on ("org/name")
  std::string ref;         // kDeleteRef: the ref as the badge store keys it ("main", "refs/pr/1")
  std::string moved_to;    // kMoveRepo: the new "org/name"
};

struct WebhookPlan {
  std::vector<WebhookAction> actions;
  std::string ignored;  // non-empty when the payload needs no action: the reason
};

// `seq` (0 < seq < 2^53) orders the produced events; `received_at` is RFC 3339 UTC.
Result<WebhookPlan> NormalizeHubWebhook(std::string_view body, int64_t seq,
                                        std::string_view received_at);

// "refs/heads/main" -> "main"; other refs unchanged (the badge store's ref keys).
std::string StoreRefName(std::string_view ref);

}  // namespace provbadge::queue

#endif  // PROVBADGE_QUEUE_HUB_WEBHOOK_H_
