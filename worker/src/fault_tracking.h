// Fault tracking for the pipeline's revision sources: the first transient (kUnavailable) error
// any call returned is remembered in a FaultSlot shared by the revision and all its parents, so
// a storage fault anywhere in a lineage walk becomes a retry, never a verdict. Readers stop at
// the pipeline's abort flag (a transient fault too).
//
// Ownership: FaultTrackingSource borrows or owns its inner source (see constructors) and
// borrows the slot and the abort flag, which must outlive it.
// Thread-safety: FaultSlot is thread-safe; the sources allow what RevisionSource documents.
#ifndef PROVBADGE_WORKER_SRC_FAULT_TRACKING_H_
#define PROVBADGE_WORKER_SRC_FAULT_TRACKING_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::worker {

inline bool Aborted(const std::atomic<bool>* abort) { return abort != nullptr && abort->load(); }

// The first transient error seen.
class FaultSlot {
 public:
  void Note(const Error& error) {
    if (error.code() != ErrorCode::kUnavailable) return;
    std::lock_guard lock(mu_);
    if (!fault_) fault_ = error;
  }
  std::optional<Error> fault() const {
    std::lock_guard lock(mu_);
    return fault_;
  }

 private:
  mutable std::mutex mu_;
  std::optional<Error> fault_;
};

class FaultTrackingSource : public verifier::RevisionSource {
 public:
  // Borrows `inner`.
  FaultTrackingSource(verifier::RevisionSource& inner, FaultSlot& slot,
                      const std::atomic<bool>* abort)
      : inner_(inner), slot_(slot), abort_(abort) {}
  // Owns `inner`.
  FaultTrackingSource(std::unique_ptr<verifier::RevisionSource> inner, FaultSlot& slot,
                      const std::atomic<bool>* abort)
      : owned_(std::move(inner)), inner_(*owned_), slot_(slot), abort_(abort) {}

  Result<std::vector<verifier::FileInfo>> ListFiles() override;
  Result<std::unique_ptr<verifier::FileReader>> Open(std::string_view path) override;
  verifier::DigestCache* digest_cache() override { return inner_.digest_cache(); }

 private:
  template <typename T>
  Result<T> Track(Result<T> r) {
    if (!r.ok()) slot_.Note(r.error());
    return r;
  }

  std::unique_ptr<verifier::RevisionSource> owned_;
  verifier::RevisionSource& inner_;
  FaultSlot& slot_;
  const std::atomic<bool>* abort_;
};

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_SRC_FAULT_TRACKING_H_
