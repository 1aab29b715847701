// CheckTensors (fidelity_parallel.h).
#include "fidelity_parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "provbadge/common/limits.h"

namespace provbadge::verifier::fidelity {
namespace {

uint64_t Weights(const TensorJob& job) { return job.input.info->ne[0] * job.input.info->Rows(); }

// Kept open only if it is the file the calling thread reads: same size, same non-empty tag.
Result<std::unique_ptr<FileReader>> Reopen(RevisionSource& source, const std::string& path,
                                           const FileReader& first) {
  auto reader = source.Open(path);
  if (!reader.ok()) {
    if (reader.error().code() == ErrorCode::kUnavailable) return reader.error();
    return Unavailable(path + ": file changed while reading (" + reader.error().message() + ")");
  }
  const std::string tag = first.ContentTag();
  if ((*reader)->Size() != first.Size() || (!tag.empty() && (*reader)->ContentTag() != tag)) {
    return Unavailable(path + ": file changed while reading");
  }
  return reader;
}

// One thread's readers: the calling thread's (borrowed), or its own, opened when first needed.
// Of the source shards it keeps only the last one open (parts come in tensor order, so mostly
// from the shard before): threads x shards open files could exceed the process's file limit.
class ThreadReaders {
 public:
  ThreadReaders(const JobFiles& files, bool borrowed) : files_(files), borrowed_(borrowed) {}

  // The input of `job` with this thread's readers.
  Result<TensorCheckInput> For(const TensorJob& job) {
    TensorCheckInput in = job.input;
    if (borrowed_) {
      in.gguf = files_.gguf;
      in.source_reader = files_.shards[job.shard];
      return in;
    }
    if (!gguf_) {
      auto r = Reopen(*files_.quantized, files_.gguf_path, *files_.gguf);
      if (!r.ok()) return r.error().Wrap("gguf");
      gguf_ = std::move(*r);
    }
    if (!shard_ || shard_index_ != job.shard) {
      shard_.reset();
      auto r = Reopen(*files_.source, files_.shard_paths[job.shard], *files_.shards[job.shard]);
      if (!r.ok()) return r.error().Wrap("safetensors");
      shard_ = std::move(*r);
      shard_index_ = job.shard;
    }
    in.gguf = gguf_.get();
    in.source_reader = shard_.get();
    return in;
  }

 private:
  const JobFiles& files_;
  bool borrowed_;
  std::unique_ptr<FileReader> gguf_, shard_;
  size_t shard_index_ = 0;
};

// The outcome of one part: its result, its error, or the exception it threw.
struct Outcome {
  std::optional<Result<TensorPart>> result;
  std::exception_ptr thrown;
};

class Runner {
 public:
  Runner(const std::vector<TensorJob>& jobs, const JobFiles& files, const FidelityOptions& options,
         std::vector<PartRange> parts)
      : jobs_(jobs),
        files_(files),
        options_(options),
        parts_(std::move(parts)),
        outcomes_(parts_.size()) {}

  // Runs every part on `threads` threads (the calling one among them; fewer when the system
  // cannot start more).
  void Run(unsigned threads) {
    {
      std::vector<std::jthread> others;
      try {
        for (unsigned t = 1; t < threads; ++t) others.emplace_back([this] { Work(false); });
      } catch (const std::system_error&) {  // no more threads: those started share the work
      }
      Work(true);
    }  // joined here
  }

  Result<std::vector<TensorCheckResult>> Results() {
    for (Outcome& o : outcomes_) {
      if (o.thrown) std::rethrow_exception(o.thrown);
      if (o.result && !o.result->ok()) return o.result->error();
    }
    std::vector<TensorCheckResult> out;
    out.reserve(jobs_.size());
    for (size_t p = 0; p < parts_.size();) {
      std::vector<TensorPart> parts;
      const size_t job = parts_[p].job;
      for (; p < parts_.size() && parts_[p].job == job; ++p) {
        if (!outcomes_[p].result) return Internal("fidelity: a part of a tensor was not checked");
        parts.push_back(std::move(**outcomes_[p].result));
      }
      out.push_back(MergeTensorParts(std::move(parts), options_.max_detailed_mismatches));
    }
    return out;
  }

 private:
  void Work(bool borrowed) {
    ThreadReaders readers(files_, borrowed);
    while (!stop_.load(std::memory_order_relaxed)) {
      const size_t i = next_.fetch_add(1);
      if (i >= parts_.size()) return;
      Outcome& o = outcomes_[i];
      try {
        const PartRange& part = parts_[i];
        auto in = readers.For(jobs_[part.job]);
        o.result = in.ok() ? CheckTensorRows(*in, options_, part.begin, part.end)
                           : Result<TensorPart>(in.error());
        if (!o.result->ok()) stop_ = true;
      } catch (...) {
        o.thrown = std::current_exception();
        stop_ = true;
      }
    }
  }

  const std::vector<TensorJob>& jobs_;
  const JobFiles& files_;
  const FidelityOptions& options_;
  const std::vector<PartRange> parts_;
  std::vector<Outcome> outcomes_;  // one per part, each written by the thread that ran it
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace

unsigned FidelityThreads(const FidelityOptions& options) {
  const unsigned n = options.threads ? options.threads : std::thread::hardware_concurrency();
  return std::clamp(n, 1u, limits::kMaxFidelityThreads);
}

uint64_t PartMemoryBytes(const TensorJob& job) {
  const GgufTensorInfo& t = *job.input.info;
  const uint64_t row_bytes = t.RowBytes(), src_row_bytes = t.ne[0] * 4;
  // x and its f16 trip (f32), four candidate rows, the chunk buffers (one row at least), the
  // fused checker's per-block flags.
  return t.ne[0] * 8 + row_bytes * 4 +
         2 * std::max<uint64_t>(limits::kFidelityChunkBytes, src_row_bytes) + t.ne[0];
}

unsigned ThreadsWithin(const std::vector<TensorJob>& jobs, unsigned threads) {
  uint64_t per_thread = 1;
  for (const TensorJob& job : jobs) per_thread = std::max(per_thread, PartMemoryBytes(job));
  return static_cast<unsigned>(
      std::clamp<uint64_t>(limits::kFidelityMemoryBudget / per_thread, 1, threads));
}

std::vector<PartRange> PlanParts(const std::vector<TensorJob>& jobs, unsigned threads,
                                 uint64_t part_weights) {
  uint64_t total = 0;
  for (const TensorJob& job : jobs) total += Weights(job);
  const uint64_t target =
      std::max(part_weights ? part_weights : kMinPartWeights, total / (16 * uint64_t{threads}));
  std::vector<PartRange> parts;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const uint64_t rows = jobs[j].input.info->Rows(),
                   ne0 = std::max<uint64_t>(1, jobs[j].input.info->ne[0]);
    const uint64_t rows_per_part = std::max<uint64_t>(1, target / ne0);
    const uint64_t n = threads == 1 || rows == 0 ? 1 : (rows + rows_per_part - 1) / rows_per_part;
    for (uint64_t k = 0; k < n; ++k) parts.push_back({j, rows * k / n, rows * (k + 1) / n});
  }
  return parts;
}

Result<std::vector<TensorCheckResult>> CheckTensors(const std::vector<TensorJob>& jobs,
                                                    const JobFiles& files,
                                                    const FidelityOptions& options) {
  const unsigned threads = ThreadsWithin(jobs, FidelityThreads(options));
  std::vector<PartRange> parts = PlanParts(jobs, threads, options.part_weights);
  const unsigned used = static_cast<unsigned>(std::min<size_t>(threads, parts.size()));
  Runner runner(jobs, files, options, std::move(parts));
  runner.Run(std::max(1u, used));
  return runner.Results();
}

}  // namespace provbadge::verifier::fidelity
