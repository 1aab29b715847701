// The OMS manifest of a revision: every (non-ignored) file as one resource (`files`) or as
// `path:start:end` shard resources (`shards`), digests from a Manifest (the digest engine),
// in the reference implementation's order — so `provbadge hash` reproduces model_signing's
// golden manifests and a signer's subject digest matches the Python tool's byte for byte.
//
// Thread-safety: reentrant; the Manifest may be shared with other checks.
#ifndef PROVBADGE_VERIFIER_OMS_MANIFEST_H_
#define PROVBADGE_VERIFIER_OMS_MANIFEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/manifest.h"

namespace provbadge::verifier {

inline constexpr uint64_t kDefaultShardSize = 1000000000;  // model_signing's default

struct OmsSerialization {
  bool shards = false;
  HashAlgorithm hash = HashAlgorithm::kSha256;
  uint64_t shard_size = kDefaultShardSize;  // shards only; > 0
  bool allow_symlinks = false;              // false: a symlink is an error
};

struct OmsManifestItem {
  std::string name;  // resource name: the path, or "path:start:end" (single file: ".")
  std::string path;  // the file's path in the revision
  bool whole = true;
  uint64_t start = 0, end = 0;  // shard range [start, end)
  std::string digest;           // lowercase hex
};

// Shard ranges of a file of `size` bytes: [k*shard_size, min((k+1)*shard_size, size)).
// None for an empty file (model_signing lists no resource for it).
std::vector<DigestKey> ShardKeys(const std::string& path, uint64_t size, HashAlgorithm hash,
                                 uint64_t shard_size);

// Serializes the revision. `ignore_paths` entries exclude themselves and their subtree.
// `single_file`, when not empty, serializes only that listed file and names it "." (the
// reference tool's form for a model that is one file). kInvalidInput for a symlink when
// !allow_symlinks, a zero shard size or an unlisted single file; source errors pass through.
Result<std::vector<OmsManifestItem>> SerializeOms(Manifest& manifest, const OmsSerialization& ser,
                                                  const std::vector<std::string>& ignore_paths,
                                                  std::string_view single_file = "");

// Order of model_signing: paths compared component by component (bytes), then shard start.
bool OmsPathLess(std::string_view a, std::string_view b);

// `name:hexdigest` lines, as in model_signing's golden manifests (each line ends in '\n').
std::string ManifestLines(const std::vector<OmsManifestItem>& items);
// {"serialization": {...}, "resources": [{"name","algorithm","digest"}...]}, 2-space indent.
std::string ManifestJson(const std::vector<OmsManifestItem>& items, const OmsSerialization& ser);
// SHA-256 over the raw digests in order: the OMS subject digest.
std::string OmsRootDigest(const std::vector<OmsManifestItem>& items);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_OMS_MANIFEST_H_
