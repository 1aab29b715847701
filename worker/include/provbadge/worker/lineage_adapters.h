// The worker's side of the lineage walk (verifier/lineage.h): parents come from the hub
// source, the parent cache and the revocations from the badge store.
//
// Ownership: each adapter borrows what it is given; those must outlive it.
// Thread-safety: an adapter serves one walk on one thread; the borrowed hub and store are
// thread-safe, so several walks may each use their own adapters concurrently.
#ifndef PROVBADGE_WORKER_LINEAGE_ADAPTERS_H_
#define PROVBADGE_WORKER_LINEAGE_ADAPTERS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "provbadge/badges/badge_store.h"
#include "provbadge/common/result.h"
#include "provbadge/verifier/lineage.h"
#include "provbadge/verifier/report.h"
#include "provbadge/worker/hub_source.h"

namespace provbadge::worker {

// Opens parents through a HubSource. `wrap` (may be empty) wraps every opened source, e.g. in
// the pipeline's fault tracking.
class HubParentResolver : public verifier::ParentResolver {
 public:
  using Wrap = std::function<std::unique_ptr<verifier::RevisionSource>(
      std::unique_ptr<verifier::RevisionSource>)>;
  HubParentResolver(HubSource& hub, Wrap wrap) : hub_(hub), wrap_(std::move(wrap)) {}
  Result<std::unique_ptr<verifier::RevisionSource>> OpenRevision(std::string_view repo,
                                                                 std::string_view commit) override;
  int opened() const { return opened_; }  // parents opened so far (for logs and tests)

 private:
  HubSource& hub_;
  Wrap wrap_;
  int opened_ = 0;
};

// The lineage cache kept in the badge store as CachedNodeToJson bytes. A store fault or an
// unreadable entry on Get is a miss (the parent is verified again), never a verdict.
class StoreLineageCache : public verifier::LineageCache {
 public:
  explicit StoreLineageCache(badges::BadgeStore& store) : store_(store) {}
  Result<std::optional<verifier::CachedNode>> Get(std::string_view repo, std::string_view commit,
                                                  std::string_view policy_digest) override;
  Status Put(std::string_view repo, std::string_view commit, std::string_view policy_digest,
             const verifier::CachedNode& node) override;

 private:
  badges::BadgeStore& store_;
};

// The store's revocations in the verifier's form. A store fault is an error (retry).
Result<verifier::Revocations> LoadRevocations(badges::BadgeStore& store);

// Writes the lineage index for every node of `report`: each node's direct parents and its
// signers (model.sig signer and provenance builders). Idempotent. A store fault is an error.
Status RecordReportLineage(badges::BadgeStore& store, const verifier::Report& report);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_LINEAGE_ADAPTERS_H_
