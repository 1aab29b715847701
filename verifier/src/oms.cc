// OMS key-mode verification of model.sig, and per-revision verification under a policy.
#include "provbadge/verifier/oms.h"

#include "limits.h"
#include "oms_internal.h"

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

std::string JoinNames(const std::vector<const Identity*>& ids) {
  std::string out;
  for (const Identity* id : ids) {
    if (!out.empty()) out += ", ";
    out += id->name;
  }
  return out;
}

// Reads model.sig; returns false (and fills the report) when verification cannot start.
bool ReadSignature(RevisionSource& source, std::string* bytes, Report* report) {
  Result<std::string> sig = ReadWholeFile(source, kModelSignatureFile, limits::kMaxBundleBytes);
  if (sig.ok()) {
    *bytes = std::move(*sig);
    return true;
  }
  switch (sig.error().code()) {
    case ErrorCode::kNotFound:
      report->verdict = Verdict::kUnverified;
      AddFinding(report, "oms.signature_missing", Severity::kError, "the revision has no model.sig",
                 std::string(kModelSignatureFile));
      break;
    case ErrorCode::kInvalidInput:
      AddFinding(report, "bundle.too_large", Severity::kError,
                 "model.sig is larger than the verifier accepts: " + sig.error().message(),
                 std::string(kModelSignatureFile));
      break;
    default:
      AddFinding(report, "source.unavailable", Severity::kError,
                 "model.sig could not be read: " + sig.error().message(),
                 std::string(kModelSignatureFile));
      break;
  }
  return false;
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

Report VerifyRevision(RevisionSource& source, std::string_view repo, std::string_view commit,
                      const TrustPolicy& policy) {
  Report report;
  report.subject = std::string(repo) + "@" + std::string(commit);
  report.policy_digest = policy.digest;
  report.verifier_version = PROVBADGE_VERSION;
  report.verdict = Verdict::kFailed;
  ChainLink link{std::string(repo), std::string(commit), "self", "", Verdict::kFailed};

  std::string bytes;
  std::vector<const Identity*> publishers = policy.PublishersFor(repo);
  if (!ReadSignature(source, &bytes, &report)) {
    // Already decided (kUnverified for a missing signature, kFailed otherwise).
  } else if (publishers.empty()) {
    report.verdict = Verdict::kUnverified;
    AddFinding(&report, "policy.no_publisher", Severity::kError,
               "the trust policy allows no publisher for this repository", "",
               "a rule matching " + std::string(repo), "none");
  } else {
    internal::OmsBundle bundle;
    Report scratch;  // bundle findings are added once, by the full verification below
    const Identity* signer = nullptr;
    if (internal::ParseBundle(bytes, &bundle, &scratch)) {
      for (const Identity* id : publishers) {
        if (HintMatches(bundle, *id->key) && internal::SignatureVerifies(bundle, *id->key)) {
          signer = id;
          break;
        }
      }
      if (signer == nullptr) {
        AddFinding(&report, "policy.publisher_not_allowed", Severity::kError,
                   "model.sig was not signed by any publisher the policy allows (tried: " +
                       JoinNames(publishers) + ")",
                   std::string(kModelSignatureFile), JoinNames(publishers),
                   bundle.material == internal::KeyMaterial::kHint ? "key hint " + bundle.hint
                                                                   : "an unknown key");
      }
    } else {
      report.findings.insert(report.findings.end(), scratch.findings.begin(),
                             scratch.findings.end());
    }
    if (signer != nullptr) {
      OmsOptions options;
      options.rehash = policy.rehash;
      VerifyOmsKey(source, bytes, *signer->key, options, &report);
      link.signer = signer->name;
    }
  }
  link.status = report.verdict;
  report.chain.push_back(std::move(link));
  return report;
}

}  // namespace provbadge::verifier
