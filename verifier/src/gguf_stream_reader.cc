// StreamReader and ReadExactly (gguf_stream_reader.h).
#include "gguf_stream_reader.h"

#include <algorithm>
#include <cstring>

namespace provbadge::verifier {
namespace {
constexpr size_t kBufferBytes = 64 * 1024;
}  // namespace

Status ReadExactly(FileReader& reader, uint64_t offset, std::span<std::byte> buf,
                   std::string_view truncated_code) {
  size_t done = 0;
  while (done < buf.size()) {
    auto n = reader.ReadAt(offset + done, buf.subspan(done));
    if (!n.ok()) return n.error();
    if (*n == 0) {
      return InvalidInput(std::string(truncated_code) + ": file ends at byte " +
                          std::to_string(offset + done) + ", inside data that must be there");
    }
    done += *n;
  }
  return Status::Ok();
}

StreamReader::StreamReader(FileReader& reader, std::string truncated_code)
    : reader_(reader), truncated_code_(std::move(truncated_code)), size_(reader.Size()) {}

Status StreamReader::Fill() {
  buf_.resize(kBufferBytes);
  buf_start_ = pos_;
  const uint64_t left = size_ > pos_ ? size_ - pos_ : 0;
  buf_len_ = static_cast<size_t>(std::min<uint64_t>(kBufferBytes, left));
  if (buf_len_ == 0) {
    return InvalidInput(truncated_code_ + ": file ends at byte " + std::to_string(pos_) +
                        " inside the header");
  }
  return ReadExactly(reader_, buf_start_, std::span(buf_.data(), buf_len_), truncated_code_);
}

Status StreamReader::Read(void* dst, size_t n) {
  auto* out = static_cast<std::byte*>(dst);
  while (n > 0) {
    if (pos_ < buf_start_ || pos_ >= buf_start_ + buf_len_) {
      if (Status s = Fill(); !s.ok()) return s;
    }
    const size_t at = static_cast<size_t>(pos_ - buf_start_);
    const size_t take = std::min(n, buf_len_ - at);
    std::memcpy(out, buf_.data() + at, take);
    out += take;
    n -= take;
    pos_ += take;
  }
  return Status::Ok();
}

Status StreamReader::Skip(uint64_t n) {
  if (n > size_ - std::min(size_, pos_)) {
    return InvalidInput(truncated_code_ + ": a length of " + std::to_string(n) + " at byte " +
                        std::to_string(pos_) + " runs past the end of the file");
  }
  pos_ += n;
  return Status::Ok();
}

}  // namespace provbadge::verifier
