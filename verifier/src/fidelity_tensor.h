// Streams one GGUF tensor against its source tensor, row by row, and re-derives every block
// for each candidate (source path x rounding variant). Buffers hold one chunk of rows (at most
// limits::kFidelityChunkBytes, at least one row), so memory does not grow with the model.
// A reader that offers zero-copy views (FileReader::View) is viewed a chunk at a time instead of
// copied into the buffers; a chunk's checks count only once both readers' CheckViews say the
// viewed bytes stayed valid (else the check fails with that kUnavailable error).
// Lazily by default: on a row candidate 0 reproduces, another candidate is only re-derived in
// the blocks where its bytes can differ from candidate 0's (the f16 trip changed the block, or
// QuantizeRowRefPlainFlagged flags a rounding the FMA variant may take otherwise), and in full
// as soon as one of those blocks differs. On a bf16 source of a legacy type, while candidate 0
// is clean, a row first goes through the fused fast path (fidelity_fused.h), which settles it
// when every evaluated candidate reproduces it; any other row takes the path above. The result
// is the eager evaluation's (FidelityOptions::eager_candidates), field by field.
//
// Thread-safety: one call uses its readers from the calling thread only.
#ifndef PROVBADGE_VERIFIER_SRC_FIDELITY_TENSOR_H_
#define PROVBADGE_VERIFIER_SRC_FIDELITY_TENSOR_H_

#include <array>
#include <cstdint>
#include <string>

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
  double max_abs_dev = 0;
  int64_t grid_bad_weights = 0;
  uint64_t detailed = 0;  // mismatching blocks examined in detail
  bool complete = true;   // every row was evaluated
};

struct TensorCheckInput {
  const GgufTensorInfo* info = nullptr;
  uint64_t data_offset = 0;  // GgufFile::data_offset
  FileReader* gguf = nullptr;
  const SafetensorsTensor* source = nullptr;
  FileReader* source_reader = nullptr;
  int permute_heads = 0;
  bool grid_only = false;  // imatrix K-quant: grid consistency instead of recomputation
};

struct TensorCheckResult {
  bool unverifiable = false;
  std::string note;
  uint64_t blocks_total = 0;
  std::array<CandidateStats, kCandidates> candidates;
};

// kUnavailable when a read fails or a view did not stay valid; unverifiable (with a note) for
// unsupported inputs.
Result<TensorCheckResult> CheckTensor(const TensorCheckInput& in, const FidelityOptions& options);

}  // namespace provbadge::verifier::fidelity

#endif  // PROVBADGE_VERIFIER_SRC_FIDELITY_TENSOR_H_
