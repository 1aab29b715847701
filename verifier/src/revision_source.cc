// ReadWholeFile: bounded read of one small revision file.
#include "provbadge/verifier/revision_source.h"

#include <string>

namespace provbadge::verifier {

Result<std::string> ReadWholeFile(RevisionSource& source, std::string_view path, size_t max_bytes) {
  Result<std::unique_ptr<FileReader>> reader = source.Open(path);
  if (!reader.ok()) return reader.error();
  FileReader& r = **reader;
  if (r.Size() > max_bytes) {
    return InvalidInput(std::string(path) + ": " + std::to_string(r.Size()) +
                        " bytes is over the limit of " + std::to_string(max_bytes));
  }
  std::string out(static_cast<size_t>(r.Size()), '\0');
  size_t got = 0;
  while (got < out.size()) {
    auto* dst = reinterpret_cast<std::byte*>(out.data() + got);
    Result<size_t> n = r.ReadAt(got, std::span<std::byte>(dst, out.size() - got));
    if (!n.ok()) return n.error().Wrap(std::string(path));
    if (*n == 0) break;
    got += *n;
  }
  if (got != out.size()) return Unavailable(std::string(path) + ": file shorter than its size");
  return out;
}

}  // namespace provbadge::verifier
