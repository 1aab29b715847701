// Reading the operator's small files (configuration, policy, PEM keys) with a size bound.
//
// Thread-safety: reentrant.
#ifndef PROVBADGE_CONFIG_SRC_FILE_UTIL_H_
#define PROVBADGE_CONFIG_SRC_FILE_UTIL_H_

#include <cstddef>
#include <string>

#include "provbadge/common/limits.h"
#include "provbadge/common/result.h"

namespace provbadge::config {

inline constexpr size_t kMaxConfigFileBytes = limits::kMaxConfigFileBytes;
inline constexpr size_t kMaxPolicyFileBytes = limits::kMaxPolicyFileBytes;
inline constexpr size_t kMaxKeyFileBytes = limits::kMaxKeyFileBytes;

// The whole file. kNotFound when it does not exist; kInvalidInput when it is not a regular
// file or is larger than `max_bytes`; kUnavailable when reading fails. Messages name `path`.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);

// The absolute, normalised directory holding `path`.
std::string DirectoryOf(const std::string& path);

// `path` if absolute, else `base_dir`/`path`, normalised. `base_dir` "" leaves `path` as is.
std::string ResolveAgainst(const std::string& base_dir, const std::string& path);

}  // namespace provbadge::config

#endif  // PROVBADGE_CONFIG_SRC_FILE_UTIL_H_
