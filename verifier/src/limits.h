// Bounds on untrusted input the verifier accepts. Anything beyond them is rejected with a
// specific finding (docs/findings.md) before it can cost memory or time.
//
// Thread-safety: compile-time constants.
#ifndef PROVBADGE_VERIFIER_SRC_LIMITS_H_
#define PROVBADGE_VERIFIER_SRC_LIMITS_H_

#include <cstddef>
#include <cstdint>

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

// --- Sigstore bundles and trusted roots (sigstore_*.cc) ---
// Transparency-log entries, RFC 3161 timestamps and DSSE signatures per bundle.
inline constexpr size_t kMaxTlogEntries = 8;
inline constexpr size_t kMaxTimestamps = 8;
inline constexpr size_t kMaxDsseSignatures = 1;  // the bundle spec requires exactly one
// Certificates in a bundle's x509CertificateChain and in one trusted-root chain.
inline constexpr size_t kMaxCertChain = 8;
// Signature lines in one checkpoint (log signature plus witness cosignatures), and its size.
inline constexpr size_t kMaxCheckpointSignatures = 32;
inline constexpr size_t kMaxCheckpointBytes = 16u << 10;
// Audit-path hashes in an inclusion proof (a tree of 2^64 leaves needs 64).
inline constexpr size_t kMaxProofHashes = 64;
// A decoded tlog body (hashedrekord/dsse/intoto entry JSON with a PEM certificate).
inline constexpr size_t kMaxTlogBodyBytes = 1u << 20;
// One RFC 3161 TimeStampResp, DER.
inline constexpr size_t kMaxTimestampBytes = 64u << 10;
// trusted_root.json and each of its lists (tlogs, ctlogs, CAs, TSAs).
inline constexpr size_t kMaxTrustedRootBytes = 4u << 20;
inline constexpr size_t kMaxTrustedRootItems = 64;
// SCTs in a leaf certificate and names in its SAN extension.
inline constexpr size_t kMaxScts = 16;
inline constexpr size_t kMaxSanEntries = 16;
// Subjects in an in-toto Statement checked against the artifact.
inline constexpr size_t kMaxSubjects = 100000;

// --- Quantization fidelity (GGUF / safetensors; notes/quant.md §1-2) ---
// Tensors and metadata entries of one GGUF (large MoE models have a few thousand tensors).
inline constexpr uint64_t kMaxGgufTensors = 1u << 20;
inline constexpr uint64_t kMaxGgufKvs = 1u << 20;
// A metadata key (the spec's own limit) and a stored string value (longer ones are skipped).
inline constexpr uint64_t kMaxGgufKeyBytes = 65535;
inline constexpr uint64_t kMaxGgufStoredString = 1u << 20;
// Nesting of GGUF metadata arrays.
inline constexpr int kMaxGgufArrayDepth = 8;
// general.alignment (a power of two; ggml's default is 32).
inline constexpr uint64_t kMaxGgufAlignment = 1u << 20;
// The safetensors JSON header (the reference parser's limit) and its tensor count / nesting.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100000000;
inline constexpr size_t kMaxSafetensorsTensors = 1u << 20;
inline constexpr size_t kMaxSafetensorsJsonDepth = 8;
inline constexpr size_t kMaxSafetensorsRank = 8;
inline constexpr size_t kMaxSafetensorsShards = 4096;
// config.json and model.safetensors.index.json.
inline constexpr size_t kMaxModelConfigBytes = 4u << 20;
inline constexpr size_t kMaxSafetensorsIndexBytes = 64u << 20;
// Elements of one tensor row the fidelity check holds in memory (a row is ne[0] weights).
inline constexpr uint64_t kMaxFidelityRowElems = 1u << 22;
// Bytes of one streamed read of GGUF rows (several rows per read when they are short).
inline constexpr size_t kFidelityChunkBytes = 1u << 20;

}  // namespace provbadge::verifier::limits

#endif  // PROVBADGE_VERIFIER_SRC_LIMITS_H_
