// DsseSigner (EC / Ed25519 private keys via OpenSSL) and DSSE envelope parsing.
#include "provbadge/verifier/dsse_sign.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <nlohmann/json.hpp>

#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"

#include "json_util.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

constexpr size_t kMaxEnvelopeDepth = 16;
constexpr size_t kMaxSignatures = 16;

// Never prompts for a passphrase: an encrypted key is an error, not a terminal prompt.
int NoPassphrase(char*, int, int, void*) { return -1; }

Result<DsseSigner::Algorithm> AlgorithmOf(EVP_PKEY* pkey) {
  if (EVP_PKEY_base_id(pkey) == EVP_PKEY_ED25519) return DsseSigner::Algorithm::kEd25519;
  if (EVP_PKEY_base_id(pkey) != EVP_PKEY_EC) {
    return InvalidInput("the private key is neither an EC (P-256/P-384/P-521) nor an Ed25519 key");
  }
  std::array<char, 80> group{};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     &len) != 1) {
    return InvalidInput("the EC private key has no named curve");
  }
  const std::string_view name(group.data(), len);
  if (name == "prime256v1" || name == "P-256") return DsseSigner::Algorithm::kEcdsaP256;
  if (name == "secp384r1" || name == "P-384") return DsseSigner::Algorithm::kEcdsaP384;
  if (name == "secp521r1" || name == "P-521") return DsseSigner::Algorithm::kEcdsaP521;
  return InvalidInput("EC curve " + std::string(name) + " is not supported");
}

const EVP_MD* HashOf(DsseSigner::Algorithm algorithm) {
  switch (algorithm) {
    case DsseSigner::Algorithm::kEcdsaP256:
      return EVP_sha256();
    case DsseSigner::Algorithm::kEcdsaP384:
      return EVP_sha384();
    case DsseSigner::Algorithm::kEcdsaP521:
      return EVP_sha512();
    case DsseSigner::Algorithm::kEd25519:
      return nullptr;  // pure Ed25519 hashes internally
  }
  return nullptr;
}

}  // namespace

std::string_view DsseAlgorithmName(DsseSigner::Algorithm algorithm) {
  switch (algorithm) {
    case DsseSigner::Algorithm::kEcdsaP256:
      return "ecdsa-p256-sha256";
    case DsseSigner::Algorithm::kEcdsaP384:
      return "ecdsa-p384-sha384";
    case DsseSigner::Algorithm::kEcdsaP521:
      return "ecdsa-p521-sha512";
    case DsseSigner::Algorithm::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

Result<std::shared_ptr<const DsseSigner>> DsseSigner::FromPem(std::string_view private_pem,
                                                              std::string keyid) {
  if (private_pem.size() > (1 << 20)) return InvalidInput("the private key PEM is too large");
  BioPtr in(BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  PkeyPtr pkey(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  if (!pkey) {
    ERR_clear_error();
    return InvalidInput(
        "the private key PEM does not parse (expected an unencrypted PKCS#8 or SEC1 EC key, or "
        "a PKCS#8 Ed25519 key)");
  }
  Result<Algorithm> algorithm = AlgorithmOf(pkey.get());
  if (!algorithm.ok()) return algorithm.error();
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PUBKEY(out.get(), pkey.get()) != 1) {
    ERR_clear_error();
    return Internal("cannot derive the public key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  std::shared_ptr<DsseSigner> signer(new DsseSigner());
  signer->public_pem_.assign(data, static_cast<size_t>(len));
  signer->public_pem_hint_ = Sha256Hex(signer->public_pem_);
  signer->keyid_ = keyid.empty() ? signer->public_pem_hint_ : std::move(keyid);
  signer->algorithm_ = *algorithm;
  signer->pkey_ = pkey.release();
  return std::shared_ptr<const DsseSigner>(std::move(signer));
}

DsseSigner::~DsseSigner() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

Result<std::string> DsseSigner::Sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, HashOf(algorithm_), nullptr,
                         static_cast<EVP_PKEY*>(pkey_)) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size()) != 1) {
    ERR_clear_error();
    return Internal("signing could not start");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg,
                     message.size()) != 1) {
    ERR_clear_error();
    return Internal("signing failed");
  }
  sig.resize(len);
  return sig;
}

Result<std::string> DsseSigner::SignEnvelope(std::string_view payload_type,
                                             std::string_view payload) const {
  Result<std::string> sig = Sign(DssePae(payload_type, payload));
  if (!sig.ok()) return sig.error();
  json envelope = {{"payloadType", std::string(payload_type)},
                   {"payload", Base64Encode(payload)},
                   {"signatures", json::array({{{"keyid", keyid_}, {"sig", Base64Encode(*sig)}}})}};
  return envelope.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<DsseEnvelope> ParseDsseEnvelope(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return InvalidInput("the DSSE envelope is larger than " + std::to_string(max_bytes) + " bytes");
  }
  json doc;
  switch (internal::ParseJsonBounded(text, kMaxEnvelopeDepth, &doc)) {
    case internal::JsonParseStatus::kOk:
      break;
    case internal::JsonParseStatus::kTooDeep:
      return InvalidInput("the DSSE envelope is nested too deeply");
    case internal::JsonParseStatus::kInvalid:
      return InvalidInput("the DSSE envelope is not valid JSON");
  }
  if (!doc.is_object()) return InvalidInput("the DSSE envelope is not a JSON object");
  const std::string* type = internal::StringMember(doc, "payloadType");
  const std::string* payload = internal::StringMember(doc, "payload");
  if (type == nullptr || type->empty()) {
    return InvalidInput("the DSSE envelope has no payloadType string");
  }
  if (payload == nullptr) return InvalidInput("the DSSE envelope has no payload string");
  auto sigs = doc.find("signatures");
  if (sigs == doc.end() || !sigs->is_array() || sigs->empty()) {
    return InvalidInput("the DSSE envelope has no signatures");
  }
  if (sigs->size() > kMaxSignatures) {
    return InvalidInput("the DSSE envelope has more than " + std::to_string(kMaxSignatures) +
                        " signatures");
  }
  DsseEnvelope env;
  env.payload_type = *type;
  Result<std::string> raw = Base64Decode(*payload);
  if (!raw.ok()) return InvalidInput("the DSSE payload is not base64");
  env.payload = std::move(*raw);
  for (const json& s : *sigs) {
    if (!s.is_object()) return InvalidInput("a DSSE signature is not an object");
    const std::string* sig = internal::StringMember(s, "sig");
    if (sig == nullptr || sig->empty()) return InvalidInput("a DSSE signature has no sig");
    Result<std::string> sig_raw = Base64Decode(*sig);
    if (!sig_raw.ok() || sig_raw->empty()) return InvalidInput("a DSSE sig is not base64");
    const std::string* keyid = internal::StringMember(s, "keyid");
    env.signatures.push_back({keyid ? *keyid : "", std::move(*sig_raw)});
  }
  return env;
}

bool DsseSignedBy(const DsseEnvelope& envelope, const PublicKey& key) {
  const std::string pae = DssePae(envelope.payload_type, envelope.payload);
  for (const DsseEnvelope::Signature& s : envelope.signatures) {
    if (key.VerifyEcdsa(pae, s.sig)) return true;
  }
  return false;
}

}  // namespace provbadge::verifier
