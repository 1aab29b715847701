// The unsigned lineage claims of a revision (hints for the badge, never verification): the
// model card's YAML front matter (base_model, base_model_relation) and GGUF
// general.base_model.* metadata.
//
// Thread-safety: reentrant.
#ifndef PROVBADGE_VERIFIER_SRC_NODE_CLAIMS_H_
#define PROVBADGE_VERIFIER_SRC_NODE_CLAIMS_H_

#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::verifier::internal {

struct Claims {
  bool quantization = false;  // base_model_relation: quantized, or GGUF general.base_model.*
  std::string base;           // the first hinted base repository ("org/name"), if any
};

// Reads the card front matter: "base_model" (a scalar, a "- item" list or a [a, b] flow list)
// and "base_model_relation". Anything else, or a card without front matter, claims nothing.
Claims ParseCardClaims(std::string_view readme);

// README.md and up to limits::kMaxClaimGgufFiles .gguf files of `files`. Only kUnavailable
// read errors are returned; every other problem just claims nothing.
Result<Claims> ReadClaims(RevisionSource& source, const std::vector<FileInfo>& files);

}  // namespace provbadge::verifier::internal

#endif  // PROVBADGE_VERIFIER_SRC_NODE_CLAIMS_H_
