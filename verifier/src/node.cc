// VerifyNode: one revision of a lineage — model.sig, provenance lines, subjects, claims —
// through one Manifest so each file is hashed once for every check.
#include "provbadge/verifier/node.h"

#include <set>

#include "limits.h"
#include "node_claims.h"
#include "provbadge/verifier/manifest.h"
#include "provbadge/verifier/oms.h"

namespace provbadge::verifier {
namespace {

using Checks = std::vector<Finding>;

void Info(Checks* checks, std::string code, std::string message, std::string path = "",
          std::string actual = "") {
  checks->push_back(Finding{std::move(code), Severity::kInfo, std::move(message), std::move(path),
                            "", std::move(actual)});
}

// Errors that mean "nothing to verify against" rather than "something is wrong".
bool IsUnverifiedOnly(const Finding& f) {
  return f.code == "oms.signature_missing" || f.code == "policy.no_publisher" ||
         f.code == "policy.no_builder";
}

Verdict Decide(const Checks& checks, bool signature_verified) {
  bool failed = false, unverified = !signature_verified;
  for (const Finding& f : checks) {
    if (f.severity != Severity::kError) continue;
    (IsUnverifiedOnly(f) ? unverified : failed) = true;
  }
  if (failed) return Verdict::kFailed;
  return unverified ? Verdict::kUnverified : Verdict::kVerified;
}

// A read fault behind a "source.unavailable" finding that is transient: no verdict then.
std::optional<Error> TransientFault(const Checks& checks, Manifest& manifest) {
  for (const Finding& f : checks) {
    if (f.code != "source.unavailable" || f.path.empty() || !manifest.Find(f.path)) continue;
    Result<std::string> sha = manifest.Sha256(f.path);
    if (!sha.ok() && sha.error().code() == ErrorCode::kUnavailable) return sha.error();
  }
  return std::nullopt;
}

// model.sig under the policy; fills signer and signed files.
std::optional<Error> CheckSignature(RevisionSource& source, std::string_view repo,
                                    const TrustPolicy& policy, Manifest& manifest,
                                    NodeResult* result, bool* verified) {
  Report report;
  ModelSignatureCheck check = VerifyModelSignature(source, repo, policy, manifest, &report);
  if (check.transient) return check.transient;
  Checks& checks = result->node.checks;
  checks.insert(checks.end(), report.findings.begin(), report.findings.end());
  if (check.signer != nullptr) result->node.signer = check.signer->name;
  *verified = report.verdict == Verdict::kVerified;
  if (*verified) {
    Info(&checks, "oms.signature_verified",
         "model.sig is signed by publisher " + check.signer->name +
             " and covers every file of the revision",
         std::string(kModelSignatureFile), check.signer->name);
    result->signed_files = std::move(check.signed_files);
  }
  return std::nullopt;
}

void CollectParents(NodeResult* result) {
  std::set<std::string> seen;
  for (const ProvenanceStep& step : result->steps) {
    for (const ProvenanceDependency* p : step.Parents()) {
      if (!seen.insert(p->hf.repo + "@" + p->hf.revision).second) continue;
      ParentLink link;
      link.repo = p->hf.repo;
      link.commit = p->hf.pinned ? p->hf.revision : "";
      link.relation = std::string(BuildTypeName(step.build_type));
      for (const ProvenanceDependency* f : step.ConsumedFiles(p->hf.repo, p->hf.revision)) {
        link.consumed.emplace_back(f->hf.path, f->digest.at("sha256"));
      }
      result->parents.push_back(std::move(link));
    }
  }
}

// provenance.intoto.jsonl: lines, subjects; sets steps, builders, relation and parents.
std::optional<Error> CheckProvenance(RevisionSource& source, std::string_view repo,
                                     const TrustPolicy& policy, Manifest& manifest, bool present,
                                     NodeResult* result) {
  Checks& checks = result->node.checks;
  if (!present) {
    Info(&checks, "provenance.absent",
         "the revision has no provenance.intoto.jsonl (a signed root at most)",
         std::string(kProvenanceFile));
    return std::nullopt;
  }
  Result<std::string> text =
      ReadWholeFile(source, kProvenanceFile, limits::kMaxProvenanceFileBytes);
  if (!text.ok()) {
    if (text.error().code() == ErrorCode::kUnavailable) return text.error();
    bool too_large = text.error().code() == ErrorCode::kInvalidInput;
    checks.push_back(Finding{too_large ? "provenance.file_too_large" : "source.unavailable",
                             Severity::kError,
                             "provenance.intoto.jsonl could not be read: " + text.error().message(),
                             std::string(kProvenanceFile), "", ""});
    return std::nullopt;
  }
  ProvenanceResult provenance = VerifyProvenanceFile(*text, repo, policy);
  checks.insert(checks.end(), provenance.findings.begin(), provenance.findings.end());
  CheckProvenanceSubjects(provenance.steps, manifest, &checks);
  result->node.builders = provenance.builders;
  result->steps = std::move(provenance.steps);
  CollectParents(result);
  return std::nullopt;
}

std::string Relation(const NodeResult& result, bool signature_verified, bool provenance_present,
                     Checks* checks) {
  if (result.steps.empty()) {
    bool empty_file = false;
    for (const Finding& f : *checks) empty_file = empty_file || f.code == "provenance.empty";
    return signature_verified && (!provenance_present || empty_file) ? "signed" : "";
  }
  BuildType first = result.steps.front().build_type;
  for (const ProvenanceStep& s : result.steps) {
    if (s.build_type != first) {
      checks->push_back(
          Finding{"provenance.mixed_build_types", Severity::kWarning,
                  "the statements name different build types; the relation is the first line's (" +
                      std::string(BuildTypeName(first)) + ")",
                  std::string(kProvenanceFile), std::string(BuildTypeName(first)),
                  std::string(BuildTypeName(s.build_type))});
      break;
    }
  }
  return std::string(BuildTypeName(first));
}

}  // namespace

Result<NodeResult> VerifyNode(RevisionSource& source, std::string_view repo,
                              std::string_view commit, const TrustPolicy& policy) {
  NodeResult result;
  result.node.repo = std::string(repo);
  result.node.commit = std::string(commit);
  result.node.status = Verdict::kFailed;
  ManifestOptions options;
  options.rehash = policy.rehash;
  Manifest manifest(source, options);
  Result<std::vector<FileInfo>> files = manifest.Files();
  if (!files.ok()) {
    if (files.error().code() == ErrorCode::kUnavailable) return files.error();
    result.node.checks.push_back(Finding{
        "source.unavailable", Severity::kError,
        "the revision's files could not be listed: " + files.error().message(), "", "", ""});
    return result;
  }
  bool signature_verified = false;
  if (auto fault = CheckSignature(source, repo, policy, manifest, &result, &signature_verified)) {
    return *fault;
  }
  const bool provenance_present = manifest.Find(kProvenanceFile).has_value();
  if (auto fault = CheckProvenance(source, repo, policy, manifest, provenance_present, &result)) {
    return *fault;
  }
  if (auto fault = TransientFault(result.node.checks, manifest)) return *fault;
  result.node.relation =
      Relation(result, signature_verified, provenance_present, &result.node.checks);
  Result<internal::Claims> claims = internal::ReadClaims(source, *files);
  if (!claims.ok()) return claims.error();
  result.claims_quantization = claims->quantization;
  result.claimed_base = claims->base;
  result.node.status = Decide(result.node.checks, signature_verified);
  if (result.node.status != Verdict::kVerified) result.signed_files.clear();
  return result;
}

}  // namespace provbadge::verifier
