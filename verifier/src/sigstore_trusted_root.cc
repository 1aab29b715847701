// trusted_root.json parsing: every key and certificate is decoded once into OpenSSL objects,
// every Fulcio/TSA chain's internal signatures are checked once, and a partial-chain
// X509_STORE is prepared per authority so each verification costs one signature check.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "json_util.h"
#include "limits.h"
#include "sigstore_internal.h"

namespace provbadge::verifier {
namespace sigstore {
namespace {

using nlohmann::json;

Error Bad(const std::string& where, const std::string& what) {
  return Error(ErrorCode::kInvalidInput, "trusted root: " + where + ": " + what);
}

Result<std::string> B64Field(const json& obj, const char* key, const std::string& where) {
  const std::string* s = internal::StringMember(obj, key);
  std::string out;
  if (s == nullptr || !StrictBase64Decode(*s, &out) || out.empty()) {
    return Bad(where + "." + key, "missing or not base64");
  }
  return out;
}

// validFor: start required; end optional; start <= end.
Result<TimeRange> ParseRange(const json& obj, const std::string& where) {
  auto it = obj.find("validFor");
  if (it == obj.end() || !it->is_object()) return Bad(where, "validFor missing");
  const std::string* start = internal::StringMember(*it, "start");
  if (start == nullptr) return Bad(where + ".validFor", "start missing");
  TimeRange r;
  auto s = ParseRfc3339(*start);
  if (!s) return Bad(where + ".validFor.start", "not an RFC 3339 time");
  r.start = *s;
  if (it->contains("end")) {
    const std::string* end = internal::StringMember(*it, "end");
    auto e = end ? ParseRfc3339(*end) : std::nullopt;
    if (!e) return Bad(where + ".validFor.end", "not an RFC 3339 time");
    if (*e < r.start) return Bad(where + ".validFor", "end before start");
    r.end = *e;
  }
  return r;
}

Result<PkeyPtr> ParseKey(const json& pk, const std::string& where) {
  auto raw = B64Field(pk, "rawBytes", where);
  if (!raw.ok()) return raw.error();
  const std::string* details = internal::StringMember(pk, "keyDetails");
  PkeyPtr key;
  if (details != nullptr && details->rfind("PKCS1_RSA", 0) == 0) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(raw->data());
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(raw->size())));
    ERR_clear_error();
  }
  if (!key) key = KeyFromSpkiDer(*raw);
  if (!key) return Bad(where + ".rawBytes", "not a public key");
  return key;
}

const json* Array(const json& root, const char* key, const std::string& where, Error* err) {
  auto it = root.find(key);
  if (it == root.end()) return nullptr;
  if (!it->is_array()) {
    *err = Bad(where + key, "not an array");
    return nullptr;
  }
  if (it->size() > limits::kMaxTrustedRootItems) {
    *err = Bad(where + key, "more than " + std::to_string(limits::kMaxTrustedRootItems) + " items");
    return nullptr;
  }
  return &*it;
}

Status ParseLogs(const json& root, bool ct, TrustedRoot::Impl* out) {
  const char* key = ct ? "ctlogs" : "tlogs";
  Error err(ErrorCode::kInvalidInput, "");
  const json* arr = Array(root, key, "", &err);
  if (arr == nullptr) return err.message().empty() ? Status() : Status(err);
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& log = (*arr)[i];
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    auto pk = log.find("publicKey");
    if (pk == log.end() || !pk->is_object()) return Bad(where, "publicKey missing");
    auto k = ParseKey(*pk, where + ".publicKey");
    if (!k.ok()) return k.error();
    auto range = ParseRange(*pk, where + ".publicKey");
    if (!range.ok()) return range.error();
    auto id = log.find("logId");
    if (id == log.end() || !id->is_object()) return Bad(where, "logId missing");
    auto log_id = B64Field(*id, "keyId", where + ".logId");
    if (!log_id.ok()) return log_id.error();
    if (ct) {
      out->ctlogs.push_back(CtLog{std::move(*log_id), std::move(*k), *range});
      continue;
    }
    TlogKey t;
    const std::string* url = internal::StringMember(log, "baseUrl");
    if (url == nullptr || url->empty()) return Bad(where, "baseUrl missing");
    t.base_url = *url;
    t.origin = UrlHost(*url);
    t.log_id = std::move(*log_id);
    if (auto cp = log.find("checkpointKeyId"); cp != log.end() && cp->is_object()) {
      auto cid = B64Field(*cp, "keyId", where + ".checkpointKeyId");
      if (!cid.ok()) return cid.error();
      t.checkpoint_key_id = std::move(*cid);
    }
    t.key = std::move(*k);
    t.valid_for = *range;
    out->tlogs.push_back(std::move(t));
  }
  return Status();
}

// Checks the chain's own signatures once (anchor self-signature excluded) and builds the
// partial-chain store whose trusted certificates are the chain's.
Status Prepare(Authority* a, const std::string& where, bool private_pki) {
  for (size_t i = 0; i + 1 < a->chain.size(); ++i) {
    EVP_PKEY* issuer_key = X509_get0_pubkey(a->chain[i + 1].get());
    if (issuer_key == nullptr || X509_verify(a->chain[i].get(), issuer_key) != 1) {
      ERR_clear_error();
      return Bad(where, "certificate " + std::to_string(i) + " is not signed by the next one");
    }
  }
  a->store.reset(X509_STORE_new());
  a->certs = sk_X509_new_null();
  if (!a->store || a->certs == nullptr) return Error(ErrorCode::kInternal, "out of memory");
  for (size_t i = 0; i < a->chain.size(); ++i) {
    X509* c = a->chain[i].get();
    if (X509_STORE_add_cert(a->store.get(), c) != 1 || X509_up_ref(c) != 1 ||
        sk_X509_push(a->certs, c) <= 0) {
      return Error(ErrorCode::kInternal, "out of memory");
    }
    auto nb = Asn1TimeToUnix(X509_get0_notBefore(c));
    auto na = Asn1TimeToUnix(X509_get0_notAfter(c));
    if (!nb || !na) return Bad(where, "certificate validity unreadable");
    a->cert_windows.emplace_back(*nb, *na);
    a->spki_sha256.push_back(Sha256(SpkiDer(X509_get0_pubkey(c))));
  }
  unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
  if (!private_pki) flags |= X509_V_FLAG_NO_CHECK_TIME;  // windows are checked per signing time
  X509_STORE_set_flags(a->store.get(), flags);
  PrepareLeafIssuers(a);
  a->usable = true;
  return Status();
}

struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

// A TSA's signing certificate (chain[0]) is validated once here, exactly as
// TS_RESP_verify_signature would per token (X509_verify_cert against the TSA's partial-chain
// store, purpose timestampSigning, times checked by hand per genTime); tokens are then checked
// against this validated chain without rebuilding it. A chain[0] that fails leaves the TSA
// unusable (every token it signs fails), as it did when checked per token.
Status PrepareTsaSigner(Authority* a) {
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  a->signer = sk_X509_new_null();
  if (!ctx || a->signer == nullptr || X509_up_ref(a->chain[0].get()) != 1) {
    return Error(ErrorCode::kInternal, "out of memory");
  }
  if (sk_X509_push(a->signer, a->chain[0].get()) <= 0) {
    X509_free(a->chain[0].get());
    return Error(ErrorCode::kInternal, "out of memory");
  }
  if (X509_STORE_CTX_init(ctx.get(), a->store.get(), a->chain[0].get(), a->certs) == 1) {
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_TIMESTAMP_SIGN);
    if (X509_verify_cert(ctx.get()) == 1) a->signer_chain = X509_STORE_CTX_get1_chain(ctx.get());
  }
  ERR_clear_error();
  return Status();
}

Status ParseAuthorities(const json& root, bool tsa, TrustedRoot::Impl* out) {
  const char* key = tsa ? "timestampAuthorities" : "certificateAuthorities";
  Error err(ErrorCode::kInvalidInput, "");
  const json* arr = Array(root, key, "", &err);
  if (arr == nullptr) return err.message().empty() ? Status() : Status(err);
  for (size_t i = 0; i < arr->size(); ++i) {
    const json& ca = (*arr)[i];
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    auto a = std::make_unique<Authority>();
    auto range = ParseRange(ca, where);
    if (!range.ok()) return range.error();
    a->valid_for = *range;
    auto chain = ca.find("certChain");
    const json* certs = nullptr;
    if (chain != ca.end() && chain->is_object()) {
      auto c = chain->find("certificates");
      if (c != chain->end() && c->is_array()) certs = &*c;
    }
    if (certs == nullptr || certs->empty() || certs->size() > limits::kMaxCertChain) {
      return Bad(where + ".certChain", "missing, empty or too long");
    }
    for (const json& c : *certs) {
      auto der = B64Field(c, "rawBytes", where + ".certChain");
      if (!der.ok()) return der.error();
      X509Ptr cert = CertFromDer(*der);
      if (!cert) return Bad(where + ".certChain", "not a DER certificate");
      a->chain.push_back(std::move(cert));
      a->chain_der.push_back(std::move(*der));
    }
    if (Status s = Prepare(a.get(), where, false); !s.ok()) return s;
    if (tsa) {
      if (Status s = PrepareTsaSigner(a.get()); !s.ok()) return s;
    }
    (tsa ? out->tsas : out->cas).push_back(std::move(a));
  }
  return Status();
}

}  // namespace

X509* FindRootCaCert(const TrustedRoot::Impl& root, std::string_view der) {
  for (const auto& ca : root.cas) {
    for (size_t i = 0; i < ca->chain_der.size(); ++i) {
      if (ca->chain_der[i] == der) return ca->chain[i].get();
    }
  }
  return nullptr;
}

Authority::~Authority() {
  if (certs != nullptr) sk_X509_pop_free(certs, X509_free);
  if (signer_chain != nullptr) sk_X509_pop_free(signer_chain, X509_free);
  if (signer != nullptr) sk_X509_pop_free(signer, X509_free);
}

}  // namespace sigstore

TrustedRoot::TrustedRoot(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrustedRoot::~TrustedRoot() = default;
size_t TrustedRoot::tlog_count() const { return impl_->tlogs.size(); }
size_t TrustedRoot::ca_count() const { return impl_->cas.size(); }
size_t TrustedRoot::ctlog_count() const { return impl_->ctlogs.size(); }
size_t TrustedRoot::tsa_count() const { return impl_->tsas.size(); }

Result<std::shared_ptr<const TrustedRoot>> TrustedRoot::FromJson(std::string_view text) {
  using nlohmann::json;
  if (text.size() > limits::kMaxTrustedRootBytes) return InvalidInput("trusted root: too large");
  json doc;
  if (internal::ParseJsonBounded(text, limits::kMaxJsonDepth, &doc) !=
          internal::JsonParseStatus::kOk ||
      !doc.is_object()) {
    return InvalidInput("trusted root: not a JSON object");
  }
  const json* root = &doc;
  const std::string* media = internal::StringMember(doc, "mediaType");
  if (media != nullptr && media->rfind("application/vnd.dev.sigstore.clienttrustconfig", 0) == 0) {
    auto it = doc.find("trustedRoot");
    if (it == doc.end() || !it->is_object()) return InvalidInput("trust config: no trustedRoot");
    root = &*it;
    media = internal::StringMember(*root, "mediaType");
  }
  if (media == nullptr || (*media != "application/vnd.dev.sigstore.trustedroot+json;version=0.1" &&
                           *media != "application/vnd.dev.sigstore.trustedroot.v0.1+json" &&
                           *media != "application/vnd.dev.sigstore.trustedroot.v0.2+json")) {
    return InvalidInput("trusted root: unknown mediaType " + (media ? *media : "<missing>"));
  }
  auto impl = std::make_unique<Impl>();
  for (Status s :
       {sigstore::ParseLogs(*root, false, impl.get()), sigstore::ParseLogs(*root, true, impl.get()),
        sigstore::ParseAuthorities(*root, false, impl.get()),
        sigstore::ParseAuthorities(*root, true, impl.get())}) {
    if (!s.ok()) return s.error();
  }
  return std::shared_ptr<const TrustedRoot>(new TrustedRoot(std::move(impl)));
}

Result<std::shared_ptr<const TrustedRoot>> TrustedRoot::FromCertificatePems(
    const std::vector<std::string>& pems) {
  auto impl = std::make_unique<Impl>();
  impl->private_pki = true;
  for (const std::string& pem : pems) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio == nullptr) return Internal("out of memory");
    size_t count = 0;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      if (++count > limits::kMaxTrustedRootItems) {
        X509_free(cert);
        BIO_free(bio);
        return InvalidInput("certificate chain: too many certificates");
      }
      auto a = std::make_unique<sigstore::Authority>();
      a->chain.emplace_back(cert);
      a->chain_der.push_back(sigstore::CertDer(cert));
      a->open_validity = true;
      if (Status s = sigstore::Prepare(a.get(), "certificate", true); !s.ok()) {
        BIO_free(bio);
        return s.error();
      }
      impl->cas.push_back(std::move(a));
    }
    ERR_clear_error();
    BIO_free(bio);
    if (count == 0) return InvalidInput("certificate chain: no PEM certificate found");
  }
  if (impl->cas.empty()) return InvalidInput("certificate chain: no certificate given");
  return std::shared_ptr<const TrustedRoot>(new TrustedRoot(std::move(impl)));
}

}  // namespace provbadge::verifier
