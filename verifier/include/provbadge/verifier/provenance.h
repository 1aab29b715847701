// provenance.intoto.jsonl: one signed in-toto Statement v1 with an SLSA Provenance v1 predicate
// per line (a DSSE envelope signed by a key identity, or a Sigstore bundle in key, keyless or
// certificate-chain mode). This header parses and verifies the lines of one revision; the
// conventions (buildTypes, externalParameters, dependency URIs) are in docs/provenance.md and
// the finding codes ("provenance.*") in docs/findings.md.
//
// Contract: fail closed. A step is returned in ProvenanceResult::steps only when its line's
// signature verified against an identity the policy allows as a builder of the repository and
// its statement parsed without an error finding. Nothing here throws; hostile input (huge,
// deep, malformed) becomes a specific finding within the bounds of verifier/src/limits.h.
// Thread-safety: reentrant; the policy and its identities are only read.
#ifndef PROVBADGE_VERIFIER_PROVENANCE_H_
#define PROVBADGE_VERIFIER_PROVENANCE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/attest.h"
#include "provbadge/verifier/manifest.h"
#include "provbadge/verifier/policy.h"
#include "provbadge/verifier/report.h"

namespace provbadge::verifier {

inline constexpr std::string_view kProvenanceFile = "provenance.intoto.jsonl";
inline constexpr std::string_view kSlsaProvenancePredicateType = "https://slsa.dev/provenance/v1";
inline constexpr std::string_view kInTotoStatementType = "https://in-toto.io/Statement/v1";

// The production steps (BuildType, BuildTypeName, BuildTypeUri) are declared in attest.h, the
// producer's side: buildDefinition.buildType "https://provbadge.dev/buildtypes/<name>/v1".
// False when `uri` is none of the five URIs (exact match).
bool ParseBuildTypeUri(std::string_view uri, BuildType* type);

// A parsed "hf://" URI: "hf://org/name@rev[/path]" or "hf://datasets/org/name@rev[/path]".
struct HfUri {
  bool dataset = false;
  std::string repo;      // "org/name"
  std::string revision;  // as written: a 40-hex commit when pinned, else a branch or tag
  std::string path;      // a file inside the revision, or empty
  bool pinned = false;   // revision is 40 lowercase hex digits
};
// kInvalidInput when `uri` is not of that shape (org and name non-empty, no "..", bounded).
Result<HfUri> ParseHfUri(std::string_view uri);

// One resolvedDependencies entry, classified.
struct ProvenanceDependency {
  enum class Kind { kParentModel, kParentFile, kDataset, kCode, kImage, kOther };
  Kind kind = Kind::kOther;
  std::string uri;
  std::string name;                           // optional ResourceDescriptor.name
  std::map<std::string, std::string> digest;  // algorithm -> hex, as signed
  HfUri hf;                                   // kParentModel / kParentFile / kDataset
};

struct ProvenanceSubject {
  std::string name;    // a path in the revision
  std::string sha256;  // lowercase hex
};

// One verified production step (one line of provenance.intoto.jsonl).
struct ProvenanceStep {
  int line = 0;  // 1-based line number in the file
  BuildType build_type = BuildType::kQuantize;
  std::string builder;  // the policy identity name whose signature verified
  std::vector<ProvenanceSubject> subjects;
  // externalParameters: string values as-is, other values as compact JSON.
  std::map<std::string, std::string> parameters;
  std::vector<ProvenanceDependency> dependencies;

  // The kParentModel dependencies, in order.
  std::vector<const ProvenanceDependency*> Parents() const;
  // The kParentFile dependencies of parent `repo`@`commit`.
  std::vector<const ProvenanceDependency*> ConsumedFiles(std::string_view repo,
                                                         std::string_view commit) const;
};

struct ProvenanceResult {
  std::vector<ProvenanceStep> steps;  // verified, parsed steps only
  std::vector<Finding> findings;      // errors, warnings and passed checks (kInfo)
  std::vector<std::string> builders;  // identity names that signed verified lines, unique
};

// Verifies the bytes of provenance.intoto.jsonl for `repo`: each line against
// policy.BuildersFor(repo), then its statement. Blank lines are skipped; duplicate lines are a
// finding. Subjects are NOT compared with files here (CheckProvenanceSubjects).
ProvenanceResult VerifyProvenanceFile(std::string_view contents, std::string_view repo,
                                      const TrustPolicy& policy);

// Verifies one line (the building block of VerifyProvenanceFile). Appends to `out`.
void VerifyProvenanceLine(std::string_view line, int line_number,
                          const std::vector<const Identity*>& builders, const TrustPolicy& policy,
                          ProvenanceResult* out);

// Parses an authenticated payload (in-toto Statement v1 + SLSA provenance v1) into `step`
// (line and builder left as given). Returns false, with error findings, when it is unusable.
bool ParseProvenanceStatement(std::string_view payload, ProvenanceStep* step,
                              std::vector<Finding>* findings);

// Compares every step's subjects with the revision's files through `manifest` (sha256 equal,
// file present), and checks that the subjects of all steps together cover every weight file.
// Appends findings; returns false when the manifest's listing failed (nothing compared).
bool CheckProvenanceSubjects(const std::vector<ProvenanceStep>& steps, Manifest& manifest,
                             std::vector<Finding>* findings);

// True for model weight files: .safetensors .gguf .bin .pt .pth .onnx .h5 .msgpack .ckpt.
bool IsWeightFile(std::string_view path);

// The Statement v1 JSON (compact) for `step` with predicate SLSA provenance v1: the inverse of
// ParseProvenanceStatement for producers (`provbadge attest`) and tests. Parameters whose value
// parses as a JSON object/array are embedded as JSON, the rest as strings.
std::string ProvenanceStatementJson(const ProvenanceStep& step);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_PROVENANCE_H_
