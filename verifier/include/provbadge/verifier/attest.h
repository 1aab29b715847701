// Building SLSA provenance statements for one production step (`provbadge attest`): the
// publisher side of the lineage check (README "Publishing a model with provenance").
//
// The statement is an in-toto Statement v1 with predicateType https://slsa.dev/provenance/v1:
//   subject: the produced files {"name": path in the model folder, "digest": {"sha256"}};
//   buildDefinition: buildType https://provbadge.dev/buildtypes/<type>/v1, externalParameters
//     from "k=v" (a dotted key nests: hyperparameters.lr=2e-5), resolvedDependencies = per
//     parent {"uri": "hf://org/name@<commit>", "digest": {"gitCommit"}} followed by one entry
//     per consumed parent file {"uri": "hf://org/name@<commit>/<path>", "digest": {"sha256"}},
//     then the other dependencies (datasets, code, images) as given;
//   runDetails: builder {id}, metadata {invocationId, startedOn}.
//
// Thread-safety: pure functions, except the hashing ones, which read through `source` (see
// RevisionSource); all are reentrant.
#ifndef PROVBADGE_VERIFIER_ATTEST_H_
#define PROVBADGE_VERIFIER_ATTEST_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier {

inline constexpr std::string_view kInTotoStatementV1 = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kSlsaProvenanceV1 = "https://slsa.dev/provenance/v1";
inline constexpr std::string_view kProvenanceFileName = "provenance.intoto.jsonl";
inline constexpr std::string_view kDefaultBuilderId = "https://provbadge.dev/builders/local/v1";

enum class BuildType { kTrain, kFinetune, kAdapter, kMerge, kQuantize };
// "train" | "finetune" | "adapter" | "merge" | "quantize"; kInvalidInput otherwise.
Result<BuildType> ParseBuildType(std::string_view name);
std::string_view BuildTypeName(BuildType type);
std::string BuildTypeUri(BuildType type);  // https://provbadge.dev/buildtypes/<name>/v1

// A model revision pinned by commit.
struct HfModelRef {
  std::string repo;    // "org/name"
  std::string commit;  // 40 lowercase hex
  std::string Uri() const { return "hf://" + repo + "@" + commit; }
};
// Parses "hf://org/name@<40-hex>". A branch or tag ("@main", "@v1") or a short commit is
// refused with a message that says why (the parent could move: a silent rebase).
Result<HfModelRef> ParseParentUri(std::string_view uri);

// An in-toto ResourceDescriptor with at most one digest.
struct Dependency {
  std::string uri;
  std::string digest_algorithm;  // "" | "sha256" | "gitCommit"
  std::string digest;            // lowercase hex
};
// "URI", "URI=sha256:<64 hex>" or "URI=gitCommit:<40 hex>" (URI has a scheme, no spaces).
Result<Dependency> ParseDependency(std::string_view arg);

struct FileDigest {
  std::string path;    // relative POSIX path
  std::string sha256;  // lowercase hex
};
// Every file of a parent revision except model.sig, provenance.intoto.jsonl and .git*
// entries, sorted by path, each hashed from its bytes (parallel, streaming). A symlink is an
// error. `threads` 0: hardware concurrency.
Result<std::vector<FileDigest>> HashParentFiles(RevisionSource& parent, unsigned threads = 0);
// The named files of `source`, hashed from their bytes, in the given order. kNotFound names a
// missing file; a duplicate or invalid path is kInvalidInput.
Result<std::vector<FileDigest>> HashFiles(RevisionSource& source,
                                          const std::vector<std::string>& paths,
                                          unsigned threads = 0);

struct ParentInput {
  HfModelRef ref;
  std::vector<FileDigest> consumed;  // files read from the parent
};

struct ProvenanceInput {
  BuildType build_type = BuildType::kQuantize;
  std::vector<FileDigest> subjects;
  std::vector<std::pair<std::string, std::string>> params;  // externalParameters, in order
  std::vector<ParentInput> parents;
  std::vector<Dependency> dependencies;
  std::string builder_id = std::string(kDefaultBuilderId);
  std::string invocation_id;  // required
  std::string started_on;     // RFC 3339 UTC, required
};

// Splits "key=value" (key: dot-separated [A-Za-z0-9_-]+ segments; value may be empty).
Result<std::pair<std::string, std::string>> ParseParam(std::string_view arg);

// Validates `input` and returns the statement as compact JSON. Rules: at least one subject,
// unique valid paths, 64-hex digests; parents: train none, finetune/adapter/quantize exactly
// one, merge at least two; every parent has at least one consumed file; params unique and not
// both a value and a prefix (a=1 with a.b=2); builder_id a URI. kInvalidInput otherwise.
Result<std::string> BuildProvenanceStatement(const ProvenanceInput& input);

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_ATTEST_H_
