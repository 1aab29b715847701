// The fidelity check's fast path for a row of a legacy type (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) from
// a bf16 source (fidelity_tensor.cc): whether every candidate the row evaluates reproduces the
// stored row, decided from the bf16 bytes without the row conversions (fused kernel
// FusedLegacyCheckBf16 for candidate 0, then only the blocks where another candidate's bytes can
// differ from candidate 0's: those the f16 trip changes and the kernel could not settle
// (kTripChanges), and for the FMA variants those QuantizeRowRefPlainFlagged flags).
//
// Thread-safety: a FusedRowChecker is used by one thread at a time.
#ifndef PROVBADGE_VERIFIER_SRC_FIDELITY_FUSED_H_
#define PROVBADGE_VERIFIER_SRC_FIDELITY_FUSED_H_

#include <array>
#include <cstdint>
#include <vector>

#include "fidelity_tensor.h"
#include "provbadge/verifier/quant.h"

namespace provbadge::verifier::fidelity {

class FusedRowChecker {
 public:
  // `type` a legacy type; rows of `blocks` blocks of 32 weights.
  FusedRowChecker(GgmlType type, uint64_t blocks);

  // True only when each candidate c with evaluate[c] (candidate 0 always among them) quantizes
  // the bf16 row `src` (32 * blocks little-endian values) to exactly the `stored` row bytes: the
  // eager evaluation would then record nothing for the row. False when some candidate differs
  // (or may): the caller evaluates the row in full.
  bool Clean(const std::array<bool, kCandidates>& evaluate, const uint8_t* src,
             const uint8_t* stored);

  // Whether a type has the fast path.
  static bool Supports(GgmlType type);

 private:
  // Block b of the row after candidate 0 reproduced it: the candidates Clean evaluates that can
  // differ there (changed_, may_differ_) reproduce it too.
  bool CleanBlock(const std::array<bool, kCandidates>& evaluate, uint64_t b, bool trip, bool flags,
                  const uint8_t* src, const uint8_t* stored) const;
  // QuantizeRowRef of the block of 32 weights at x equals `want`.
  bool Matches(const float* x, RoundingVariant v, const uint8_t* want) const;

  GgmlType type_;
  uint32_t block_bytes_;
  uint64_t blocks_;
  // The kernel's TripEffect and FMA flag per block, zero-padded to a multiple of 8 blocks.
  std::vector<uint8_t> changed_, may_differ_;
};

}  // namespace provbadge::verifier::fidelity

#endif  // PROVBADGE_VERIFIER_SRC_FIDELITY_FUSED_H_
