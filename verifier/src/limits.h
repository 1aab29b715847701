// Bounds on untrusted input the verifier accepts. Anything beyond them is rejected with a
// specific finding (docs/findings.md) before it can cost memory or time.
//
// Thread-safety: compile-time constants.
#ifndef PROVBADGE_VERIFIER_SRC_LIMITS_H_
#define PROVBADGE_VERIFIER_SRC_LIMITS_H_

#include <cstddef>

namespace provbadge::verifier::limits {

// model.sig as read from the revision (a real bundle with a 10k-file model is ~2 MiB).
inline constexpr size_t kMaxBundleBytes = 16u << 20;
// The decoded DSSE payload (the in-toto Statement); its base64 fits in kMaxBundleBytes.
inline constexpr size_t kMaxPayloadBytes = 8u << 20;
// DSSE signatures tried per envelope.
inline constexpr size_t kMaxSignatures = 16;
// Resources listed in one OMS predicate (~100 bytes each, so it fits in kMaxPayloadBytes).
inline constexpr size_t kMaxResources = 50000;
// Nesting of JSON arrays/objects in a bundle or payload (real ones nest < 10 deep).
inline constexpr size_t kMaxJsonDepth = 32;
// Entries in serialization.ignore_paths.
inline constexpr size_t kMaxIgnorePaths = 1024;
// Length of one resource name or path.
inline constexpr size_t kMaxPathBytes = 4096;

}  // namespace provbadge::verifier::limits

#endif  // PROVBADGE_VERIFIER_SRC_LIMITS_H_
