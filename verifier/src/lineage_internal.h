// Private pieces of the lineage walk (lineage.cc): the per-revision record the walk keeps, and
// the checks it adds on top of VerifyNode (lineage_checks.cc). Finding codes: docs/findings.md
// "Lineage".
//
// Thread-safety: plain values and pure functions over the arguments.
#ifndef PROVBADGE_VERIFIER_SRC_LINEAGE_INTERNAL_H_
#define PROVBADGE_VERIFIER_SRC_LINEAGE_INTERNAL_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/verifier/lineage.h"
#include "provbadge/verifier/report.h"

namespace provbadge::verifier::internal {

// One revision's own verification as the walk knows it.
struct CheckedRevision {
  CachedNode data;
  bool from_cache = false;
  // path -> the sha256 its source knows (if any), when the walk opened the revision itself;
  // nullopt for a cached revision (its verified signed_files stand for its files).
  std::optional<std::map<std::string, std::optional<std::string>>> files;
  bool claims_quantization = false;
  std::string claimed_base;
  std::vector<ProvenanceStep> steps;  // verified steps (fresh checks only; for fidelity)
};

bool IsCommitHex(std::string_view s);                                     // 40 lowercase hex digits
std::string RevisionKey(std::string_view repo, std::string_view commit);  // "org/name@commit"
// The worse of two verdicts: failed > unverified > verified.
Verdict Worse(Verdict a, Verdict b);

// Appends `f` to node->checks and lowers node->status to `status` (if worse).
void AddCheck(ReportNode* node, Verdict status, Finding f);

// Each consumed (path, sha256) of `link` against `parent`: present in the parent, covered by
// its verified model.sig with that digest. Findings go on `child`.
void CheckConsumedFiles(const ParentLink& link, const CheckedRevision& parent, ReportNode* child);

// A revoked revision, signer or builder: "lineage.revoked", failed.
void CheckRevoked(const Revocations* revocations, ReportNode* node);

// A verified node without parent links must be a root ("train" or "signed").
void CheckRootRelation(const CachedNode& checked, ReportNode* node);

}  // namespace provbadge::verifier::internal

#endif  // PROVBADGE_VERIFIER_SRC_LINEAGE_INTERNAL_H_
