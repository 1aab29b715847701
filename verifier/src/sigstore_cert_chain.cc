// Step 2 (certificate): the bundle's leaf chains to a certificate authority of the trusted
// root, and the leaf and that authority are valid at every verified signing time (the
// "hybrid model"). Chain signatures are checked once (X509_verify_cert against the
// authority's partial-chain store); validity windows are then compared per time by hand.
// The leaf must allow code signing. This X509 path serves certificate mode (private PKI
// chains, bundle intermediates allowed); keyless (Fulcio) leaves take the X509-free path of
// sigstore_leaf_chain.cc, which also rejects CA leaves.
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

struct CtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};

// Chains `leaf` to `ca`; on success returns true and SHA-256 of the issuer's SPKI.
bool ChainTo(const Authority& ca, X509* leaf, STACK_OF(X509) * untrusted, int64_t private_time,
             std::string* issuer_spki_sha256) {
  std::unique_ptr<X509_STORE_CTX, CtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), ca.store.get(), leaf, untrusted) != 1) return false;
  if (ca.open_validity) X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(private_time));
  const int rc = X509_verify_cert(ctx.get());
  bool ok = false;
  if (rc == 1) {
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
    X509* issuer = sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : nullptr;
    for (size_t i = 0; issuer != nullptr && i < ca.chain.size() && !ok; ++i) {
      if (X509_cmp(issuer, ca.chain[i].get()) == 0) {
        *issuer_spki_sha256 = ca.spki_sha256[i];
        ok = true;
      }
    }
    // Private PKI: the issuer may be a bundle intermediate below the anchor.
    if (!ok && issuer != nullptr) {
      *issuer_spki_sha256 = Sha256(SpkiDer(X509_get0_pubkey(issuer)));
      ok = true;
    }
  }
  ERR_clear_error();
  return ok;
}

bool ValidAt(const Authority& ca, X509* leaf, int64_t t) {
  auto nb = Asn1TimeToUnix(X509_get0_notBefore(leaf));
  auto na = Asn1TimeToUnix(X509_get0_notAfter(leaf));
  return nb && na && AuthorityValidAt(ca, *nb, *na, t);
}

}  // namespace

bool AuthorityValidAt(const Authority& ca, int64_t not_before, int64_t not_after, int64_t t) {
  if (t < not_before || t > not_after) return false;
  if (ca.open_validity) return true;
  if (!ca.valid_for.Contains(t)) return false;
  for (const auto& [b, a] : ca.cert_windows) {
    if (t < b || t > a) return false;
  }
  return true;
}

bool LeafUsageOk(bool code_signing, bool is_ca, Finding* fail) {
  if (!code_signing) {
    Fail(fail, "sigstore.cert.usage", "the signing certificate does not allow code signing");
    return false;
  }
  if (is_ca) {
    Fail(fail, "sigstore.cert.usage", "the signing certificate is a CA certificate");
    return false;
  }
  return true;
}

bool FailChain(bool chained, Finding* fail) {
  if (chained) {
    Fail(fail, "sigstore.cert.validity",
         "the signing certificate or its CA is not valid at the verified signing time");
  } else {
    Fail(fail, "sigstore.cert.chain",
         "the signing certificate does not chain to a certificate authority of the trusted root");
  }
  return false;
}

bool VerifyCertificateChain(const TrustedRoot::Impl& root, const ParsedBundle& b,
                            const std::vector<int64_t>& times, std::string* issuer_spki_sha256,
                            Finding* fail) {
  X509* leaf = b.chain[0].get();
  const bool code_signing = (X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) != 0 &&
                            (X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN) != 0;
  if (!LeafUsageOk(code_signing, false, fail)) return false;
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (size_t i = 1; untrusted && i < b.chain.size(); ++i) {
    sk_X509_push(untrusted.get(), b.chain[i].get());
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  bool chained = false;
  for (const auto& ca : root.cas) {
    const int64_t private_time = times.empty() ? now : times.front();
    if (!ChainTo(*ca, leaf, untrusted.get(), private_time, issuer_spki_sha256)) continue;
    chained = true;
    bool all = true;
    for (int64_t t : times) all = all && ValidAt(*ca, leaf, t);
    if (all) return true;
  }
  return FailChain(chained, fail);
}

}  // namespace provbadge::verifier::sigstore
