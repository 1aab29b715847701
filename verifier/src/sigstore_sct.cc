// Step 2 (SCT, RFC 6962 §3.2): at least one embedded signed certificate timestamp of the leaf
// verifies with a CT log key of the trusted root whose validity contains the SCT time. The
// signed data covers the precertificate TBS (the leaf's TBS without the SCT extension) and
// SHA-256 of the issuer's SPKI.
#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "limits.h"
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

struct SctListFree {
  void operator()(STACK_OF(SCT) * s) const { SCT_LIST_free(s); }
};

void PutInt(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The leaf's TBSCertificate re-encoded without the SCT list extension.
std::string PrecertTbs(X509* leaf) {
  X509Ptr copy(X509_dup(leaf));
  if (!copy) return "";
  const int idx = X509_get_ext_by_NID(copy.get(), NID_ct_precert_scts, -1);
  if (idx >= 0) X509_EXTENSION_free(X509_delete_ext(copy.get(), idx));
  unsigned char* buf = nullptr;
  const int len = i2d_re_X509_tbs(copy.get(), &buf);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

}  // namespace

bool VerifySct(const TrustedRoot::Impl& root, X509* leaf, std::string_view issuer_spki_sha256,
               Finding* fail) {
  int crit = 0;
  std::unique_ptr<STACK_OF(SCT), SctListFree> scts(
      static_cast<STACK_OF(SCT)*>(X509_get_ext_d2i(leaf, NID_ct_precert_scts, &crit, nullptr)));
  ERR_clear_error();
  if (!scts || sk_SCT_num(scts.get()) <= 0) {
    Fail(fail, "sigstore.sct.missing", "the signing certificate has no embedded SCT");
    return false;
  }
  if (static_cast<size_t>(sk_SCT_num(scts.get())) > limits::kMaxScts) {
    Fail(fail, "sigstore.sct.too_many", "the signing certificate carries too many SCTs");
    return false;
  }
  const std::string tbs = PrecertTbs(leaf);
  if (tbs.empty() || tbs.size() >= (1u << 24)) {
    Fail(fail, "sigstore.sct.invalid", "cannot rebuild the precertificate TBS");
    return false;
  }
  bool known_log = false;
  for (int i = 0; i < sk_SCT_num(scts.get()); ++i) {
    SCT* sct = sk_SCT_value(scts.get(), i);
    if (SCT_get_version(sct) != SCT_VERSION_V1) continue;
    unsigned char* id = nullptr;
    const size_t id_len = SCT_get0_log_id(sct, &id);
    const CtLog* log = nullptr;
    for (const CtLog& l : root.ctlogs) {
      if (l.log_id.size() == id_len &&
          l.log_id.compare(0, id_len, reinterpret_cast<char*>(id), id_len) == 0) {
        log = &l;
      }
    }
    if (log == nullptr) continue;
    known_log = true;
    const uint64_t ts = SCT_get_timestamp(sct);
    if (!log->valid_for.Contains(static_cast<int64_t>(ts / 1000))) continue;
    unsigned char* ext = nullptr;
    const size_t ext_len = SCT_get0_extensions(sct, &ext);
    unsigned char* sig = nullptr;
    const size_t sig_len = SCT_get0_signature(sct, &sig);
    std::string data;
    data.reserve(tbs.size() + ext_len + 64);
    data.push_back(0);  // v1
    data.push_back(0);  // certificate_timestamp
    PutInt(&data, ts, 8);
    PutInt(&data, 1, 2);  // precert_entry
    data += issuer_spki_sha256;
    PutInt(&data, tbs.size(), 3);
    data += tbs;
    PutInt(&data, ext_len, 2);
    data.append(reinterpret_cast<char*>(ext), ext_len);
    if (VerifySig(log->key.get(), EVP_sha256(), data,
                  std::string_view(reinterpret_cast<char*>(sig), sig_len))) {
      return true;
    }
  }
  Fail(fail, "sigstore.sct.invalid",
       known_log ? "no embedded SCT verifies with its CT log's key at its time"
                 : "no embedded SCT comes from a CT log of the trusted root");
  return false;
}

}  // namespace provbadge::verifier::sigstore
