// Streams one GGUF tensor against its source tensor, row by row, and re-derives every block
// for each candidate (source path x rounding variant). Buffers hold one chunk of rows (at most
// limits::kFidelityChunkBytes, at least one row), so memory does not grow with the model.
// A reader that offers zero-copy views (FileReader::View) is viewed a chunk at a time instead of
// copied into the buffers; a chunk's checks count only once both readers' CheckViews say the
// viewed bytes stayed valid (else the check fails with that kUnavailable error).
// A candidate stops being evaluated once it mismatches while another candidate is still clean
// (TensorCheckInput::keep_candidate, the report's re-check, keeps one on every row); its counts
// are then partial and `complete` false.
// Lazily by default: on a row candidate 0 reproduces, another candidate is only re-derived in
// the blocks where its bytes can differ from candidate 0's (the f16 trip changed the block, or
// QuantizeRowRefPlainFlagged flags a rounding the FMA variant may take otherwise), and in full
// as soon as one of those blocks differs; a row candidate 0 is not evaluated on re-derives the
// others in full. On a bf16 source of a legacy type, while candidate 0 is clean (or else
// candidate 1, the FMA variant's: candidate 0's mismatches, where it is kept, are then recorded
// from the fast path's blocks), a row first goes through the fused fast path
// (fidelity_fused.h), which settles it when every evaluated candidate reproduces it; any other
// row takes the path above. The result is the eager evaluation's
// (FidelityOptions::eager_candidates), field by field.
//
// A tensor may be checked in parts (CheckTensorRows over row ranges, on different threads with
// readers of their own) and the parts merged (MergeTensorParts): the merged result equals
// CheckTensor's in every field the report uses -- which candidates reproduce the tensor, every
// field of those and of the kept candidate. (A candidate stops per part, so a stopped
// candidate's counts may be larger than CheckTensor's. The report never shows them.)
//
// Thread-safety: one call uses its readers from the calling thread only; calls on different
// readers may run concurrently.
#ifndef PROVBADGE_VERIFIER_SRC_FIDELITY_TENSOR_H_
#define PROVBADGE_VERIFIER_SRC_FIDELITY_TENSOR_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/fidelity.h"
#include "provbadge/verifier/gguf.h"
#include "provbadge/verifier/revision_source.h"
#include "provbadge/verifier/safetensors.h"

namespace provbadge::verifier::fidelity {

// Candidate c = path * 2 + variant: path 0 = the source dtype as is, 1 = through f16;
// variant 0 = plain rounding, 1 = FMA (legacy types only).
inline constexpr int kCandidates = 4;

struct CandidateStats {
  bool enabled = false;
  uint64_t blocks_mismatch = 0;
  int64_t first_block = -1;
  int64_t first_row = -1;
  double max_abs_dev = 0;  // over the blocks examined in detail; NaN once one deviation is NaN
  int64_t grid_bad_weights = 0;
  uint64_t detailed = 0;  // mismatching blocks examined in detail
  bool complete = true;   // every row was evaluated

  // Evaluated on every row and reproduced every block.
  bool Clean() const { return enabled && complete && blocks_mismatch == 0; }
};

struct TensorCheckInput {
  const GgufTensorInfo* info = nullptr;
  uint64_t data_offset = 0;  // GgufFile::data_offset
  FileReader* gguf = nullptr;
  const SafetensorsTensor* source = nullptr;
  FileReader* source_reader = nullptr;
  int permute_heads = 0;
  bool grid_only = false;  // imatrix K-quant: grid consistency instead of recomputation
  // The candidate evaluated on every row, mismatching or not (-1: none; every candidate stops
  // once it mismatches while another is clean): the report's re-check of a tensor the chosen
  // candidate does not reproduce, whose counts it shows.
  int keep_candidate = -1;
};

struct TensorCheckResult {
  bool unverifiable = false;
  std::string note;
  uint64_t blocks_total = 0;
  std::array<CandidateStats, kCandidates> candidates;
};

// One mismatching block examined in detail: max |deq(gguf) - deq(ref)| over its weights (NaN
// when one is NaN) and its grid-inconsistent weights.
struct BlockDetail {
  double max_abs_dev = 0;
  int64_t grid_bad_weights = 0;
};

// The check of rows [row_begin, row_end) of a tensor. `result` counts those rows only, but for
// blocks_total (the whole tensor's); its max_abs_dev and grid_bad_weights of compared blocks
// are left to MergeTensorParts, which folds them from `details` (per candidate, the part's
// first max_detailed_mismatches mismatching blocks, in row order).
struct TensorPart {
  TensorCheckResult result;
  std::array<std::vector<BlockDetail>, kCandidates> details;
};

// Why the tensor cannot be checked (unsupported type, dtype, shape), or "" when it can.
std::string UnverifiableReason(const TensorCheckInput& in);

// kUnavailable when a read fails or a view did not stay valid; unverifiable (with a note) for
// unsupported inputs.
Result<TensorCheckResult> CheckTensor(const TensorCheckInput& in, const FidelityOptions& options);

// Rows [row_begin, row_end) (row_begin < row_end <= rows) of a tensor UnverifiableReason
// accepts. Errors as CheckTensor.
Result<TensorPart> CheckTensorRows(const TensorCheckInput& in, const FidelityOptions& options,
                                   uint64_t row_begin, uint64_t row_end);

// The whole tensor's result from its parts, given in row order and covering every row once:
// counts summed, the first mismatch the earliest part's, complete only if every part is, and
// the details of the tensor's first max_detailed_mismatches mismatching blocks folded into
// max_abs_dev (NaN once one is NaN) and grid_bad_weights.
TensorCheckResult MergeTensorParts(std::vector<TensorPart>&& parts, uint64_t max_detailed);

}  // namespace provbadge::verifier::fidelity

#endif  // PROVBADGE_VERIFIER_SRC_FIDELITY_TENSOR_H_
