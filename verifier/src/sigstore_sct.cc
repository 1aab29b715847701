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

// --- minimal DER walking over the leaf's own bytes (already accepted by d2i_X509) -------
struct Tlv {
  unsigned char tag = 0;
  size_t header = 0;  // tag + length octets
  size_t length = 0;  // content length
  size_t size() const { return header + length; }
};

// One definite-length TLV at the start of `in` (low tag numbers only, lengths up to 2^32).
bool ReadTlv(std::string_view in, Tlv* t) {
  if (in.size() < 2 || (in[0] & 0x1f) == 0x1f) return false;
  t->tag = static_cast<unsigned char>(in[0]);
  const unsigned char first = static_cast<unsigned char>(in[1]);
  size_t len = first, pos = 2;
  if (first & 0x80) {
    const size_t n = first & 0x7f;
    if (n == 0 || n > 4 || in.size() < 2 + n) return false;  // no indefinite length
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<unsigned char>(in[2 + i]);
    pos = 2 + n;
  }
  if (len > in.size() - pos) return false;
  t->header = pos;
  t->length = len;
  return true;
}

void PutTlv(std::string* out, unsigned char tag, std::string_view content) {
  out->push_back(static_cast<char>(tag));
  const size_t len = content.size();
  if (len < 0x80) {
    out->push_back(static_cast<char>(len));
  } else {
    int n = 0;
    for (size_t v = len; v != 0; v >>= 8) ++n;
    out->push_back(static_cast<char>(0x80 | n));
    for (int i = n - 1; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
  out->append(content);
}

// DER of OID 1.3.6.1.4.1.11129.2.4.2 (embedded SCT list), tag and length included.
constexpr std::string_view kSctOid = "\x06\x0a\x2b\x06\x01\x04\x01\xd6\x79\x02\x04\x02";

// RFC 6962 §3.2 precertificate TBS: the leaf's TBSCertificate bytes with the (first) SCT list
// extension removed and the enclosing lengths re-encoded; taken from the certificate's own DER
// (no X509 copy and re-encoding). Empty when the DER does not have the expected shape.
std::string PrecertTbs(std::string_view cert_der) {
  Tlv cert, tbs;
  if (!ReadTlv(cert_der, &cert) || cert.tag != 0x30) return "";
  std::string_view body = cert_der.substr(cert.header, cert.length);
  if (!ReadTlv(body, &tbs) || tbs.tag != 0x30) return "";
  std::string_view fields = body.substr(tbs.header, tbs.length);
  std::string new_fields;
  new_fields.reserve(fields.size());
  bool removed = false;
  while (!fields.empty()) {
    Tlv f;
    if (!ReadTlv(fields, &f)) return "";
    const std::string_view whole = fields.substr(0, f.size());
    fields.remove_prefix(f.size());
    if (f.tag != 0xa3 || removed) {
      new_fields.append(whole);
      continue;
    }
    Tlv seq;  // [3] EXPLICIT SEQUENCE OF Extension
    std::string_view wrapped = whole.substr(f.header);
    if (!ReadTlv(wrapped, &seq) || seq.tag != 0x30 || seq.size() != wrapped.size()) return "";
    std::string_view exts = wrapped.substr(seq.header);
    std::string kept;
    kept.reserve(exts.size());
    while (!exts.empty()) {
      Tlv ext;
      if (!ReadTlv(exts, &ext) || ext.tag != 0x30) return "";
      const std::string_view e = exts.substr(0, ext.size());
      exts.remove_prefix(ext.size());
      if (!removed && e.substr(ext.header, kSctOid.size()) == kSctOid) {
        removed = true;
        continue;
      }
      kept.append(e);
    }
    if (kept.empty()) return "";
    std::string seq_out;
    PutTlv(&seq_out, 0x30, kept);
    PutTlv(&new_fields, 0xa3, seq_out);
  }
  if (!removed) return "";
  std::string out;
  PutTlv(&out, 0x30, new_fields);
  return out;
}

}  // namespace

bool VerifySct(const TrustedRoot::Impl& root, X509* leaf, std::string_view leaf_der,
               std::string_view issuer_spki_sha256, Finding* fail) {
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
  const std::string tbs = PrecertTbs(leaf_der);
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
