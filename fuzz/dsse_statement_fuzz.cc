// DSSE envelope + in-toto Statement as OMS model.sig carries them (verifier/src/oms_internal.h):
// the bundle's dsseEnvelope (payloadType, base64 payload, signatures, key material), then the
// decoded payload as an in-toto Statement v1 with the OMS predicate, and the shard layout.
// The signature check runs against a key made at start-up whose private half is discarded.
// Invariants: no signature verifies; a parsed statement has valid relative resource paths.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "fuzz_support.h"
#include "verifier/src/oms_internal.h"

namespace {

using namespace provbadge;

const verifier::PublicKey& UnforgeableKey() {
  static const auto key = [] {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    BIO* bio = BIO_new(BIO_s_mem());
    fuzz::FuzzCheck(pkey != nullptr && bio != nullptr && PEM_write_bio_PUBKEY(bio, pkey) == 1,
                    "cannot make the fuzz key");
    char* pem = nullptr;
    long len = BIO_get_mem_data(bio, &pem);
    auto parsed = verifier::PublicKey::FromPem(std::string(pem, static_cast<size_t>(len)));
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    fuzz::FuzzCheck(parsed.ok(), "the fuzz key does not parse");
    return *parsed;
  }();
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace internal = verifier::internal;
  verifier::Report report;
  internal::OmsBundle bundle;
  if (!internal::ParseBundle(fuzz::AsText(data, size), &bundle, &report)) {
    fuzz::FuzzCheck(report.FirstError() != nullptr, "a rejected envelope without an error");
    return 0;
  }
  fuzz::FuzzCheck(!internal::SignatureVerifies(bundle, UnforgeableKey()),
                  "a fuzzed DSSE signature verified");
  internal::OmsStatement statement;
  if (!internal::ParseStatement(bundle.payload, &statement, &report)) return 0;
  for (const internal::OmsResource& r : statement.resources) {
    fuzz::FuzzCheck(r.path == "." || internal::IsValidRelativePath(r.path),
                    "a resource path is not relative");
  }
  if (statement.shards) (void)internal::CheckShardLayout(statement, &report);
  return 0;
}
