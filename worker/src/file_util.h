// Small local-file helpers for the command line (not used on the verification path, which
// reads through RevisionSource).
#ifndef PROVBADGE_WORKER_FILE_UTIL_H_
#define PROVBADGE_WORKER_FILE_UTIL_H_

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "provbadge/common/result.h"

namespace provbadge::worker {

// Reads a whole file of at most `max_bytes`. kNotFound, kInvalidInput (too large),
// kUnavailable (read error).
inline Result<std::string> ReadFile(const std::string& path, uintmax_t max_bytes) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return NotFound(path + ": " + ec.message());
  if (size > max_bytes) {
    return InvalidInput(path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in && !in.eof()) return Unavailable(path + ": read failed");
  return s.str();
}

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_FILE_UTIL_H_
