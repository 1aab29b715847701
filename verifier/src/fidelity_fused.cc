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

namespace {

RoundingVariant VariantOf(int c) { return c % 2 ? RoundingVariant::kFma : RoundingVariant::kPlain; }

}  // namespace

bool FusedRowChecker::Clean(const std::array<bool, kCandidates>& evaluate, int primary,
                            const uint8_t* src, const uint8_t* stored,
                            std::vector<uint64_t>* mismatches0) {
  const int other = 1 - primary;
  const bool trip = evaluate[2] || evaluate[3];
  const bool flags = evaluate[other] || evaluate[2 + other];
  if (!quant_internal::FusedLegacyCheckBf16(
          type_, src, stored, static_cast<int64_t>(blocks_), trip ? changed_.data() : nullptr,
          flags ? may_differ_.data() : nullptr, VariantOf(primary))) {
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
      if (!CleanBlock(evaluate, primary, b, trip, flags, src, stored, mismatches0)) return false;
    }
  }
  return true;
}

// The primary candidate p's bytes are the stored row; candidate c's differ from them only in the
// blocks the f16 trip changed (path 1) and the flagged ones (the other variant o). Candidate
// 2 + o's block is candidate o's where the trip left the block as is; where the kernel found the
// trip's blocks the same (kTripSame), candidates 2 and 3 reproduce the block.
bool FusedRowChecker::CleanBlock(const std::array<bool, kCandidates>& evaluate, int primary,
                                 uint64_t b, bool trip, bool flags, const uint8_t* src,
                                 const uint8_t* stored, std::vector<uint64_t>* mismatches0) const {
  const int other = 1 - primary;
  const uint8_t effect = trip ? changed_[b] : uint8_t{quant_internal::kTripKeeps};
  const bool changed = effect == quant_internal::kTripChanges, flagged = flags && may_differ_[b];
  const bool kept = effect == quant_internal::kTripKeeps;
  const bool other_x = flagged && (evaluate[other] || (evaluate[2 + other] && kept));
  const bool primary_x16 = evaluate[2 + primary] && changed;
  const bool other_x16 = evaluate[2 + other] && changed;
  if (!other_x && !primary_x16 && !other_x16) return true;
  const uint8_t* want = stored + b * block_bytes_;
  float x[32], x16[32];
  Bf16RowToFp32(src + b * 64, 32, x);
  if (other_x && !Matches(x, VariantOf(other), want)) {
    // Candidate `other` differs here, and so does 2 + other where the trip keeps the block.
    if (evaluate[2 + other] && kept) return false;
    if (other != 0 || mismatches0 == nullptr) return false;
    mismatches0->push_back(b);
  }
  if (!primary_x16 && !other_x16) return true;
  Fp16RoundTripRow(x, 32, x16);
  if (primary_x16 && !Matches(x16, VariantOf(primary), want)) return false;
  return !other_x16 || Matches(x16, VariantOf(other), want);
}

bool FusedRowChecker::Matches(const float* x, RoundingVariant v, const uint8_t* want) const {
  uint8_t block[34];
  QuantizeRowRef(type_, x, 32, v, block);
  return std::memcmp(block, want, block_bytes_) == 0;
}

}  // namespace provbadge::verifier::fidelity
