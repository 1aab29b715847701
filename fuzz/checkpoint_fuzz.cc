// Checkpoint signed notes (C2SP signed-note; verifier/src/sigstore_checkpoint.cc through
// sigstore::VerifyCheckpoint): origin, tree size, root hash, extension lines, the blank line,
// signature lines (log key, witness cosignatures). Input: one selector byte (which log of
// which trusted root the entry names: public-good Rekor v1 or the Rekor v2 staging root), then
// the note text. Invariant: no note verifies, because the inclusion proof it must match is
// empty (tree size 0, no root hash) and no fuzzed signature verifies anyway.
#include <memory>
#include <vector>

#include "fuzz_support.h"
#include "provbadge/verifier/sigstore_trusted_root.h"
#include "verifier/src/sigstore_internal.h"

namespace {

using namespace provbadge;

const std::vector<std::shared_ptr<const verifier::TrustedRoot>>& Roots() {
  static const auto roots = [] {
    std::vector<std::shared_ptr<const verifier::TrustedRoot>> out;
    for (const char* path : {"sigstore-conformance/public-good/trusted_root.json",
                             "sigstore-conformance/rekor2-happy-path/trusted_root.json"}) {
      auto parsed = verifier::TrustedRoot::FromJson(fuzz::ReadVector(path));
      fuzz::FuzzCheck(parsed.ok() && (*parsed)->tlog_count() > 0, "a trusted root vector");
      out.push_back(*parsed);
    }
    return out;
  }();
  return roots;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sigstore = verifier::sigstore;
  if (size == 0) return 0;
  const auto& roots = Roots();
  const verifier::TrustedRoot::Impl& root = roots[data[0] % roots.size()]->impl();
  const sigstore::TlogKey& log = root.tlogs[(data[0] / roots.size()) % root.tlogs.size()];
  sigstore::TlogEntry entry;
  entry.log_id = log.log_id;
  entry.proof.emplace();
  entry.proof->has_checkpoint = true;
  entry.proof->checkpoint = std::string(fuzz::AsText(data + 1, size - 1));
  verifier::Finding fail;
  bool verified = sigstore::VerifyCheckpoint(root, entry, &fail);
  fuzz::FuzzCheck(!verified, "a fuzzed checkpoint verified against an empty proof");
  fuzz::FuzzCheck(!fail.code.empty(), "a rejected checkpoint without a finding code");
  return 0;
}
