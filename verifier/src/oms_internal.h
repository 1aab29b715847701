// Internal steps of OMS verification, shared by oms.cc, oms_sign.cc and tests through the
// public entry points. Each step appends findings (docs/findings.md) and returns false when
// verification cannot go on.
//
// Thread-safety: reentrant; no shared state.
#ifndef PROVBADGE_VERIFIER_SRC_OMS_INTERNAL_H_
#define PROVBADGE_VERIFIER_SRC_OMS_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/manifest.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/public_key.h"
#include "provbadge/verifier/report.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier::internal {

inline constexpr std::string_view kBundleMediaType =
    "application/vnd.dev.sigstore.bundle.v0.3+json";
inline constexpr std::string_view kBundleMediaTypeAlt =
    "application/vnd.dev.sigstore.bundle+json;version=0.3";
inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kOmsPredicateType = "https://model_signing/signature/v1.0";

// The top-level git paths ignored by default on both sides.
inline const std::vector<std::string>& DefaultIgnorePaths() {
  static const std::vector<std::string> kPaths = {".git", ".gitattributes", ".github",
                                                  ".gitignore"};
  return kPaths;
}

enum class KeyMaterial { kHint, kRawBytes };

// The parts of a key-mode bundle the verifier uses, decoded but not yet trusted.
struct OmsBundle {
  KeyMaterial material = KeyMaterial::kHint;
  std::string hint;                     // publicKey.hint (kHint)
  std::string payload;                  // base64-decoded DSSE payload bytes
  std::vector<std::string> signatures;  // base64-decoded DER signatures
};

struct OmsResource {
  std::string name;             // as signed
  std::string digest;           // lowercase hex (64 for sha256, 128 for blake2b)
  std::string path;             // the file: `name`, or for shards `name` without ":start:end"
  uint64_t start = 0, end = 0;  // shards: the byte range [start, end)
};

// The verified statement's fields the file comparison needs. The defaults (files, sha256)
// also describe legacy statements that list one sha256 per file.
struct OmsStatement {
  std::string subject_sha256;
  std::vector<OmsResource> resources;
  std::vector<std::string> ignore_paths;
  bool allow_symlinks = false;
  bool shards = false;
  HashAlgorithm hash = HashAlgorithm::kSha256;
  uint64_t shard_size = 0;  // shards only
};

void AddFinding(Report* report, std::string code, Severity severity, std::string message,
                std::string path = "", std::string expected = "", std::string actual = "");

// Parses model.sig bytes. Unsupported verification modes are findings (never verified).
bool ParseBundle(std::string_view bundle_json, OmsBundle* out, Report* report);

// True when any signature verifies over PAE(in-toto, payload) with `key`.
bool SignatureVerifies(const OmsBundle& bundle, const PublicKey& key);

// Parses exactly the verified payload bytes as an OMS statement and checks the subject digest.
bool ParseStatement(std::string_view payload, OmsStatement* out, Report* report);

// Compares the signed resources with the revision's files as a set, hashing through
// `options.manifest` when set (else a Manifest made here with `options.rehash`), and adds the
// "digest.summary" finding saying which digests were computed and which were taken.
void CompareFiles(RevisionSource& source, const OmsStatement& statement, const OmsOptions& options,
                  Report* report);

// Splits a shard resource name "path:start:end" from the right (paths may contain ':').
// False unless start and end are decimal (no sign, no overflow) and start < end.
bool ParseShardName(std::string_view name, std::string* path, uint64_t* start, uint64_t* end);

// Per file, the signed shards must tile [0, last end) exactly: starting at 0, aligned to
// shard_size, no overlap, no gap (findings oms.shard_overlap / oms.shard_gap /
// oms.shard_misaligned). Whether the last end is the file's size is checked against the file.
bool CheckShardLayout(const OmsStatement& statement, Report* report);

// True for file names the hub never lets a signer leave unsigned through ignore_paths:
// weights, tokenizer, config, chat templates and code (docs/findings.md "Protected files").
bool IsProtectedFile(std::string_view path);

// Ignore entries without "./" prefixes or trailing '/'; unusable entries are dropped.
std::vector<std::string> NormalizeIgnores(const std::vector<std::string>& in);

// True when `path` equals an entry of `ignores` or lies under one.
bool IsIgnored(std::string_view path, const std::vector<std::string>& ignores);

// True for a POSIX relative path: non-empty, no leading '/', no empty, "." or ".."
// components, no NUL, bounded length.
bool IsValidRelativePath(std::string_view path);

}  // namespace provbadge::verifier::internal

#endif  // PROVBADGE_VERIFIER_SRC_OMS_INTERNAL_H_
