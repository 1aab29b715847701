// Step 4: the content signature. messageSignature: over the artifact bytes (or the caller's
// SHA-256 digest, prehashed), then the bundle's messageDigest hint must equal the artifact's
// digest. DSSE: over PAE(payloadType, payload) exactly; then the in-toto Statement's subjects
// must include the artifact's sha256 (sigstore-js forgets this step).
#include "json_util.h"
#include "limits.h"
#include "provbadge/verifier/dsse.h"
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

// Python's repr() of a bytes object, as the OMS v0.2 "compat" PAE rendered the payload.
std::string PythonBytesRepr(std::string_view b) {
  const bool has_single = b.find('\'') != std::string_view::npos;
  const bool has_double = b.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  static const char* kHex = "0123456789abcdef";
  std::string out = "b";
  out += quote;
  for (unsigned char c : b) {
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

std::string CompatPae(std::string_view type, std::string_view payload) {
  return "DSSEV1 " + std::to_string(type.size()) + " " + std::string(type) + " " +
         std::to_string(payload.size()) + " " + PythonBytesRepr(payload);
}

}  // namespace

bool VerifyContentSignature(const ParsedBundle& b, EVP_PKEY* key, const SigstoreArtifact& artifact,
                            std::string_view artifact_sha256, const SigstorePolicy& policy,
                            Finding* fail) {
  const EVP_MD* md = DefaultMd(key);
  if (b.is_dsse) {
    bool ok = VerifySig(key, md, DssePae(b.payload_type, b.payload), b.signature);
    if (!ok && policy.allow_oms_compat_pae &&
        policy.mode == SigstorePolicy::Mode::kCertificateChain) {
      ok = VerifySig(key, EVP_sha256(), CompatPae(b.payload_type, b.payload), b.signature);
    }
    if (!ok) {
      Fail(fail, "sigstore.signature.invalid",
           "the DSSE signature does not verify over PAE(payloadType, payload)");
      return false;
    }
    return true;
  }
  bool ok = false;
  if (artifact.kind == SigstoreArtifact::Kind::kBytes) {
    ok = VerifySig(key, md, artifact.bytes, b.signature);
  } else if (artifact.kind == SigstoreArtifact::Kind::kSha256) {
    ok = md == EVP_sha256() && VerifyPrehashedSha256(key, artifact_sha256, b.signature);
  } else {
    Fail(fail, "sigstore.artifact.missing", "a message signature needs the artifact or its digest");
    return false;
  }
  if (!ok) {
    Fail(fail, "sigstore.signature.invalid",
         "the message signature does not verify over the artifact with the signing key");
    return false;
  }
  if (!b.message_digest.empty() && b.message_digest != artifact_sha256) {
    Fail(fail, "sigstore.bundle.message_digest",
         "the bundle's messageDigest differs from the artifact's SHA-256", Hex(artifact_sha256),
         Hex(b.message_digest));
    return false;
  }
  return true;
}

bool CheckDsseSubject(const ParsedBundle& b, std::string_view artifact_sha256, Finding* fail) {
  if (b.payload_type != kInTotoPayloadType) {
    Fail(fail, "sigstore.dsse.payload_type", "the DSSE payloadType is not in-toto",
         std::string(kInTotoPayloadType), b.payload_type);
    return false;
  }
  nlohmann::json st;
  if (internal::ParseJsonBounded(b.payload, limits::kMaxJsonDepth, &st) !=
          internal::JsonParseStatus::kOk ||
      !st.is_object()) {
    Fail(fail, "sigstore.dsse.statement", "the DSSE payload is not a JSON in-toto Statement");
    return false;
  }
  const std::string* type = internal::StringMember(st, "_type");
  auto subjects = st.find("subject");
  if (type == nullptr ||
      (*type != "https://in-toto.io/Statement/v1" &&
       *type != "https://in-toto.io/Statement/v0.1") ||
      subjects == st.end() || !subjects->is_array() || subjects->size() > limits::kMaxSubjects) {
    Fail(fail, "sigstore.dsse.statement",
         "the payload is not an in-toto Statement with a bounded subject list");
    return false;
  }
  const std::string want = Hex(artifact_sha256);
  for (const auto& s : *subjects) {
    auto digest = s.is_object() ? s.find("digest") : s.end();
    if (digest == s.end() || !digest->is_object()) continue;
    const std::string* got = internal::StringMember(*digest, "sha256");
    if (got == nullptr || got->size() != want.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < want.size() && eq; ++i) {
      eq = static_cast<char>(std::tolower(static_cast<unsigned char>((*got)[i]))) == want[i];
    }
    if (eq) return true;
  }
  Fail(fail, "sigstore.dsse.subject_mismatch",
       "no subject of the in-toto Statement has the artifact's sha256 digest", want);
  return false;
}

}  // namespace provbadge::verifier::sigstore
