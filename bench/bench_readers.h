// Readers the fidelity benchmarks share: an in-memory FileReader with or without views, a
// temporary file of given bytes, the production local-file reader (worker OpenLocalFile), and the
// XOR that streams bytes for the read floors.
// Ownership: BufferReader borrows its bytes; BenchFile owns (and removes) its file.
// Thread-safety: one object per thread.
#ifndef PROVBADGE_BENCH_BENCH_READERS_H_
#define PROVBADGE_BENCH_BENCH_READERS_H_

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "provbadge/verifier/revision_source.h"
#include "provbadge/worker/directory_source.h"

namespace provbadge::bench {

// `size` bytes at `data` (borrowed); View points into them when `views`, else nullptr.
class BufferReader : public verifier::FileReader {
 public:
  BufferReader(const uint8_t* data, size_t size, bool views)
      : data_(data), size_(size), views_(views) {}
  uint64_t Size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= size_) return size_t{0};
    const size_t n = std::min<size_t>(buf.size(), size_ - offset);
    std::memcpy(buf.data(), data_ + offset, n);
    return n;
  }
  const std::byte* View(uint64_t offset, uint64_t len) override {
    if (!views_ || len == 0 || offset > size_ || len > size_ - offset) return nullptr;
    return reinterpret_cast<const std::byte*>(data_ + offset);
  }

 private:
  const uint8_t* data_;
  size_t size_;
  bool views_;
};

// `bytes` written to a new file in PROVBADGE_BENCH_DIR (default /dev/shm: the page cache, as a
// file read again soon after the hub stored it); removed on destruction.
struct BenchFile {
  std::string path;
  BenchFile(const std::vector<uint8_t>& bytes, const std::string& name) {
    const char* dir = std::getenv("PROVBADGE_BENCH_DIR");
    path = std::string(dir ? dir : "/dev/shm") + "/fidelity_bench-" + std::to_string(::getpid()) +
           "-" + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f)) {
      std::fprintf(stderr, "fidelity_bench: cannot write %s\n", path.c_str());
      std::exit(1);
    }
  }
  ~BenchFile() { std::remove(path.c_str()); }
  BenchFile(const BenchFile&) = delete;
  BenchFile& operator=(const BenchFile&) = delete;
};

// Every whole 8-byte word of [p, p + n) XORed: the cheapest way to make a read of the bytes
// count (the read floors the fidelity benchmarks compare the check with).
inline uint64_t XorWords(const std::byte* p, uint64_t n) {
  uint64_t x = 0;
  for (uint64_t i = 0; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    x ^= w;
  }
  return x;
}

// The production reader of a local file (exits on failure: a benchmark setup error).
inline std::unique_ptr<verifier::FileReader> OpenFileReader(const std::string& path, bool mmap) {
  auto r = worker::OpenLocalFile(
      path, mmap ? worker::LocalReads::kMappedViews : worker::LocalReads::kPread);
  if (!r.ok()) {
    std::fprintf(stderr, "bench: %s\n", r.error().message().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace provbadge::bench

#endif  // PROVBADGE_BENCH_BENCH_READERS_H_
