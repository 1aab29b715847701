// A RevisionSource over a local folder: a hub mirror's revision folder, or the folder
// `provbadge verify-model` is pointed at.
//
// ListFiles only lists (path, size): no byte is read. Hashing is the digest engine's job
// (verifier::Manifest, parallel and streaming); readers ask the kernel for sequential read-ahead
// (posix_fadvise SEQUENTIAL; no WILLNEED hints, see directory_source.cc), zero-copy views of a
// read-only mapping (View, made on first use; CheckViews reports a file that changed under them)
// and a content tag under which the engine remembers digests in `cache` across verifications.
// Symlinks are never followed: they are listed with is_symlink = true and cannot be opened. Open()
// walks the path one component at a time with O_NOFOLLOW, so no path (`..`, absolute, a symlinked
// directory) can reach outside the folder.
//
// Ownership: borrows `cache` (may be null), which must outlive the source.
// Thread-safety: ListFiles and Open may be called concurrently; the cache is shared safely.
#ifndef PROVBADGE_WORKER_DIRECTORY_SOURCE_H_
#define PROVBADGE_WORKER_DIRECTORY_SOURCE_H_

#include <memory>
#include <string>

#include "provbadge/verifier/digest_cache.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::worker {

// Digests remembered across verifications, keyed by each file's content tag
// (device:inode:size:mtime, see PosixFileReader): a file hashed once is not read again while
// it is unchanged. Shared by every revision source of a hub mirror.
using HashCache = verifier::DigestCache;

class DirectorySource : public verifier::RevisionSource {
 public:
  DirectorySource(std::string root, HashCache* cache);
  Result<std::vector<verifier::FileInfo>> ListFiles() override;
  Result<std::unique_ptr<verifier::FileReader>> Open(std::string_view path) override;
  verifier::DigestCache* digest_cache() override { return cache_; }

 private:
  std::string root_;
  HashCache* cache_;
};

// How a local file reader reads: pread only, or pread plus zero-copy views (View) of a
// read-only mapping that stays safe if the file shrinks (CheckViews then reports it).
enum class LocalReads { kPread, kMappedViews };

// Opens one local regular file (symlinks followed, path as given) with the reader
// DirectorySource::Open returns, which offers views (kMappedViews).
// For benchmarks and tools; the verification path opens files through a RevisionSource.
Result<std::unique_ptr<verifier::FileReader>> OpenLocalFile(
    const std::string& path, LocalReads reads = LocalReads::kMappedViews);

// Rejects absolute paths, empty components, ".", "..", NUL and backslashes.
Status ValidateRelativePath(std::string_view path);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_DIRECTORY_SOURCE_H_
