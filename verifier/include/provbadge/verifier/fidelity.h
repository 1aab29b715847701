// Quantization fidelity: proves, tensor by tensor and block by block, that a GGUF is what a
// faithful llama.cpp conversion + quantization of a named safetensors source produces
// (notes/quant.md §5). It proves faithfulness to that source, NOT safety: a source crafted to
// quantize into a malicious model (quant.md §4) passes by design.
//
// Inputs are two RevisionSources, so the lineage walker can call it with the parent revision
// and the quantized revision: `source` holds config.json and model.safetensors (or
// model.safetensors.index.json with its shards); `quantized` holds the GGUF at `gguf_path`.
// Everything is streamed through FileReader with buffers bounded by the row size and
// limits::kFidelityChunkBytes, so memory is flat in model size.
//
// Fail closed: the verdict is kFaithful only when every GGUF tensor maps to a source tensor
// and is `exact` (or `grid-consistent` for an imatrix K-quant), every source tensor is used,
// and one candidate path and rounding variant explain the whole file.
//
// Errors: the Result is an Error only for a transient fault (kUnavailable: a file could not be
// read); malformed files are verdicts with findings (docs/findings.md, "Fidelity").
// Thread-safety: CheckFidelity opens readers from its worker threads (FidelityOptions::threads),
// as RevisionSource allows, and joins them before it returns.
#ifndef PROVBADGE_VERIFIER_FIDELITY_H_
#define PROVBADGE_VERIFIER_FIDELITY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/report.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

enum class FidelityVerdict { kFaithful, kNotFaithful, kUnverifiable };
std::string_view FidelityVerdictName(
    FidelityVerdict v);  // "faithful" | "not_faithful" | "unverifiable"

enum class TensorStatus { kExact, kGridConsistent, kMismatch, kUnverifiable };
std::string_view TensorStatusName(TensorStatus s);  // "exact" | "grid-consistent" | ...

struct TensorFidelity {
  std::string name;           // GGUF tensor name
  std::string gguf_type;      // "Q4_K"
  std::string source_tensor;  // HF name, e.g. "model.layers.0.self_attn.q_proj.weight"
  std::string transform;      // "none", "permute(n_head=32)"
  // The reported candidate: the file-wide path and variant (for a source that is not bf16 or a
  // tensor that is not quantized, the direct path; the plain variant where none fits).
  std::string path;     // candidate source path: "bf16", "bf16->f16"
  std::string variant;  // "ref", "ref-fma", "grid" (imatrix K-quants), "cast"
  TensorStatus status = TensorStatus::kUnverifiable;
  uint64_t blocks_total = 0;
  uint64_t blocks_mismatch = 0;       // for the reported candidate
  int64_t first_mismatch_block = -1;  // block index within the tensor (row-major)
  int64_t first_mismatch_row = -1;
  double max_abs_dev = 0;                  // max |deq(gguf) - deq(ref)| over mismatching blocks
  int64_t grid_inconsistent_weights = -1;  // K-quants only (-1: not applicable)
  std::string note;                        // why unverifiable, ...
};

struct FidelityReport {
  FidelityVerdict verdict = FidelityVerdict::kNotFaithful;
  std::string tier;  // "bit-exact" | "grid-consistent" | "" (not faithful)
  std::string gguf_path;
  std::string architecture;  // GGUF general.architecture
  std::string path;          // file-wide candidate path
  std::string variant;       // file-wide legacy rounding variant ("ref" / "ref-fma"), if any
  bool imatrix = false;      // quantize.imatrix.* metadata present
  std::vector<Finding> findings;
  std::vector<TensorFidelity> tensors;

  bool HasErrors() const;
};

struct FidelityOptions {
  // Stop after this many mismatching blocks per tensor and candidate are recorded in detail
  // (counting continues). Detail costs a dequantization per mismatching block.
  uint64_t max_detailed_mismatches = 1024;
  // Quantize every candidate's whole row (the reference behaviour the tests compare with). By
  // default a row the primary candidate (direct path, plain rounding; in a file an FMA build
  // made, the FMA rounding) reproduces exactly is settled for the others by re-deriving only the
  // blocks where they can differ from it: those the f16 trip changed and those whose other
  // rounding differs. Same result either way.
  bool eager_candidates = false;
  // Threads the tensors are checked on (0: the hardware's). Large tensors are split into row
  // ranges so that the threads share the work; the report is the same for every count.
  unsigned threads = 0;
  // Weights per row range when the check runs on several threads (0: automatic, see
  // fidelity_parallel.h); smaller parts balance better and cost more set-up.
  uint64_t part_weights = 0;
};

Result<FidelityReport> CheckFidelity(RevisionSource& source, RevisionSource& quantized,
                                     std::string_view gguf_path,
                                     const FidelityOptions& options = {});

// JSON (schema: README "Command line", `provbadge fidelity --json`) and readable text. Both
// state that faithfulness is not safety.
std::string FidelityReportToJson(const FidelityReport& report);
std::string FidelityReportToText(const FidelityReport& report);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_FIDELITY_H_
