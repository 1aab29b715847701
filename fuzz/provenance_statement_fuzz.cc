// SLSA provenance (verifier/provenance.h): an authenticated in-toto Statement v1 with an SLSA
// Provenance v1 predicate as ParseProvenanceStatement reads it (buildType, externalParameters,
// resolvedDependencies with hf:// URIs, subjects), or, when the first byte is odd, one hf://
// URI for ParseHfUri. Invariants: a parsed step's parents are parsed hf:// URIs of model repos
// and it round-trips through ProvenanceStatementJson.
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "provbadge/verifier/provenance.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provbadge;
  if (size == 0) return 0;
  std::string_view text = fuzz::AsText(data + 1, size - 1);
  if (data[0] & 1) {
    auto uri = verifier::ParseHfUri(text);
    if (uri.ok()) fuzz::FuzzCheck(!uri->repo.empty(), "an hf:// URI without a repo");
    return 0;
  }
  verifier::ProvenanceStep step;
  std::vector<verifier::Finding> findings;
  if (!verifier::ParseProvenanceStatement(text, &step, &findings)) return 0;
  for (const verifier::ProvenanceDependency* parent : step.Parents()) {
    fuzz::FuzzCheck(!parent->hf.dataset && !parent->hf.repo.empty(), "a parent is not a model");
  }
  verifier::ProvenanceStep again;
  std::vector<verifier::Finding> again_findings;
  fuzz::FuzzCheck(verifier::ParseProvenanceStatement(verifier::ProvenanceStatementJson(step),
                                                     &again, &again_findings),
                  "a parsed provenance statement does not survive a round trip");
  return 0;
}
