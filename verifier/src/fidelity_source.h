// The source side of the fidelity check: config.json plus the safetensors tensors of a source
// revision (one model.safetensors, or the shards named by model.safetensors.index.json), each
// shard parsed strictly and kept open for streaming.
//
// Ownership: owns the readers it opens. Thread-safety: one thread at a time.
#ifndef PROVBADGE_VERIFIER_SRC_FIDELITY_SOURCE_H_
#define PROVBADGE_VERIFIER_SRC_FIDELITY_SOURCE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"
#include "provbadge/verifier/safetensors.h"

namespace provbadge::verifier::fidelity {

struct SourceShard {
  std::string path;
  std::unique_ptr<FileReader> reader;
  SafetensorsFile file;
};

struct SourceModel {
  std::string config_json;
  std::vector<SourceShard> shards;
  // tensor name -> (shard index, tensor)
  std::map<std::string, std::pair<size_t, const SafetensorsTensor*>> tensors;
};

// kInvalidInput "<code>: ..." for a malformed or incomplete source (codes fidelity.source_* and
// safetensors.*); kUnavailable / kNotFound passed through from the source.
Result<std::unique_ptr<SourceModel>> LoadSourceModel(RevisionSource& source);

}  // namespace provbadge::verifier::fidelity

#endif  // PROVBADGE_VERIFIER_SRC_FIDELITY_SOURCE_H_
