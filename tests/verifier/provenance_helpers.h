// Helpers for the provenance and node tests: in-toto statements built as JSON, DSSE lines
// signed with throwaway keys, and Sigstore certificate-chain bundles signed with the shared
// test PKI (vectors/model-signing/keys/certificate).
//
// Thread-safety: plain functions; single-threaded test use.
#ifndef PROVBADGE_TESTS_VERIFIER_PROVENANCE_HELPERS_H_
#define PROVBADGE_TESTS_VERIFIER_PROVENANCE_HELPERS_H_

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "provbadge/verifier/policy.h"
#include "provbadge/verifier/provenance.h"
#include "provbadge/verifier/sigstore_verify.h"
#include "test_helpers.h"

namespace provbadge::testing::prov {

using nlohmann::json;

inline const std::string kBaseCommit = "0123456789abcdef0123456789abcdef01234567";

inline std::string Sha(const std::string& s) { return verifier::Sha256Hex(s); }

// A quantize statement of `subjects` (path -> content) from org/base@kBaseCommit, consuming
// model.safetensors with content `parent_weights`.
inline json QuantizeStatement(const std::map<std::string, std::string>& subjects,
                              const std::string& parent_weights = "base weights") {
  json subj = json::array();
  for (const auto& [name, content] : subjects) {
    subj.push_back({{"name", name}, {"digest", {{"sha256", Sha(content)}}}});
  }
  return {{"_type", "https://in-toto.io/Statement/v1"},
          {"subject", subj},
          {"predicateType", "https://slsa.dev/provenance/v1"},
          {"predicate",
           {{"buildDefinition",
             {{"buildType", "https://provbadge.dev/buildtypes/quantize/v1"},
              {"externalParameters",
               {{"method", "Q4_K_M"},
                {"format", "gguf"},
                {"tool", "llama.cpp"},
                {"toolVersion", "b3600"}}},
              {"resolvedDependencies",
               json::array({{{"uri", "hf://org/base@" + kBaseCommit},
                             {"digest", {{"gitCommit", kBaseCommit}}}},
                            {{"uri", "hf://org/base@" + kBaseCommit + "/model.safetensors"},
                             {"digest", {{"sha256", Sha(parent_weights)}}}}})}}},
            {"runDetails", {{"builder", {{"id", "https://ci.example/quantizer"}}}}}}}};
}

// A DSSE envelope line over `payload` signed with `key` (no signature when `key` is null).
inline std::string DsseLineFor(const TestKey* key, const std::string& payload,
                               const std::string& payload_type = "application/vnd.in-toto+json") {
  json sigs = json::array();
  if (key != nullptr) {
    std::string sig = SignMessage(*key, verifier::DssePae(payload_type, payload));
    sigs.push_back({{"keyid", "k1"}, {"sig", verifier::Base64Encode(sig)}});
  }
  return json{{"payloadType", payload_type},
              {"payload", verifier::Base64Encode(payload)},
              {"signatures", sigs}}
      .dump();
}

inline verifier::Identity KeyIdentityOf(const std::string& name, const TestKey& key) {
  verifier::Identity id;
  id.name = name;
  id.kind = verifier::Identity::Kind::kKey;
  id.key = key.pub;
  auto sk = verifier::SigstoreKey::FromPem(key.public_pem);
  REQUIRE(sk.ok());
  id.sigstore_key = *sk;
  return id;
}

// The shared test PKI: the leaf's key, and its chain root (ca-cert.pem) as an identity.
inline std::string PkiDir() { return OmsDir() + "/keys/certificate"; }

inline TestKey PkiSigningKey() {
  return TestKey{ReadFileBytes(PkiDir() + "/signing-key.pem"),
                 ReadFileBytes(PkiDir() + "/signing-key-pub.pem"), VectorKey()};
}

inline verifier::Identity ChainIdentityOf(const std::string& name) {
  auto root =
      verifier::TrustedRoot::FromCertificatePems({ReadFileBytes(PkiDir() + "/ca-cert.pem")});
  REQUIRE(root.ok());
  verifier::Identity id;
  id.name = name;
  id.kind = verifier::Identity::Kind::kCertificateChain;
  id.chain_root = *root;
  return id;
}

// A Sigstore bundle v0.3 (certificate chain of the test PKI, no log entries) whose DSSE
// envelope signs `payload` with the PKI's leaf key.
inline std::string CertificateChainLine(const std::string& payload) {
  json model_sig = json::parse(ReadFileBytes(SignedModel("v1.1.0-certificate") + "/model.sig"));
  std::string sig =
      SignMessage(PkiSigningKey(), verifier::DssePae(verifier::kInTotoPayloadType, payload));
  return json{
      {"mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json"},
      {"verificationMaterial", model_sig["verificationMaterial"]},
      {"dsseEnvelope",
       {{"payload", verifier::Base64Encode(payload)},
        {"payloadType", "application/vnd.in-toto+json"},
        {"signatures", json::array({{{"sig", verifier::Base64Encode(sig)}, {"keyid", ""}}})}}}}
      .dump();
}

inline bool Has(const std::vector<verifier::Finding>& findings, const std::string& code) {
  for (const auto& f : findings) {
    if (f.code == code) return true;
  }
  return false;
}
inline const verifier::Finding* Find(const std::vector<verifier::Finding>& findings,
                                     const std::string& code) {
  for (const auto& f : findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}
inline std::string CodesOf(const std::vector<verifier::Finding>& findings) {
  std::string out;
  for (const auto& f : findings) out += f.code + "(" + f.message + ") ";
  return out;
}
inline bool HasErrors(const std::vector<verifier::Finding>& findings) {
  for (const auto& f : findings) {
    if (f.severity == verifier::Severity::kError) return true;
  }
  return false;
}

}  // namespace provbadge::testing::prov

#endif  // PROVBADGE_TESTS_VERIFIER_PROVENANCE_HELPERS_H_
