#include "provbadge/worker/directory_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "mapped_file.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

namespace {

// An open file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Error ErrnoError(std::string_view what, std::string_view path) {
  const int e = errno;
  std::string msg = std::string(what) + " " + std::string(path) + ": " + std::strerror(e);
  if (e == ENOENT || e == ENOTDIR) return NotFound(msg);
  if (e == ELOOP) return InvalidInput(msg + " (symlinks are not followed)");
  return Unavailable(msg);
}

uint64_t TimeNs(const struct timespec& t) {
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + static_cast<uint64_t>(t.tv_nsec);
}

// Reads with pread; with `views`, View maps the whole file on first use (MappedFile: a file
// that shrinks under it gives zeros and a CheckViews error, not a crash) and keeps the process's
// page tables to a window around the last view: pages more than kBehind before it dropped
// (DONTNEED; the page cache keeps them), so resident memory stays flat however large the file (at
// most ~2 x kBehind + one view per reader).
// Read-ahead is the kernel's own (SEQUENTIAL on the file and the mapping). WillNeed gives no
// WILLNEED hint, nor do views: on Linux 6.x such a hint reads a file into the page cache as
// single 4 KiB pages, where the kernel's sequential read-ahead reads it into large folios, and
// every later mapping of single pages takes ~16x the page faults (a mapped read of the file then
// runs at about half the speed: bench/README.md, "Read-ahead hints and page-cache folios").
class PosixFileReader : public verifier::FileReader {
 public:
  static constexpr uint64_t kBehind = 2u << 20;

  PosixFileReader(Fd fd, uint64_t size, bool views)
      : fd_(std::move(fd)), size_(size), views_(views) {
    ::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  uint64_t Size() const override { return size_; }
  // dev:inode:size:mtime_ns:ctime_ns of the open file, empty if fstat fails.
  std::string ContentTag() const override {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return "";
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(TimeNs(st.st_mtim)) + ":" +
           std::to_string(TimeNs(st.st_ctim));
  }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    for (;;) {
      ssize_t n = ::pread(fd_.get(), buf.data(), buf.size(), static_cast<off_t>(offset));
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return Unavailable(std::string("read: ") + std::strerror(errno));
    }
  }
  const std::byte* View(uint64_t offset, uint64_t len) override {
    if (!views_ || len == 0 || offset > size_ || len > size_ - offset) return nullptr;
    if (!map_ && !MapOnce()) return nullptr;
    Window(offset, offset + len);
    return map_->data() + offset;
  }
  // A fault under a view, or a size or mtime other than when the mapping was made.
  Status CheckViews() override {
    if (!map_) return Status::Ok();
    struct stat st {};
    if (map_->faulted() || ::fstat(fd_.get(), &st) != 0 ||
        static_cast<uint64_t>(st.st_size) != size_ || TimeNs(st.st_mtim) != mapped_mtime_) {
      return Unavailable("file changed while reading");
    }
    return Status::Ok();
  }

 private:
  bool MapOnce() {
    if (map_failed_) return false;
    struct stat st {};
    if (::fstat(fd_.get(), &st) == 0 && static_cast<uint64_t>(st.st_size) == size_) {
      mapped_mtime_ = TimeNs(st.st_mtim);
      map_ = MappedFile::Map(fd_.get(), size_);
    }
    map_failed_ = !map_;
    if (map_) map_->Advise(0, size_, MADV_SEQUENTIAL);
    return !map_failed_;
  }

  // Keeps the pages this process maps to [dropped_, touched_) around the views. A view more
  // than kBehind before the window (a shard's tensors are rarely checked in file order) drops
  // the whole window and starts a new one there.
  void Window(uint64_t begin, uint64_t end) {
    if (begin < dropped_) {
      map_->Advise(dropped_, touched_ - dropped_, MADV_DONTNEED);
      dropped_ = touched_ = begin;
    }
    touched_ = std::max(touched_, end);
    if (begin > dropped_ + 2 * kBehind) {
      map_->Advise(dropped_, begin - kBehind - dropped_, MADV_DONTNEED);
      dropped_ = begin - kBehind;
    }
  }

  Fd fd_;
  uint64_t size_;
  bool views_;
  std::unique_ptr<MappedFile> map_;
  bool map_failed_ = false;
  uint64_t mapped_mtime_ = 0;
  uint64_t dropped_ = 0;  // DONTNEED given below here (since the window started)
  uint64_t touched_ = 0;  // the furthest view end (since the window started)
};

// Opens the regular file `name` in the open directory `dir` (or the current one for AT_FDCWD).
Result<std::unique_ptr<verifier::FileReader>> OpenAt(int dir, const std::string& name,
                                                     std::string_view shown, int extra_flags,
                                                     bool views) {
  Fd file(::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC | extra_flags));
  if (file.get() < 0) return ErrnoError("open", shown);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return ErrnoError("stat", shown);
  if (!S_ISREG(st.st_mode)) return InvalidInput("open " + std::string(shown) + ": not a file");
  const auto size = static_cast<uint64_t>(st.st_size);
  return std::unique_ptr<verifier::FileReader>(
      std::make_unique<PosixFileReader>(std::move(file), size, views));
}

}  // namespace

Status ValidateRelativePath(std::string_view path) {
  if (path.empty()) return InvalidInput("empty path");
  if (path.front() == '/') return InvalidInput("absolute path not allowed");
  if (path.find('\0') != std::string_view::npos) return InvalidInput("NUL in path");
  if (path.find('\\') != std::string_view::npos) return InvalidInput("backslash in path");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view comp = path.substr(start, end - start);
    if (comp.empty()) return InvalidInput("empty path component");
    if (comp == "." || comp == "..") return InvalidInput("'.' or '..' component in path");
    start = end + 1;
  }
  return Status::Ok();
}

DirectorySource::DirectorySource(std::string root, HashCache* cache)
    : root_(std::move(root)), cache_(cache) {}

Result<std::vector<verifier::FileInfo>> DirectorySource::ListFiles() {
  std::vector<verifier::FileInfo> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, fs::directory_options::none, ec);
  if (ec) return Unavailable("list " + root_ + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Unavailable("list " + root_ + ": " + ec.message());
    const fs::directory_entry& entry = *it;
    const bool is_link = entry.is_symlink(ec);
    if (!is_link && entry.is_directory(ec)) continue;
    verifier::FileInfo info;
    info.path = fs::relative(entry.path(), root_, ec).generic_string();
    if (ec) return Unavailable("list " + root_ + ": " + ec.message());
    info.is_symlink = is_link;
    if (!is_link) {
      if (!entry.is_regular_file(ec)) continue;  // sockets, fifos: not model files
      info.size = entry.file_size(ec);
      if (ec) return Unavailable("stat " + info.path + ": " + ec.message());
    }
    files.push_back(std::move(info));
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path < b.path; });
  return files;
}

Result<std::unique_ptr<verifier::FileReader>> DirectorySource::Open(std::string_view path) {
  if (Status s = ValidateRelativePath(path); !s.ok()) {
    return s.error().Wrap("open " + std::string(path));
  }
  Fd dir(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return ErrnoError("open", root_);
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    const std::string comp(path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) {
      return OpenAt(dir.get(), comp, path, O_NOFOLLOW, true);
    }
    Fd next(::openat(dir.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) return ErrnoError("open", path);
    dir = std::move(next);
    start = slash + 1;
  }
}

Result<std::unique_ptr<verifier::FileReader>> OpenLocalFile(const std::string& path,
                                                            LocalReads reads) {
  return OpenAt(AT_FDCWD, path, path, 0, reads == LocalReads::kMappedViews);
}

}  // namespace provbadge::worker
