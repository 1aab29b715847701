// `provbadge verify-bundle`: verify one Sigstore bundle (the sigstore-conformance CLI shape).
// Exit 0 verified, 1 not verified (the failing step's finding code on stderr), 2 usage.
#include <filesystem>
#include <iostream>

#include "file_util.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/directory_source.h"

namespace provbadge::worker {
namespace {

constexpr uintmax_t kMaxBundleFileBytes = limits::kMaxSignatureFileBytes;
constexpr uintmax_t kMaxTrustFileBytes = limits::kMaxTrustFileBytes;
constexpr uintmax_t kMaxArtifactBytes = limits::kMaxArtifactFileBytes;

int Usage(std::ostream& err, const std::string& message) {
  err << "provbadge verify-bundle: " << message << "\n";
  return 2;
}

// The signature's path relative to the model folder when it lies inside it, else empty.
std::string SignatureInside(const std::string& dir, const std::string& signature) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path rel =
      fs::weakly_canonical(signature, ec).lexically_relative(fs::weakly_canonical(dir, ec));
  if (rel.empty() || *rel.begin() == "..") return "";
  return rel.generic_string();
}

int VerifyModel(const VerifyModelCertArgs& args, const verifier::TrustedRoot& root,
                const verifier::SigstorePolicy& policy, std::ostream& out, std::ostream& err) {
  auto bundle = ReadFile(args.signature, kMaxBundleFileBytes);
  if (!bundle.ok()) return Usage(err, "--signature " + bundle.error().message());
  if (!std::filesystem::is_directory(args.dir)) return Usage(err, args.dir + ": not a folder");
  DirectorySource source(args.dir, nullptr);
  verifier::OmsOptions options;
  options.ignore_paths = args.ignore_paths;
  options.signature_path = SignatureInside(args.dir, args.signature);
  verifier::Report report;
  report.subject = args.dir;
  verifier::VerifyOmsBundle(source, *bundle, root, policy, options, &report);
  out << (args.json ? verifier::ReportToJson(report) + "\n" : verifier::ReportToText(report));
  if (const verifier::Finding* f = report.FirstError()) {
    err << "provbadge verify-model: " << f->code << ": " << f->message << "\n";
  }
  return report.verdict == verifier::Verdict::kVerified && !report.HasErrors() ? 0 : 1;
}

}  // namespace

int RunVerifyModelSigstore(const VerifyModelCertArgs& args, std::ostream& out, std::ostream& err) {
  const std::string& trust = args.trust_config.empty() ? args.trusted_root : args.trust_config;
  if (trust.empty()) return Usage(err, "Sigstore mode needs --trust-config or --trusted-root");
  auto text = ReadFile(trust, kMaxTrustFileBytes);
  if (!text.ok()) return Usage(err, text.error().message());
  auto root = verifier::TrustedRoot::FromJson(*text);
  if (!root.ok()) return Usage(err, trust + ": " + root.error().message());
  verifier::SigstorePolicy policy;
  policy.mode = verifier::SigstorePolicy::Mode::kKeyless;
  policy.identity = args.identity;
  policy.issuer = args.identity_provider;
  return VerifyModel(args, **root, policy, out, err);
}

int RunVerifyModelCertificate(const VerifyModelCertArgs& args, std::ostream& out,
                              std::ostream& err) {
  std::vector<std::string> pems;
  for (const std::string& path : args.certificate_chain) {
    auto pem = ReadFile(path, kMaxTrustFileBytes);
    if (!pem.ok()) return Usage(err, "--certificate-chain " + pem.error().message());
    pems.push_back(std::move(*pem));
  }
  auto root = verifier::TrustedRoot::FromCertificatePems(pems);
  if (!root.ok()) return Usage(err, "--certificate-chain: " + root.error().message());
  verifier::SigstorePolicy policy;
  policy.mode = verifier::SigstorePolicy::Mode::kCertificateChain;
  return VerifyModel(args, **root, policy, out, err);
}

int RunVerifyBundle(const VerifyBundleArgs& args, std::ostream& out, std::ostream& err) {
  using verifier::SigstorePolicy;
  if (args.artifact.empty() == args.digest.empty()) {
    return Usage(err, "give exactly one of --artifact and --digest");
  }
  const bool key_mode = !args.key.empty();
  if (key_mode == (!args.identity.empty() || !args.issuer.empty())) {
    return Usage(err,
                 "give either --key, or --certificate-identity with --certificate-oidc-issuer");
  }
  if (!key_mode && (args.identity.empty() || args.issuer.empty())) {
    return Usage(err, "--certificate-identity and --certificate-oidc-issuer go together");
  }
  if (!key_mode && args.trusted_root.empty()) {
    return Usage(err, "keyless verification needs --trusted-root (no default root is built in)");
  }
  auto bundle = ReadFile(args.bundle, kMaxBundleFileBytes);
  if (!bundle.ok()) return Usage(err, "--bundle " + bundle.error().message());

  std::shared_ptr<const verifier::TrustedRoot> root;
  if (!args.trusted_root.empty()) {
    auto text = ReadFile(args.trusted_root, kMaxTrustFileBytes);
    if (!text.ok()) return Usage(err, "--trusted-root " + text.error().message());
    auto parsed = verifier::TrustedRoot::FromJson(*text);
    if (!parsed.ok()) {
      err << "provbadge verify-bundle: sigstore.trust.invalid: " << parsed.error().message()
          << "\n";
      return 1;
    }
    root = *parsed;
  }
  SigstorePolicy policy;
  if (key_mode) {
    auto pem = ReadFile(args.key, 1 << 20);
    if (!pem.ok()) return Usage(err, "--key " + pem.error().message());
    auto key = verifier::SigstoreKey::FromPem(*pem);
    if (!key.ok()) {
      err << "provbadge verify-bundle: sigstore.key.invalid: " << key.error().message() << "\n";
      return 1;
    }
    policy.mode = SigstorePolicy::Mode::kKey;
    policy.key = *key;
  } else {
    policy.identity = args.identity;
    policy.issuer = args.issuer;
    policy.identity_is_regex = args.identity_regex;
  }
  std::string artifact_bytes;
  verifier::SigstoreArtifact artifact;
  if (!args.artifact.empty()) {
    auto bytes = ReadFile(args.artifact, kMaxArtifactBytes);
    if (!bytes.ok()) return Usage(err, "--artifact " + bytes.error().message());
    artifact_bytes = std::move(*bytes);
    artifact = verifier::SigstoreArtifact::Bytes(artifact_bytes);
  } else {
    auto digest = verifier::SigstoreArtifact::FromDigestString(args.digest);
    if (!digest.ok()) return Usage(err, "--digest " + digest.error().message());
    artifact = std::move(*digest);
  }
  verifier::SigstoreOutcome result =
      verifier::VerifySigstoreBundle(*bundle, root.get(), artifact, policy);
  if (!result.verified) {
    const verifier::Finding* f = result.FirstError();
    err << "provbadge verify-bundle: " << (f ? f->code + ": " + f->message : "not verified");
    if (f && (!f->expected.empty() || !f->actual.empty())) {
      err << " (expected " << f->expected << ", got " << f->actual << ")";
    }
    err << "\n";
    return 1;
  }
  out << "verified";
  if (!result.signer_identity.empty()) out << ": " << result.signer_identity;
  if (!result.signer_issuer.empty()) out << " (" << result.signer_issuer << ")";
  out << "\n";
  return 0;
}

}  // namespace provbadge::worker
