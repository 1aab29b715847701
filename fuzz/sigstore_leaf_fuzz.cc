// Keyless leaf certificates parsed without OpenSSL's X509 (verifier/src/sigstore_leaf.h
// ParseLeafCertificate): the strict DER reader, TBSCertificate fields, public key, extensions
// (SAN, EKU, key usage, basic constraints, AKID, SCT list, Fulcio issuer OIDs). Input: one DER
// certificate. Invariants: a rejected input names a finding code; an accepted one has a public
// key, and every view it returns lies inside the input.
#include <string>

#include "fuzz_support.h"
#include "verifier/src/sigstore_internal.h"

namespace {

bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sigstore = provbadge::verifier::sigstore;
  const std::string der(reinterpret_cast<const char*>(data), size);
  sigstore::LeafCertificate leaf;
  std::string code, why;
  if (!sigstore::ParseLeafCertificate(der, &leaf, &code, &why)) {
    provbadge::fuzz::FuzzCheck(!code.empty() && !why.empty(), "a rejection without a code");
    return 0;
  }
  provbadge::fuzz::FuzzCheck(leaf.key != nullptr && !leaf.tbs.empty(),
                             "an accepted leaf lacks a key");
  for (std::string_view v :
       {leaf.tbs, leaf.tbs_before_ext, leaf.extensions, leaf.sct_extension, leaf.sct_list,
        leaf.signature, leaf.issuer, leaf.akid, leaf.san, leaf.issuer_v1, leaf.issuer_v2}) {
    provbadge::fuzz::FuzzCheck(Inside(v, der), "a leaf view points outside the input");
  }
  return 0;
}
