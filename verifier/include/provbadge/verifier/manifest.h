// Manifest: the digest engine of one verification of one revision.
//
// It answers "sha256 of path P" and "digest of bytes [a, b) of P with hash H", computing each
// distinct digest at most once however many checks ask (OMS now, provenance and fidelity
// later share one Manifest per revision). Hashing streams through a bounded buffer per worker
// thread (memory flat in model size), runs files and shards of one file in parallel on a small
// thread pool (Prefetch), and gives the reader read-ahead hints.
//
// Where digests come from (ManifestStats says which was used for how many):
//  - hub-known: a whole-file sha256 listed by the source (FileInfo.sha256) is taken without
//    reading under RehashMode kNever, and under kSmall when it is an LFS oid (FileInfo.lfs);
//  - cached: the source's DigestCache, under a content tag the reader vouches for (not kAlways);
//  - computed: everything else is read and hashed. A computed whole-file sha256 that differs
//    from a hub-known one is recorded in ManifestStats::known_mismatches.
//
// Ownership: borrows `source`, which must outlive the Manifest.
// Thread-safety: every method may be called concurrently; a digest requested by two threads
// at once is computed once (the second waits).
#ifndef PROVBADGE_VERIFIER_MANIFEST_H_
#define PROVBADGE_VERIFIER_MANIFEST_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/policy.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

// What to hash: a whole file, or the byte range [start, end) of it.
struct DigestKey {
  std::string path;
  HashAlgorithm algorithm = HashAlgorithm::kSha256;
  bool whole = true;
  uint64_t start = 0, end = 0;  // used when !whole

  static DigestKey Whole(std::string path, HashAlgorithm a = HashAlgorithm::kSha256) {
    return {std::move(path), a, true, 0, 0};
  }
  static DigestKey Range(std::string path, HashAlgorithm a, uint64_t start, uint64_t end) {
    return {std::move(path), a, false, start, end};
  }
  auto Tie() const { return std::tie(path, algorithm, whole, start, end); }
  bool operator<(const DigestKey& o) const { return Tie() < o.Tie(); }
};

struct ManifestOptions {
  RehashMode rehash = RehashMode::kSmall;
  unsigned threads = 0;                  // 0: std::thread::hardware_concurrency()
  size_t buffer_bytes = 1u << 20;        // per worker thread
  uint64_t readahead_bytes = 32u << 20;  // how far ahead WillNeed hints reach
};

struct KnownMismatch {
  std::string path;
  std::string known;     // the hub's sha256
  std::string computed;  // the sha256 of the bytes
};

struct ManifestStats {
  uint64_t computed = 0;  // digests computed from bytes
  uint64_t bytes_read = 0;
  uint64_t hub_known = 0;  // whole-file sha256 taken from the listing without reading
  uint64_t cached = 0;     // taken from the source's DigestCache
  std::vector<std::string> hub_known_paths;  // sorted
  std::vector<KnownMismatch> known_mismatches;
};

class Manifest {
 public:
  explicit Manifest(RevisionSource& source, ManifestOptions options = {});
  Manifest(const Manifest&) = delete;
  Manifest& operator=(const Manifest&) = delete;

  // The revision's listing (ListFiles once, then remembered; an error is not remembered).
  Result<std::vector<FileInfo>> Files();
  // The listed entry for `path`, or nullopt (also when listing failed).
  std::optional<FileInfo> Find(std::string_view path);

  // sha256 of the whole file at `path` (hub-known per the rehash mode, cached, or computed).
  Result<std::string> Sha256(std::string_view path);
  // Lowercase hex digest for `key`. kNotFound when the path is not listed; kInvalidInput when a
  // range is empty, reversed or reaches past the end of the file.
  Result<std::string> Digest(const DigestKey& key);
  // Computes every key not yet known, in parallel (largest first), and returns when all are
  // done. Errors are remembered per key and returned by Digest.
  void Prefetch(const std::vector<DigestKey>& keys);

  ManifestStats Stats() const;
  const ManifestOptions& options() const { return options_; }

 private:
  struct Entry {
    bool done = false;
    std::optional<Result<std::string>> result;
  };
  struct Work;

  Status EnsureListed();  // lists once; an error is not remembered
  Result<std::string> Compute(const DigestKey& key, std::vector<std::byte>& buffer);
  Result<std::string> HashBytes(FileReader& reader, const DigestKey& key,
                                std::vector<std::byte>& buffer);
  std::optional<std::string> TakeKnown(const DigestKey& key, const FileInfo& info);
  void CheckKnown(const DigestKey& key, const FileInfo& info, const std::string& computed);
  void Finish(const DigestKey& key, Result<std::string> result);
  uint64_t WorkSize(const DigestKey& key);

  RevisionSource& source_;
  ManifestOptions options_;
  std::mutex list_mu_;
  std::optional<std::vector<FileInfo>> files_;
  std::map<std::string, size_t, std::less<>> index_;  // path -> position in files_

  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  std::map<DigestKey, Entry> entries_;
  ManifestStats stats_;
};

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_MANIFEST_H_
