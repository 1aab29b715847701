// trusted_root.json (verifier/sigstore_trusted_root.h TrustedRoot::FromJson): media types,
// ClientTrustConfig wrapping, tlogs / ctlogs with keys and validity intervals, certificate
// authorities and TSAs with certificate chains (RFC 3339 times, base64 DER, PEM-free keys).
// Invariant: an accepted root has at most the limit of items per list.
#include "fuzz_support.h"
#include "provbadge/common/limits.h"
#include "provbadge/verifier/sigstore_trusted_root.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provbadge;
  auto root = verifier::TrustedRoot::FromJson(fuzz::AsText(data, size));
  if (!root.ok()) return 0;
  const size_t max = limits::kMaxTrustedRootItems;
  fuzz::FuzzCheck((*root)->tlog_count() <= max && (*root)->ca_count() <= max &&
                      (*root)->ctlog_count() <= max && (*root)->tsa_count() <= max,
                  "a trusted root list above the limit");
  return 0;
}
