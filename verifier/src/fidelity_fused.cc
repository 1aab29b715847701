// FusedRowChecker (fidelity_fused.h). Compiled with -ffp-contract=off.
#include "fidelity_fused.h"

#include <algorithm>
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
      changed_((blocks + 7) / 8 * 8),
      may_differ_((blocks + 7) / 8 * 8) {}

bool FusedRowChecker::Clean(const std::array<bool, kCandidates>& evaluate, const uint8_t* src,
                            const uint8_t* stored) {
  const bool trip = evaluate[2] || evaluate[3];
  const bool flags = evaluate[1] || evaluate[3];
  if (!quant_internal::FusedLegacyCheckBf16(type_, src, stored, static_cast<int64_t>(blocks_),
                                            trip ? changed_.data() : nullptr,
                                            flags ? may_differ_.data() : nullptr)) {
    return false;
  }
  // Only blocks with kTripChanges or a flag can need a look: 8 blocks at a time, the padding
  // past blocks_ is zero. kTripChanges (2) is the one TripEffect with bit 1 set.
  static_assert(quant_internal::kTripKeeps == 0 && quant_internal::kTripSame == 1 &&
                    quant_internal::kTripChanges == 2,
                "the skip below reads kTripChanges as the only effect with bit 1");
  constexpr uint64_t kChangesBits = 0x0202020202020202u;
  for (uint64_t w = 0; w < blocks_; w += 8) {
    uint64_t need = 0, word;
    if (trip) {
      std::memcpy(&word, changed_.data() + w, 8);
      need |= word & kChangesBits;
    }
    if (flags) {
      std::memcpy(&word, may_differ_.data() + w, 8);
      need |= word;
    }
    if (need == 0) continue;
    for (uint64_t b = w; b < std::min(blocks_, w + 8); ++b) {
      if (!CleanBlock(evaluate, b, trip, flags, src, stored)) return false;
    }
  }
  return true;
}

// Candidate 0's bytes are the stored row; candidate c's differ from them only in the blocks the
// f16 trip changed (path 1) and the flagged ones (FMA variant). Candidate 3's block is candidate
// 1's where the trip left the block as is; where the kernel found the trip's blocks the same
// (kTripSame), candidates 2 and 3 reproduce the block.
bool FusedRowChecker::CleanBlock(const std::array<bool, kCandidates>& evaluate, uint64_t b,
                                 bool trip, bool flags, const uint8_t* src,
                                 const uint8_t* stored) const {
  const uint8_t effect = trip ? changed_[b] : uint8_t{quant_internal::kTripKeeps};
  const bool changed = effect == quant_internal::kTripChanges, flagged = flags && may_differ_[b];
  const bool fma_x =
      (evaluate[1] && flagged) || (evaluate[3] && flagged && effect == quant_internal::kTripKeeps);
  const bool plain_x16 = evaluate[2] && changed, fma_x16 = evaluate[3] && changed;
  if (!fma_x && !plain_x16 && !fma_x16) return true;
  const uint8_t* want = stored + b * block_bytes_;
  float x[32], x16[32];
  Bf16RowToFp32(src + b * 64, 32, x);
  if (fma_x && !Matches(x, RoundingVariant::kFma, want)) return false;
  if (!plain_x16 && !fma_x16) return true;
  Fp16RoundTripRow(x, 32, x16);
  if (plain_x16 && !Matches(x16, RoundingVariant::kPlain, want)) return false;
  return !fma_x16 || Matches(x16, RoundingVariant::kFma, want);
}

bool FusedRowChecker::Matches(const float* x, RoundingVariant v, const uint8_t* want) const {
  uint8_t block[34];
  QuantizeRowRef(type_, x, 32, v, block);
  return std::memcmp(block, want, block_bytes_) == 0;
}

}  // namespace provbadge::verifier::fidelity
