// provenance.intoto.jsonl: each line's signature against the repository's builders (DSSE with
// key identities; Sigstore bundles in key, keyless or certificate-chain mode), then its
// statement (provenance_statement.cc).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "json_util.h"
#include "limits.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "provenance_internal.h"

namespace provbadge::verifier {
namespace {

using internal::AddProvenanceFinding;
using internal::StringMember;
using nlohmann::json;
using Kind = Identity::Kind;

const std::string kFile(kProvenanceFile);

struct Line {
  int number = 0;
  std::vector<Finding>* out = nullptr;
  void Add(std::string code, Severity severity, std::string message, std::string expected = "",
           std::string actual = "") {
    AddProvenanceFinding(out, number, std::move(code), severity, std::move(message), kFile,
                         std::move(expected), std::move(actual));
  }
  void Error(std::string code, std::string message, std::string expected = "",
             std::string actual = "") {
    Add(std::move(code), Severity::kError, std::move(message), std::move(expected),
        std::move(actual));
  }
};

std::string Names(const std::vector<const Identity*>& ids) {
  if (ids.empty()) return "no builder (the policy allows none for this repository)";
  std::string out;
  for (const Identity* id : ids) {
    out += (out.empty() ? "" : ", ") + id->name;
    if (id->kind == Kind::kSigstore) out += " (" + id->certificate_identity + ")";
  }
  return out;
}

// ---- DSSE envelopes (key identities) ----

struct Envelope {
  std::string payload;
  std::vector<std::string> signatures;  // DER
  std::vector<std::string> keyids;
};

bool ParseEnvelope(const json& doc, Envelope* env, Line& line) {
  const std::string* type = StringMember(doc, "payloadType");
  if (type == nullptr || *type != kInTotoPayloadType) {
    line.Error("provenance.payload_type", "the DSSE payloadType is not the in-toto type",
               std::string(kInTotoPayloadType), type ? *type : "<missing>");
    return false;
  }
  const std::string* payload = StringMember(doc, "payload");
  if (payload == nullptr || payload->size() / 4 * 3 > limits::kMaxPayloadBytes) {
    line.Error("provenance.line_malformed",
               "the DSSE payload is missing, not a string, or larger than the verifier accepts");
    return false;
  }
  Result<std::string> decoded = Base64Decode(*payload);
  if (!decoded.ok()) {
    line.Error("provenance.line_malformed",
               "the DSSE payload is not valid base64: " + decoded.error().message());
    return false;
  }
  env->payload = std::move(*decoded);
  auto sigs = doc.find("signatures");
  if (sigs == doc.end() || !sigs->is_array() || sigs->empty()) {
    line.Error("provenance.unsigned", "the DSSE envelope carries no signature", "a signature",
               "none");
    return false;
  }
  if (sigs->size() > limits::kMaxSignatures) {
    line.Error("provenance.line_malformed", "the DSSE envelope carries too many signatures",
               "<= " + std::to_string(limits::kMaxSignatures), std::to_string(sigs->size()));
    return false;
  }
  for (const json& s : *sigs) {
    const std::string* sig = StringMember(s, "sig");
    Result<std::string> der = sig ? Base64Decode(*sig) : InvalidInput("missing");
    if (!der.ok() || der->empty()) {
      line.Error("provenance.line_malformed", "a DSSE signature is missing or is not base64");
      return false;
    }
    env->signatures.push_back(std::move(*der));
    const std::string* keyid = StringMember(s, "keyid");
    env->keyids.push_back(keyid ? *keyid : "");
  }
  return true;
}

const Identity* DsseSigner(const Envelope& env, const std::vector<const Identity*>& candidates) {
  const std::string pae = DssePae(kInTotoPayloadType, env.payload);
  for (const Identity* id : candidates) {
    if (id->kind != Kind::kKey || !id->key) continue;
    for (const std::string& sig : env.signatures) {
      if (id->key->VerifyEcdsa(pae, sig)) return id;
    }
  }
  return nullptr;
}

std::vector<const Identity*> NonBuilders(const TrustPolicy& policy,
                                         const std::vector<const Identity*>& builders) {
  std::vector<const Identity*> out;
  for (const Identity& id : policy.identities) {
    if (std::find(builders.begin(), builders.end(), &id) == builders.end()) out.push_back(&id);
  }
  return out;
}

// ---- Sigstore bundles (any identity kind) ----

struct Attempt {
  const Identity* id;
  const TrustedRoot* root;
  SigstorePolicy policy;
};

std::vector<Attempt> AttemptsFor(const Identity& id, const TrustPolicy& policy) {
  std::vector<Attempt> out;
  SigstorePolicy sp;
  if (id.kind == Kind::kCertificateChain) {
    sp.mode = SigstorePolicy::Mode::kCertificateChain;
    if (id.chain_root) out.push_back({&id, id.chain_root.get(), sp});
    return out;
  }
  if (id.kind == Kind::kKey) {
    if (!id.sigstore_key) return out;
    sp.mode = SigstorePolicy::Mode::kKey;
    sp.key = id.sigstore_key;
  } else {
    sp.mode = SigstorePolicy::Mode::kKeyless;
    sp.identity = id.certificate_identity;
    sp.issuer = id.certificate_oidc_issuer;
  }
  for (const auto& root : policy.trusted_roots) out.push_back({&id, root.get(), sp});
  return out;
}

// Failures that only mean "not signed by this identity".
bool NotThisIdentity(const SigstoreOutcome& o) {
  const Finding* f = o.FirstError();
  if (f == nullptr) return false;
  static const std::set<std::string> kCodes = {
      "sigstore.identity.mismatch", "sigstore.identity.issuer_mismatch",
      "sigstore.cert.chain",        "sigstore.policy.material_mismatch",
      "sigstore.signature.invalid", "sigstore.key.hint_mismatch"};
  return kCodes.count(f->code) > 0;
}

// The first identity among `ids` whose verification of the bundle succeeds; `outcome` gets
// its result, `failures` every failed outcome.
const Identity* BundleSigner(std::string_view line, const std::vector<const Identity*>& ids,
                             const TrustPolicy& policy, SigstoreOutcome* outcome,
                             std::vector<SigstoreOutcome>* failures) {
  for (const Identity* id : ids) {
    for (const Attempt& a : AttemptsFor(*id, policy)) {
      SigstoreOutcome o = VerifySigstoreBundle(line, a.root, SigstoreArtifact{}, a.policy);
      if (o.verified) {
        *outcome = std::move(o);
        return id;
      }
      if (failures != nullptr) failures->push_back(std::move(o));
    }
  }
  return nullptr;
}

// ---- one line ----

// Verifies the signature; returns the builder and the authenticated payload, or null.
const Identity* VerifySignature(std::string_view text, const json& doc,
                                const std::vector<const Identity*>& builders,
                                const TrustPolicy& policy, std::string* payload, Line& line) {
  const std::string* media = StringMember(doc, "mediaType");
  if (media != nullptr && media->rfind("application/vnd.dev.sigstore.bundle", 0) == 0) {
    SigstoreOutcome outcome;
    std::vector<SigstoreOutcome> failures;
    const Identity* signer = BundleSigner(text, builders, policy, &outcome, &failures);
    if (signer != nullptr) {
      if (outcome.payload_type != kInTotoPayloadType) {
        line.Error("provenance.payload_type", "the bundle does not carry an in-toto DSSE envelope",
                   std::string(kInTotoPayloadType),
                   outcome.payload_type.empty() ? "a message signature" : outcome.payload_type);
        return nullptr;
      }
      *payload = std::move(outcome.payload);
      return signer;
    }
    for (const SigstoreOutcome& f : failures) {
      if (NotThisIdentity(f)) continue;
      for (const Finding& finding : f.findings) {
        line.Add(finding.code, finding.severity, finding.message, finding.expected, finding.actual);
      }
      return nullptr;
    }
    std::string seen;
    SigstoreOutcome other;
    if (const Identity* id =
            BundleSigner(text, NonBuilders(policy, builders), policy, &other, nullptr)) {
      seen = "policy identity " + id->name + " (not a builder of this repository)";
    }
    for (const SigstoreOutcome& f : failures) {
      if (seen.empty() && !f.signer_identity.empty()) {
        seen = f.signer_identity + (f.signer_issuer.empty() ? "" : " via " + f.signer_issuer);
      }
    }
    line.Error("provenance.signer_not_allowed",
               "the Sigstore bundle is not signed by a builder the policy allows for this "
               "repository",
               Names(builders), seen.empty() ? "an unknown signer" : seen);
    return nullptr;
  }
  if (!doc.contains("payloadType") && !doc.contains("payload")) {
    line.Error("provenance.line_malformed",
               "the line is neither a DSSE envelope nor a Sigstore bundle",
               "payloadType/payload "
               "or a Sigstore bundle mediaType",
               media ? *media : "<neither>");
    return nullptr;
  }
  Envelope env;
  if (!ParseEnvelope(doc, &env, line)) return nullptr;
  if (const Identity* signer = DsseSigner(env, builders)) {
    *payload = std::move(env.payload);
    return signer;
  }
  const Identity* other = DsseSigner(env, NonBuilders(policy, builders));
  std::string keyid =
      env.keyids.empty() || env.keyids[0].empty() ? "" : " (keyid " + env.keyids[0] + ")";
  line.Error("provenance.signer_not_allowed",
             "no DSSE signature verifies with a builder the policy allows for this repository",
             Names(builders),
             other != nullptr
                 ? "policy identity " + other->name + " (not a builder of this repository)"
                 : "an unknown key" + keyid);
  return nullptr;
}

void VerifyLineUnguarded(std::string_view text, int line_number,
                         const std::vector<const Identity*>& builders, const TrustPolicy& policy,
                         ProvenanceResult* out) {
  Line line{line_number, &out->findings};
  if (text.size() > limits::kMaxProvenanceLineBytes) {
    line.Error("provenance.line_too_large", "the line is larger than the verifier accepts",
               "<= " + std::to_string(limits::kMaxProvenanceLineBytes) + " bytes",
               std::to_string(text.size()) + " bytes");
    return;
  }
  json doc;
  switch (internal::ParseJsonBounded(text, limits::kMaxJsonDepth, &doc)) {
    case internal::JsonParseStatus::kTooDeep:
      line.Error("provenance.line_malformed",
                 "the line nests JSON deeper than the verifier accepts",
                 "<= " + std::to_string(limits::kMaxJsonDepth), "more");
      return;
    case internal::JsonParseStatus::kInvalid:
      line.Error("provenance.line_malformed", "the line is not one valid JSON document");
      return;
    case internal::JsonParseStatus::kOk:
      break;
  }
  if (!doc.is_object()) {
    line.Error("provenance.line_malformed", "the line is not a JSON object");
    return;
  }
  std::string payload;
  const Identity* signer = VerifySignature(text, doc, builders, policy, &payload, line);
  if (signer == nullptr) return;
  line.Add("provenance.signature_verified", Severity::kInfo,
           "the statement is signed by builder " + signer->name, "", signer->name);
  ProvenanceStep step;
  step.line = line_number;
  step.builder = signer->name;
  if (!ParseProvenanceStatement(payload, &step, &out->findings)) return;
  if (std::find(out->builders.begin(), out->builders.end(), signer->name) == out->builders.end()) {
    out->builders.push_back(signer->name);
  }
  out->steps.push_back(std::move(step));
}

}  // namespace

void VerifyProvenanceLine(std::string_view text, int line_number,
                          const std::vector<const Identity*>& builders, const TrustPolicy& policy,
                          ProvenanceResult* out) {
  try {
    VerifyLineUnguarded(text, line_number, builders, policy, out);
  } catch (const std::exception& e) {  // a JSON access this code did not foresee: fail closed
    Line line{line_number, &out->findings};
    line.Error("provenance.line_malformed", std::string("the line could not be read: ") + e.what());
  }
}

ProvenanceResult VerifyProvenanceFile(std::string_view contents, std::string_view repo,
                                      const TrustPolicy& policy) {
  ProvenanceResult out;
  if (contents.size() > limits::kMaxProvenanceFileBytes) {
    AddProvenanceFinding(&out.findings, 0, "provenance.file_too_large", Severity::kError,
                         "provenance.intoto.jsonl is larger than the verifier accepts", kFile,
                         "<= " + std::to_string(limits::kMaxProvenanceFileBytes) + " bytes",
                         std::to_string(contents.size()) + " bytes");
    return out;
  }
  const std::vector<const Identity*> builders = policy.BuildersFor(repo);
  if (builders.empty() && contents.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    // Nothing could verify: say so once, as a policy gap (unverified), not per line.
    AddProvenanceFinding(&out.findings, 0, "policy.no_builder", Severity::kError,
                         "the trust policy allows no builder for this repository, so its "
                         "provenance cannot be verified",
                         kFile, "a rule with builders matching " + std::string(repo), "none");
    return out;
  }
  std::set<std::string_view> seen;
  size_t lines = 0;
  int number = 0;
  size_t start = 0;
  while (start < contents.size()) {
    size_t end = contents.find('\n', start);
    if (end == std::string_view::npos) end = contents.size();
    std::string_view text = contents.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (++lines > limits::kMaxProvenanceLines) {
      AddProvenanceFinding(&out.findings, number, "provenance.too_many_lines", Severity::kError,
                           "provenance.intoto.jsonl has more lines than the verifier accepts; "
                           "the rest is not checked",
                           kFile, "<= " + std::to_string(limits::kMaxProvenanceLines), "more");
      break;
    }
    if (!seen.insert(text).second) {
      AddProvenanceFinding(&out.findings, number, "provenance.duplicate_line", Severity::kWarning,
                           "the line repeats an earlier line exactly; it is checked once", kFile);
      continue;
    }
    VerifyProvenanceLine(text, number, builders, policy, &out);
  }
  if (lines == 0) {
    AddProvenanceFinding(&out.findings, 0, "provenance.empty", Severity::kWarning,
                         "provenance.intoto.jsonl holds no statement", kFile);
  }
  return out;
}

}  // namespace provbadge::verifier
