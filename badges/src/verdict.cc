// Signed verdicts: badge -> SLSA VSA statement -> DSSE envelope, and back.
#include "provbadge/badges/verdict.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "provbadge/common/json_depth.h"
#include "provbadge/verifier/dsse.h"

namespace provbadge::badges {
namespace {

using nlohmann::json;

constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
constexpr std::string_view kPolicyUri = "https://provbadge.dev/policy/v1";
constexpr std::string_view kVerifiedLevel = "PROVBADGE_LINEAGE_VERIFIED";
constexpr size_t kMaxEnvelopeBytes = 4 << 20;
constexpr size_t kMaxPayloadDepth = 32;

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsCommit(std::string_view s) { return s.size() == 40 && IsHex(s); }

std::string ResourceUri(std::string_view repo, std::string_view commit) {
  return "hf://" + std::string(repo) + "@" + std::string(commit);
}

std::string_view StripSha256(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  return digest.substr(0, kPrefix.size()) == kPrefix ? digest.substr(kPrefix.size()) : digest;
}

json Predicate(const Badge& badge) {
  json inputs = json::array();
  json chain = json::array();
  for (const verifier::ChainLink& link : badge.chain) {
    if (IsCommit(link.commit)) {
      inputs.push_back(
          {{"uri", ResourceUri(link.repo, link.commit)}, {"digest", {{"gitCommit", link.commit}}}});
    }
    chain.push_back({{"repo", link.repo},
                     {"commit", link.commit},
                     {"relation", link.relation},
                     {"signer", link.signer},
                     {"status", std::string(verifier::VerdictName(link.status))}});
  }
  json reasons = json::array();
  for (const Reason& r : badge.reasons) reasons.push_back(r.code);
  const bool passed = badge.state == BadgeState::kVerified;
  json policy = {{"uri", std::string(kPolicyUri)}};
  if (!badge.policy_digest.empty()) {
    policy["digest"] = {{"sha256", std::string(StripSha256(badge.policy_digest))}};
  }
  return {
      {"verifier",
       {{"id", std::string(kVsaVerifierId)}, {"version", {{"provbadge", badge.verifier_version}}}}},
      {"timeVerified", badge.checked_at},
      {"resourceUri", ResourceUri(badge.repo, badge.commit)},
      {"policy", std::move(policy)},
      {"inputAttestations", std::move(inputs)},
      {"verificationResult", passed ? "PASSED" : "FAILED"},
      {"verifiedLevels", passed ? json::array({std::string(kVerifiedLevel)}) : json::array()},
      {"slsaVersion", "1.0"},
      {"provbadge",
       {{"state", std::string(BadgeStateName(badge.state))},
        {"label", badge.label},
        {"message", badge.message},
        {"reasons", std::move(reasons)},
        {"chain", std::move(chain)}}}};
}

const std::string* Str(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

Error Malformed(std::string what) { return InvalidInput("the verdict " + what); }

// Splits "hf://org/name@<commit>"; false when it is not that shape.
bool SplitResource(std::string_view uri, std::string* repo, std::string* commit) {
  constexpr std::string_view kScheme = "hf://";
  if (uri.substr(0, kScheme.size()) != kScheme) return false;
  uri.remove_prefix(kScheme.size());
  const size_t at = uri.rfind('@');
  if (at == std::string_view::npos) return false;
  *repo = std::string(uri.substr(0, at));
  *commit = std::string(uri.substr(at + 1));
  return repo->find('/') != std::string::npos && IsCommit(*commit);
}

Result<VerifiedVerdict> ReadStatement(const json& st) {
  const std::string* type = Str(st, "_type");
  const std::string* predicate_type = Str(st, "predicateType");
  if (type == nullptr || *type != kStatementType) {
    return Malformed("payload is not an in-toto Statement v1");
  }
  if (predicate_type == nullptr || *predicate_type != kVsaPredicateType) {
    return Malformed("predicateType is not " + std::string(kVsaPredicateType));
  }
  auto subjects = st.find("subject");
  if (subjects == st.end() || !subjects->is_array() || subjects->size() != 1) {
    return Malformed("must have exactly one subject");
  }
  const json& subject = (*subjects)[0];
  const std::string* name = Str(subject, "name");
  VerifiedVerdict v;
  if (name == nullptr || !SplitResource(*name, &v.repo, &v.commit)) {
    return Malformed("subject is not hf://org/name@<40-hex commit>");
  }
  const json* digest =
      subject.is_object() && subject.contains("digest") ? &subject["digest"] : nullptr;
  const std::string* git = digest ? Str(*digest, "gitCommit") : nullptr;
  if (git == nullptr || *git != v.commit) {
    return Malformed("subject's gitCommit does not match its name");
  }
  auto pred = st.find("predicate");
  if (pred == st.end() || !pred->is_object()) return Malformed("has no predicate");
  const std::string* resource = Str(*pred, "resourceUri");
  if (resource == nullptr || *resource != *name) {
    return Malformed("resourceUri does not match the subject");
  }
  const std::string* result = Str(*pred, "verificationResult");
  const std::string* time = Str(*pred, "timeVerified");
  if (result == nullptr || (*result != "PASSED" && *result != "FAILED")) {
    return Malformed("verificationResult is not PASSED or FAILED");
  }
  if (time == nullptr || time->empty()) return Malformed("has no timeVerified");
  v.result = *result;
  v.time = *time;
  auto policy = pred->find("policy");
  if (policy != pred->end() && policy->is_object() && policy->contains("digest")) {
    const std::string* sha = Str((*policy)["digest"], "sha256");
    if (sha != nullptr) v.policy_digest = "sha256:" + *sha;
  }
  auto ext = pred->find("provbadge");
  const std::string* state = ext != pred->end() ? Str(*ext, "state") : nullptr;
  if (state == nullptr || (*state != "verified" && *state != "unverified" && *state != "failed")) {
    return Malformed("provbadge.state is not verified, unverified or failed");
  }
  if ((*state == "verified") != (v.result == "PASSED")) {
    return Malformed("verificationResult " + v.result + " contradicts state " + *state);
  }
  v.state = *state;
  if (const std::string* label = Str(*ext, "label")) v.label = *label;
  if (const std::string* message = Str(*ext, "message")) v.message = *message;
  return v;
}

}  // namespace

Result<std::shared_ptr<const VerdictKey>> LoadVerdictKey(std::string_view private_pem,
                                                         std::string keyid) {
  auto signer = verifier::DsseSigner::FromPem(private_pem, std::move(keyid));
  if (!signer.ok()) return signer.error().Wrap("verdict key");
  if (!(*signer)->is_ec()) {
    return InvalidInput("verdict key: must be an EC P-256/P-384/P-521 key (not Ed25519)");
  }
  auto key = std::make_shared<VerdictKey>();
  key->signer = std::move(*signer);
  return std::shared_ptr<const VerdictKey>(std::move(key));
}

Result<std::string> SignVerdict(const Badge& badge, const VerdictKey& key) {
  if (key.signer == nullptr) return InvalidInput("verdict key: not loaded");
  if (badge.state == BadgeState::kPending) {
    return InvalidInput("a pending badge is not a verdict");
  }
  if (badge.repo.find('/') == std::string::npos || !IsCommit(badge.commit)) {
    return InvalidInput("the badge has no org/name repo and 40-hex commit");
  }
  if (badge.checked_at.empty()) return InvalidInput("the badge has no checked_at time");
  const std::string uri = ResourceUri(badge.repo, badge.commit);
  json statement = {
      {"_type", std::string(kStatementType)},
      {"subject", json::array({{{"name", uri}, {"digest", {{"gitCommit", badge.commit}}}}})},
      {"predicateType", std::string(kVsaPredicateType)},
      {"predicate", Predicate(badge)}};
  const std::string payload = statement.dump(-1, ' ', false, json::error_handler_t::replace);
  return key.signer->SignEnvelope(verifier::kInTotoPayloadType, payload);
}

Result<VerifiedVerdict> VerifyVerdict(std::string_view envelope_json,
                                      const verifier::PublicKey& key) {
  auto env = verifier::ParseDsseEnvelope(envelope_json, kMaxEnvelopeBytes);
  if (!env.ok()) return env.error();
  if (env->payload_type != verifier::kInTotoPayloadType) {
    return Malformed("payloadType is not " + std::string(verifier::kInTotoPayloadType));
  }
  if (!verifier::DsseSignedBy(*env, key)) {
    return Error(ErrorCode::kVerificationFailed,
                 "the verdict's signature does not verify with the given key");
  }
  if (!JsonDepthWithin(env->payload, kMaxPayloadDepth)) {
    return Malformed("payload is nested too deeply");
  }
  json statement = json::parse(env->payload, nullptr, /*allow_exceptions=*/false);
  if (statement.is_discarded() || !statement.is_object()) {
    return Malformed("payload is not a JSON object");
  }
  try {
    return ReadStatement(statement);
  } catch (const json::exception& e) {  // defensive: every access above is checked
    return Malformed(std::string("payload is malformed: ") + e.what());
  }
}

}  // namespace provbadge::badges
