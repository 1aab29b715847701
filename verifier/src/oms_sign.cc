// OMS key-mode signing: statement, DSSE envelope and Sigstore bundle.
#include "provbadge/verifier/oms_sign.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/dsse.h"
#include "provbadge/verifier/oms.h"
#include "provbadge/verifier/public_key.h"

#include "oms_internal.h"

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

// The private key and its public half as a verifier PublicKey (for the curve and the hint).
struct SigningKey {
  PkeyPtr pkey;
  std::shared_ptr<const PublicKey> pub;
};

Result<SigningKey> LoadSigningKey(std::string_view pem) {
  BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) {
    ERR_clear_error();
    return InvalidInput("the private key PEM does not parse (encrypted keys are not supported)");
  }
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PUBKEY(out.get(), pkey.get()) != 1) {
    return Internal("cannot derive the public key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  auto pub = PublicKey::FromPem(std::string_view(data, static_cast<size_t>(len)));
  if (!pub.ok()) return pub.error().Wrap("signing key");
  return SigningKey{std::move(pkey), std::move(*pub)};
}

const EVP_MD* CurveHash(std::string_view curve) {
  if (curve == "P-384") return EVP_sha384();
  if (curve == "P-521") return EVP_sha512();
  return EVP_sha256();
}

Result<std::string> SignDer(const SigningKey& key, std::string_view message) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, CurveHash(key.pub->curve_name()), nullptr,
                         key.pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size()) != 1) {
    ERR_clear_error();
    return Internal("ECDSA signing could not start");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg,
                     message.size()) != 1) {
    ERR_clear_error();
    return Internal("ECDSA signing failed");
  }
  sig.resize(len);
  return sig;
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

Result<std::string> SignOmsKeyWithOptions(RevisionSource& source, std::string_view private_key_pem,
                                          std::string_view model_name,
                                          const OmsSignOptions& options) {
  Result<SigningKey> key = LoadSigningKey(private_key_pem);
  if (!key.ok()) return key.error();
  if (options.serialization.allow_symlinks) return InvalidInput("symbolic links are not signed");
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
  Result<std::string> sig = SignDer(*key, DssePae(kInTotoPayloadType, payload));
  if (!sig.ok()) return sig.error();
  json bundle = {
      {"mediaType", internal::kBundleMediaType},
      {"verificationMaterial",
       {{"publicKey", {{"hint", key->pub->pem_hint()}}}, {"tlogEntries", json::array()}}},
      {"dsseEnvelope",
       {{"payload", Base64Encode(payload)},
        {"payloadType", kInTotoPayloadType},
        {"signatures", json::array({{{"sig", Base64Encode(*sig)}, {"keyid", ""}}})}}}};
  return bundle.dump(4) + "\n";
}

}  // namespace provbadge::verifier
