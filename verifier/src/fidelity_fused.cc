// FusedRowChecker (fidelity_fused.h). Compiled with -ffp-contract=off.
#include "fidelity_fused.h"

#include <cstring>

#include "quant_internal.h"

namespace provbadge::verifier::fidelity {

bool FusedRowChecker::Supports(GgmlType type) {
  switch (type) {
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1:
      return true;
    default:
      return false;
  }
}

FusedRowChecker::FusedRowChecker(GgmlType type, uint64_t blocks)
    : type_(type),
      block_bytes_(LookupGgmlType(static_cast<uint32_t>(type))->block_bytes),
      blocks_(blocks),
      changed_(blocks),
      may_differ_(blocks) {}

bool FusedRowChecker::Clean(const std::array<bool, kCandidates>& evaluate, const uint8_t* src,
                            const uint8_t* stored) {
  const bool trip = evaluate[2] || evaluate[3];
  const bool flags = evaluate[1] || evaluate[3];
  if (!quant_internal::FusedLegacyCheckBf16(type_, src, stored, static_cast<int64_t>(blocks_),
                                            trip ? changed_.data() : nullptr,
                                            flags ? may_differ_.data() : nullptr)) {
    return false;
  }
  // Candidate 0's bytes are the stored row; candidate c's differ from them only in the blocks
  // the f16 trip changed (path 1) and the flagged ones (FMA variant). Candidate 3's block is
  // candidate 1's where the trip left the block as is.
  for (uint64_t b = 0; b < blocks_; ++b) {
    const bool changed = trip && changed_[b], flagged = flags && may_differ_[b];
    const bool fma_x = (evaluate[1] && flagged) || (evaluate[3] && flagged && !changed);
    const bool plain_x16 = evaluate[2] && changed, fma_x16 = evaluate[3] && changed;
    if (!fma_x && !plain_x16 && !fma_x16) continue;
    const uint8_t* want = stored + b * block_bytes_;
    float x[32], x16[32];
    Bf16RowToFp32(src + b * 64, 32, x);
    if (fma_x && !Matches(x, RoundingVariant::kFma, want)) return false;
    if (!plain_x16 && !fma_x16) continue;
    Fp16RoundTripRow(x, 32, x16);
    if (plain_x16 && !Matches(x16, RoundingVariant::kPlain, want)) return false;
    if (fma_x16 && !Matches(x16, RoundingVariant::kFma, want)) return false;
  }
  return true;
}

bool FusedRowChecker::Matches(const float* x, RoundingVariant v, const uint8_t* want) const {
  uint8_t block[34];
  QuantizeRowRef(type_, x, 32, v, block);
  return std::memcmp(block, want, block_bytes_) == 0;
}

}  // namespace provbadge::verifier::fidelity
