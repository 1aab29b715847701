// Trust policy lookups: which identities may publish or build a repository.
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

namespace {

// Identities named by `names_of(rule)` over the rules matching `repo`, in policy order (the
// order identities are declared in), each once.
template <typename NamesOf>
std::vector<const Identity*> Collect(const TrustPolicy& policy, std::string_view repo,
                                     NamesOf names_of) {
  std::vector<const Identity*> out;
  for (const Rule& rule : policy.rules) {
    if (!RepoGlobMatch(rule.repos, repo)) continue;
    for (const std::string& name : names_of(rule)) {
      const Identity* id = policy.FindIdentity(name);
      if (id == nullptr) continue;
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
  }
  std::sort(out.begin(), out.end());  // pointers into `identities`: declaration order
  return out;
}

}  // namespace

std::string_view IdentityKindName(Identity::Kind kind) {
  switch (kind) {
    case Identity::Kind::kKey:
      return "key";
    case Identity::Kind::kSigstore:
      return "sigstore";
    case Identity::Kind::kCertificateChain:
      return "certificateChain";
  }
  return "unknown";
}

const Identity* TrustPolicy::FindIdentity(std::string_view name) const {
  for (const Identity& id : identities) {
    if (id.name == name) return &id;
  }
  return nullptr;
}

std::vector<const Identity*> TrustPolicy::PublishersFor(std::string_view repo) const {
  return Collect(
      *this, repo, [](const Rule& r) -> const auto& { return r.publishers; });
}

std::vector<const Identity*> TrustPolicy::BuildersFor(std::string_view repo) const {
  return Collect(
      *this, repo, [](const Rule& r) -> const auto& { return r.builders; });
}

}  // namespace provbadge::verifier
