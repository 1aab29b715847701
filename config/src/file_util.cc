#include "file_util.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace provbadge::config {

namespace fs = std::filesystem;

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    if (status.type() == fs::file_type::not_found) return NotFound(path + ": no such file");
    return Unavailable(path + ": " + ec.message());
  }
  if (!fs::is_regular_file(status)) return InvalidInput(path + ": not a regular file");
  uintmax_t size = fs::file_size(path, ec);
  if (ec) return Unavailable(path + ": " + ec.message());
  if (size > max_bytes) {
    return InvalidInput(path + ": file is too large (" + std::to_string(size) + " bytes, limit " +
                        std::to_string(max_bytes) + ")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable(path + ": cannot open: " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Unavailable(path + ": read failed");
  return text;
}

std::string DirectoryOf(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(fs::path(path), ec);
  if (ec) absolute = fs::path(path);
  return absolute.lexically_normal().parent_path().string();
}

std::string ResolveAgainst(const std::string& base_dir, const std::string& path) {
  fs::path as_path(path);
  if (base_dir.empty() || as_path.is_absolute()) return path;
  return (fs::path(base_dir) / as_path).lexically_normal().string();
}

}  // namespace provbadge::config
