// A RevisionSource over a local folder: a hub mirror's revision folder, or the folder
// `provbadge verify-model` is pointed at.
//
// Files are read with pread and hashed with a bounded buffer (memory flat in file size).
// Symlinks are never followed: they are listed with is_symlink = true and cannot be opened.
// Open() walks the path one component at a time with O_NOFOLLOW, so no path (`..`, absolute,
// a symlinked directory) can reach outside the folder.
//
// Ownership: borrows `cache` (may be null), which must outlive the source.
// Thread-safety: ListFiles and Open may be called concurrently; the cache is shared safely.
#ifndef PROVBADGE_WORKER_DIRECTORY_SOURCE_H_
#define PROVBADGE_WORKER_DIRECTORY_SOURCE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "provbadge/verifier/revision_source.h"

namespace provbadge::worker {

// sha256 of files keyed by (path, size, mtime, inode): a file hashed once is not hashed again
// while it is unchanged. Bounded: evicts everything when `max_entries` is reached.
class HashCache {
 public:
  explicit HashCache(size_t max_entries = 100000) : max_entries_(max_entries) {}
  struct Key {
    std::string path;
    uint64_t size, mtime_ns, inode;
    auto operator<=>(const Key&) const = default;
  };
  std::optional<std::string> Get(const Key& key) const;
  void Put(const Key& key, std::string sha256_hex);
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  size_t max_entries_;
  mutable std::mutex mu_;
  std::map<Key, std::string> entries_;
  mutable uint64_t hits_ = 0, misses_ = 0;
};

class DirectorySource : public verifier::RevisionSource {
 public:
  DirectorySource(std::string root, HashCache* cache);
  Result<std::vector<verifier::FileInfo>> ListFiles() override;
  Result<std::unique_ptr<verifier::FileReader>> Open(std::string_view path) override;

 private:
  // sha256 of one listed file, through the cache; sets *size.
  Result<std::string> HashFile(const std::string& path, uint64_t* size);

  std::string root_;
  HashCache* cache_;
};

// Rejects absolute paths, empty components, ".", "..", NUL and backslashes.
Status ValidateRelativePath(std::string_view path);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_DIRECTORY_SOURCE_H_
