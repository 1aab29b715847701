// Where revision files come from: a local hub mirror now, the hub's HTTP API later.
// The pipeline sees only this interface.
//
// Contract: kNotFound for an unknown repo, ref or revision (the hub may lag: the pipeline
// retries); kUnavailable for a transient fault; kInvalidInput for malformed hub data.
// Thread-safety: implementations allow concurrent calls; a returned RevisionSource must not
// outlive the HubSource that opened it.
#ifndef PROVBADGE_WORKER_HUB_SOURCE_H_
#define PROVBADGE_WORKER_HUB_SOURCE_H_

#include <memory>
#include <string>
#include <string_view>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::worker {

class HubSource {
 public:
  virtual ~HubSource() = default;
  // The commit a ref ("main", "refs/heads/main", "refs/pr/1") points at.
  virtual Result<std::string> ResolveRef(std::string_view repo, std::string_view ref) const = 0;
  virtual Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(
      std::string_view repo, std::string_view commit) = 0;
};

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_HUB_SOURCE_H_
