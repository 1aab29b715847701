// The structured verification report: the one output of every verification.
//
// Verification outcomes are data, never exceptions: every problem becomes a Finding with a
// stable code (documented in docs/findings.md), a plain sentence, and expected vs. actual.
// Fail closed: `verdict` is kVerified only when the verifier reached the end of every required
// check with no finding of severity kError.
//
// Thread-safety: plain values.
#ifndef PROVBADGE_VERIFIER_REPORT_H_
#define PROVBADGE_VERIFIER_REPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"

namespace provbadge::verifier {

enum class Verdict { kVerified, kUnverified, kFailed };
std::string_view VerdictName(Verdict v);  // "verified" | "unverified" | "failed"

enum class Severity { kError, kWarning, kInfo };
std::string_view SeverityName(Severity s);  // "error" | "warning" | "info"

struct Finding {
  std::string code;  // stable, dotted, e.g. "oms.file_changed"
  Severity severity = Severity::kError;
  std::string message;  // one plain sentence for a publisher
  std::string path;     // the file concerned, if any
  std::string expected;
  std::string actual;
};

// One link of the provenance chain (the revision itself is the first link).
struct ChainLink {
  std::string repo;      // "org/name" (or a local folder for verify-model)
  std::string commit;    // 40-hex, empty for local folders
  std::string relation;  // "self", later "quantized", "finetune", ...
  std::string signer;    // the policy identity name that signed it, empty if none
  Verdict status = Verdict::kUnverified;
};

// One revision of the lineage tree (issue #5). `checks` holds every check made on it: the
// errors and warnings AND the passed checks (severity kInfo, e.g. "oms.signature_verified").
struct ReportNode {
  std::string repo;    // "org/name"
  std::string commit;  // 40-hex (empty for a local folder or an unpinned parent)
  // How this revision was produced from its parent(s): "quantize" | "finetune" | "adapter" |
  // "merge" | "train" | "signed" (model.sig only, no provenance) | "" (unknown / none).
  std::string relation;
  std::string signer;                 // policy identity that signed model.sig ("" if none)
  std::vector<std::string> builders;  // identities that signed the provenance lines
  Verdict status = Verdict::kUnverified;
  // Index into Report.nodes of the child that depends on this node; -1 for nodes[0], the
  // revision asked about. Always smaller than this node's own index.
  int parent = -1;
  bool from_cache = false;  // taken from the lineage cache instead of being re-verified
  std::vector<Finding> checks;
};

struct Report {
  std::string subject;  // "org/name@commit" or a folder path
  Verdict verdict = Verdict::kFailed;
  std::vector<Finding> findings;
  std::vector<ChainLink> chain;
  std::string policy_digest;  // "sha256:<hex>" of the trust policy file, if any
  std::string verifier_version;
  // The lineage tree, nodes[0] being the revision itself (empty for a single-revision check
  // such as verify-model). `findings` stays the flat list of every non-info finding of every
  // node; `chain` stays the main line: chain[0] the revision, chain[1] its first parent, ...
  std::vector<ReportNode> nodes;
  // Unsigned hints, never verification: the card's base_model_relation "quantized" or GGUF
  // general.base_model.* say this is a quantization; `claimed_base` the hinted base repo.
  bool claims_quantization = false;
  std::string claimed_base;
  // Quantization fidelity of a GGUF quantize step (lineage_fidelity.h): "exact" |
  // "grid-consistent" (imatrix K-quants) | "mismatch" | "unverifiable" | "" (not checked).
  std::string fidelity;

  bool HasErrors() const;
  // The first finding of severity kError, or nullptr.
  const Finding* FirstError() const;
};

// JSON form (documented in README "Report JSON"). FromJson validates the shape, including
// that every node's `parent` names an earlier node (a tree rooted at nodes[0]).
std::string ReportToJson(const Report& report);
Result<Report> ReportFromJson(std::string_view json);
// The readable multi-line form printed by `provbadge verify-model` and `provbadge verify`:
// the lineage tree (one node per revision, indented under the revision that depends on it,
// each check with its code, sentence, path and expected vs. actual), else the flat findings.
std::string ReportToText(const Report& report);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_REPORT_H_
