// Forwarder: the verifier's bounds on untrusted input now live with every other limit in
// provbadge/common/limits.h (namespace provbadge::limits). New code includes that header;
// this one keeps `limits::kX` working in verifier/src files that still include "limits.h".
//
// Thread-safety: compile-time constants.
#ifndef PROVBADGE_VERIFIER_SRC_LIMITS_H_
#define PROVBADGE_VERIFIER_SRC_LIMITS_H_

#include "provbadge/common/limits.h"

// --- provenance.intoto.jsonl (provenance*.cc; docs/provenance.md) ---
namespace provbadge::limits {
// The whole file, its lines (non-blank), and one line (a DSSE envelope or Sigstore bundle).
inline constexpr size_t kMaxProvenanceFileBytes = 64u << 20;
inline constexpr size_t kMaxProvenanceLines = 256;
inline constexpr size_t kMaxProvenanceLineBytes = 16u << 20;
// resolvedDependencies entries, externalParameters members and digest entries per descriptor.
inline constexpr size_t kMaxProvenanceDependencies = 10000;
inline constexpr size_t kMaxProvenanceParameters = 256;
inline constexpr size_t kMaxDigestEntries = 8;
// One dependency URI.
inline constexpr size_t kMaxUriBytes = 4096;
// README.md read for its front matter (base_model claims), and GGUF files read for theirs.
inline constexpr size_t kMaxCardBytes = 1u << 20;
inline constexpr size_t kMaxClaimGgufFiles = 8;
}  // namespace provbadge::limits

namespace provbadge::verifier {
namespace limits = ::provbadge::limits;
}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_SRC_LIMITS_H_
