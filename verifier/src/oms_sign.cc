// OMS signing (key and certificate mode): statement, DSSE signature and Sigstore bundle.
#include "provbadge/verifier/oms_sign.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/dsse_sign.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/public_key.h"

#include "oms_internal.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

constexpr size_t kMaxChainCertificates = 8;

// OMS key and certificate mode sign with an EC key (the verifier's PublicKey is EC only).
Result<std::shared_ptr<const DsseSigner>> LoadOmsSigner(std::string_view pem) {
  auto signer = DsseSigner::FromPem(pem, "");
  if (!signer.ok()) return signer.error();
  if (!(*signer)->is_ec()) {
    return InvalidInput("OMS signatures need an EC (P-256/P-384/P-521) key, not Ed25519");
  }
  return signer;
}

// The certificates of `pem` as DER, in order; the first one's key must be `signer`'s.
Result<std::vector<std::string>> ChainDer(std::string_view pem, const DsseSigner& signer) {
  BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!in) return Internal("out of memory");
  std::vector<std::string> der;
  while (X509Ptr cert{PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)}) {
    if (der.size() == kMaxChainCertificates) {
      return InvalidInput("the certificate chain has more than " +
                          std::to_string(kMaxChainCertificates) + " certificates");
    }
    if (der.empty()) {
      BioPtr pub(BIO_new(BIO_s_mem()));
      char* data = nullptr;
      if (!pub || PEM_write_bio_PUBKEY(pub.get(), X509_get0_pubkey(cert.get())) != 1) {
        ERR_clear_error();
        return InvalidInput("the leaf certificate has no usable public key");
      }
      const long len = BIO_get_mem_data(pub.get(), &data);
      if (std::string_view(data, static_cast<size_t>(len)) != signer.public_pem()) {
        return InvalidInput(
            "the first certificate of the chain (the leaf) is not for the signing key");
      }
    }
    unsigned char* buf = nullptr;
    const int len = i2d_X509(cert.get(), &buf);
    if (len <= 0) {
      ERR_clear_error();
      return InvalidInput("a certificate of the chain does not encode as DER");
    }
    der.emplace_back(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
    OPENSSL_free(buf);
  }
  ERR_clear_error();  // the loop ends on "no start line"
  if (der.empty()) return InvalidInput("no PEM CERTIFICATE found in the certificate chain");
  return der;
}

std::string StatementJson(std::string_view model_name, const std::vector<OmsManifestItem>& items,
                          const OmsSerialization& ser, const std::vector<std::string>& ignores) {
  json resources = json::array();
  for (const OmsManifestItem& item : items) {
    resources.push_back({{"name", item.name},
                         {"algorithm", std::string(HashAlgorithmName(ser.hash))},
                         {"digest", item.digest}});
  }
  json serialization = {{"method", ser.shards ? "shards" : "files"},
                        {"hash_type", std::string(HashAlgorithmName(ser.hash))},
                        {"allow_symlinks", false},
                        {"ignore_paths", ignores}};
  if (ser.shards) serialization["shard_size"] = ser.shard_size;
  json statement = {
      {"_type", internal::kStatementType},
      {"subject",
       json::array({{{"name", model_name}, {"digest", {{"sha256", OmsRootDigest(items)}}}}})},
      {"predicateType", internal::kOmsPredicateType},
      {"predicate",
       {{"resources", std::move(resources)}, {"serialization", std::move(serialization)}}}};
  return statement.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Result<std::string> SignOmsKey(RevisionSource& source, std::string_view private_key_pem,
                               std::string_view model_name,
                               const std::vector<std::string>& ignore_paths) {
  OmsSignOptions options;
  options.ignore_paths = ignore_paths;
  return SignOmsKeyWithOptions(source, private_key_pem, model_name, options);
}

namespace {

// Statement, DSSE signature and Sigstore bundle with the given verification material.
Result<std::string> SignOmsBundle(RevisionSource& source, const DsseSigner& signer,
                                  json verification_material, std::string_view model_name,
                                  const OmsSignOptions& options) {
  if (options.serialization.allow_symlinks) return InvalidInput("symbolic links are not signed");
  if (options.serialization.shards && options.serialization.shard_size == 0) {
    return InvalidInput("the shard size must be positive");
  }
  std::vector<std::string> ignores = internal::DefaultIgnorePaths();
  ignores.emplace_back(kModelSignatureFile);
  for (const std::string& p : options.ignore_paths) {
    if (!internal::IsValidRelativePath(p))
      return InvalidInput("ignore path '" + p + "' is invalid");
    if (std::find(ignores.begin(), ignores.end(), p) == ignores.end()) ignores.push_back(p);
  }
  ManifestOptions mo;
  mo.rehash = RehashMode::kAlways;  // a signer vouches for bytes it read itself
  mo.threads = options.threads;
  Manifest manifest(source, mo);
  auto items = SerializeOms(manifest, options.serialization, ignores);
  if (!items.ok()) return items.error();
  for (const OmsManifestItem& item : *items) {
    if (!internal::IsValidRelativePath(item.path))
      return InvalidInput("file path '" + item.path + "' is invalid");
  }
  std::string payload = StatementJson(model_name, *items, options.serialization, ignores);
  Result<std::string> sig = signer.Sign(DssePae(kInTotoPayloadType, payload));
  if (!sig.ok()) return sig.error();
  verification_material["tlogEntries"] = json::array();
  json bundle = {{"mediaType", internal::kBundleMediaType},
                 {"verificationMaterial", std::move(verification_material)},
                 {"dsseEnvelope",
                  {{"payload", Base64Encode(payload)},
                   {"payloadType", kInTotoPayloadType},
                   {"signatures", json::array({{{"sig", Base64Encode(*sig)}, {"keyid", ""}}})}}}};
  return bundle.dump(4) + "\n";
}

}  // namespace

Result<std::string> SignOmsKeyWithOptions(RevisionSource& source, std::string_view private_key_pem,
                                          std::string_view model_name,
                                          const OmsSignOptions& options) {
  auto signer = LoadOmsSigner(private_key_pem);
  if (!signer.ok()) return signer.error();
  json material = {{"publicKey", {{"hint", (*signer)->public_pem_hint()}}}};
  return SignOmsBundle(source, **signer, std::move(material), model_name, options);
}

Result<std::string> SignOmsCertificate(RevisionSource& source, std::string_view private_key_pem,
                                       std::string_view certificate_chain_pem,
                                       std::string_view model_name, const OmsSignOptions& options) {
  auto signer = LoadOmsSigner(private_key_pem);
  if (!signer.ok()) return signer.error();
  auto chain = ChainDer(certificate_chain_pem, **signer);
  if (!chain.ok()) return chain.error();
  json certificates = json::array();
  for (const std::string& der : *chain) certificates.push_back({{"rawBytes", Base64Encode(der)}});
  json material = {{"x509CertificateChain", {{"certificates", std::move(certificates)}}}};
  return SignOmsBundle(source, **signer, std::move(material), model_name, options);
}

}  // namespace provbadge::verifier
