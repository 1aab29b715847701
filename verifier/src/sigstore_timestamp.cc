// Step 1 (RFC 3161): a timestamp token over the signature bytes. The token must be granted,
// its message imprint must hash the signature, and its CMS signature must chain to a TSA of
// the trusted root (certificates embedded in the token confer no trust). genTime must lie in
// the TSA's validFor and in every TSA chain certificate's validity (checked at genTime, not
// now).
#include <openssl/err.h>
#include <openssl/ts.h>

#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

struct RespFree {
  void operator()(TS_RESP* r) const { TS_RESP_free(r); }
};
struct VerifyCtxFree {
  void operator()(TS_VERIFY_CTX* c) const { TS_VERIFY_CTX_free(c); }
};

// CMS signature + imprint + chain to this TSA (partial chain, no time check: done by hand).
bool TsaVerifies(TS_RESP* resp, const Authority& tsa, std::string_view signature) {
  std::unique_ptr<TS_VERIFY_CTX, VerifyCtxFree> ctx(TS_VERIFY_CTX_new());
  if (!ctx || X509_STORE_up_ref(tsa.store.get()) != 1) return false;
  TS_VERIFY_CTX_set_store(ctx.get(), tsa.store.get());
  TS_VERIFY_CTX_set_certs(ctx.get(), X509_chain_up_ref(tsa.certs));
  BIO* data = BIO_new_mem_buf(signature.data(), static_cast<int>(signature.size()));
  if (data == nullptr) return false;
  TS_VERIFY_CTX_set_data(ctx.get(), data);
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
  const int rc = TS_RESP_verify_response(ctx.get(), resp);
  ERR_clear_error();
  return rc == 1;
}

}  // namespace

bool VerifyRfc3161(const TrustedRoot::Impl& root, std::string_view der, std::string_view signature,
                   int64_t* gen_time, Finding* fail) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<TS_RESP, RespFree> resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())));
  if (!resp || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    Fail(fail, "sigstore.tsa.malformed", "an RFC 3161 timestamp is not a DER TimeStampResp");
    return false;
  }
  TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  auto t = info ? Asn1TimeToUnix(TS_TST_INFO_get_time(info)) : std::nullopt;
  if (!t) {
    Fail(fail, "sigstore.tsa.malformed", "the timestamp token has no readable genTime");
    return false;
  }
  const Authority* signer = nullptr;
  for (const auto& tsa : root.tsas) {
    if (TsaVerifies(resp.get(), *tsa, signature)) {
      signer = tsa.get();
      break;
    }
  }
  if (signer == nullptr) {
    Fail(fail, "sigstore.tsa.invalid",
         "the RFC 3161 timestamp does not verify: not granted, not over this signature, or not "
         "signed by a TSA of the trusted root");
    return false;
  }
  if (!signer->valid_for.Contains(*t)) {
    Fail(fail, "sigstore.tsa.validity",
         "genTime lies outside the TSA's validity in the trusted root", "", std::to_string(*t));
    return false;
  }
  for (const auto& [not_before, not_after] : signer->cert_windows) {
    if (*t < not_before || *t > not_after) {
      Fail(fail, "sigstore.tsa.certificate_validity",
           "genTime lies outside the validity of the TSA's certificate chain", "",
           std::to_string(*t));
      return false;
    }
  }
  *gen_time = *t;
  return true;
}

}  // namespace provbadge::verifier::sigstore
