// model.sig under the trust policy: every publisher kind (key, Sigstore certificate identity,
// certificate chain), and the one-revision VerifyRevision built on it.
#include <set>

#include "json_util.h"
#include "oms_internal.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/oms.h"

namespace provbadge::verifier {
namespace {

using internal::AddFinding;
using Kind = Identity::Kind;

enum class Material { kKey, kCertificate, kChain, kUnknown };

// How model.sig is signed, from its verificationMaterial (kUnknown when it does not parse:
// the key-mode parser then says precisely what is wrong).
Material MaterialOf(std::string_view bytes) {
  nlohmann::json bundle;
  if (internal::ParseJsonBounded(bytes, limits::kMaxJsonDepth, &bundle) !=
          internal::JsonParseStatus::kOk ||
      !bundle.is_object()) {
    return Material::kUnknown;
  }
  auto vm = bundle.find("verificationMaterial");
  if (vm == bundle.end() || !vm->is_object()) return Material::kUnknown;
  if (vm->contains("certificate")) return Material::kCertificate;
  if (vm->contains("x509CertificateChain")) return Material::kChain;
  return Material::kKey;
}

std::string Describe(const Identity& id) {
  switch (id.kind) {
    case Kind::kKey:
      return id.name + " (key" + (id.key ? " " + id.key->pem_hint().substr(0, 12) : "") + ")";
    case Kind::kSigstore:
      return id.name + " (" + id.certificate_identity + " via " + id.certificate_oidc_issuer + ")";
    case Kind::kCertificateChain:
      return id.name + " (certificate chain)";
  }
  return id.name;
}

std::string JoinNames(const std::vector<const Identity*>& ids) {
  std::string out;
  for (const Identity* id : ids) out += (out.empty() ? "" : ", ") + id->name;
  return out;
}

std::string JoinDescribed(const std::vector<const Identity*>& ids) {
  std::string out;
  for (const Identity* id : ids) out += (out.empty() ? "" : ", ") + Describe(*id);
  return out;
}

// Reads model.sig; returns false (and fills the report) when verification cannot start.
bool ReadSignature(RevisionSource& source, std::string* bytes, ModelSignatureCheck* check,
                   Report* report) {
  Result<std::string> sig = ReadWholeFile(source, kModelSignatureFile, limits::kMaxBundleBytes);
  if (sig.ok()) {
    *bytes = std::move(*sig);
    return true;
  }
  const std::string file(kModelSignatureFile);
  switch (sig.error().code()) {
    case ErrorCode::kNotFound:
      report->verdict = Verdict::kUnverified;
      AddFinding(report, "oms.signature_missing", Severity::kError, "the revision has no model.sig",
                 file);
      break;
    case ErrorCode::kInvalidInput:
      AddFinding(report, "bundle.too_large", Severity::kError,
                 "model.sig is larger than the verifier accepts: " + sig.error().message(), file);
      break;
    default:
      if (sig.error().code() == ErrorCode::kUnavailable) check->transient = sig.error();
      AddFinding(report, "source.unavailable", Severity::kError,
                 "model.sig could not be read: " + sig.error().message(), file);
      break;
  }
  return false;
}

// A failed attempt that only says "not this identity" (another SAN, issuer or CA).
bool NotThisIdentity(const SigstoreOutcome& outcome) {
  const Finding* f = outcome.FirstError();
  if (f == nullptr) return false;
  return f->code == "sigstore.identity.mismatch" ||
         f->code == "sigstore.identity.issuer_mismatch" || f->code == "sigstore.cert.chain";
}

struct BundleSigner {
  const Identity* id = nullptr;
  const TrustedRoot* root = nullptr;
  SigstorePolicy policy;
};

// Tries each certificate-kind publisher on the bundle (signature, certificate, logs only; the
// files are compared once, afterwards). On no match, adds the reason to `report`.
BundleSigner FindBundleSigner(std::string_view bytes, Material material, const TrustPolicy& policy,
                              const std::vector<const Identity*>& publishers, Report* report) {
  std::vector<SigstoreOutcome> failures;
  std::string seen;
  for (const Identity* id : publishers) {
    std::vector<const TrustedRoot*> roots;
    SigstorePolicy sp;
    if (material == Material::kCertificate && id->kind == Kind::kSigstore) {
      for (const auto& r : policy.trusted_roots) roots.push_back(r.get());
      sp.mode = SigstorePolicy::Mode::kKeyless;
      sp.identity = id->certificate_identity;
      sp.issuer = id->certificate_oidc_issuer;
    } else if (material == Material::kChain && id->kind == Kind::kCertificateChain) {
      roots.push_back(id->chain_root.get());
      sp.mode = SigstorePolicy::Mode::kCertificateChain;
      sp.allow_oms_compat_pae = true;
    }
    for (const TrustedRoot* root : roots) {
      if (root == nullptr) continue;
      SigstoreOutcome outcome = VerifySigstoreBundle(bytes, root, SigstoreArtifact{}, sp);
      if (outcome.verified) return {id, root, sp};
      if (!outcome.signer_identity.empty()) {
        seen = outcome.signer_identity +
               (outcome.signer_issuer.empty() ? "" : " via " + outcome.signer_issuer);
      }
      failures.push_back(std::move(outcome));
    }
  }
  // A candidate that failed for another reason than "not me" means the bundle itself is bad.
  for (const SigstoreOutcome& f : failures) {
    if (NotThisIdentity(f)) continue;
    report->findings.insert(report->findings.end(), f.findings.begin(), f.findings.end());
    return {};
  }
  std::string kind = material == Material::kCertificate ? "a Sigstore (Fulcio) certificate"
                                                        : "a certificate chain";
  AddFinding(report, "policy.publisher_not_allowed", Severity::kError,
             "model.sig is signed with " + kind +
                 " that matches no publisher the policy allows for this repository",
             std::string(kModelSignatureFile), JoinDescribed(publishers),
             seen.empty() ? kind + " of an unknown signer" : seen);
  return {};
}

const Identity* FindKeySigner(std::string_view bytes,
                              const std::vector<const Identity*>& publishers, Report* report) {
  internal::OmsBundle bundle;
  Report scratch;  // bundle findings are added once, by the full verification
  if (!internal::ParseBundle(bytes, &bundle, &scratch)) {
    report->findings.insert(report->findings.end(), scratch.findings.begin(),
                            scratch.findings.end());
    return nullptr;
  }
  for (const Identity* id : publishers) {
    if (id->kind != Kind::kKey || !id->key) continue;
    bool hint_ok =
        bundle.material != internal::KeyMaterial::kHint || bundle.hint == id->key->pem_hint();
    if (hint_ok && internal::SignatureVerifies(bundle, *id->key)) return id;
  }
  AddFinding(report, "policy.publisher_not_allowed", Severity::kError,
             "model.sig was not signed by any publisher the policy allows (tried: " +
                 JoinDescribed(publishers) + ")",
             std::string(kModelSignatureFile), JoinNames(publishers),
             bundle.material == internal::KeyMaterial::kHint ? "key hint " + bundle.hint
                                                             : "an unknown key");
  return nullptr;
}

// Files covered by a verified signature: every listed file except the verifier's ignores,
// the signature, and those the OMS comparison reported as present but unsigned.
void CollectSignedFiles(Manifest& manifest, const Report& report, ModelSignatureCheck* check) {
  std::set<std::string> unsigned_paths;
  for (const Finding& f : report.findings) {
    if (f.code == "oms.file_ignored" || f.code == "oms.empty_file_unsigned") {
      unsigned_paths.insert(f.path);
    }
  }
  std::vector<std::string> ignores = internal::DefaultIgnorePaths();
  ignores.push_back(std::string(kModelSignatureFile));
  Result<std::vector<FileInfo>> files = manifest.Files();
  if (!files.ok()) return;
  for (const FileInfo& f : *files) {
    if (internal::IsIgnored(f.path, ignores) || unsigned_paths.count(f.path) > 0) continue;
    Result<std::string> sha = manifest.Sha256(f.path);
    if (sha.ok()) check->signed_files.emplace_back(f.path, std::move(*sha));
  }
}

}  // namespace

ModelSignatureCheck VerifyModelSignature(RevisionSource& source, std::string_view repo,
                                         const TrustPolicy& policy, Manifest& manifest,
                                         Report* report) {
  ModelSignatureCheck check;
  report->verdict = Verdict::kFailed;
  std::string bytes;
  if (!ReadSignature(source, &bytes, &check, report)) return check;
  std::vector<const Identity*> publishers = policy.PublishersFor(repo);
  if (publishers.empty()) {
    report->verdict = Verdict::kUnverified;
    AddFinding(report, "policy.no_publisher", Severity::kError,
               "the trust policy allows no publisher for this repository", "",
               "a rule matching " + std::string(repo), "none");
    return check;
  }
  OmsOptions options;
  options.manifest = &manifest;
  options.rehash = policy.rehash;
  Material material = MaterialOf(bytes);
  if (material == Material::kKey || material == Material::kUnknown) {
    check.signer = FindKeySigner(bytes, publishers, report);
    if (check.signer != nullptr) VerifyOmsKey(source, bytes, *check.signer->key, options, report);
  } else {
    BundleSigner signer = FindBundleSigner(bytes, material, policy, publishers, report);
    check.signer = signer.id;
    if (signer.id != nullptr) {
      VerifyOmsBundle(source, bytes, *signer.root, signer.policy, options, report);
    }
  }
  if (check.signer == nullptr) report->verdict = Verdict::kFailed;
  if (report->verdict == Verdict::kVerified) CollectSignedFiles(manifest, *report, &check);
  return check;
}

Report VerifyRevision(RevisionSource& source, std::string_view repo, std::string_view commit,
                      const TrustPolicy& policy) {
  Report report;
  report.subject = std::string(repo) + "@" + std::string(commit);
  report.policy_digest = policy.digest;
  report.verifier_version = PROVBADGE_VERSION;
  ManifestOptions manifest_options;
  manifest_options.rehash = policy.rehash;
  Manifest manifest(source, manifest_options);
  ModelSignatureCheck check = VerifyModelSignature(source, repo, policy, manifest, &report);
  ChainLink link{std::string(repo), std::string(commit), "self", "", report.verdict};
  if (check.signer != nullptr) link.signer = check.signer->name;
  report.chain.push_back(std::move(link));
  return report;
}

}  // namespace provbadge::verifier
