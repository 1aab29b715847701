// The fidelity check's fast path for a row of a legacy type (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) from
// a bf16 source (fidelity_tensor.cc): whether every candidate the row evaluates reproduces the
// stored row, decided from the bf16 bytes without the row conversions. The fused kernel
// (FusedLegacyCheckBf16) re-derives one primary candidate in full: candidate 0 (plain rounding)
// or, in a file the FMA variant made, candidate 1; then only the blocks where another candidate's
// bytes can differ from the primary's are looked at: those the f16 trip changes and the kernel
// could not settle (kTripChanges), and for the other variant the blocks the kernel flags.
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

  // `primary` (0 or 1, with evaluate[primary]) is the candidate the kernel re-derives in full.
  // True only when each candidate c with evaluate[c] quantizes the bf16 row `src` (32 * blocks
  // little-endian values) to exactly the `stored` row bytes -- but for candidate 0 when primary
  // is 1 and mismatches0 is given (candidate 0 evaluated though it mismatches: the report's
  // re-check keeps it): the blocks where candidate 0 differs are then appended to
  // *mismatches0 in order, and the row is still settled. The eager evaluation would then record
  // nothing else for the row. False when some candidate differs (or may): the caller evaluates
  // the row in full (*mismatches0 is then unspecified).
  bool Clean(const std::array<bool, kCandidates>& evaluate, int primary, const uint8_t* src,
             const uint8_t* stored, std::vector<uint64_t>* mismatches0 = nullptr);

  // Whether a type has the fast path.
  static bool Supports(GgmlType type);

 private:
  // Block b of the row after the primary candidate reproduced it: the candidates Clean evaluates
  // that can differ there (changed_, may_differ_) reproduce it too, but candidate 0 as Clean
  // allows it (appended to mismatches0).
  bool CleanBlock(const std::array<bool, kCandidates>& evaluate, int primary, uint64_t b, bool trip,
                  bool flags, const uint8_t* src, const uint8_t* stored,
                  std::vector<uint64_t>* mismatches0) const;
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
