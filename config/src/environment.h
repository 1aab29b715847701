// Environment overrides: PROVBADGE_<SECTION>_<KEY>=value, applied over the file's values.
//
// Thread-safety: reentrant.
#ifndef PROVBADGE_CONFIG_SRC_ENVIRONMENT_H_
#define PROVBADGE_CONFIG_SRC_ENVIRONMENT_H_

#include <array>
#include <string_view>

#include "provbadge/common/result.h"
#include "provbadge/config/config.h"

namespace provbadge::config {

inline constexpr std::string_view kEnvPrefix = "PROVBADGE_";

// PROVBADGE_* variables that are documented as not being configuration keys, and so are not
// reported as unknown. None yet; add one here and in docs/configuration.md together.
inline constexpr std::array<std::string_view, 0> kNonConfigVariables = {};

// Applies every PROVBADGE_* variable in `env` to `config` (other names are ignored). A variable
// that names no key is an error, so a misspelt override cannot silently do nothing. Errors
// name the variable: "PROVBADGE_HTTP_THREADS: must be an integer (got 'two')".
Status ApplyEnvironment(const Environment& env, Config& config);

}  // namespace provbadge::config

#endif  // PROVBADGE_CONFIG_SRC_ENVIRONMENT_H_
