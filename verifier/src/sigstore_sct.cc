// Step 2 (SCT, RFC 6962 §3.2): at least one embedded signed certificate timestamp of the leaf
// verifies with a CT log key of the trusted root whose validity contains the SCT time. The
// signed data covers the precertificate TBS (the leaf's TBS without the SCT extension) and
// SHA-256 of the issuer's SPKI. The SCT list (TLS encoding) is read by hand from the leaf's
// extension, bounded (limits::kMaxScts) and exactly framed.
#include "limits.h"
#include "sigstore_der.h"
#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

void PutInt(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// TLS reading: a big-endian integer of `n` octets, or an opaque<0..2^(8n)-1> vector.
bool TlsInt(std::string_view* in, size_t n, uint64_t* v) {
  if (in->size() < n) return false;
  *v = 0;
  for (size_t i = 0; i < n; ++i) *v = (*v << 8) | static_cast<unsigned char>((*in)[i]);
  in->remove_prefix(n);
  return true;
}
bool TlsVector(std::string_view* in, size_t n, std::string_view* out) {
  uint64_t len = 0;
  if (!TlsInt(in, n, &len) || len > in->size()) return false;
  *out = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

struct Sct {
  bool v1 = false;
  std::string_view log_id, extensions, signature;
  uint64_t timestamp = 0;
};

// SerializedSCT: v1 (version 0) is log_id[32], uint64 timestamp, extensions<0..2^16-1>,
// hash and signature algorithm octets, signature<0..2^16-1>; other versions are skipped.
bool ParseSct(std::string_view s, Sct* out) {
  if (s.empty()) return false;
  if (s[0] != 0) return true;
  s.remove_prefix(1);
  uint64_t algs = 0;
  if (s.size() < 32) return false;
  out->log_id = s.substr(0, 32);
  s.remove_prefix(32);
  out->v1 = TlsInt(&s, 8, &out->timestamp) && TlsVector(&s, 2, &out->extensions) &&
            TlsInt(&s, 2, &algs) && TlsVector(&s, 2, &out->signature) && s.empty() &&
            !out->signature.empty();
  return out->v1;
}

// RFC 6962 §3.2 precertificate TBS: the leaf's TBSCertificate with the SCT list extension
// removed and the enclosing lengths re-encoded.
std::string PrecertTbs(const LeafCertificate& leaf) {
  const size_t at = static_cast<size_t>(leaf.sct_extension.data() - leaf.extensions.data());
  std::string kept(leaf.extensions.substr(0, at));
  kept.append(leaf.extensions.substr(at + leaf.sct_extension.size()));
  if (kept.empty()) return "";
  std::string seq, wrapped, fields(leaf.tbs_before_ext), out;
  der::Put(&seq, der::kSequence, kept);
  der::Put(&wrapped, der::Explicit(3), seq);
  fields += wrapped;
  der::Put(&out, der::kSequence, fields);
  return out;
}

}  // namespace

bool VerifySct(const TrustedRoot::Impl& root, const LeafCertificate& leaf,
               std::string_view issuer_spki_sha256, Finding* fail) {
  std::string_view list = leaf.sct_list, entries;
  if (list.empty()) {
    Fail(fail, "sigstore.sct.missing", "the signing certificate has no embedded SCT");
    return false;
  }
  std::vector<Sct> scts;
  if (!TlsVector(&list, 2, &entries) || !list.empty() || entries.empty()) {
    Fail(fail, "sigstore.sct.invalid", "the embedded SCT list is malformed");
    return false;
  }
  while (!entries.empty()) {
    std::string_view one;
    Sct sct;
    if (scts.size() >= limits::kMaxScts) {
      Fail(fail, "sigstore.sct.too_many", "the signing certificate carries too many SCTs");
      return false;
    }
    if (!TlsVector(&entries, 2, &one) || !ParseSct(one, &sct)) {
      Fail(fail, "sigstore.sct.invalid", "an embedded SCT is malformed");
      return false;
    }
    scts.push_back(sct);
  }
  const std::string tbs = PrecertTbs(leaf);
  if (tbs.empty() || tbs.size() >= (1u << 24)) {
    Fail(fail, "sigstore.sct.invalid", "cannot rebuild the precertificate TBS");
    return false;
  }
  bool known_log = false;
  for (const Sct& sct : scts) {
    if (!sct.v1) continue;
    const CtLog* log = nullptr;
    for (const CtLog& l : root.ctlogs) {
      if (l.log_id == sct.log_id) log = &l;
    }
    if (log == nullptr) continue;
    known_log = true;
    if (!log->valid_for.Contains(static_cast<int64_t>(sct.timestamp / 1000))) continue;
    std::string data;
    data.reserve(tbs.size() + sct.extensions.size() + 64);
    data.push_back(0);  // v1
    data.push_back(0);  // certificate_timestamp
    PutInt(&data, sct.timestamp, 8);
    PutInt(&data, 1, 2);  // precert_entry
    data += issuer_spki_sha256;
    PutInt(&data, tbs.size(), 3);
    data += tbs;
    PutInt(&data, sct.extensions.size(), 2);
    data += sct.extensions;
    if (VerifySig(log->key.get(), EVP_sha256(), data, sct.signature)) return true;
  }
  Fail(fail, "sigstore.sct.invalid",
       known_log ? "no embedded SCT verifies with its CT log's key at its time"
                 : "no embedded SCT comes from a CT log of the trusted root");
  return false;
}

}  // namespace provbadge::verifier::sigstore
