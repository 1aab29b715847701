// The lineage walk (issue #5): verifies a revision and, recursively, every parent its verified
// provenance names, back to a root (a training step or a signed-only revision), and builds the
// report tree (Report.nodes), the main line (Report.chain) and the flat findings.
//
// Contract (fail closed): the verdict is kVerified only when every node on every path is
// verified, every consumed parent file is present in the parent at that commit with the
// attested sha256 AND covered by the parent's verified model.sig, no node or signer is revoked,
// and every path ends at a node without parents whose relation is "train" or "signed".
// Cycles (repo@commit already on the current path) and paths deeper than policy.max_depth are
// findings, never loops. A transient fault (kUnavailable from a source, the resolver or a
// parent's verification) is returned as an error Result: the caller retries, it is never a
// verdict. The cache is consulted for parents only (never for the revision asked about) and
// written for every node verified here; a cache fault or an unreadable entry counts as a miss.
// Within one walk, each revision is verified at most once.
//
// Ownership: LineageOptions borrows the resolver, cache and revocations for the call.
// Thread-safety: VerifyLineage is reentrant; the resolver, cache and sources must allow the
// calls documented on them (one walk calls them from one thread).
#ifndef PROVBADGE_VERIFIER_LINEAGE_H_
#define PROVBADGE_VERIFIER_LINEAGE_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/node.h"
#include "provbadge/verifier/policy.h"
#include "provbadge/verifier/report.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

// Opens a parent revision. The worker adapts its HubSource; `provbadge verify` a hub mirror.
// kNotFound: no such revision (a finding); kUnavailable: transient (the walk fails with it).
class ParentResolver {
 public:
  virtual ~ParentResolver() = default;
  virtual Result<std::unique_ptr<RevisionSource>> OpenRevision(std::string_view repo,
                                                               std::string_view commit) = 0;
};

// One revision's own verification (VerifyNode's result, before anything the walk adds such as
// revocation or consumed-file checks), remembered across verifications under (repo, commit,
// policy digest). Serialized by the verifier; the store keeps opaque bytes.
struct CachedNode {
  ReportNode node;  // node.parent and node.from_cache are not meaningful here
  std::vector<ParentLink> parents;
  std::vector<std::pair<std::string, std::string>> signed_files;
  std::string verifier_version;  // an entry of another version is ignored (a miss)
};
std::string CachedNodeToJson(const CachedNode& node);
// kInvalidInput for anything that is not a well-formed entry (bounded, never throws).
Result<CachedNode> CachedNodeFromJson(std::string_view json);

class LineageCache {
 public:
  virtual ~LineageCache() = default;
  virtual Result<std::optional<CachedNode>> Get(std::string_view repo, std::string_view commit,
                                                std::string_view policy_digest) = 0;
  virtual Status Put(std::string_view repo, std::string_view commit, std::string_view policy_digest,
                     const CachedNode& node) = 0;
};

struct Revocations {
  std::set<std::string> revisions;  // "org/name@<commit>"
  std::set<std::string> signers;    // identity names (publishers or builders)
};

struct LineageOptions {
  ParentResolver* resolver = nullptr;  // null: parents cannot be checked (finding)
  LineageCache* cache = nullptr;       // null, or policy.digest empty: no caching
  const Revocations* revocations = nullptr;
};

// Most revisions one walk puts in the tree; beyond it, finding "lineage.too_many_nodes".
inline constexpr size_t kMaxLineageNodes = 256;

// Verifies `source` (repo@commit) and its ancestors. See the contract above.
Result<Report> VerifyLineage(RevisionSource& source, std::string_view repo, std::string_view commit,
                             const TrustPolicy& policy, const LineageOptions& options);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_LINEAGE_H_
