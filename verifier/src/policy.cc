// Trust policy lookups: which identities may publish a repository.
#include "provbadge/verifier/policy.h"

#include <algorithm>

namespace provbadge::verifier {

bool RepoGlobMatch(std::string_view glob, std::string_view repo) {
  // Iterative matcher with single-star backtracking; '*' never crosses '/'.
  size_t g = 0, r = 0;
  size_t star_g = std::string_view::npos, star_r = 0;
  while (r < repo.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star_g = g++;
      star_r = r;
    } else if (g < glob.size() && glob[g] == repo[r]) {
      ++g;
      ++r;
    } else if (star_g != std::string_view::npos && repo[star_r] != '/') {
      g = star_g + 1;
      r = ++star_r;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

std::vector<const Identity*> TrustPolicy::PublishersFor(std::string_view repo) const {
  std::vector<const Identity*> out;
  for (const Rule& rule : rules) {
    if (!RepoGlobMatch(rule.repos, repo)) continue;
    for (const std::string& name : rule.publishers) {
      for (const Identity& id : identities) {
        if (id.name != name || !id.key) continue;
        if (std::find(out.begin(), out.end(), &id) == out.end()) out.push_back(&id);
      }
    }
  }
  // Policy order: the order identities are declared in.
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace provbadge::verifier
