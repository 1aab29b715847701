// Quantization fidelity as a link of the lineage (issue #7): for the revision asked about, each
// verified `quantize` step whose externalParameters "format" is "gguf" has its GGUF subject(s)
// re-derived from the parent's safetensors (CheckFidelity, fidelity.h) when the policy's
// "fidelity" setting asks for it, and the outcome is recorded on the revision's node
// (Report.nodes[0].checks, codes "fidelity.*", docs/findings.md) and in Report.fidelity.
//
// Contract (fail closed): Report.fidelity is "exact" only when every checked GGUF is bit-exact;
// any mismatch is an error finding (node failed) naming the tensor, block and row; anything
// that cannot be checked (unknown architecture, unreadable source, no parent) is a warning and
// "unverifiable" — it never fails the chain, but never gives the bit-exact tier either. Policy
// off (or GGUF subjects over the gguf-up-to-N-GB limit): not checked, Report.fidelity stays "".
// Faithfulness to the named source is not safety (notes/quant.md §4); the sentences say so.
//
// Errors: only transient faults (kUnavailable from the resolver or a source) are returned; the
// caller retries, they never become a verdict.
// Thread-safety: uses the sources and the resolver from the calling thread only.
#ifndef PROVBADGE_VERIFIER_SRC_LINEAGE_FIDELITY_H_
#define PROVBADGE_VERIFIER_SRC_LINEAGE_FIDELITY_H_

#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/lineage.h"
#include "provbadge/verifier/policy.h"
#include "provbadge/verifier/provenance.h"
#include "provbadge/verifier/report.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier::internal {

// `child` is the revision of report->nodes[0]; `steps` its verified provenance steps.
// `resolver` may be null (the parent cannot be opened: unverifiable).
Status CheckLineageFidelity(RevisionSource& child, const std::vector<ProvenanceStep>& steps,
                            const TrustPolicy& policy, ParentResolver* resolver, Report* report);

}  // namespace provbadge::verifier::internal

#endif  // PROVBADGE_VERIFIER_SRC_LINEAGE_FIDELITY_H_
