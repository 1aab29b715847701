// Helpers shared by the fuzz targets (header-only, so each target stays one file).
//
// Ownership: FuzzReader borrows the fuzzer's input, which outlives the call.
// Thread-safety: single-threaded, like libFuzzer's entry point.
// Contract: a target must never crash, leak or trip a sanitizer on any input, and must call
// FuzzCheck for its invariants (e.g. "nothing unsigned verifies"): a violated invariant aborts,
// which libFuzzer reports like a crash.
#ifndef PROVBADGE_FUZZ_FUZZ_SUPPORT_H_
#define PROVBADGE_FUZZ_FUZZ_SUPPORT_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

#include "provbadge/verifier/revision_source.h"

namespace provbadge::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Aborts with `what` when `ok` is false: a broken invariant is a finding like a crash.
inline void FuzzCheck(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}

// A file of the shared vectors (PROVBADGE_SHARED_DIR/vectors/...), read once at start-up.
inline std::string ReadVector(const std::string& relative) {
  std::ifstream in(std::string(PROVBADGE_SHARED_DIR) + "/vectors/" + relative, std::ios::binary);
  FuzzCheck(static_cast<bool>(in), "a shared vector is missing (PROVBADGE_SHARED_DIR)");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The fuzzer's bytes as a file, followed by `zero_tail` zero bytes: a seed cut after its
// header still describes tensor data that "exists", so the parser gets past its size checks.
class FuzzReader : public verifier::FileReader {
 public:
  explicit FuzzReader(std::string_view bytes, uint64_t zero_tail = 0)
      : bytes_(bytes), size_(bytes.size() + zero_tail) {}
  uint64_t Size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= size_) return size_t{0};
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset));
    size_t from_bytes = offset < bytes_.size() ? std::min(n, bytes_.size() - offset) : 0;
    if (from_bytes > 0) std::memcpy(buf.data(), bytes_.data() + offset, from_bytes);
    std::memset(buf.data() + from_bytes, 0, n - from_bytes);
    return n;
  }

 private:
  std::string_view bytes_;
  uint64_t size_;
};

}  // namespace provbadge::fuzz

#endif  // PROVBADGE_FUZZ_FUZZ_SUPPORT_H_
