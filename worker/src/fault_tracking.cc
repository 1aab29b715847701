#include "fault_tracking.h"

#include <span>
#include <string>
#include <utility>

namespace provbadge::worker {
namespace {

Error ShuttingDown() { return Unavailable("worker shutting down"); }

// A FileReader that stops reading once the abort flag is set, and reports its transient
// faults to the slot.
class TrackingReader : public verifier::FileReader {
 public:
  TrackingReader(std::unique_ptr<verifier::FileReader> inner, FaultSlot& slot,
                 const std::atomic<bool>* abort)
      : inner_(std::move(inner)), slot_(slot), abort_(abort) {}
  uint64_t Size() const override { return inner_->Size(); }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    if (Aborted(abort_)) {
      slot_.Note(ShuttingDown());
      return ShuttingDown();
    }
    auto n = inner_->ReadAt(offset, buf);
    if (!n.ok()) slot_.Note(n.error());
    return n;
  }
  void WillNeed(uint64_t offset, uint64_t len) override { inner_->WillNeed(offset, len); }
  std::string ContentTag() const override { return inner_->ContentTag(); }

 private:
  std::unique_ptr<verifier::FileReader> inner_;
  FaultSlot& slot_;
  const std::atomic<bool>* abort_;
};

}  // namespace

Result<std::vector<verifier::FileInfo>> FaultTrackingSource::ListFiles() {
  if (Aborted(abort_)) return Track(Result<std::vector<verifier::FileInfo>>(ShuttingDown()));
  return Track(inner_.ListFiles());
}

Result<std::unique_ptr<verifier::FileReader>> FaultTrackingSource::Open(std::string_view path) {
  if (Aborted(abort_)) {
    return Track(Result<std::unique_ptr<verifier::FileReader>>(ShuttingDown()));
  }
  auto reader = Track(inner_.Open(path));
  if (!reader.ok()) return reader;
  return std::unique_ptr<verifier::FileReader>(
      std::make_unique<TrackingReader>(std::move(reader).value(), slot_, abort_));
}

}  // namespace provbadge::worker
