// The extensions of the Fulcio leaf certificate (see sigstore_leaf.h): each one at most once,
// every value exactly one DER structure, the known ones parsed, unknown critical ones recorded.
#include <vector>

#include "limits.h"
#include "sigstore_der.h"
#include "sigstore_leaf.h"

namespace provbadge::verifier::sigstore {
namespace {

using der::Tlv;
using namespace oid;  // NOLINT(build/namespaces): the OID table

// KeyUsage ::= BIT STRING; keyCertSign is bit 5.
bool KeyUsage(std::string_view value, LeafCertificate* out) {
  std::string_view content, bits;
  int unused = 0;
  if (!der::Only(value, der::kBitString, &content) || !der::BitString(content, &unused, &bits)) {
    return false;
  }
  if (!bits.empty() && (static_cast<unsigned char>(bits[0]) & 0x04)) out->is_ca = true;
  return true;
}

// BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
bool BasicConstraints(std::string_view value, LeafCertificate* out) {
  std::string_view seq;
  if (!der::Only(value, der::kSequence, &seq)) return false;
  Tlv t;
  bool ca = false;
  if (der::NextIs(seq, der::kBoolean)) {
    // DER omits a DEFAULT value, so an encoded cA is TRUE.
    if (!der::Expect(&seq, der::kBoolean, &t) || !der::Boolean(t.content, &ca) || !ca) return false;
    out->is_ca = true;
  }
  int64_t path_len = 0;
  if (!seq.empty() && (!der::Expect(&seq, der::kInteger, &t) ||
                       !der::SmallInteger(t.content, &path_len) || !seq.empty())) {
    return false;
  }
  return true;
}

// ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF OBJECT IDENTIFIER
bool ExtKeyUsage(std::string_view value, LeafCertificate* out) {
  std::string_view seq;
  if (!der::Only(value, der::kSequence, &seq) || seq.empty()) return false;
  for (size_t n = 0; !seq.empty(); ++n) {
    Tlv oid;
    if (n >= limits::kMaxCertExtensions || !der::Expect(&seq, der::kOid, &oid)) return false;
    if (oid.content == kCodeSigning) out->code_signing = true;
  }
  return true;
}

bool Ia5(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) > 0x7f) return false;
  }
  return true;
}

// One GeneralName; a usable identity when it is an rfc822Name [1], a URI [6] or an otherName
// [0] whose value is a UTF8String.
bool GeneralName(const Tlv& name, bool* usable, std::string_view* value) {
  *usable = false;
  if ((name.tag & 0xc0) != 0x80) return false;  // context-specific tags only
  if (name.tag == 0x81 || name.tag == 0x86) {
    if (!Ia5(name.content)) return false;
    *usable = true;
    *value = name.content;
    return true;
  }
  if (name.tag != der::Explicit(0)) return true;
  std::string_view other = name.content, utf8;
  Tlv type_id, wrapped;
  if (!der::Expect(&other, der::kOid, &type_id) ||
      !der::Expect(&other, der::Explicit(0), &wrapped) || !other.empty()) {
    return false;
  }
  *usable = der::Only(wrapped.content, der::kUtf8, &utf8);
  if (*usable) *value = utf8;
  return true;
}

// GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
bool SubjectAltName(LeafError& c, std::string_view value, LeafCertificate* out) {
  std::string_view seq;
  if (!der::Only(value, der::kSequence, &seq) || seq.empty()) return c.Err("subjectAltName");
  while (!seq.empty()) {
    Tlv name;
    bool usable = false;
    std::string_view v;
    if (!der::Read(&seq, &name) || !GeneralName(name, &usable, &v)) return c.Err("subjectAltName");
    if (++out->san_count > limits::kMaxSanEntries) {
      return c.Err("more subjectAltName entries than accepted", "sigstore.bundle.too_many");
    }
    out->san_usable = usable;
    out->san = v;
  }
  if (out->san_count != 1) out->san_usable = false;
  return true;
}

// AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OPTIONAL, ... }; the issuer name and
// serial forms are not accepted (Fulcio writes the key identifier only).
bool AuthorityKeyId(std::string_view value, LeafCertificate* out) {
  std::string_view seq;
  Tlv id;
  if (!der::Only(value, der::kSequence, &seq)) return false;
  if (seq.empty()) return true;
  if (!der::Expect(&seq, 0x80, &id) || !seq.empty() || id.content.empty()) return false;
  out->akid = id.content;
  return true;
}

// SignedCertificateTimestampList inside an OCTET STRING (RFC 6962 §3.3).
bool SctList(std::string_view value, LeafCertificate* out) {
  return der::Only(value, der::kOctetString, &out->sct_list) && !out->sct_list.empty();
}

// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
bool Extension(LeafError& c, const Tlv& ext, std::string_view* oid_out, LeafCertificate* out) {
  std::string_view body = ext.content;
  Tlv oid, crit, value;
  bool critical = false;
  if (ext.tag != der::kSequence || !der::Expect(&body, der::kOid, &oid) || oid.content.empty()) {
    return c.Err("an extension is not a SEQUENCE with an OID");
  }
  if (der::NextIs(body, der::kBoolean) && (!der::Expect(&body, der::kBoolean, &crit) ||
                                           !der::Boolean(crit.content, &critical) || !critical)) {
    return c.Err("an extension's critical flag is not DER (encoded FALSE)");
  }
  if (!der::Expect(&body, der::kOctetString, &value) || !body.empty()) {
    return c.Err("an extension value is not one OCTET STRING");
  }
  *oid_out = oid.content;
  const std::string_view id = oid.content, v = value.content;
  if (id == kKeyUsage) return KeyUsage(v, out) || c.Err("keyUsage");
  if (id == kBasicConstraints) return BasicConstraints(v, out) || c.Err("basicConstraints");
  if (id == kExtKeyUsage) return ExtKeyUsage(v, out) || c.Err("extKeyUsage");
  if (id == kSubjectAltName) return SubjectAltName(c, v, out);
  if (id == kProxyCertInfo) return c.Err("a proxy certificate is not accepted");
  if (id == kNetscapeCertType) {
    out->is_ca = true;  // treated as possibly a CA (X509_check_ca may say so)
    return true;
  }
  if (critical) {
    out->unhandled_critical = true;
    return true;
  }
  if (id == kAuthorityKeyId) return AuthorityKeyId(v, out) || c.Err("authorityKeyIdentifier");
  if (id == kSctList) {
    out->sct_extension = ext.whole;
    return SctList(v, out) || c.Err("the SCT list");
  }
  if (id == kFulcioIssuerV2) {
    out->has_issuer_v2 = true;
    out->issuer_v2_ok = der::Only(v, der::kUtf8, &out->issuer_v2);
  } else if (id == kFulcioIssuerV1) {
    out->has_issuer_v1 = true;
    out->issuer_v1 = v;
  }
  return true;
}

}  // namespace

bool ParseLeafExtensions(std::string_view exts, LeafCertificate* out, std::string* code,
                         std::string* why) {
  LeafError c{code, why};
  std::vector<std::string_view> seen;
  while (!exts.empty()) {
    Tlv ext;
    std::string_view oid;
    if (!der::Read(&exts, &ext)) return c.Err("truncated or not DER");
    if (seen.size() >= limits::kMaxCertExtensions) {
      return c.Err("more extensions than accepted", "sigstore.bundle.too_many");
    }
    if (!Extension(c, ext, &oid, out)) return false;
    for (std::string_view s : seen) {
      if (s == oid) return c.Err("an extension appears twice");
    }
    seen.push_back(oid);
  }
  return true;
}

}  // namespace provbadge::verifier::sigstore
