// Strict GGUF (v2/v3, little-endian) header parser (notes/quant.md §1).
//
// ParseGguf reads only the header through a FileReader, plus the padding bytes between
// tensors, and checks everything that can hide bytes or crash a reader: magic and version,
// key and tensor-name limits, duplicates, value types, general.alignment, tensor types, block
// alignment of ne[0], size overflow, offsets equal to the running sum of padded sizes (so no
// gap, overlap or reordering), zero header and tensor padding, and no bytes after the last
// tensor. Memory is bounded by the limits in src/limits.h whatever the file says.
//
// Errors: kInvalidInput with a message "<finding code>: <sentence>" (codes in docs/findings.md,
// section Fidelity, e.g. "gguf.truncated"); kUnavailable when the reader fails.
// Thread-safety: plain values; ParseGguf uses the reader from the calling thread only.
#ifndef PROVBADGE_VERIFIER_GGUF_H_
#define PROVBADGE_VERIFIER_GGUF_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

enum class GgufValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

// One metadata value. Scalars are kept; strings up to limits::kMaxGgufStoredString; arrays
// only as element type and count (their contents are validated and skipped).
struct GgufValue {
  GgufValueType type = GgufValueType::kU8;
  uint64_t u = 0;  // unsigned integers and bool
  int64_t i = 0;   // signed integers
  double f = 0;    // floats
  std::string s;   // strings
  GgufValueType array_type = GgufValueType::kU8;
  uint64_t array_count = 0;
};

struct GgufTensorInfo {
  std::string name;
  uint32_t n_dims = 0;
  std::array<uint64_t, 4> ne = {1, 1, 1, 1};  // ne[0] innermost (reverse of PyTorch's shape)
  uint32_t type = 0;                          // ggml_type id (quant.h)
  uint64_t offset = 0;                        // relative to GgufFile::data_offset
  uint64_t size = 0;                          // bytes, unpadded
  uint64_t Rows() const { return ne[1] * ne[2] * ne[3]; }
  uint64_t RowBytes() const { return Rows() != 0 ? size / Rows() : 0; }
};

struct GgufFile {
  uint32_t version = 0;
  uint32_t alignment = 32;
  uint64_t data_offset = 0;  // absolute start of the tensor data
  uint64_t file_size = 0;
  std::map<std::string, GgufValue> metadata;
  std::vector<GgufTensorInfo> tensors;  // in file order (= offset order)

  const GgufValue* Find(std::string_view key) const;
  std::optional<std::string> GetString(std::string_view key) const;
  // Any unsigned or non-negative signed integer value.
  std::optional<uint64_t> GetUint(std::string_view key) const;
  const GgufTensorInfo* FindTensor(std::string_view name) const;
};

Result<GgufFile> ParseGguf(FileReader& reader);

// The finding code at the start of an error message from ParseGguf / ParseSafetensors
// ("gguf.truncated"), or "" when the message carries none.
std::string_view FindingCodeOf(const Error& error);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_GGUF_H_
