// A bounded, buffered forward reader over a FileReader, for header parsers (GGUF, safetensors).
// Reports a short file as kInvalidInput "<prefix>.truncated" and reader faults as they come.
//
// Ownership: borrows the FileReader. Thread-safety: one thread at a time.
#ifndef PROVBADGE_VERIFIER_SRC_GGUF_STREAM_READER_H_
#define PROVBADGE_VERIFIER_SRC_GGUF_STREAM_READER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

// Reads exactly buf.size() bytes at `offset`; kInvalidInput "<code>: ..." at end of file.
Status ReadExactly(FileReader& reader, uint64_t offset, std::span<std::byte> buf,
                   std::string_view truncated_code);

class StreamReader {
 public:
  StreamReader(FileReader& reader, std::string truncated_code);
  uint64_t position() const { return pos_; }
  uint64_t size() const { return size_; }
  Status Read(void* dst, size_t n);
  Status Skip(uint64_t n);
  template <typename T>
  Status ReadLe(T* v) {  // little-endian integers (the host is little-endian x86-64/aarch64)
    return Read(v, sizeof(T));
  }

 private:
  Status Fill();
  FileReader& reader_;
  std::string truncated_code_;
  uint64_t size_;
  uint64_t pos_ = 0;        // logical position
  uint64_t buf_start_ = 0;  // file offset of buf_[0]
  size_t buf_len_ = 0;
  std::vector<std::byte> buf_;
};

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_SRC_GGUF_STREAM_READER_H_
