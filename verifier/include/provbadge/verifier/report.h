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

struct Report {
  std::string subject;  // "org/name@commit" or a folder path
  Verdict verdict = Verdict::kFailed;
  std::vector<Finding> findings;
  std::vector<ChainLink> chain;
  std::string policy_digest;  // "sha256:<hex>" of the trust policy file, if any
  std::string verifier_version;

  bool HasErrors() const;
  // The first finding of severity kError, or nullptr.
  const Finding* FirstError() const;
};

// JSON form (documented in README "Report JSON"). FromJson validates the shape.
std::string ReportToJson(const Report& report);
Result<Report> ReportFromJson(std::string_view json);
// The readable multi-line form printed by `provbadge verify-model`.
std::string ReportToText(const Report& report);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_REPORT_H_
