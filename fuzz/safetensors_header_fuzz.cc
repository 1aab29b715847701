// safetensors header (verifier/safetensors.h ParseSafetensors): the 8-byte length and the JSON
// header (dtype, shape, data_offsets, __metadata__). Input: the start of a .safetensors file;
// the reader appends 4 MiB of zeros so cut seeds keep their tensor data.
// Invariant: parsed tensors lie inside the data section, sorted, without overlap.
#include "fuzz_support.h"
#include "provbadge/verifier/gguf.h"
#include "provbadge/verifier/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provbadge;
  fuzz::FuzzReader reader(fuzz::AsText(data, size), 4u << 20);
  Result<verifier::SafetensorsFile> file = verifier::ParseSafetensors(reader);
  if (!file.ok()) {
    fuzz::FuzzCheck(!verifier::FindingCodeOf(file.error()).empty(), "error without a code");
    return 0;
  }
  uint64_t previous_end = file->data_offset;
  for (const verifier::SafetensorsTensor& t : file->tensors) {
    fuzz::FuzzCheck(t.begin >= previous_end && t.begin <= t.end, "tensors overlap or invert");
    fuzz::FuzzCheck(t.end <= reader.Size(), "a parsed tensor ends beyond the file");
    previous_end = t.end;
    (void)file->Find(t.name);
    (void)t.Elements();
  }
  return 0;
}
