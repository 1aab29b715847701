// Producing an OMS model signature (model.sig) in key or certificate mode: the publisher side
// of VerifyOmsKey / VerifyOmsBundle (certificate chain), used by `provbadge sign`, the demo
// generator and tests.
//
// Output: a Sigstore bundle v0.3 with publicKey.hint (key mode) or x509CertificateChain
// (certificate mode, leaf first, as model_signing writes it), a DSSE envelope and an in-toto
// Statement listing every non-ignored file (files or shards, sha256 or blake2b) and the
// effective ignore_paths (the git defaults, model.sig and `ignore_paths`).
//
// Thread-safety: reentrant; the source must allow the calls RevisionSource documents.
#ifndef PROVBADGE_VERIFIER_OMS_SIGN_H_
#define PROVBADGE_VERIFIER_OMS_SIGN_H_

#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/oms_manifest.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

// Signs the files of `source` with an EC (P-256/P-384/P-521) private key in PEM (PKCS#8 or
// SEC1). `model_name` becomes subject[0].name. Returns the bytes of model.sig.
// kInvalidInput for an unusable key or ignore path; source errors are passed through.
Result<std::string> SignOmsKey(RevisionSource& source, std::string_view private_key_pem,
                               std::string_view model_name,
                               const std::vector<std::string>& ignore_paths);

struct OmsSignOptions {
  std::vector<std::string> ignore_paths;
  // Method (files | shards), hash (sha256 | blake2b) and shard size. Shard resources carry
  // the plain hash name as algorithm (the spec's spelling). allow_symlinks must stay false.
  OmsSerialization serialization;
  unsigned threads = 0;  // digest engine threads; 0: hardware concurrency
};

// As SignOmsKey, with the serialization chosen by `options`. Resources are listed in the
// reference tool's order (OmsPathLess, then shard start).
Result<std::string> SignOmsKeyWithOptions(RevisionSource& source, std::string_view private_key_pem,
                                          std::string_view model_name,
                                          const OmsSignOptions& options);

// Certificate mode: as SignOmsKeyWithOptions, but the bundle carries the certificates of
// `certificate_chain_pem` (PEM, leaf first, then intermediates; at most 8) as
// verificationMaterial.x509CertificateChain. kInvalidInput when the leaf is not the
// certificate of `private_key_pem` or no certificate parses.
Result<std::string> SignOmsCertificate(RevisionSource& source, std::string_view private_key_pem,
                                       std::string_view certificate_chain_pem,
                                       std::string_view model_name, const OmsSignOptions& options);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_OMS_SIGN_H_
