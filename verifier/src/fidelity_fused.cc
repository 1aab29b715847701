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
  // the f16 trip changed (path 1) and the flagged ones (FMA variant).
  for (int c = 1; c < kCandidates; ++c) {
    if (!evaluate[c]) continue;
    const bool f16_path = c / 2 == 1, fma = c % 2 == 1;
    for (uint64_t b = 0; b < blocks_; ++b) {
      if (!((f16_path && changed_[b]) || (fma && may_differ_[b]))) continue;
      if (!BlockMatches(b, f16_path, fma, src, stored)) return false;
    }
  }
  return true;
}

bool FusedRowChecker::BlockMatches(uint64_t b, bool f16_path, bool fma, const uint8_t* src,
                                   const uint8_t* stored) {
  float x[32], x16[32];
  uint8_t block[34];
  Bf16RowToFp32(src + b * 64, 32, x);
  if (f16_path) Fp16RoundTripRow(x, 32, x16);
  QuantizeRowRef(type_, f16_path ? x16 : x, 32,
                 fma ? RoundingVariant::kFma : RoundingVariant::kPlain, block);
  return std::memcmp(block, stored + b * block_bytes_, block_bytes_) == 0;
}

}  // namespace provbadge::verifier::fidelity
