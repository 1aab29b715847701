#include "provbadge/worker/pipeline.h"

#include <algorithm>
#include <ctime>
#include <exception>
#include <mutex>
#include <thread>

#include "fault_tracking.h"
#include "provbadge/badges/badge.h"
#include "provbadge/badges/verdict.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/verifier/lineage.h"
#include "provbadge/worker/hub_mirror.h"
#include "provbadge/worker/lineage_adapters.h"

namespace provbadge::worker {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Pipeline::Pipeline(queue::EventQueue& queue, badges::BadgeStore& store, HubSource& hub,
                   const verifier::TrustPolicy& policy, Metrics& metrics, PipelineOptions options)
    : queue_(queue),
      store_(store),
      hub_(hub),
      policy_(policy),
      metrics_(metrics),
      options_(options) {}

queue::Outcome Pipeline::RetryOutcome(int attempt, std::string reason) const {
  const int shift = std::clamp(attempt - 1, 0, 20);
  auto delay = options_.retry_base * (int64_t{1} << shift);
  delay = std::min<std::chrono::milliseconds>(delay, std::chrono::minutes(10));
  return queue::Outcome::Retry(delay, std::move(reason));
}

ProcessResult Pipeline::Decide(const queue::Delivery& delivery) {
  ProcessResult result;
  auto event = queue::ParseUploadEvent(delivery.body);
  if (!event.ok()) {
    result.outcome = queue::Outcome::Reject("invalid upload event: " + event.error().message());
    result.state = "dead_lettered";
    return result;
  }
  result.repo = event->repo;
  result.commit = event->commit;
  auto source = hub_.OpenRevision(event->repo, event->commit);
  if (!source.ok()) {
    result.outcome = RetryOutcome(delivery.attempt, source.error().message());
    result.state = "retried";
    return result;
  }
  auto revocations = LoadRevocations(store_);
  if (!revocations.ok()) return StoreFault(delivery, revocations.error(), std::move(result));
  FaultSlot faults;
  FaultTrackingSource tracked(std::move(source).value(), faults, options_.abort);
  HubParentResolver resolver(hub_, [&](std::unique_ptr<verifier::RevisionSource> parent) {
    return std::unique_ptr<verifier::RevisionSource>(
        std::make_unique<FaultTrackingSource>(std::move(parent), faults, options_.abort));
  });
  StoreLineageCache cache(store_);
  verifier::LineageOptions lineage{&resolver, &cache, &*revocations};
  const auto started = Clock::now();
  auto report = verifier::VerifyLineage(tracked, event->repo, event->commit, policy_, lineage);
  metrics_.ObserveVerificationSeconds(
      std::chrono::duration<double>(Clock::now() - started).count());
  if (Aborted(options_.abort)) {
    // Handed back as it was: another worker (or this one after restart) takes it again.
    result.outcome = queue::Outcome::Retry(std::chrono::milliseconds(0), "worker shutting down");
    result.state = "retried";
    return result;
  }
  std::optional<Error> fault = faults.fault();
  if (!fault && !report.ok()) fault = report.error();
  if (fault) {
    result.outcome = RetryOutcome(delivery.attempt, "hub storage: " + fault->message());
    result.state = "retried";
    return result;
  }
  // The index first, so a stored badge always has its edges (revocations find it), then a
  // second look at the revocations: one added during the walk sends the event round again.
  if (Status s = RecordReportLineage(store_, *report); !s.ok()) {
    return StoreFault(delivery, s.error(), std::move(result));
  }
  auto recheck = LoadRevocations(store_);
  if (!recheck.ok()) return StoreFault(delivery, recheck.error(), std::move(result));
  if (recheck->revisions != revocations->revisions || recheck->signers != revocations->signers) {
    result.outcome = queue::Outcome::Retry(std::chrono::milliseconds(0), "revocations changed");
    result.state = "retried";
    return result;
  }
  badges::BadgeRecord record;
  record.badge = badges::BadgeFromReport(*report, event->repo, event->commit, NowRfc3339());
  record.ref = NormalizeRef(event->ref);
  record.seq = event->seq;
  record.report_json = verifier::ReportToJson(*report);
  if (options_.verdict_key != nullptr) {
    auto vsa = badges::SignVerdict(record.badge, *options_.verdict_key);
    if (!vsa.ok()) {
      result.outcome =
          RetryOutcome(delivery.attempt, "signing the verdict: " + vsa.error().message());
      result.state = "retried";
      return result;
    }
    record.vsa_json = std::move(vsa).value();
  }
  auto put = store_.Put(record);
  if (!put.ok()) return StoreFault(delivery, put.error(), std::move(result));
  metrics_.CountStoreWrite(*put == badges::PutResult::kWritten);
  result.outcome = queue::Outcome::Ack();
  result.state = std::string(badges::BadgeStateName(record.badge.state));
  return result;
}

ProcessResult Pipeline::StoreFault(const queue::Delivery& delivery, const Error& error,
                                   ProcessResult result) {
  metrics_.CountStoreError();
  result.outcome = RetryOutcome(delivery.attempt, "badge store: " + error.message());
  result.state = "retried";
  return result;
}

ProcessResult Pipeline::Process(const queue::Delivery& delivery) {
  ProcessResult result;
  metrics_.AddInFlight(1);
  try {
    result = Decide(delivery);
  } catch (const std::exception& e) {
    result.outcome = RetryOutcome(delivery.attempt, std::string("internal error: ") + e.what());
    result.state = "retried";
  } catch (...) {
    result.outcome = RetryOutcome(delivery.attempt, "internal error");
    result.state = "retried";
  }
  metrics_.CountEvent(result.state);
  // A failed Complete leaves the delivery in flight; the queue redelivers it later.
  (void)queue_.Complete(delivery, result.outcome);
  metrics_.AddInFlight(-1);
  if (observer_) observer_(result);
  return result;
}

bool Pipeline::QueueDrained() {
  auto stats = queue_.Stats();
  return stats.ok() && stats->ready == 0 && stats->in_flight == 0;
}

size_t Pipeline::Run(const std::atomic<bool>& stop, bool until_idle) {
  size_t processed = 0;
  while (!stop.load()) {
    auto delivery = queue_.Receive(options_.poll);
    if (!delivery.ok()) {
      std::this_thread::sleep_for(options_.poll);  // queue storage fault: back off, retry
      continue;
    }
    if (!delivery->has_value()) {
      if (until_idle && QueueDrained()) break;
      continue;
    }
    Process(**delivery);
    ++processed;
  }
  return processed;
}

}  // namespace provbadge::worker
