// PublicKey: EC SPKI parsing with OpenSSL, the OMS PEM hint, ECDSA verification.
#include "provbadge/verifier/public_key.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>

#include "provbadge/verifier/digest.h"

namespace provbadge::verifier {
namespace {

constexpr std::string_view kPemBegin = "-----BEGIN PUBLIC KEY-----";

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
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Maps OpenSSL's group name to the NIST curve name; empty when unsupported.
std::string NistCurve(std::string_view group) {
  if (group == "prime256v1" || group == "P-256") return "P-256";
  if (group == "secp384r1" || group == "P-384") return "P-384";
  if (group == "secp521r1" || group == "P-521") return "P-521";
  return "";
}

const EVP_MD* CurveHash(std::string_view curve) {
  if (curve == "P-384") return EVP_sha384();
  if (curve == "P-521") return EVP_sha512();
  return EVP_sha256();
}

bool Verify(EVP_PKEY* pkey, const EVP_MD* md, std::string_view message, std::string_view sig) {
  if (pkey == nullptr || sig.empty()) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey) != 1) return false;
  int rc =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();  // a failed verification leaves entries on the thread's error queue
  return rc == 1;
}

}  // namespace

Result<std::shared_ptr<const PublicKey>> PublicKey::FromPem(std::string_view pem) {
  size_t begin = pem.find(kPemBegin);
  if (begin == std::string_view::npos) return InvalidInput("no PEM PUBLIC KEY block found");
  std::string_view block = pem.substr(begin);
  BioPtr in(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
  if (!in) return Internal("out of memory");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr));
  if (!pkey) {
    ERR_clear_error();
    return InvalidInput("PEM PUBLIC KEY block does not parse as a public key");
  }
  if (EVP_PKEY_base_id(pkey.get()) != EVP_PKEY_EC) {
    return InvalidInput("public key is not an EC key (only P-256/P-384/P-521 are supported)");
  }
  std::array<char, 80> group{};
  size_t group_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                     group.size(), &group_len) != 1) {
    return InvalidInput("EC public key has no named curve");
  }
  std::string curve = NistCurve(std::string_view(group.data(), group_len));
  if (curve.empty()) {
    return InvalidInput("EC curve " + std::string(group.data(), group_len) +
                        " is not supported (only P-256/P-384/P-521)");
  }
  // The hint is over the PEM text exactly as OpenSSL re-encodes the SPKI.
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PUBKEY(out.get(), pkey.get()) != 1) {
    return Internal("cannot re-encode the public key as PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  std::shared_ptr<PublicKey> key(new PublicKey());
  key->pem_hint_ = Sha256Hex(std::string_view(data, static_cast<size_t>(len)));
  key->curve_ = std::move(curve);
  key->pkey_ = pkey.release();
  return std::shared_ptr<const PublicKey>(std::move(key));
}

PublicKey::~PublicKey() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }

bool PublicKey::VerifyEcdsa(std::string_view message, std::string_view der_signature) const {
  return Verify(static_cast<EVP_PKEY*>(pkey_), CurveHash(curve_), message, der_signature);
}

bool PublicKey::VerifyEcdsaSha256(std::string_view message, std::string_view der_signature) const {
  return Verify(static_cast<EVP_PKEY*>(pkey_), EVP_sha256(), message, der_signature);
}

}  // namespace provbadge::verifier
