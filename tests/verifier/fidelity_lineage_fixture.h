// Fidelity-in-the-chain fixture: an in-memory hub (LineageHub) whose parent org/tiny holds the
// safetensors source of ../shared/vectors/gguf (config.json, model.safetensors; a train step)
// and whose children hold one of that folder's GGUF files under a `quantize` step with
// externalParameters format=gguf. Provenance lines are made with the publisher tools
// (BuildProvenanceStatement + DsseSigner, as `provbadge attest` does) and model.sig with
// SignOmsKey, all with the hub's throwaway keys (acme publishes, ci builds).
//
// Ownership: the hub owns every revision. Thread-safety: single-threaded test use.
#ifndef PROVBADGE_TESTS_VERIFIER_FIDELITY_LINEAGE_FIXTURE_H_
#define PROVBADGE_TESTS_VERIFIER_FIDELITY_LINEAGE_FIXTURE_H_

#include <string>
#include <utility>
#include <vector>

#include "lineage_fixture.h"
#include "provbadge/verifier/attest.h"
#include "provbadge/verifier/dsse_sign.h"

namespace provbadge::testing {

inline std::string GgufVector(const std::string& name) {
  return ReadFileBytes(SharedDir() + "/vectors/gguf/" + name);
}

// Adds repo@commit with `files`, one provenance line for `input` (subjects = its weight files,
// hashed here) signed by the hub's builder, and model.sig by the hub's publisher.
inline void AddAttested(LineageHub& hub, const std::string& repo, const std::string& commit,
                        Files files, verifier::ProvenanceInput input) {
  MemorySource source(std::move(files));
  std::vector<std::string> weights;
  Result<std::vector<verifier::FileInfo>> listed = source.ListFiles();
  REQUIRE(listed.ok());
  for (const verifier::FileInfo& f : listed.value()) {
    if (verifier::IsWeightFile(f.path)) weights.push_back(f.path);
  }
  auto subjects = verifier::HashFiles(source, weights, 1);
  REQUIRE(subjects.ok());
  input.subjects = *subjects;
  input.invocation_id = "test-" + repo;
  input.started_on = "2026-01-01T00:00:00Z";
  auto statement = verifier::BuildProvenanceStatement(input);
  INFO((statement.ok() ? "" : statement.error().message()));
  REQUIRE(statement.ok());
  auto signer = verifier::DsseSigner::FromPem(hub.ci.private_pem);
  REQUIRE(signer.ok());
  auto line = (*signer)->SignEnvelope(verifier::kInTotoPayloadType, *statement);
  REQUIRE(line.ok());
  source.Set(std::string(verifier::kProvenanceFile), *line + "\n");
  auto sig = verifier::SignOmsKey(source, hub.acme.private_pem, repo, {});
  REQUIRE(sig.ok());
  source.Set("model.sig", *sig);
  hub.revisions[repo + "@" + commit] = std::move(source);
}

// org/tiny: the vectors' safetensors source, trained by ci. `config` replaces config.json.
inline std::string AddTinySource(LineageHub& hub, const std::string& config = "") {
  const std::string commit = CommitOf("org/tiny");
  verifier::ProvenanceInput train;
  train.build_type = verifier::BuildType::kTrain;
  train.params = {{"recipe", "synthetic"}};
  AddAttested(hub, "org/tiny", commit,
              {{"config.json", config.empty() ? GgufVector("config.json") : config},
               {"model.safetensors", GgufVector("model.safetensors")}},
              std::move(train));
  return commit;
}

// `repo`: `gguf_vector` (a file of vectors/gguf) as model.gguf, quantized from org/tiny@commit
// by a step whose externalParameters say `format` (empty: no format parameter).
inline std::string AddGgufChild(LineageHub& hub, const std::string& repo,
                                const std::string& gguf_vector, const std::string& tiny_commit,
                                const std::string& format = "gguf") {
  const std::string commit = CommitOf(repo);
  const MemorySource& parent = hub.Get("org/tiny", tiny_commit);
  verifier::ProvenanceInput quantize;
  quantize.build_type = verifier::BuildType::kQuantize;
  quantize.params = {{"method", "Q4_K_M"}, {"tool", "llama.cpp"}};
  if (!format.empty()) quantize.params.push_back({"format", format});
  verifier::ParentInput p;
  p.ref = {"org/tiny", tiny_commit};
  for (const char* path : {"config.json", "model.safetensors"}) {
    p.consumed.push_back({path, verifier::Sha256Hex(parent.Get(path))});
  }
  quantize.parents.push_back(std::move(p));
  AddAttested(hub, repo, commit, {{"model.gguf", GgufVector(gguf_vector)}}, std::move(quantize));
  return commit;
}

inline verifier::FidelityPolicy FidelityAlways() { return {verifier::FidelityMode::kAlways, 0}; }

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_VERIFIER_FIDELITY_LINEAGE_FIXTURE_H_
