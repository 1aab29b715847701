// Step 3c: the log entry's body (canonicalizedBody) describes this bundle: kind and version
// equal kindVersion; the logged signature is the bundle's; the logged key or certificate is
// DER-equal to the bundle's signer (sigstore-js skips this); the logged digest is the
// artifact's (hashedrekord), SHA-256(PAE) (hashedrekord 0.0.2 over DSSE) or the payload
// hash (dsse 0.0.1; intoto 0.0.2 also the double-base64 payload and signature).

#include <openssl/err.h>
#include <openssl/pem.h>

#include "json_util.h"
#include "limits.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

using nlohmann::json;

const json& At(const json& j, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(k);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

std::string Str(const json& j) { return j.is_string() ? j.get<std::string>() : std::string(); }

std::string B64(const json& j) {
  std::string out;
  if (!j.is_string() || !StrictBase64Decode(j.get_ref<const std::string&>(), &out)) return "";
  return out;
}

// DER inside a PEM block (certificate or public key), from the body's base64 of the PEM.
std::string PemDer(const json& b64_pem) {
  const std::string pem = B64(b64_pem);
  if (pem.empty()) return "";
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  char *name = nullptr, *header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  std::string der;
  if (bio != nullptr && PEM_read_bio(bio, &name, &header, &data, &len) == 1) {
    der.assign(reinterpret_cast<char*>(data), static_cast<size_t>(len));
  }
  ERR_clear_error();
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  BIO_free(bio);
  return der;
}

struct Check {
  const ParsedBundle& b;
  std::string_view signer_der;
  std::string_view artifact_sha256;
  Finding* fail;
  bool Mismatch(const std::string& what) {
    Fail(fail, "sigstore.tlog.body_mismatch",
         "the transparency-log entry does not match the bundle: " + what);
    return false;
  }
  bool Artifact(std::string_view logged_raw) {
    if (artifact_sha256.empty()) return true;  // kNone: the caller binds the payload itself
    if (logged_raw == artifact_sha256) return true;
    Fail(fail, "sigstore.artifact.digest_mismatch",
         "the logged artifact digest is not the artifact's SHA-256", Hex(artifact_sha256),
         Hex(logged_raw));
    return false;
  }
};

bool HashedRekordV1(const json& spec, Check& c) {
  if (c.b.is_dsse) return c.Mismatch("hashedrekord 0.0.1 cannot log a DSSE envelope");
  if (Str(At(spec, {"data", "hash", "algorithm"})) != "sha256") return c.Mismatch("hash algorithm");
  if (B64(At(spec, {"signature", "content"})) != c.b.signature) return c.Mismatch("signature");
  if (PemDer(At(spec, {"signature", "publicKey", "content"})) != c.signer_der) {
    return c.Mismatch("the logged key or certificate is not the bundle's");
  }
  const std::string hex = Str(At(spec, {"data", "hash", "value"}));
  Result<std::string> logged = HexDecode(hex);
  if (!logged.ok() || logged->size() != 32)
    return c.Mismatch("the logged digest is not hex SHA-256");
  return c.Artifact(*logged);
}

bool HashedRekordV2(const json& spec, Check& c) {
  const json& v = At(spec, {"hashedRekordV002"});
  if (Str(At(v, {"data", "algorithm"})) != "SHA2_256") return c.Mismatch("hash algorithm");
  if (B64(At(v, {"signature", "content"})) != c.b.signature) return c.Mismatch("signature");
  const json& ver = At(v, {"signature", "verifier"});
  std::string logged_signer = B64(At(ver, {"x509Certificate", "rawBytes"}));
  if (logged_signer.empty()) logged_signer = B64(At(ver, {"publicKey", "rawBytes"}));
  if (logged_signer != c.signer_der)
    return c.Mismatch("the logged key or certificate is not the bundle's");
  const std::string digest = B64(At(v, {"data", "digest"}));
  if (c.b.is_dsse) {
    if (digest != Sha256(DssePae(c.b.payload_type, c.b.payload))) {
      return c.Mismatch("the logged digest is not SHA-256(PAE) of the envelope");
    }
    return true;
  }
  return c.Artifact(digest);
}

bool DsseV1(const json& spec, Check& c) {
  if (!c.b.is_dsse) return c.Mismatch("a dsse entry needs DSSE content");
  if (Str(At(spec, {"payloadHash", "value"})) != Hex(Sha256(c.b.payload))) {
    return c.Mismatch("payloadHash");
  }
  // envelopeHash is SHA-256 of the envelope bytes as the client submitted them (clients
  // serialise differently), so it is not a binding; payloadHash + signature + verifier are.
  const json& sigs = At(spec, {"signatures"});
  if (!sigs.is_array() || sigs.size() != 1) return c.Mismatch("signature count");
  if (B64(At(sigs[0], {"signature"})) != c.b.signature) return c.Mismatch("signature");
  if (PemDer(At(sigs[0], {"verifier"})) != c.signer_der) {
    return c.Mismatch("the logged key or certificate is not the bundle's");
  }
  return true;
}

bool IntotoV2(const json& spec, Check& c) {
  if (!c.b.is_dsse) return c.Mismatch("an intoto entry needs DSSE content");
  const json& env = At(spec, {"content", "envelope"});
  if (B64(At(env, {"payload"})) != c.b.payload_b64) return c.Mismatch("payload");
  if (Str(At(env, {"payloadType"})) != c.b.payload_type) return c.Mismatch("payloadType");
  if (Str(At(spec, {"content", "payloadHash", "value"})) != Hex(Sha256(c.b.payload))) {
    return c.Mismatch("payloadHash");
  }
  const json& sigs = At(env, {"signatures"});
  if (!sigs.is_array() || sigs.size() != 1) return c.Mismatch("signature count");
  if (B64(At(sigs[0], {"sig"})) != c.b.signature_b64) return c.Mismatch("signature");
  if (PemDer(At(sigs[0], {"publicKey"})) != c.signer_der) {
    return c.Mismatch("the logged key or certificate is not the bundle's");
  }
  return true;
}

}  // namespace

bool VerifyTlogBody(const TlogEntry& e, const ParsedBundle& b, std::string_view signer_der,
                    bool signer_is_cert, std::string_view artifact_sha256, Finding* fail) {
  (void)signer_is_cert;
  Check c{b, signer_der, artifact_sha256, fail};
  json body;
  if (internal::ParseJsonBounded(e.body, limits::kMaxJsonDepth, &body) !=
          internal::JsonParseStatus::kOk ||
      !body.is_object()) {
    return c.Mismatch("canonicalizedBody is not a JSON object");
  }
  if (Str(At(body, {"kind"})) != e.kind || Str(At(body, {"apiVersion"})) != e.version) {
    return c.Mismatch("kind/apiVersion differ from kindVersion");
  }
  const json& spec = At(body, {"spec"});
  const std::string kv = e.kind + "/" + e.version;
  if (kv == "hashedrekord/0.0.1") return HashedRekordV1(spec, c);
  if (kv == "hashedrekord/0.0.2") return HashedRekordV2(spec, c);
  if (kv == "dsse/0.0.1") return DsseV1(spec, c);
  if (kv == "intoto/0.0.2") return IntotoV2(spec, c);
  Fail(fail, "sigstore.tlog.kind_unsupported", "unsupported tlog entry kind", "", kv);
  return false;
}

}  // namespace provbadge::verifier::sigstore
