// Sigstore bundle JSON (verifier/sigstore_verify.h VerifySigstoreBundle): media type,
// verification material (certificate, chain, key hint), tlog entries (inclusion proofs,
// checkpoints, SETs, canonicalized bodies), RFC 3161 timestamps, message signature or DSSE
// envelope + in-toto subjects, against the public-good trusted root in keyless mode.
// Invariant: nothing verifies, since no input can carry a certificate for the fuzz identity.
#include <memory>

#include "fuzz_support.h"
#include "provbadge/verifier/sigstore_trusted_root.h"
#include "provbadge/verifier/sigstore_verify.h"

namespace {

using namespace provbadge;

const verifier::TrustedRoot& Root() {
  static const auto root = [] {
    auto parsed = verifier::TrustedRoot::FromJson(
        fuzz::ReadVector("sigstore-conformance/public-good/trusted_root.json"));
    fuzz::FuzzCheck(parsed.ok(), "the public-good trusted root does not parse");
    return *parsed;
  }();
  return *root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  verifier::SigstorePolicy policy;
  policy.identity = "fuzz@provbadge.invalid";
  policy.issuer = "https://fuzz.provbadge.invalid";
  // The conformance vectors sign a.txt; its digest lets message-signature seeds go deep.
  static const auto artifact =
      verifier::SigstoreArtifact::FromDigestString(
          "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf")
          .value();
  verifier::SigstoreOutcome outcome =
      verifier::VerifySigstoreBundle(fuzz::AsText(data, size), &Root(), artifact, policy);
  fuzz::FuzzCheck(!outcome.verified, "a fuzzed bundle verified for the fuzz identity");
  fuzz::FuzzCheck(outcome.FirstError() != nullptr, "a rejected bundle without an error finding");
  return 0;
}
