// The Sigstore verification pipeline (notes/sigstore.md §c), in spec order, stopping at the
// first failing step: 0 parse; 1 signing times (SETs, RFC 3161); 2 tlog inclusion (proof,
// checkpoint); 3 signing key (certificate chain at the times, SCT; or the policy key);
// 4 content signature (and DSSE subject); 5 log bodies bound to the bundle; 6 identity.
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "provbadge/verifier/digest.h"
#include "sigstore_internal.h"

namespace provbadge::verifier {
namespace {

using sigstore::ParsedBundle;
using Mode = SigstorePolicy::Mode;

struct Run {
  const TrustedRoot::Impl* root;
  const SigstorePolicy& policy;
  const SigstoreArtifact& artifact;
  SigstoreOutcome* out;
  Finding fail;
  std::string artifact_sha256;  // raw; empty for kNone
  std::vector<int64_t> times;

  bool Stop() {
    out->findings.push_back(fail);
    return false;
  }
  bool Err(std::string code, std::string msg, std::string expected = "", std::string actual = "") {
    sigstore::Fail(&fail, std::move(code), std::move(msg), std::move(expected), std::move(actual));
    return Stop();
  }
};

bool MaterialMatchesPolicy(Run& r, const ParsedBundle& b) {
  const bool has_cert = b.material == ParsedBundle::Material::kCertificate;
  if (r.policy.mode == Mode::kKey) {
    if (!r.policy.key) return r.Err("sigstore.key.missing", "key mode needs a verification key");
    if (has_cert) {
      return r.Err("sigstore.policy.material_mismatch",
                   "key mode was asked for but the bundle is signed with a certificate");
    }
    return true;
  }
  if (!has_cert) {
    return r.Err("sigstore.policy.material_mismatch",
                 "the bundle is signed with a public key, but the policy expects a certificate "
                 "identity; pass the key to verify it in key mode");
  }
  if (r.policy.mode == Mode::kKeyless && (r.policy.identity.empty() || r.policy.issuer.empty())) {
    return r.Err("sigstore.policy.identity_missing",
                 "keyless verification needs both a certificate identity and an OIDC issuer");
  }
  return true;
}

// Step 1: every SET must verify (its integratedTime is then a signing time). An RFC 3161
// token that does not verify confers nothing and is skipped with a warning, as sigstore-go
// does; when no time is left, its failure is the reported reason.
bool EstablishTimes(Run& r, const ParsedBundle& b) {
  for (const sigstore::TlogEntry& e : b.tlog) {
    if (e.set.empty()) continue;
    if (!sigstore::VerifySet(*r.root, e, &r.fail)) return r.Stop();
    r.times.push_back(*e.integrated_time);
  }
  std::optional<Finding> ts_failure;
  for (const std::string& ts : b.timestamps) {
    int64_t t = 0;
    if (sigstore::VerifyRfc3161(*r.root, ts, b.signature, &t, &r.fail)) {
      r.times.push_back(t);
      continue;
    }
    if (!ts_failure) ts_failure = r.fail;
    Finding warning = r.fail;
    warning.severity = Severity::kWarning;
    warning.message += " (timestamp ignored)";
    r.out->findings.push_back(std::move(warning));
  }
  if (r.policy.mode != Mode::kCertificateChain && r.times.empty()) {
    if (ts_failure) {
      r.fail = *ts_failure;
      return r.Stop();
    }
    return r.Err(
        "sigstore.time.none",
        "no verified signing time: no SET-backed integratedTime and no RFC 3161 timestamp");
  }
  return true;
}

// Step 2: inclusion proofs and checkpoints (required from bundle v0.2 on).
bool VerifyInclusion(Run& r, const ParsedBundle& b) {
  if (r.policy.mode != Mode::kCertificateChain && b.tlog.empty()) {
    return r.Err("sigstore.tlog.missing", "the bundle carries no transparency-log entry");
  }
  for (const sigstore::TlogEntry& e : b.tlog) {
    if (!e.proof) {
      if (b.minor_version >= 2 || e.set.empty()) {
        return r.Err("sigstore.tlog.inclusion_proof_missing",
                     "the tlog entry has no inclusion proof (required from bundle v0.2; never "
                     "fetched online)");
      }
      continue;  // v0.1: the SET alone promises inclusion
    }
    if (!sigstore::VerifyInclusionProof(e, &r.fail)) return r.Stop();
    if (!e.proof->has_checkpoint) {
      if (b.minor_version >= 2) {
        return r.Err("sigstore.checkpoint.missing", "the inclusion proof has no checkpoint");
      }
      continue;
    }
    if (!sigstore::VerifyCheckpoint(*r.root, e, &r.fail)) return r.Stop();
  }
  return true;
}

bool CheckKeyHint(Run& r, const ParsedBundle& b) {
  if (b.key_hint.empty()) return true;
  const SigstoreKey& key = *r.policy.key;
  const std::string sha = sigstore::Sha256(key.spki_der());
  if (b.key_hint == Base64Encode(sha) || b.key_hint == sigstore::Hex(sha)) return true;
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem_hint;
  if (bio != nullptr && PEM_write_bio_PUBKEY(bio, static_cast<EVP_PKEY*>(key.native())) == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    pem_hint = sigstore::Hex(sigstore::Sha256(std::string_view(data, static_cast<size_t>(len))));
  }
  BIO_free(bio);
  if (b.key_hint == pem_hint) return true;
  return r.Err("sigstore.key.hint_mismatch", "the bundle's publicKey.hint names another key",
               Base64Encode(sha), b.key_hint);
}

bool Pipeline(Run& r, std::string_view json) {
  ParsedBundle b;
  std::shared_ptr<sigstore::BundleDoc> doc;
  const bool keyless = r.policy.mode == Mode::kKeyless;
  if (!sigstore::ParseSigstoreBundle(json, r.root, !keyless, &doc, &b, &r.fail)) return r.Stop();
  if (!MaterialMatchesPolicy(r, b)) return false;
  if (r.artifact.kind == SigstoreArtifact::Kind::kNone && !b.is_dsse) {
    return r.Err("sigstore.artifact.missing",
                 "a message signature needs the artifact or its digest");
  }
  if (r.root == nullptr) {
    return r.Err("sigstore.trust.missing",
                 "verification needs a trusted root (log, TSA and CA keys), also in key mode");
  }
  if (r.policy.mode == Mode::kKeyless && r.root->private_pki) {
    return r.Err("sigstore.trust.missing", "keyless verification needs a Sigstore trusted root");
  }
  if (!EstablishTimes(r, b) || !VerifyInclusion(r, b)) return false;
  EVP_PKEY* key = nullptr;
  std::string signer_der;
  if (r.policy.mode == Mode::kKey) {
    if (!CheckKeyHint(r, b)) return false;
    key = static_cast<EVP_PKEY*>(r.policy.key->native());
    signer_der = r.policy.key->spki_der();
  } else if (keyless) {
    std::string issuer_spki_sha256;
    if (!sigstore::VerifyLeafChain(*r.root, b.leaf, r.times, &issuer_spki_sha256, &r.fail) ||
        !sigstore::VerifySct(*r.root, b.leaf, issuer_spki_sha256, &r.fail)) {
      return r.Stop();
    }
    key = b.leaf.key.get();
    signer_der = b.chain_der[0];
  } else {
    std::string issuer_spki_sha256;
    const int64_t at = r.policy.verification_time != 0 ? r.policy.verification_time
                                                       : static_cast<int64_t>(std::time(nullptr));
    if (!sigstore::VerifyCertificateChain(*r.root, b, {at}, &issuer_spki_sha256, &r.fail)) {
      return r.Stop();
    }
    key = X509_get0_pubkey(b.chain[0].get());
    signer_der = b.chain_der[0];
  }
  if (!sigstore::VerifyContentSignature(b, key, r.artifact, r.artifact_sha256, r.policy, &r.fail)) {
    return r.Stop();
  }
  if (b.is_dsse && r.artifact.kind != SigstoreArtifact::Kind::kNone &&
      !sigstore::CheckDsseSubject(b, r.artifact_sha256, &r.fail)) {
    return r.Stop();
  }
  for (const sigstore::TlogEntry& e : b.tlog) {
    if (!sigstore::VerifyTlogBody(e, b, signer_der, r.policy.mode != Mode::kKey, r.artifact_sha256,
                                  &r.fail)) {
      return r.Stop();
    }
  }
  if (keyless) {
    if (!sigstore::CheckIdentity(b.leaf, r.policy, &r.out->signer_identity, &r.out->signer_issuer,
                                 &r.fail)) {
      return r.Stop();
    }
  } else if (r.policy.mode == Mode::kCertificateChain) {
    sigstore::LeafSan(b.chain[0].get(), &r.out->signer_identity);
  }
  if (b.is_dsse) {
    r.out->payload_type = std::move(b.payload_type);
    r.out->payload = std::move(b.payload);
  }
  if (!r.times.empty()) r.out->signing_time = *std::min_element(r.times.begin(), r.times.end());
  return true;
}

}  // namespace

const Finding* SigstoreOutcome::FirstError() const {
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) return &f;
  }
  return nullptr;
}

Result<SigstoreArtifact> SigstoreArtifact::FromDigestString(std::string_view s) {
  constexpr std::string_view kPrefix = "sha256:";
  if (s.substr(0, kPrefix.size()) != kPrefix || s.size() != kPrefix.size() + 64) {
    return InvalidInput("digest must be sha256:<64 hex>");
  }
  Result<std::string> raw = HexDecode(s.substr(kPrefix.size()));
  if (!raw.ok()) return InvalidInput("digest must be sha256:<64 hex>");
  SigstoreArtifact a;
  a.kind = Kind::kSha256;
  a.sha256 = std::move(*raw);
  return a;
}

SigstoreOutcome VerifySigstoreBundle(std::string_view bundle_json, const TrustedRoot* root,
                                     const SigstoreArtifact& artifact,
                                     const SigstorePolicy& policy) {
  SigstoreOutcome out;
  Run r{root ? &root->impl() : nullptr, policy, artifact, &out, {}, {}, {}};
  if (artifact.kind == SigstoreArtifact::Kind::kBytes) {
    r.artifact_sha256 = sigstore::Sha256(artifact.bytes);
  } else if (artifact.kind == SigstoreArtifact::Kind::kSha256) {
    if (artifact.sha256.size() != 32) {
      r.Err("sigstore.artifact.digest", "the artifact digest is not 32 bytes");
      return out;
    }
    r.artifact_sha256 = artifact.sha256;
  }
  out.verified = Pipeline(r, bundle_json) && out.FirstError() == nullptr;
  ERR_clear_error();
  return out;
}

// --- SigstoreKey ---------------------------------------------------------------------------

Result<std::shared_ptr<const SigstoreKey>> SigstoreKey::FromPem(std::string_view pem) {
  const size_t begin = pem.find("-----BEGIN PUBLIC KEY-----");
  if (begin == std::string_view::npos) return InvalidInput("no PEM PUBLIC KEY block found");
  const std::string_view block = pem.substr(begin);
  BIO* bio = BIO_new_mem_buf(block.data(), static_cast<int>(block.size()));
  if (bio == nullptr) return Internal("out of memory");
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (pkey == nullptr) return InvalidInput("the PEM PUBLIC KEY block does not parse as a key");
  std::shared_ptr<SigstoreKey> key(new SigstoreKey());
  key->pkey_ = pkey;
  key->der_ = sigstore::SpkiDer(pkey);
  if (key->der_.empty()) return InvalidInput("the public key cannot be re-encoded");
  return std::shared_ptr<const SigstoreKey>(std::move(key));
}

SigstoreKey::~SigstoreKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

}  // namespace provbadge::verifier
