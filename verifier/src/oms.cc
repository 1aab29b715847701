// OMS key-mode verification of model.sig (policy-level checks: oms_revision.cc).
#include "provbadge/verifier/oms.h"

#include "oms_internal.h"
#include "provbadge/common/limits.h"

namespace provbadge::verifier {
namespace {

using internal::AddFinding;

bool HintMatches(const internal::OmsBundle& bundle, const PublicKey& key) {
  return bundle.material != internal::KeyMaterial::kHint || bundle.hint == key.pem_hint();
}

// Everything after the bundle parsed: hint, signature, statement, files.
bool VerifyParsed(RevisionSource& source, const internal::OmsBundle& bundle, const PublicKey& key,
                  const OmsOptions& options, Report* report) {
  if (!HintMatches(bundle, key)) {
    AddFinding(report, "oms.hint_mismatch", Severity::kError,
               "the bundle names another public key than the one verifying it", "", key.pem_hint(),
               bundle.hint);
    return false;
  }
  if (!internal::SignatureVerifies(bundle, key)) {
    AddFinding(
        report, "oms.signature_invalid", Severity::kError,
        "no DSSE signature verifies with the " + std::string(key.curve_name()) + " public key", "",
        key.pem_hint(), "");
    return false;
  }
  internal::OmsStatement statement;
  if (!internal::ParseStatement(bundle.payload, &statement, report)) return false;
  internal::CompareFiles(source, statement, options, report);
  return true;
}

}  // namespace

void VerifyOmsKey(RevisionSource& source, std::string_view bundle_json, const PublicKey& key,
                  const OmsOptions& options, Report* report) {
  report->verdict = Verdict::kFailed;
  internal::OmsBundle bundle;
  if (!internal::ParseBundle(bundle_json, &bundle, report)) return;
  if (!VerifyParsed(source, bundle, key, options, report)) return;
  if (!report->HasErrors()) report->verdict = Verdict::kVerified;
}

}  // namespace provbadge::verifier
