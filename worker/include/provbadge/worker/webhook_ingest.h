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
#include "provbadge/worker/metrics.h"

namespace provbadge::worker {

struct WebhookReply {
  int status = 200;
  std::string body;  // JSON: {"published": n, ...} or {"error": "..."}
};

class WebhookIngest {
 public:
  // `secret` must not be empty. `now_ms` gives the events' seq (Unix ms); empty: system clock.
  WebhookIngest(queue::EventQueue& queue, badges::BadgeStore& store, Metrics& metrics,
                std::string secret, std::function<int64_t()> now_ms = {});
  WebhookReply Handle(std::string_view provided_secret, std::string_view body);

 private:
  bool SecretMatches(std::string_view provided) const;

  queue::EventQueue& queue_;
  badges::BadgeStore& store_;
  Metrics& metrics_;
  std::string secret_digest_;  // SHA-256 of the secret
  std::function<int64_t()> now_ms_;
};

// SHA-256 of `text` as 32 raw bytes.
std::string Sha256Raw(std::string_view text);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_WEBHOOK_INGEST_H_
