// Architecture tables for the fidelity check (fidelity_arch.h).
#include "fidelity_arch.h"

#include <array>
#include <charconv>
#include <span>

#include <nlohmann/json.hpp>

namespace provbadge::verifier::fidelity {

enum class Permute { kNone, kQ, kK };

// One renaming rule: GGUF `gguf` <- HF `hf`. In block rules "{}" stands for the layer index.
struct NameRule {
  std::string_view gguf;
  std::string_view hf;
  Permute permute = Permute::kNone;
};

// A hyper-parameter GGUF writes as "<arch>.<key>" from a config.json field.
enum class Hparam { kLayers, kHidden, kFfn, kHeads, kHeadsKv };
struct HparamRule {
  std::string_view key;
  Hparam field;
};

class ArchSpec {
 public:
  std::string_view gguf_arch;
  std::span<const std::string_view> hf_architectures;
  std::span<const NameRule> global_rules;
  std::span<const NameRule> block_rules;
  std::span<const HparamRule> hparams;
};

namespace {

// LlamaModel in convert_hf_to_gguf.py (also Mistral-style checkpoints with model_type llama).
constexpr std::array<std::string_view, 2> kLlamaHf = {"LlamaForCausalLM", "MistralForCausalLM"};
constexpr std::array<NameRule, 3> kLlamaGlobal = {{
    {"token_embd.weight", "model.embed_tokens.weight"},
    {"output_norm.weight", "model.norm.weight"},
    {"output.weight", "lm_head.weight"},
}};
constexpr std::array<NameRule, 9> kLlamaBlock = {{
    {"attn_norm.weight", "input_layernorm.weight"},
    {"attn_q.weight", "self_attn.q_proj.weight", Permute::kQ},
    {"attn_k.weight", "self_attn.k_proj.weight", Permute::kK},
    {"attn_v.weight", "self_attn.v_proj.weight"},
    {"attn_output.weight", "self_attn.o_proj.weight"},
    {"ffn_norm.weight", "post_attention_layernorm.weight"},
    {"ffn_gate.weight", "mlp.gate_proj.weight"},
    {"ffn_up.weight", "mlp.up_proj.weight"},
    {"ffn_down.weight", "mlp.down_proj.weight"},
}};
constexpr std::array<HparamRule, 5> kLlamaHparams = {{
    {"block_count", Hparam::kLayers},
    {"embedding_length", Hparam::kHidden},
    {"feed_forward_length", Hparam::kFfn},
    {"attention.head_count", Hparam::kHeads},
    {"attention.head_count_kv", Hparam::kHeadsKv},
}};

const std::array<ArchSpec, 1> kArchs = {{
    {"llama", kLlamaHf, kLlamaGlobal, kLlamaBlock, kLlamaHparams},
}};

uint64_t Field(const ModelConfig& c, Hparam h) {
  switch (h) {
    case Hparam::kLayers:
      return c.n_layer;
    case Hparam::kHidden:
      return c.hidden;
    case Hparam::kFfn:
      return c.ffn;
    case Hparam::kHeads:
      return c.n_head;
    case Hparam::kHeadsKv:
      return c.n_head_kv;
  }
  return 0;
}

TensorOrigin Origin(const NameRule& rule, std::string hf_name, const ModelConfig& c) {
  TensorOrigin o;
  o.source_name = std::move(hf_name);
  o.permute_heads = rule.permute == Permute::kQ   ? static_cast<int>(c.n_head)
                    : rule.permute == Permute::kK ? static_cast<int>(c.n_head_kv)
                                                  : 0;
  o.transform =
      o.permute_heads ? "permute(n_head=" + std::to_string(o.permute_heads) + ")" : "none";
  return o;
}

}  // namespace

Result<ModelConfig> ParseModelConfig(std::string_view text) {
  using nlohmann::json;
  auto bad = [](const std::string& why) {
    return InvalidInput("fidelity.config_invalid: config.json " + why);
  };
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return bad(std::string("is not JSON: ") + e.what());
  }
  if (!j.is_object()) return bad("is not an object");
  ModelConfig c;
  auto uint_field = [&](const char* key, uint64_t* out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
      return required ? Status(bad(std::string("has no ") + key)) : Status::Ok();
    if (!it->is_number_unsigned() || it->get<uint64_t>() > (uint64_t{1} << 31)) {
      return bad(std::string(key) + " is not a positive integer");
    }
    *out = it->get<uint64_t>();
    return Status::Ok();
  };
  if (auto it = j.find("model_type"); it != j.end() && it->is_string())
    c.model_type = it->get<std::string>();
  if (auto it = j.find("architectures"); it != j.end() && it->is_array()) {
    for (const json& a : *it) {
      if (a.is_string()) c.architectures.push_back(a.get<std::string>());
    }
  }
  for (auto [key, out, required] :
       {std::tuple{"num_attention_heads", &c.n_head, true},
        std::tuple{"num_key_value_heads", &c.n_head_kv, false},
        std::tuple{"hidden_size", &c.hidden, true}, std::tuple{"intermediate_size", &c.ffn, false},
        std::tuple{"num_hidden_layers", &c.n_layer, true},
        std::tuple{"vocab_size", &c.vocab, false}}) {
    if (Status s = uint_field(key, out, required); !s.ok()) return s.error();
  }
  if (c.n_head == 0) return bad("has num_attention_heads 0");
  if (c.n_head_kv == 0) c.n_head_kv = c.n_head;
  if (auto it = j.find("tie_word_embeddings"); it != j.end()) {
    if (!it->is_boolean()) return bad("tie_word_embeddings is not a boolean");
    c.tied_embeddings = it->get<bool>();
  }
  return c;
}

const ArchSpec* FindArch(const ModelConfig& config) {
  for (const ArchSpec& a : kArchs) {
    for (const std::string& hf : config.architectures) {
      for (std::string_view known : a.hf_architectures) {
        if (hf == known) return &a;
      }
    }
  }
  return nullptr;
}

std::string_view GgufArchName(const ArchSpec& arch) { return arch.gguf_arch; }

std::optional<TensorOrigin> MapTensor(const ArchSpec& arch, std::string_view name,
                                      const ModelConfig& config) {
  for (const NameRule& r : arch.global_rules) {
    if (name == r.gguf) return Origin(r, std::string(r.hf), config);
  }
  constexpr std::string_view kBlk = "blk.";
  if (name.substr(0, kBlk.size()) != kBlk) return std::nullopt;
  std::string_view rest = name.substr(kBlk.size());
  uint64_t layer = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), layer);
  if (ec != std::errc() || p == rest.data() || *p != '.' || layer >= config.n_layer)
    return std::nullopt;
  const std::string_view digits = rest.substr(0, static_cast<size_t>(p - rest.data()));
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // "blk.01." is not written
  const std::string_view suffix = rest.substr(digits.size() + 1);
  for (const NameRule& r : arch.block_rules) {
    if (suffix == r.gguf) {
      return Origin(r, "model.layers." + std::string(digits) + "." + std::string(r.hf), config);
    }
  }
  return std::nullopt;
}

std::vector<Finding> CheckHyperParameters(const ArchSpec& arch, const GgufFile& gguf,
                                          const ModelConfig& config) {
  std::vector<Finding> out;
  for (const HparamRule& h : arch.hparams) {
    const std::string key = std::string(arch.gguf_arch) + "." + std::string(h.key);
    const uint64_t want = Field(config, h.field);
    if (want == 0) continue;  // not in config.json: nothing to compare
    const std::optional<uint64_t> got = gguf.GetUint(key);
    if (got && *got == want) continue;
    Finding f;
    f.code = "fidelity.hparam_mismatch";
    f.message = "GGUF metadata " + key + " does not match config.json";
    f.expected = std::to_string(want);
    f.actual = got ? std::to_string(*got) : "absent";
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace provbadge::verifier::fidelity
