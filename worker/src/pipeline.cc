#include "provbadge/worker/pipeline.h"

#include <algorithm>
#include <ctime>
#include <exception>
#include <mutex>
#include <thread>

#include "provbadge/badges/badge.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/worker/hub_mirror.h"

namespace provbadge::worker {
namespace {

using Clock = std::chrono::steady_clock;

bool Aborted(const std::atomic<bool>* abort) { return abort != nullptr && abort->load(); }

Error ShuttingDown() { return Unavailable("worker shutting down"); }

// A FileReader that stops reading once the pipeline's abort flag is set.
class AbortableReader : public verifier::FileReader {
 public:
  AbortableReader(std::unique_ptr<verifier::FileReader> inner, const std::atomic<bool>* abort)
      : inner_(std::move(inner)), abort_(abort) {}
  uint64_t Size() const override { return inner_->Size(); }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    if (Aborted(abort_)) return ShuttingDown();
    return inner_->ReadAt(offset, buf);
  }
  void WillNeed(uint64_t offset, uint64_t len) override { inner_->WillNeed(offset, len); }
  std::string ContentTag() const override { return inner_->ContentTag(); }

 private:
  std::unique_ptr<verifier::FileReader> inner_;
  const std::atomic<bool>* abort_;
};

// Wraps a RevisionSource and remembers the first transient (kUnavailable) error any call
// returned, so a storage fault during verification becomes a retry, never a verdict.
// Readers it opens stop at the abort flag (a transient fault too).
class FaultTrackingSource : public verifier::RevisionSource {
 public:
  FaultTrackingSource(verifier::RevisionSource& inner, const std::atomic<bool>* abort)
      : inner_(inner), abort_(abort) {}
  Result<std::vector<verifier::FileInfo>> ListFiles() override {
    if (Aborted(abort_)) return Track(Result<std::vector<verifier::FileInfo>>(ShuttingDown()));
    return Track(inner_.ListFiles());
  }
  Result<std::unique_ptr<verifier::FileReader>> Open(std::string_view path) override {
    if (Aborted(abort_))
      return Track(Result<std::unique_ptr<verifier::FileReader>>(ShuttingDown()));
    auto reader = Track(inner_.Open(path));
    if (!reader.ok() || abort_ == nullptr) return reader;
    return std::unique_ptr<verifier::FileReader>(
        std::make_unique<AbortableReader>(std::move(reader).value(), abort_));
  }
  verifier::DigestCache* digest_cache() override { return inner_.digest_cache(); }
  std::optional<Error> fault() const {
    std::lock_guard lock(mu_);
    return fault_;
  }

 private:
  template <typename T>
  Result<T> Track(Result<T> r) {
    if (!r.ok() && r.error().code() == ErrorCode::kUnavailable) {
      std::lock_guard lock(mu_);
      if (!fault_) fault_ = r.error();
    }
    return r;
  }
  verifier::RevisionSource& inner_;
  const std::atomic<bool>* abort_;
  mutable std::mutex mu_;
  std::optional<Error> fault_;
};

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
  FaultTrackingSource tracked(**source, options_.abort);
  const auto started = Clock::now();
  verifier::Report report = verifier::VerifyRevision(tracked, event->repo, event->commit, policy_);
  metrics_.ObserveVerificationSeconds(
      std::chrono::duration<double>(Clock::now() - started).count());
  if (Aborted(options_.abort)) {
    // Handed back as it was: another worker (or this one after restart) takes it again.
    result.outcome = queue::Outcome::Retry(std::chrono::milliseconds(0), "worker shutting down");
    result.state = "retried";
    return result;
  }
  if (auto fault = tracked.fault()) {
    result.outcome = RetryOutcome(delivery.attempt, "hub storage: " + fault->message());
    result.state = "retried";
    return result;
  }
  badges::BadgeRecord record;
  record.badge = badges::BadgeFromReport(report, event->repo, event->commit, NowRfc3339());
  record.ref = NormalizeRef(event->ref);
  record.seq = event->seq;
  record.report_json = verifier::ReportToJson(report);
  auto put = store_.Put(record);
  if (!put.ok()) {
    metrics_.CountStoreError();
    result.outcome = RetryOutcome(delivery.attempt, "badge store: " + put.error().message());
    result.state = "retried";
    return result;
  }
  metrics_.CountStoreWrite(*put == badges::PutResult::kWritten);
  result.outcome = queue::Outcome::Ack();
  result.state = std::string(badges::BadgeStateName(record.badge.state));
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
