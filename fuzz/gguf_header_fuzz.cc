// GGUF header (verifier/gguf.h ParseGguf): magic, version, counts, metadata key/values (nested
// arrays), tensor infos, alignment, and the data layout check. Input: the start of a GGUF
// file; the reader appends 4 MiB of zeros so cut seeds still parse to the end.
// Invariant: a parsed file's tensors lie inside the file.
#include "fuzz_support.h"
#include "provbadge/verifier/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provbadge;
  fuzz::FuzzReader reader(fuzz::AsText(data, size), 4u << 20);
  Result<verifier::GgufFile> file = verifier::ParseGguf(reader);
  if (!file.ok()) {
    fuzz::FuzzCheck(!verifier::FindingCodeOf(file.error()).empty(), "gguf error without a code");
    return 0;
  }
  for (const verifier::GgufTensorInfo& t : file->tensors) {
    fuzz::FuzzCheck(file->data_offset + t.offset + t.size <= file->file_size,
                    "a parsed tensor ends beyond the file");
    (void)t.Rows();
    (void)t.RowBytes();
  }
  return 0;
}
