// One revision of a lineage: model.sig under the policy, every line of
// provenance.intoto.jsonl, subjects against files, and the unsigned claims (card front matter,
// GGUF general.base_model.*). The recursive walk over parents is lineage.h.
//
// Contract: fail closed — node.status is kVerified only when model.sig verified against an
// allowed publisher and no check produced an error finding. Passed checks are recorded as kInfo
// findings in node.checks. Claims never affect verification.
// Thread-safety: reentrant; the policy is only read; `source` must allow the calls described in
// revision_source.h.
#ifndef PROVBADGE_VERIFIER_NODE_H_
#define PROVBADGE_VERIFIER_NODE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/policy.h"
#include "provbadge/verifier/provenance.h"
#include "provbadge/verifier/report.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

// One parent named by a verified provenance step.
struct ParentLink {
  std::string repo, commit;  // commit: 40-hex (empty when unpinned: finding already added)
  std::string relation;      // the step's build type short name
  std::vector<std::pair<std::string, std::string>> consumed;  // (path, sha256 hex) in parent
};

struct NodeResult {
  ReportNode node;                  // status/checks/signer/builders/relation filled
  std::vector<ParentLink> parents;  // from verified steps only
  // (path, sha256) of every file covered by the verified OMS signature (empty unless verified),
  // for the children's consumed-file check.
  std::vector<std::pair<std::string, std::string>> signed_files;
  bool claims_quantization = false;
  std::string claimed_base;
  std::vector<ProvenanceStep> steps;  // parsed verified steps
};

// Never throws. A RevisionSource error with code kUnavailable is returned as an error
// (transient: the caller retries, never a verdict); everything else becomes findings.
Result<NodeResult> VerifyNode(RevisionSource& source, std::string_view repo,
                              std::string_view commit, const TrustPolicy& policy);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_NODE_H_
