// Strict safetensors header parser (notes/quant.md §2).
//
// ParseSafetensors reads the 8-byte header length and the JSON header through a FileReader and
// checks: the length limit and that the header fits the file; a JSON object (UTF-8, nesting
// bounded before parsing) without duplicate keys; known dtypes; shapes whose byte size does
// not overflow; data_offsets with end - begin equal to that size; and tensors that are
// contiguous, non-overlapping and cover the data section exactly (no holes, no trailing bytes).
// Tensor data is not read.
//
// Errors: kInvalidInput "<finding code>: <sentence>" (codes under "safetensors." in
// docs/findings.md); kUnavailable when the reader fails.
// Thread-safety: plain values.
#ifndef PROVBADGE_VERIFIER_SAFETENSORS_H_
#define PROVBADGE_VERIFIER_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

struct SafetensorsTensor {
  std::string name;
  std::string dtype;            // "BF16", "F16", "F32", ...
  std::vector<uint64_t> shape;  // PyTorch order (outermost first)
  uint64_t begin = 0;           // absolute file offsets of the data
  uint64_t end = 0;
  uint64_t Elements() const;
};

struct SafetensorsFile {
  uint64_t header_bytes = 0;
  uint64_t data_offset = 0;  // 8 + header_bytes
  std::map<std::string, std::string> metadata;
  std::vector<SafetensorsTensor> tensors;  // sorted by begin

  const SafetensorsTensor* Find(std::string_view name) const;
};

// Bits per element of a safetensors dtype, 0 when unknown.
uint32_t SafetensorsDtypeBits(std::string_view dtype);

Result<SafetensorsFile> ParseSafetensors(FileReader& reader);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_SAFETENSORS_H_
