// Hub webhook ingest (POST /v1/hooks/hub): checks the shared secret, normalises the payload
// (queue/hub_webhook.h) and carries out its actions: publishes upload events, deletes a ref's
// badge pointer, purges or re-keys a repo's badges.
//
// Reply contract (what the hub sees): 202 when every action is done (every Publish returned
// Ok: the events are durable); 200 when the payload needs no action (other repo types and
// scopes: a 2xx stops the hub from retrying); 401 for a missing or wrong secret; 400 for a
// malformed payload (naming the field); 503 when the queue or store failed, so the hub
// retries the delivery (a replay dedupes: event ids are derived from the payload).
// The secret is compared in constant time over SHA-256 digests, so neither its bytes nor its
// length leak through timing.
//
// Replay guard (when a HubSource is given; the worker always gives its hub). Hub payloads carry
// no time and no delivery id, and the hub lets operators replay old deliveries, so an event's
// seq (arrival time) cannot order it. Before acting on a ref, the ingest asks the hub where the
// ref points now (HubSource::ResolveRef):
//   publish (updatedRefs newSha, or a move's headSha):
//     the ref points at newSha            -> published as is (moves the ref pointer);
//     the ref points at oldSha            -> 503: the hub's API has not caught up with its own
//                                            delivery yet; the hub retries it later;
//     elsewhere, or the ref is gone       -> stale (replayed, or overtaken by a newer push):
//                                            published without its ref, so the revision's own
//                                            badge is (re)decided and no pointer moves;
//   delete ref: the ref is gone -> deleted; the ref exists (again) -> stale, left alone;
//   a hub fault (kUnavailable, ...)       -> 503, the hub retries.
// The reply counts them: {"published", "stale", "actions"}. Without a hub (tests, tools), every
// action is carried out as received.
//
// Ownership: borrows queue, store and metrics, which must outlive it. Thread-safety: Handle()
// is safe to call concurrently (the collaborators are thread-safe).
#ifndef PROVBADGE_WORKER_WEBHOOK_INGEST_H_
#define PROVBADGE_WORKER_WEBHOOK_INGEST_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "provbadge/badges/badge_store.h"
#include "provbadge/queue/event_queue.h"
#include "provbadge/queue/hub_webhook.h"
#include "provbadge/worker/hub_source.h"
#include "provbadge/worker/metrics.h"

namespace provbadge::worker {

struct WebhookReply {
  int status = 200;
  std::string body;  // JSON: {"published": n, ...} or {"error": "..."}
};

class WebhookIngest {
 public:
  // `secret` must not be empty. `now_ms` gives the events' seq (Unix ms); empty: system clock.
  // `hub` (borrowed, may be null: no replay guard) must outlive the ingest.
  WebhookIngest(queue::EventQueue& queue, badges::BadgeStore& store, Metrics& metrics,
                std::string secret, std::function<int64_t()> now_ms = {},
                const HubSource* hub = nullptr);
  WebhookReply Handle(std::string_view provided_secret, std::string_view body);

 private:
  bool SecretMatches(std::string_view provided) const;
  // The replay guard for one action (see above): Ok(true) act, Ok(false) stale, error retry.
  Result<bool> Current(const queue::WebhookAction& action) const;

  queue::EventQueue& queue_;
  badges::BadgeStore& store_;
  Metrics& metrics_;
  std::string secret_digest_;  // SHA-256 of the secret
  std::function<int64_t()> now_ms_;
  const HubSource* hub_;
};

// SHA-256 of `text` as 32 raw bytes.
std::string Sha256Raw(std::string_view text);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_WEBHOOK_INGEST_H_
