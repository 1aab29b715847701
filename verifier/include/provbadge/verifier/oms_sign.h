// Producing an OMS model signature (model.sig) in key mode: the publisher side of
// VerifyOmsKey, used by the demo generator, by publishers and by tests.
//
// Output: a Sigstore bundle v0.3 with publicKey.hint, a DSSE envelope and an in-toto
// Statement listing every non-ignored file (sorted by path, method "files", sha256) and the
// effective ignore_paths (the git defaults, model.sig and `ignore_paths`).
//
// Thread-safety: reentrant; the source must allow the calls RevisionSource documents.
#ifndef PROVBADGE_VERIFIER_OMS_SIGN_H_
#define PROVBADGE_VERIFIER_OMS_SIGN_H_

#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

// Signs the files of `source` with an EC (P-256/P-384/P-521) private key in PEM (PKCS#8 or
// SEC1). `model_name` becomes subject[0].name. Returns the bytes of model.sig.
// kInvalidInput for an unusable key or ignore path; source errors are passed through.
Result<std::string> SignOmsKey(RevisionSource& source, std::string_view private_key_pem,
                               std::string_view model_name,
                               const std::vector<std::string>& ignore_paths);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_OMS_SIGN_H_
