// The worker pipeline: one delivery -> parse event -> snapshot the revision -> verify its
// lineage (parents through the hub, parent cache and revocations in the store) -> lineage
// index -> badge (+ signed verdict) -> store -> complete. Acknowledged only after the badge is
// stored (DESIGN.md).
//
//   invalid event (schema, fields)        -> Reject: dead-lettered with the reason
//   revision missing / hub storage fault  -> Retry with backoff (the previous badge stays)
//   verification outcome (any verdict)    -> badge stored, Ack
//   store fault                           -> Retry with backoff, never Ack
//   a revocation added during the walk    -> Retry at once (decided again with it)
//   exception escaping anything           -> Retry (a bug must not lose the event)
// The queue dead-letters a message after its max attempts.
//
// Ownership: borrows every collaborator; they must outlive the Pipeline.
// Thread-safety: Process() and Run() may be called from several threads at once.
#ifndef PROVBADGE_WORKER_PIPELINE_H_
#define PROVBADGE_WORKER_PIPELINE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "provbadge/badges/badge_store.h"
#include "provbadge/badges/verdict.h"
#include "provbadge/queue/event_queue.h"
#include "provbadge/verifier/policy.h"
#include "provbadge/worker/hub_source.h"
#include "provbadge/worker/metrics.h"

namespace provbadge::worker {

struct PipelineOptions {
  std::chrono::milliseconds retry_base{1000};  // doubled per attempt, capped at 10 minutes
  std::chrono::milliseconds poll{500};         // Receive timeout; bounds shutdown latency
  // Borrowed, may be null. Once true, verifications in progress stop reading the hub and their
  // deliveries are handed back to the queue (kRetry without delay, "worker shutting down"):
  // the shutdown deadline. Never a verdict.
  const std::atomic<bool>* abort = nullptr;
  // Borrowed, may be null: the key every badge's verification summary is signed with
  // (BadgeRecord.vsa_json). Null: badges are stored without a signed verdict.
  const badges::VerdictKey* verdict_key = nullptr;
};

// What Process() decided, for logs and tests.
struct ProcessResult {
  queue::Outcome outcome;
  std::string repo, commit, state;  // state: badge state, or "retried" / "dead_lettered"
};

class Pipeline {
 public:
  Pipeline(queue::EventQueue& queue, badges::BadgeStore& store, HubSource& hub,
           const verifier::TrustPolicy& policy, Metrics& metrics, PipelineOptions options);

  // Handles one delivery and completes it on the queue.
  ProcessResult Process(const queue::Delivery& delivery);
  // Receives and processes until `stop` is set. With `until_idle`, also returns after one
  // poll interval with nothing to receive while the queue holds nothing ready, delayed or
  // in flight (a delayed retry is waited for). Returns the number of deliveries processed.
  size_t Run(const std::atomic<bool>& stop, bool until_idle);
  // Called after every processed delivery (logging); may be empty.
  void set_observer(std::function<void(const ProcessResult&)> f) { observer_ = std::move(f); }

 private:
  ProcessResult Decide(const queue::Delivery& delivery);
  queue::Outcome RetryOutcome(int attempt, std::string reason) const;
  ProcessResult StoreFault(const queue::Delivery& delivery, const Error& error,
                           ProcessResult result);
  bool QueueDrained();

  queue::EventQueue& queue_;
  badges::BadgeStore& store_;
  HubSource& hub_;
  const verifier::TrustPolicy& policy_;
  Metrics& metrics_;
  PipelineOptions options_;
  std::function<void(const ProcessResult&)> observer_;
};

// Current time as RFC 3339 UTC with seconds ("2026-11-23T15:00:00Z").
std::string NowRfc3339();

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_PIPELINE_H_
