// Step 0: strict parsing of a Sigstore bundle (v0.1, v0.2, v0.3 in both spellings). Every
// base64 field is decoded strictly, every count of untrusted items is bounded and duplicates
// are rejected; nothing here is trusted yet.
#include <openssl/x509v3.h>

#include <set>

#include "json_util.h"
#include "limits.h"
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {

struct BundleDoc {
  nlohmann::json json;
};

namespace {

using internal::StringMember;
using nlohmann::json;

struct Ctx {
  Finding* fail;
  bool Err(std::string code, std::string msg) {
    Fail(fail, std::move(code), std::move(msg));
    return false;
  }
};

const json* Obj(const json& parent, const char* key) {
  auto it = parent.find(key);
  return it != parent.end() && it->is_object() ? &*it : nullptr;
}

bool B64(Ctx& c, const json& obj, const char* key, const std::string& where, size_t max,
         std::string* out, std::string_view* view = nullptr) {
  const std::string* s = StringMember(obj, key);
  if (s == nullptr) return c.Err("sigstore.bundle.invalid", where + "." + key + " is missing");
  if (s->size() / 4 * 3 > max) {
    return c.Err("sigstore.bundle.too_large", where + "." + key + " is larger than accepted");
  }
  if (!StrictBase64Decode(*s, out) || out->empty()) {
    return c.Err("sigstore.bundle.base64", where + "." + key + " is not valid base64");
  }
  if (view != nullptr) *view = *s;
  return true;
}

// protobuf JSON int64: a decimal string or a number.
std::optional<int64_t> Int64(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 19) return std::nullopt;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  int64_t n = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    n = n * 10 + (s[i] - '0');
  }
  return s[0] == '-' ? -n : n;
}

bool NonNegative(Ctx& c, const json& obj, const char* key, const std::string& where, bool required,
                 std::optional<int64_t>* out) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    return required ? c.Err("sigstore.bundle.invalid", where + "." + key + " is missing") : true;
  }
  auto v = Int64(*it);
  if (!v || *v < 0) {
    return c.Err("sigstore.bundle.log_index", where + "." + key + " is not a non-negative integer");
  }
  *out = v;
  return true;
}

bool ParseChain(Ctx& c, const json& vm, ParsedBundle* b) {
  const json* chain = Obj(vm, "x509CertificateChain");
  const json* certs = nullptr;
  if (chain != nullptr) {
    auto it = chain->find("certificates");
    if (it != chain->end() && it->is_array()) certs = &*it;
  }
  if (certs == nullptr || certs->empty()) {
    return c.Err("sigstore.bundle.certificate_chain", "x509CertificateChain has no certificates");
  }
  if (certs->size() > limits::kMaxCertChain) {
    return c.Err("sigstore.bundle.too_many", "x509CertificateChain has more than " +
                                                 std::to_string(limits::kMaxCertChain) +
                                                 " certificates");
  }
  for (const json& cert : *certs) {
    std::string der;
    if (!B64(c, cert, "rawBytes", "certificate", limits::kMaxTimestampBytes, &der)) return false;
    b->chain_der.push_back(std::move(der));
  }
  return true;
}

bool ParseMaterial(Ctx& c, const json& vm, const TrustedRoot::Impl* root, bool x509_leaf,
                   ParsedBundle* b) {
  const int count = (vm.contains("publicKey") ? 1 : 0) +
                    (vm.contains("x509CertificateChain") ? 1 : 0) +
                    (vm.contains("certificate") ? 1 : 0);
  if (count != 1) {
    return c.Err("sigstore.bundle.invalid",
                 "verificationMaterial needs exactly one of publicKey, x509CertificateChain, "
                 "certificate");
  }
  if (const json* pk = Obj(vm, "publicKey")) {
    b->material = ParsedBundle::Material::kPublicKey;
    if (const std::string* hint = StringMember(*pk, "hint")) b->key_hint = *hint;
    return true;
  }
  b->material = ParsedBundle::Material::kCertificate;
  if (vm.contains("certificate")) {
    const json* cert = Obj(vm, "certificate");
    std::string der;
    if (cert == nullptr) return c.Err("sigstore.bundle.invalid", "certificate is not an object");
    if (!B64(c, *cert, "rawBytes", "certificate", limits::kMaxTimestampBytes, &der)) return false;
    b->chain_der.push_back(std::move(der));
  } else if (!ParseChain(c, vm, b)) {
    return false;
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < b->chain_der.size(); ++i) {
    if (!seen.insert(b->chain_der[i]).second) {
      return c.Err("sigstore.bundle.duplicate", "the certificate chain repeats a certificate");
    }
    if (i == 0 && !x509_leaf) {  // keyless: parsed by hand (views into chain_der[0], final)
      std::string code, why;
      if (!ParseLeafCertificate(b->chain_der[0], &b->leaf, &code, &why)) return c.Err(code, why);
      b->chain.emplace_back();
      continue;
    }
    X509Ptr x;
    X509* known = (i > 0 && root != nullptr) ? FindRootCaCert(*root, b->chain_der[i]) : nullptr;
    if (known != nullptr && X509_up_ref(known) == 1) {
      x.reset(known);  // the trusted root's own parsed object (immutable, shared)
    } else {
      x = CertFromDer(b->chain_der[i]);
    }
    if (!x) return c.Err("sigstore.bundle.certificate", "a certificate is not valid DER X.509");
    if (i > 0 && X509_check_issued(x.get(), x.get()) == X509_V_OK) {
      return c.Err("sigstore.bundle.root_in_chain",
                   "the bundle carries a self-signed root certificate; trust anchors come only "
                   "from the trusted root");
    }
    b->chain.push_back(std::move(x));
  }
  return true;
}

bool ParseProof(Ctx& c, const json& p, TlogEntry* e) {
  InclusionProof proof;
  std::optional<int64_t> index, size;
  if (!NonNegative(c, p, "logIndex", "inclusionProof", true, &index) ||
      !NonNegative(c, p, "treeSize", "inclusionProof", true, &size) ||
      !B64(c, p, "rootHash", "inclusionProof", 64, &proof.root_hash)) {
    return false;
  }
  proof.log_index = *index;
  proof.tree_size = *size;
  auto hashes = p.find("hashes");
  if (hashes != p.end()) {
    if (!hashes->is_array()) return c.Err("sigstore.bundle.invalid", "inclusionProof.hashes");
    if (hashes->size() > limits::kMaxProofHashes) {
      return c.Err("sigstore.bundle.too_many", "inclusionProof has too many hashes");
    }
    for (const json& h : *hashes) {
      std::string raw;
      if (!h.is_string() || !StrictBase64Decode(h.get_ref<const std::string&>(), &raw)) {
        return c.Err("sigstore.bundle.base64", "an inclusionProof hash is not valid base64");
      }
      proof.hashes.push_back(std::move(raw));
    }
  }
  if (const json* cp = Obj(p, "checkpoint")) {
    const std::string* env = StringMember(*cp, "envelope");
    if (env == nullptr) return c.Err("sigstore.bundle.invalid", "checkpoint.envelope missing");
    if (env->size() > limits::kMaxCheckpointBytes) {
      return c.Err("sigstore.bundle.too_large", "the checkpoint is larger than accepted");
    }
    proof.has_checkpoint = true;
    proof.checkpoint = *env;
  }
  e->proof = std::move(proof);
  return true;
}

bool ParseEntry(Ctx& c, const json& j, int minor, TlogEntry* e) {
  if (!j.is_object()) return c.Err("sigstore.bundle.invalid", "a tlog entry is not an object");
  std::optional<int64_t> index, itime;
  if (!NonNegative(c, j, "logIndex", "tlogEntry", true, &index)) return false;
  e->log_index = *index;
  const json* id = Obj(j, "logId");
  if (id == nullptr) return c.Err("sigstore.bundle.invalid", "tlogEntry.logId is missing");
  if (!B64(c, *id, "keyId", "tlogEntry.logId", 64, &e->log_id)) return false;
  const json* kv = Obj(j, "kindVersion");
  const std::string* kind = kv ? StringMember(*kv, "kind") : nullptr;
  const std::string* version = kv ? StringMember(*kv, "version") : nullptr;
  if (kind == nullptr || version == nullptr) {
    return c.Err("sigstore.bundle.invalid", "tlogEntry.kindVersion is missing");
  }
  e->kind = *kind;
  e->version = *version;
  if (!NonNegative(c, j, "integratedTime", "tlogEntry", false, &itime)) return false;
  if (itime && *itime > 0) e->integrated_time = itime;
  if (const json* promise = Obj(j, "inclusionPromise")) {
    if (!B64(c, *promise, "signedEntryTimestamp", "inclusionPromise", 1024, &e->set)) return false;
  } else if (minor == 1) {
    return c.Err("sigstore.bundle.invalid", "a v0.1 bundle's tlog entry needs an inclusionPromise");
  }
  if (const json* proof = Obj(j, "inclusionProof")) {
    if (!ParseProof(c, *proof, e)) return false;
  }
  return B64(c, j, "canonicalizedBody", "tlogEntry", limits::kMaxTlogBodyBytes, &e->body,
             &e->body_b64);
}

bool ParseTlog(Ctx& c, const json& vm, ParsedBundle* b) {
  auto it = vm.find("tlogEntries");
  if (it == vm.end()) return true;
  if (!it->is_array()) return c.Err("sigstore.bundle.invalid", "tlogEntries is not an array");
  if (it->size() > limits::kMaxTlogEntries) {
    return c.Err("sigstore.bundle.too_many",
                 "more than " + std::to_string(limits::kMaxTlogEntries) + " tlog entries");
  }
  std::set<std::pair<std::string, int64_t>> seen;
  for (const json& j : *it) {
    TlogEntry e;
    if (!ParseEntry(c, j, b->minor_version, &e)) return false;
    if (!seen.emplace(e.log_id, e.log_index).second) {
      return c.Err("sigstore.bundle.duplicate", "two tlog entries name the same log and index");
    }
    b->tlog.push_back(std::move(e));
  }
  return true;
}

bool ParseTimestamps(Ctx& c, const json& vm, ParsedBundle* b) {
  const json* tvd = Obj(vm, "timestampVerificationData");
  if (tvd == nullptr) return true;
  auto it = tvd->find("rfc3161Timestamps");
  if (it == tvd->end()) return true;
  if (!it->is_array()) return c.Err("sigstore.bundle.invalid", "rfc3161Timestamps is not an array");
  if (it->size() > limits::kMaxTimestamps) {
    return c.Err("sigstore.bundle.too_many",
                 "more than " + std::to_string(limits::kMaxTimestamps) + " RFC 3161 timestamps");
  }
  std::set<std::string> seen;
  for (const json& t : *it) {
    std::string der;
    if (!t.is_object() ||
        !B64(c, t, "signedTimestamp", "rfc3161Timestamp", limits::kMaxTimestampBytes, &der)) {
      return t.is_object() ? false : c.Err("sigstore.bundle.invalid", "timestamp not an object");
    }
    if (!seen.insert(der).second) {
      return c.Err("sigstore.bundle.duplicate", "two RFC 3161 timestamps are identical");
    }
    b->timestamps.push_back(std::move(der));
  }
  return true;
}

bool ParseContent(Ctx& c, const json& doc, ParsedBundle* b) {
  const json* ms = Obj(doc, "messageSignature");
  const json* env = Obj(doc, "dsseEnvelope");
  if ((ms == nullptr) == (env == nullptr)) {
    return c.Err("sigstore.bundle.invalid",
                 "the bundle needs exactly one of messageSignature and dsseEnvelope");
  }
  if (ms != nullptr) {
    if (const json* md = Obj(*ms, "messageDigest")) {
      const std::string* alg = StringMember(*md, "algorithm");
      if (alg == nullptr || *alg != "SHA2_256") {
        return c.Err("sigstore.bundle.invalid", "messageDigest.algorithm is not SHA2_256");
      }
      if (!B64(c, *md, "digest", "messageDigest", 64, &b->message_digest)) return false;
    }
    return B64(c, *ms, "signature", "messageSignature", 4096, &b->signature, &b->signature_b64);
  }
  b->is_dsse = true;
  const std::string* type = StringMember(*env, "payloadType");
  if (type == nullptr) return c.Err("sigstore.bundle.invalid", "dsseEnvelope.payloadType missing");
  b->payload_type = *type;
  if (!B64(c, *env, "payload", "dsseEnvelope", limits::kMaxPayloadBytes, &b->payload,
           &b->payload_b64)) {
    return false;
  }
  auto sigs = env->find("signatures");
  if (sigs == env->end() || !sigs->is_array() || sigs->size() != limits::kMaxDsseSignatures) {
    return c.Err("sigstore.dsse.signature_count",
                 "a bundle's DSSE envelope needs exactly one signature");
  }
  return B64(c, (*sigs)[0], "sig", "dsseEnvelope.signatures[0]", 4096, &b->signature,
             &b->signature_b64);
}

int MinorVersion(const std::string& media) {
  if (media == "application/vnd.dev.sigstore.bundle+json;version=0.1") return 1;
  if (media == "application/vnd.dev.sigstore.bundle+json;version=0.2") return 2;
  if (media == "application/vnd.dev.sigstore.bundle+json;version=0.3" ||
      media == "application/vnd.dev.sigstore.bundle.v0.3+json") {
    return 3;
  }
  return 0;
}

}  // namespace

bool ParseSigstoreBundle(std::string_view text, const TrustedRoot::Impl* root, bool x509_leaf,
                         std::shared_ptr<BundleDoc>* doc_out, ParsedBundle* b, Finding* fail) {
  Ctx c{fail};
  if (text.size() > limits::kMaxBundleBytes) {
    return c.Err("sigstore.bundle.too_large", "the bundle is larger than accepted");
  }
  auto doc = std::make_shared<BundleDoc>();
  if (internal::ParseJsonBounded(text, limits::kMaxJsonDepth, &doc->json) !=
          internal::JsonParseStatus::kOk ||
      !doc->json.is_object()) {
    return c.Err("sigstore.bundle.json", "the bundle is not a valid JSON object");
  }
  const json& j = doc->json;
  const std::string* media = StringMember(j, "mediaType");
  b->minor_version = media ? MinorVersion(*media) : 0;
  if (b->minor_version == 0) {
    Fail(fail, "sigstore.bundle.media_type", "unknown Sigstore bundle mediaType",
         "application/vnd.dev.sigstore.bundle.v0.3+json (or v0.1-v0.3)",
         media ? *media : "<missing>");
    return false;
  }
  const json* vm = Obj(j, "verificationMaterial");
  if (vm == nullptr) return c.Err("sigstore.bundle.invalid", "verificationMaterial is missing");
  if (!ParseMaterial(c, *vm, root, x509_leaf, b) || !ParseTlog(c, *vm, b) ||
      !ParseTimestamps(c, *vm, b) || !ParseContent(c, j, b)) {
    return false;
  }
  *doc_out = std::move(doc);
  return true;
}

}  // namespace provbadge::verifier::sigstore
