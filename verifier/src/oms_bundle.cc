// Sigstore bundle (v0.3) and DSSE envelope parsing for OMS key mode, and OMS Sigstore /
// certificate modes (the bundle verified by the Sigstore verifier, then the statement —
// current or v0.2 legacy — compared with the files).
#include <set>

#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/sigstore_verify.h"

#include "json_util.h"
#include "oms_internal.h"
#include "provbadge/common/limits.h"

namespace provbadge::verifier::internal {
namespace {

using nlohmann::json;

bool Malformed(Report* report, std::string message) {
  AddFinding(report, "bundle.malformed", Severity::kError, std::move(message));
  return false;
}

bool Unsupported(Report* report, std::string code, std::string message) {
  AddFinding(report, std::move(code), Severity::kError, std::move(message));
  return false;
}

// verificationMaterial: key mode only in this version.
bool ParseMaterial(const json& bundle, OmsBundle* out, Report* report) {
  auto it = bundle.find("verificationMaterial");
  if (it == bundle.end() || !it->is_object()) {
    return Malformed(report, "the bundle has no verificationMaterial object");
  }
  const json& vm = *it;
  if (vm.contains("x509CertificateChain")) {
    return Unsupported(report, "oms.mode_unsupported",
                       "certificate-chain mode (x509CertificateChain) is unsupported in this "
                       "version of key-mode verification; verify it in certificate mode");
  }
  if (vm.contains("certificate")) {
    return Unsupported(report, "oms.mode_unsupported",
                       "Sigstore mode (Fulcio certificate) is unsupported in this version of "
                       "key-mode verification; verify it in Sigstore mode");
  }
  auto pk = vm.find("publicKey");
  if (pk == vm.end() || !pk->is_object()) {
    return Malformed(report, "verificationMaterial has no publicKey, certificate or chain");
  }
  if (const std::string* hint = StringMember(*pk, "hint")) {
    out->material = KeyMaterial::kHint;
    out->hint = *hint;
    return true;
  }
  if (StringMember(*pk, "rawBytes") != nullptr) {
    out->material = KeyMaterial::kRawBytes;
    AddFinding(report, "oms.legacy_raw_bytes", Severity::kInfo,
               "the bundle embeds the public key as rawBytes (model_signing <= v1.0.1); the "
               "embedded key is ignored and the configured key is used");
    return true;
  }
  return Malformed(report, "publicKey has neither a string hint nor rawBytes");
}

bool ParseSignatures(const json& env, OmsBundle* out, Report* report) {
  auto sigs = env.find("signatures");
  if (sigs == env.end() || !sigs->is_array() || sigs->empty()) {
    AddFinding(report, "dsse.no_signatures", Severity::kError,
               "the DSSE envelope has no signatures array or it is empty");
    return false;
  }
  if (sigs->size() > limits::kMaxSignatures) {
    AddFinding(report, "dsse.too_many_signatures", Severity::kError,
               "the DSSE envelope carries more signatures than the verifier accepts", "",
               "<= " + std::to_string(limits::kMaxSignatures), std::to_string(sigs->size()));
    return false;
  }
  for (const json& s : *sigs) {
    const std::string* sig = StringMember(s, "sig");
    Result<std::string> der = sig ? Base64Decode(*sig) : InvalidInput("missing");
    if (!der.ok() || der->empty()) {
      AddFinding(report, "dsse.malformed", Severity::kError,
                 "a DSSE signature is missing or is not base64");
      return false;
    }
    out->signatures.push_back(std::move(*der));
  }
  return true;
}

bool ParseEnvelope(const json& bundle, OmsBundle* out, Report* report) {
  auto it = bundle.find("dsseEnvelope");
  if (it == bundle.end() || !it->is_object()) {
    if (bundle.contains("messageSignature")) {
      return Unsupported(report, "bundle.content_unsupported",
                         "the bundle signs a message digest, not a DSSE envelope; OMS needs DSSE");
    }
    return Malformed(report, "the bundle has no dsseEnvelope object");
  }
  const json& env = *it;
  const std::string* type = StringMember(env, "payloadType");
  if (type == nullptr || *type != kInTotoPayloadType) {
    AddFinding(report, "dsse.payload_type", Severity::kError,
               "the DSSE payloadType is not the in-toto type", "", std::string(kInTotoPayloadType),
               type ? *type : "<missing>");
    return false;
  }
  const std::string* payload = StringMember(env, "payload");
  if (payload == nullptr) {
    AddFinding(report, "dsse.malformed", Severity::kError, "the DSSE payload is not a string");
    return false;
  }
  if (payload->size() / 4 * 3 > limits::kMaxPayloadBytes) {
    AddFinding(report, "dsse.payload_too_large", Severity::kError,
               "the DSSE payload is larger than the verifier accepts", "",
               "<= " + std::to_string(limits::kMaxPayloadBytes) + " bytes",
               "~" + std::to_string(payload->size() / 4 * 3) + " bytes");
    return false;
  }
  Result<std::string> decoded = Base64Decode(*payload);
  if (!decoded.ok()) {
    AddFinding(report, "dsse.malformed", Severity::kError,
               "the DSSE payload is not valid base64: " + decoded.error().message());
    return false;
  }
  out->payload = std::move(*decoded);
  return ParseSignatures(env, out, report);
}

}  // namespace

void AddFinding(Report* report, std::string code, Severity severity, std::string message,
                std::string path, std::string expected, std::string actual) {
  report->findings.push_back(Finding{std::move(code), severity, std::move(message), std::move(path),
                                     std::move(expected), std::move(actual)});
}

bool ParseBundle(std::string_view bundle_json, OmsBundle* out, Report* report) {
  if (bundle_json.size() > limits::kMaxBundleBytes) {
    AddFinding(report, "bundle.too_large", Severity::kError,
               "model.sig is larger than the verifier accepts", "",
               "<= " + std::to_string(limits::kMaxBundleBytes) + " bytes",
               std::to_string(bundle_json.size()) + " bytes");
    return false;
  }
  if (bundle_json.empty()) return Malformed(report, "model.sig is empty");
  json bundle;
  switch (ParseJsonBounded(bundle_json, limits::kMaxJsonDepth, &bundle)) {
    case JsonParseStatus::kTooDeep:
      AddFinding(report, "bundle.too_deep", Severity::kError,
                 "model.sig nests JSON deeper than the verifier accepts", "",
                 "<= " + std::to_string(limits::kMaxJsonDepth), "more");
      return false;
    case JsonParseStatus::kInvalid:
      return Malformed(report, "model.sig is not valid JSON (truncated or corrupt)");
    case JsonParseStatus::kOk:
      break;
  }
  if (!bundle.is_object()) return Malformed(report, "model.sig is not a JSON object");
  const std::string* media = StringMember(bundle, "mediaType");
  if (media == nullptr || (*media != kBundleMediaType && *media != kBundleMediaTypeAlt)) {
    AddFinding(report, "bundle.media_type_unsupported", Severity::kError,
               "the bundle mediaType is not Sigstore bundle v0.3", "",
               std::string(kBundleMediaType), media ? *media : "<missing>");
    return false;
  }
  return ParseMaterial(bundle, out, report) && ParseEnvelope(bundle, out, report);
}

bool SignatureVerifies(const OmsBundle& bundle, const PublicKey& key) {
  std::string pae = DssePae(kInTotoPayloadType, bundle.payload);
  for (const std::string& sig : bundle.signatures) {
    if (key.VerifyEcdsa(pae, sig)) return true;
  }
  return false;
}

namespace {

constexpr std::string_view kLegacyPredicateType = "https://model_signing/Digests/v0.1";

// model_signing v0.2: one subject per file (name, digest.sha256), a dummy predicate, no root
// digest and no ignore information. Converted into the resource list CompareFiles checks as a
// set, so deleted, added or swapped files are still caught.
bool ParseLegacyStatement(const json& st, OmsStatement* out, Report* report) {
  auto subjects = st.find("subject");
  if (subjects == st.end() || !subjects->is_array() || subjects->empty() ||
      subjects->size() > limits::kMaxResources) {
    return Malformed(report, "the legacy statement's subject list is missing, empty or too long");
  }
  std::set<std::string> names;
  for (const json& s : *subjects) {
    const std::string* name = StringMember(s, "name");
    const std::string* sha =
        s.is_object() && s.contains("digest") ? StringMember(s["digest"], "sha256") : nullptr;
    Result<std::string> raw = sha ? HexDecode(*sha) : InvalidInput("missing");
    if (name == nullptr || !IsValidRelativePath(*name) || !raw.ok() || raw->size() != 32) {
      return Malformed(report, "a legacy subject has no valid name or sha256 digest");
    }
    if (!names.insert(*name).second) {
      AddFinding(report, "statement.duplicate_resource", Severity::kError,
                 "the legacy statement lists a file twice", *name);
      return false;
    }
    OmsResource r;
    r.name = *name;
    r.path = *name;
    r.digest = HexEncode(*raw);
    out->resources.push_back(std::move(r));
  }
  AddFinding(report, "oms.legacy_statement", Severity::kInfo,
             "model_signing v0.2 statement (one subject per file, no root digest); the files are "
             "compared with the subjects as a set");
  return true;
}

bool ParseVerifiedPayload(std::string_view payload, OmsStatement* out, Report* report) {
  json st;
  if (ParseJsonBounded(payload, limits::kMaxJsonDepth, &st) == JsonParseStatus::kOk &&
      st.is_object()) {
    const std::string* type = StringMember(st, "predicateType");
    if (type != nullptr && *type == kLegacyPredicateType) {
      return ParseLegacyStatement(st, out, report);
    }
  }
  return ParseStatement(payload, out, report);
}

}  // namespace

}  // namespace provbadge::verifier::internal

namespace provbadge::verifier {

void VerifyOmsBundle(RevisionSource& source, std::string_view bundle_json, const TrustedRoot& root,
                     const SigstorePolicy& policy, const OmsOptions& options, Report* report) {
  report->verdict = Verdict::kFailed;
  SigstorePolicy p = policy;
  p.allow_oms_compat_pae = policy.mode == SigstorePolicy::Mode::kCertificateChain;
  SigstoreOutcome outcome = VerifySigstoreBundle(bundle_json, &root, SigstoreArtifact{}, p);
  report->findings.insert(report->findings.end(), outcome.findings.begin(), outcome.findings.end());
  if (!outcome.verified) {
    if (outcome.FirstError() == nullptr) {
      internal::AddFinding(report, "sigstore.unverified", Severity::kError,
                           "the Sigstore bundle did not verify");
    }
    return;
  }
  if (outcome.payload_type != kInTotoPayloadType) {
    internal::AddFinding(report, "dsse.payload_type", Severity::kError,
                         "the DSSE payloadType is not the in-toto type", "",
                         std::string(kInTotoPayloadType), outcome.payload_type);
    return;
  }
  internal::AddFinding(
      report, "oms.signer", Severity::kInfo,
      "signed by " + outcome.signer_identity +
          (outcome.signer_issuer.empty() ? "" : " (" + outcome.signer_issuer + ")"));
  internal::OmsStatement statement;
  if (!internal::ParseVerifiedPayload(outcome.payload, &statement, report)) return;
  internal::CompareFiles(source, statement, options, report);
  if (!report->HasErrors()) report->verdict = Verdict::kVerified;
}

}  // namespace provbadge::verifier
