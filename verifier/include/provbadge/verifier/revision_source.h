// The verifier's only window onto model files: a revision's file list and readers.
//
// The worker implements this over a local hub mirror (and later the hub's HTTP API);
// `provbadge verify-model` implements it over a local folder; tests implement it in memory.
// The verifier never opens files or sockets itself.
//
// Thread-safety: implementations must allow concurrent calls to ListFiles and Open from
// several threads; a FileReader is used by one thread at a time.
#ifndef PROVBADGE_VERIFIER_REVISION_SOURCE_H_
#define PROVBADGE_VERIFIER_REVISION_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"

namespace provbadge::verifier {

// One regular file (or symlink) of a revision. `path` is POSIX, relative to the revision
// root, without "./" or "..".
struct FileInfo {
  std::string path;
  uint64_t size = 0;
  // Lowercase hex SHA-256 of the content when the source knows it (computed or hub-known).
  std::optional<std::string> sha256;
  // True when `sha256` is the hub's LFS oid (content sha256 the hub computed on upload). The
  // digest engine takes such digests without reading under TrustPolicy rehash "small".
  bool lfs = false;
  bool is_symlink = false;
};

class DigestCache;  // digest_cache.h

// Reads bytes of one file. Owned by the caller of RevisionSource::Open.
class FileReader {
 public:
  virtual ~FileReader() = default;
  virtual uint64_t Size() const = 0;
  // Reads up to buf.size() bytes at `offset`; returns the count read (0 only at end of file).
  virtual Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) = 0;
  // Read-ahead hint: bytes [offset, offset + len) will be read soon. Default: nothing.
  virtual void WillNeed(uint64_t /*offset*/, uint64_t /*len*/) {}
  // A string that changes whenever the file's bytes may have changed (e.g. device, inode,
  // size and mtime), re-evaluated on each call; empty when the source cannot tell. Digests
  // are remembered across verifications (DigestCache) only under a non-empty tag.
  virtual std::string ContentTag() const { return ""; }

  // Zero-copy read: the bytes [offset, offset + len) in memory, or nullptr when the reader
  // cannot offer them so (the default; also when len is 0, when the range is not inside
  // [0, Size()), or when mapping failed) -- the caller then uses ReadAt, which gives the same
  // bytes. The pointer stays valid until the next View call on this reader or its
  // destruction, whichever comes first; one window at a time, so memory stays flat.
  // If the file changes while viewed, the bytes seen may be the new content or zeros (a file
  // that shrank); the access does not crash, and CheckViews reports the change from then on.
  // Same thread rule as every member: one thread at a time.
  virtual const std::byte* View(uint64_t /*offset*/, uint64_t /*len*/) { return nullptr; }
  // Ok while every byte this reader's views showed was the file's content as opened; once that
  // may not hold (the file shrank under a view, or changed on disk), kUnavailable "file changed
  // while reading" on this and every later call. Call it after using a view's bytes and before
  // trusting anything concluded from them. Default: Ok (a reader without views).
  virtual Status CheckViews() { return Status::Ok(); }
};

class RevisionSource {
 public:
  virtual ~RevisionSource() = default;
  // Every file of the revision, sorted by path. Directories are not listed.
  virtual Result<std::vector<FileInfo>> ListFiles() = 0;
  // Opens one listed file. kNotFound when it is not part of the revision.
  virtual Result<std::unique_ptr<FileReader>> Open(std::string_view path) = 0;
  // Digests this source remembers across verifications (keyed by ContentTag), or null.
  // Borrowed; outlives the source.
  virtual DigestCache* digest_cache() { return nullptr; }
};

// Reads a whole (small) file. kInvalidInput when it is larger than `max_bytes`.
Result<std::string> ReadWholeFile(RevisionSource& source, std::string_view path, size_t max_bytes);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_REVISION_SOURCE_H_
