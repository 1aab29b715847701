// MappedFile: a read-only, whole-file memory mapping that survives the file shrinking under it.
//
// Touching a page of a file mapping past the file's current end raises SIGBUS, which would kill
// the process. Every MappedFile is registered with a process-wide SIGBUS handler (installed once,
// on the first Map): a fault inside a registered mapping maps anonymous zero pages over the rest
// of that mapping (mmap MAP_FIXED), marks it faulted and returns, so the access completes with
// zeros and the owner learns of it from faulted(). A fault anywhere else goes to the handler
// that was installed before ours (or the default action: the process dies of SIGBUS as before).
// No longjmp: the faulting instruction simply completes on the new page. Works the same under
// AddressSanitizer + UBSan (their SIGBUS handler, installed first, is the one chained to; checked
// with clang-14 -fsanitize=address,undefined).
//
// The registry is a fixed array of atomics (kMaxMappings slots); the handler takes no lock and
// allocates nothing. Map returns null (the caller reads with pread instead) when the handler
// cannot be installed, every slot is taken, or mmap fails.
//
// Ownership: a MappedFile owns its mapping (unmapped on destruction); it does not own the fd,
// which may be closed after Map. Thread-safety: Map and destruction may run on any threads
// concurrently; one MappedFile is used by one thread at a time (faulted() may be read anywhere).
#ifndef PROVBADGE_WORKER_SRC_MAPPED_FILE_H_
#define PROVBADGE_WORKER_SRC_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace provbadge::worker {

class MappedFile {
 public:
  static constexpr int kMaxMappings = 1024;

  // Maps bytes [0, size) of `fd` (size > 0) read-only and shared; null when it cannot.
  static std::unique_ptr<MappedFile> Map(int fd, uint64_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }
  // True once an access faulted (the file shrank or could not be read): bytes read through the
  // mapping since may be zeros. Stays true.
  bool faulted() const;
  // madvise over the pages covering [offset, offset + len) (clamped to the mapping); a hint,
  // failures are ignored.
  void Advise(uint64_t offset, uint64_t len, int advice) const;

 private:
  MappedFile(std::byte* data, uint64_t size, int slot) : data_(data), size_(size), slot_(slot) {}
  std::byte* data_;
  uint64_t size_;
  int slot_;
};

// Installs the SIGBUS handler if not yet done; false when sigaction failed. Map calls it.
bool InstallMappingFaultHandler();

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_SRC_MAPPED_FILE_H_
