// "Did you mean ...?" hints for misspelt configuration keys and variables.
//
// Thread-safety: reentrant.
#ifndef PROVBADGE_CONFIG_SRC_SUGGEST_H_
#define PROVBADGE_CONFIG_SRC_SUGGEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace provbadge::config {

// " (did you mean X?)" for the candidate closest to `name` within a small edit distance
// (case-insensitive), or "" when nothing is close.
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace provbadge::config

#endif  // PROVBADGE_CONFIG_SRC_SUGGEST_H_
