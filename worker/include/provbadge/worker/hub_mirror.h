// The hub source over a local hub mirror folder:
//   <root>/<org>/<name>/refs.json        {"main": "<40-hex commit>", ...}
//   <root>/<org>/<name>/<commit>/...     the files of that revision
// Repo names and commits are validated before any path is built (no traversal).
//
// Ownership: owns its hash cache, shared by every revision source it opens (which must not
// outlive the mirror). Thread-safety: all methods are safe to call concurrently.
#ifndef PROVBADGE_WORKER_HUB_MIRROR_H_
#define PROVBADGE_WORKER_HUB_MIRROR_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"
#include "provbadge/worker/directory_source.h"
#include "provbadge/worker/hub_source.h"

namespace provbadge::worker {

class HubMirror : public HubSource {
 public:
  explicit HubMirror(std::string root);
  // All refs of a repo. kNotFound if the repo or refs.json is missing; kInvalidInput if
  // refs.json is malformed (a value that is not a 40-hex commit, over 1 MiB, ...).
  Result<std::map<std::string, std::string>> ListRefs(std::string_view repo) const;
  // "main" and "refs/heads/main" name the same ref.
  Result<std::string> ResolveRef(std::string_view repo, std::string_view ref) const override;
  // kNotFound if the revision folder does not exist.
  Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(std::string_view repo,
                                                                 std::string_view commit) override;
  // Every "org/name" in the mirror, sorted.
  Result<std::vector<std::string>> ListRepos() const;
  const HashCache& cache() const { return cache_; }

 private:
  std::string root_;
  HashCache cache_;
};

// "refs/heads/main" -> "main"; other refs unchanged.
std::string NormalizeRef(std::string_view ref);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_HUB_MIRROR_H_
