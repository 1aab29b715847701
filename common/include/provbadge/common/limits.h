// Every bound on untrusted input, in one place (docs/threat-model.md lists which check
// enforces each and which test proves it). Anything beyond a bound is rejected at parse time
// with a specific error or finding (docs/findings.md) before it can cost memory or time.
// Add a new parser's bounds here, not in its .cc file.
//
// Thread-safety: compile-time constants.
#ifndef PROVBADGE_COMMON_LIMITS_H_
#define PROVBADGE_COMMON_LIMITS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace provbadge::limits {

// ===== Verifier: OMS model.sig, DSSE, in-toto (verifier/src/oms_*.cc) ======================
// model.sig as read from the revision (a real bundle with a 10k-file model is ~2 MiB).
inline constexpr size_t kMaxBundleBytes = 16u << 20;
// The decoded DSSE payload (the in-toto Statement); its base64 fits in kMaxBundleBytes.
inline constexpr size_t kMaxPayloadBytes = 8u << 20;
// DSSE signatures tried per envelope.
inline constexpr size_t kMaxSignatures = 16;
// Resources listed in one OMS predicate (~100 bytes each, so it fits in kMaxPayloadBytes).
inline constexpr size_t kMaxResources = 50000;
// Nesting of JSON arrays/objects in a bundle, payload, trusted root or report (real ones
// nest < 10 deep).
inline constexpr size_t kMaxJsonDepth = 32;
// Entries in serialization.ignore_paths.
inline constexpr size_t kMaxIgnorePaths = 1024;
// Length of one resource name or path.
inline constexpr size_t kMaxPathBytes = 4096;

// ===== Verifier: provenance.intoto.jsonl and model cards (provenance*.cc, node*.cc) ==========
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

// ===== Verifier: Sigstore bundles and trusted roots (verifier/src/sigstore_*.cc) ============
// Transparency-log entries, RFC 3161 timestamps and DSSE signatures per bundle.
inline constexpr size_t kMaxTlogEntries = 8;
inline constexpr size_t kMaxTimestamps = 8;
inline constexpr size_t kMaxDsseSignatures = 1;  // the bundle spec requires exactly one
// Certificates in a bundle's x509CertificateChain and in one trusted-root chain.
inline constexpr size_t kMaxCertChain = 8;
// Signature lines in one checkpoint (log signature plus witness cosignatures), and its size.
inline constexpr size_t kMaxCheckpointSignatures = 32;
inline constexpr size_t kMaxCheckpointBytes = 16u << 10;
// Lines of a checkpoint's note text before the blank line (origin, size, root, extensions).
inline constexpr size_t kMaxCheckpointNoteLines = 64;
// Audit-path hashes in an inclusion proof (a tree of 2^64 leaves needs 64).
inline constexpr size_t kMaxProofHashes = 64;
// A decoded tlog body (hashedrekord/dsse/intoto entry JSON with a PEM certificate).
inline constexpr size_t kMaxTlogBodyBytes = 1u << 20;
// One RFC 3161 TimeStampResp, DER (also bounds one bundle certificate's DER).
inline constexpr size_t kMaxTimestampBytes = 64u << 10;
// trusted_root.json and each of its lists (tlogs, ctlogs, CAs, TSAs).
inline constexpr size_t kMaxTrustedRootBytes = 4u << 20;
inline constexpr size_t kMaxTrustedRootItems = 64;
// SCTs in a leaf certificate and names in its SAN extension.
inline constexpr size_t kMaxScts = 16;
inline constexpr size_t kMaxSanEntries = 16;
// Extensions in a keyless leaf certificate (a Fulcio leaf has ~20), and EKU OIDs in one.
inline constexpr size_t kMaxCertExtensions = 64;
// Subjects in an in-toto Statement checked against the artifact.
inline constexpr size_t kMaxSubjects = 100000;

// ===== Verifier: quantization fidelity (GGUF / safetensors; notes/quant.md §1-2) ============
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
// Threads one fidelity check runs on, at most (FidelityOptions::threads, `--threads`).
inline constexpr unsigned kMaxFidelityThreads = 256;
// Working memory of one check's threads together (row buffers, one part each): fewer threads
// run when the longest rows would need more (a hostile file of kMaxFidelityRowElems rows).
inline constexpr uint64_t kFidelityMemoryBudget = uint64_t{1} << 30;

// ===== Queue: upload events and hub webhooks (queue/src/*.cc) ================================
// One upload-event message body and its JSON nesting.
inline constexpr size_t kMaxUploadEventBytes = 64u << 10;
inline constexpr size_t kMaxUploadEventJsonDepth = 16;
// Upload-event fields: event_id, each part of "org/name", ref, source.
inline constexpr size_t kMaxEventIdBytes = 128;
inline constexpr size_t kMaxRepoPartBytes = 96;
inline constexpr size_t kMaxRefBytes = 255;
inline constexpr size_t kMaxSourceBytes = 64;
// One hub webhook payload, its nesting, its updatedRefs entries and its webhook.id.
inline constexpr size_t kMaxHubWebhookBytes = 1u << 20;
inline constexpr size_t kMaxHubWebhookJsonDepth = 32;
inline constexpr size_t kMaxHubWebhookRefs = 1000;
inline constexpr size_t kMaxHubWebhookIdBytes = 128;
// A queue message id (SQLite queue; RabbitMQ: an AMQP short string).
inline constexpr size_t kMaxSqliteMessageIdBytes = 512;
inline constexpr size_t kMaxAmqpMessageIdBytes = 255;
// Messages one dead-letter browse returns.
inline constexpr size_t kMaxQueueBrowse = 10000;

// ===== HTTP server (worker/src/http_server.cc, http_api.cc) ==================================
// Request line + headers, and the body of every route except the webhook.
inline constexpr size_t kMaxHttpHeaderBytes = 8u << 10;
inline constexpr uint64_t kMaxHttpBodyBytes = 16u << 10;
// POST /v1/hooks/hub: the body is a hub webhook payload.
inline constexpr uint64_t kMaxHttpWebhookBodyBytes = kMaxHubWebhookBytes;
// The per-connection read buffer.
inline constexpr size_t kMaxHttpReadBufferBytes = 64u << 10;
// What a closing connection drains (after its half-close) before it is closed outright. A
// client refused at its headers (413) may still be sending a body as large as the largest one
// any route takes; draining that much lets it read the response instead of a reset.
inline constexpr size_t kMaxHttpLingerBytes = 2u << 20;
static_assert(kMaxHttpLingerBytes >= kMaxHttpWebhookBodyBytes + kMaxHttpHeaderBytes);
// A whole request (headers and body) must arrive within this time of the first read, however
// slowly its bytes trickle in (slowloris); a response must be written within the write timeout.
inline constexpr std::chrono::seconds kHttpReadTimeout{30};
inline constexpr std::chrono::seconds kHttpWriteTimeout{30};
inline constexpr std::chrono::seconds kHttpLingerTimeout{2};
// One part of "org/name" in a badge or report URL.
inline constexpr size_t kMaxUrlNamePartBytes = 96;

// ===== Hub HTTP client: responses of the hub API (worker/src/hub_http*.cc) ===================
inline constexpr int kMaxHubRedirects = 5;
inline constexpr uint32_t kMaxHubResponseHeaderBytes = 64u << 10;
// refs file of a local hub mirror.
inline constexpr size_t kMaxMirrorRefsFileBytes = 1u << 20;

// ===== Operator files: configuration, trust policy, keys (config/src/*.cc) ==================
inline constexpr size_t kMaxConfigFileBytes = 1u << 20;
inline constexpr size_t kMaxPolicyFileBytes = 4u << 20;
inline constexpr size_t kMaxKeyFileBytes = 64u << 10;
// Nesting of the strict JSON reader for configuration and policy files.
inline constexpr int kMaxConfigJsonDepth = 32;

// ===== Badge store documents (badges/src/badge_json.cc) ======================================
inline constexpr size_t kMaxBadgeJsonBytes = 8u << 20;

// ===== CLI inputs (worker/src/cmd_*.cc) ======================================================
inline constexpr size_t kMaxSignatureFileBytes = kMaxBundleBytes;
inline constexpr size_t kMaxTrustFileBytes = kMaxTrustedRootBytes;
inline constexpr uint64_t kMaxArtifactFileBytes = 1u << 30;

}  // namespace provbadge::limits

#endif  // PROVBADGE_COMMON_LIMITS_H_
