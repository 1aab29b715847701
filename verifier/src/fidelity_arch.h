// The HF -> GGUF conversion rules per architecture (notes/quant.md §3.6): which source tensor
// each GGUF tensor comes from, the rotary Q/K permutation, and the hyper-parameters GGUF
// metadata must repeat from config.json. Table-driven: a new architecture is a new table
// entry in fidelity_arch.cc, not a change to the checker.
//
// Thread-safety: immutable tables; functions are reentrant.
#ifndef PROVBADGE_VERIFIER_SRC_FIDELITY_ARCH_H_
#define PROVBADGE_VERIFIER_SRC_FIDELITY_ARCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/gguf.h"
#include "provbadge/verifier/report.h"

namespace provbadge::verifier::fidelity {

// The parts of an HF config.json the conversion depends on.
struct ModelConfig {
  std::string model_type;
  std::vector<std::string> architectures;
  uint64_t n_head = 0, n_head_kv = 0, hidden = 0, ffn = 0, n_layer = 0, vocab = 0;
  bool tied_embeddings = false;
};

// kInvalidInput "fidelity.config_invalid: ..." when config.json is not a usable object.
Result<ModelConfig> ParseModelConfig(std::string_view json);

// Where one GGUF tensor comes from.
struct TensorOrigin {
  std::string source_name;
  int permute_heads = 0;  // 0: rows in source order; else the llama rotary permutation
  std::string transform;  // "none", "permute(n_head=4)", "tied(model.embed_tokens.weight)"
};

class ArchSpec;

// The conversion rules for the config's architecture, or nullptr when none is known (the
// check is then "unverifiable", not "failed").
const ArchSpec* FindArch(const ModelConfig& config);

// GGUF general.architecture the conversion writes ("llama").
std::string_view GgufArchName(const ArchSpec& arch);

// The origin of GGUF tensor `name`, or nullopt when the conversion never writes that name.
std::optional<TensorOrigin> MapTensor(const ArchSpec& arch, std::string_view name,
                                      const ModelConfig& config);

// Error findings for every hyper-parameter the GGUF metadata states differently from (or
// omits, when the conversion always writes it) config.json.
std::vector<Finding> CheckHyperParameters(const ArchSpec& arch, const GgufFile& gguf,
                                          const ModelConfig& config);

}  // namespace provbadge::verifier::fidelity

#endif  // PROVBADGE_VERIFIER_SRC_FIDELITY_ARCH_H_
