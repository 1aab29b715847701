// The tensor checks of one CheckFidelity call on several threads: the tensors are cut into row
// ranges (parts) of about the same number of weights, the threads take parts in order from a
// shared counter and check each with CheckTensorRows, and each tensor's parts are merged with
// MergeTensorParts. The results are those of checking each tensor whole on one thread (see
// fidelity_tensor.h for the fields that may differ and that no report shows), whatever the
// number of threads and however the parts fall.
//
// Readers: FileReader is single-threaded, so every thread but the calling one opens its own
// readers of the GGUF and of the source shard it needs, through the RevisionSources (which
// allow concurrent Open); it keeps one shard open at a time, so a check holds at most about
// 2 x threads files open beyond the calling thread's. A file that reopens with another size, or
// another non-empty ContentTag, than the calling thread's reader fails the check with kUnavailable
// "file changed while reading": parts of one tensor must not come from two versions of a file.
//
// Threads: FidelityOptions::threads (FidelityThreads), fewer when the longest rows' buffers on
// every thread would exceed limits::kFidelityMemoryBudget (ThreadsWithin), and no more than there
// are parts.
//
// Errors: the first failing part's error (in part order) when any part fails; the other threads
// stop taking parts. An exception thrown in any thread is rethrown on the calling thread after
// every thread has stopped. Memory: per thread, one part's buffers (bounded by the chunk size)
// and its readers' windows, so it is flat in the model size and linear in the thread count.
//
// Thread-safety: CheckTensors uses the calling thread's readers from the calling thread only.
#ifndef PROVBADGE_VERIFIER_SRC_FIDELITY_PARALLEL_H_
#define PROVBADGE_VERIFIER_SRC_FIDELITY_PARALLEL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fidelity_tensor.h"
#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier::fidelity {

// One tensor to check: its input (the readers are set per thread) and the source shard it reads.
// UnverifiableReason(input) must be empty.
struct TensorJob {
  TensorCheckInput input;
  size_t shard = 0;
};

// The files the jobs read, with the readers the calling thread has open on them (borrowed).
struct JobFiles {
  RevisionSource* quantized = nullptr;
  std::string gguf_path;
  FileReader* gguf = nullptr;
  RevisionSource* source = nullptr;
  std::vector<std::string> shard_paths;
  std::vector<FileReader*> shards;
};

// Weights per part, at least, when the check is split across threads (a part's set-up is then
// well below a millisecond of its work for every type).
inline constexpr uint64_t kMinPartWeights = uint64_t{1} << 22;

// The threads a check runs on: options.threads, or the hardware's when 0 (1 to
// limits::kMaxFidelityThreads).
unsigned FidelityThreads(const FidelityOptions& options);

// An upper bound of the working memory of one thread checking a part of `job` (its row buffers).
uint64_t PartMemoryBytes(const TensorJob& job);
// `threads`, or fewer so that as many parts of the jobs' longest rows fit in
// limits::kFidelityMemoryBudget together (at least 1).
unsigned ThreadsWithin(const std::vector<TensorJob>& jobs, unsigned threads);

// Row ranges [begin, end) of every job in job order, for `threads` threads: each job whole on
// one thread; else parts of about max(part_weights or, when 0, kMinPartWeights, total weights /
// (16 x threads)) weights, whole rows, at least one per job.
struct PartRange {
  size_t job;
  uint64_t begin, end;
};
std::vector<PartRange> PlanParts(const std::vector<TensorJob>& jobs, unsigned threads,
                                 uint64_t part_weights);

// Every job's result, in job order.
Result<std::vector<TensorCheckResult>> CheckTensors(const std::vector<TensorJob>& jobs,
                                                    const JobFiles& files,
                                                    const FidelityOptions& options);

}  // namespace provbadge::verifier::fidelity

#endif  // PROVBADGE_VERIFIER_SRC_FIDELITY_PARALLEL_H_
