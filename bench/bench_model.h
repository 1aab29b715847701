// A synthetic llama checkpoint on disk for the model-level fidelity benchmark: config.json,
// model.safetensors (BF16, HF names) and model-<TYPE>.gguf, its faithful conversion and
// quantization (llama.cpp's name mapping and Q/K row permutation, norms as F32, every matrix in
// one quantized type, candidate 0: bf16 direct, plain rounding). Weights are bf16-rounded
// N(0, 0.02) taken from one 16 M-weight pool at row-dependent offsets, so writing a model of
// billions of weights costs seconds; the check still streams every byte. Files are reused while
// their sizes match.
//
// Ownership: plain functions writing files. Thread-safety: one call at a time per folder.
#ifndef PROVBADGE_BENCH_BENCH_MODEL_H_
#define PROVBADGE_BENCH_BENCH_MODEL_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "provbadge/verifier/quant.h"

namespace provbadge::bench {

struct ModelShape {
  uint64_t hidden = 2048, ffn = 5632, layers = 22, vocab = 32000, heads = 32, heads_kv = 4;
};

// One tensor: GGUF name, HF name, rows x cols (cols = ne[0]), permutation heads (0: none), norm.
struct ModelTensor {
  std::string gguf, hf;
  uint64_t rows, cols;
  uint64_t permute = 0;
  bool norm = false;
};

inline std::vector<ModelTensor> ModelTensors(const ModelShape& s) {
  const uint64_t head_dim = s.hidden / s.heads, kv = s.heads_kv * head_dim;
  std::vector<ModelTensor> t = {
      {"token_embd.weight", "model.embed_tokens.weight", s.vocab, s.hidden}};
  for (uint64_t l = 0; l < s.layers; ++l) {
    const std::string g = "blk." + std::to_string(l) + ".",
                      h = "model.layers." + std::to_string(l) + ".";
    t.push_back({g + "attn_norm.weight", h + "input_layernorm.weight", 1, s.hidden, 0, true});
    t.push_back({g + "attn_q.weight", h + "self_attn.q_proj.weight", s.hidden, s.hidden, s.heads});
    t.push_back({g + "attn_k.weight", h + "self_attn.k_proj.weight", kv, s.hidden, s.heads_kv});
    t.push_back({g + "attn_v.weight", h + "self_attn.v_proj.weight", kv, s.hidden});
    t.push_back({g + "attn_output.weight", h + "self_attn.o_proj.weight", s.hidden, s.hidden});
    t.push_back(
        {g + "ffn_norm.weight", h + "post_attention_layernorm.weight", 1, s.hidden, 0, true});
    t.push_back({g + "ffn_gate.weight", h + "mlp.gate_proj.weight", s.ffn, s.hidden});
    t.push_back({g + "ffn_up.weight", h + "mlp.up_proj.weight", s.ffn, s.hidden});
    t.push_back({g + "ffn_down.weight", h + "mlp.down_proj.weight", s.hidden, s.ffn});
  }
  t.push_back({"output_norm.weight", "model.norm.weight", 1, s.hidden, 0, true});
  t.push_back({"output.weight", "lm_head.weight", s.vocab, s.hidden});
  return t;
}

inline uint64_t ModelWeights(const ModelShape& s) {
  uint64_t n = 0;
  for (const ModelTensor& t : ModelTensors(s)) n += t.rows * t.cols;
  return n;
}

namespace model_detail {

constexpr uint64_t kPool = uint64_t{1} << 24, kAlign = 32;

inline const std::vector<uint16_t>& Pool() {
  static const std::vector<uint16_t> pool = [] {
    std::mt19937 rng(2026);
    std::normal_distribution<float> normal(0.f, 0.02f);
    std::vector<uint16_t> p(kPool);
    for (uint16_t& v : p) v = verifier::Fp32ToBf16(normal(rng));
    return p;
  }();
  return pool;
}

// Source row r of tensor t (bf16), `cols` long: a pool slice at a row-dependent offset.
inline const uint16_t* SourceRow(size_t t, uint64_t r, uint64_t cols) {
  const uint64_t at = ((t * 7919 + r) * 4099 * kAlign) % (kPool - cols) / kAlign * kAlign;
  return Pool().data() + at;
}

// GGUF row g of a tensor permuted for `heads` holds source row h*2*half + a*half + i.
inline uint64_t Permuted(uint64_t g, uint64_t rows, uint64_t heads) {
  if (heads == 0) return g;
  const uint64_t half = rows / heads / 2, h = g / (2 * half), i = g % (2 * half) / 2, a = g % 2;
  return h * 2 * half + a * half + i;
}

inline void Put(std::string* s, const void* p, size_t n) {
  s->append(static_cast<const char*>(p), n);
}
template <typename T>
void PutInt(std::string* s, T v) {
  Put(s, &v, sizeof v);
}
inline void PutStr(std::string* s, const std::string& v) {
  PutInt<uint64_t>(s, v.size());
  s->append(v);
}

inline uint64_t GgufRowBytes(const ModelTensor& t, verifier::GgmlType type) {
  if (t.norm) return t.cols * 4;
  const auto info = *verifier::LookupGgmlType(static_cast<uint32_t>(type));
  return t.cols / info.block_elems * info.block_bytes;
}

inline void Fail(const std::string& what) {
  std::fprintf(stderr, "bench model: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace model_detail

// Writes (or reuses) dir/config.json, dir/model.safetensors and dir/model-<type>.gguf (with
// kFma: dir/model-<type>-fma.gguf, the blocks rounded as an FMA build rounds them); returns the
// GGUF's file name.
inline std::string WriteModel(
    const std::string& dir, const ModelShape& s, verifier::GgmlType type,
    verifier::RoundingVariant variant = verifier::RoundingVariant::kPlain) {
  namespace md = model_detail;
  namespace fs = std::filesystem;
  const std::vector<ModelTensor> tensors = ModelTensors(s);
  const std::string type_name(verifier::LookupGgmlType(static_cast<uint32_t>(type))->name);
  const bool fma = variant == verifier::RoundingVariant::kFma;
  const std::string gguf_name = "model-" + type_name + (fma ? "-fma" : "") + ".gguf";
  fs::create_directories(dir);
  std::ofstream(dir + "/config.json")
      << "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":"
      << s.hidden << ",\"intermediate_size\":" << s.ffn << ",\"num_hidden_layers\":" << s.layers
      << ",\"num_attention_heads\":" << s.heads << ",\"num_key_value_heads\":" << s.heads_kv
      << ",\"vocab_size\":" << s.vocab
      << ",\"tie_word_embeddings\":false,\"torch_dtype\":\"bfloat16\"}\n";
  // safetensors: header, then every tensor's rows in order.
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  uint64_t offset = 0;
  for (const ModelTensor& t : tensors) {
    const uint64_t bytes = t.rows * t.cols * 2;
    header += ",\"" + t.hf + "\":{\"dtype\":\"BF16\",\"shape\":" +
              (t.norm ? "[" + std::to_string(t.cols) + "]"
                      : "[" + std::to_string(t.rows) + "," + std::to_string(t.cols) + "]") +
              ",\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  const std::string st_path = dir + "/model.safetensors";
  std::error_code ec;
  if (fs::file_size(st_path, ec) != 8 + header.size() + offset || ec) {
    std::FILE* f = std::fopen(st_path.c_str(), "wb");
    const uint64_t n = header.size();
    if (!f || std::fwrite(&n, 8, 1, f) != 1 || std::fwrite(header.data(), 1, n, f) != n)
      md::Fail("cannot write " + st_path);
    for (size_t i = 0; i < tensors.size(); ++i) {
      for (uint64_t r = 0; r < tensors[i].rows; ++r) {
        if (std::fwrite(md::SourceRow(i, r, tensors[i].cols), 2, tensors[i].cols, f) !=
            tensors[i].cols)
          md::Fail("cannot write " + st_path);
      }
    }
    if (std::fclose(f) != 0) md::Fail("cannot write " + st_path);
  }
  // GGUF v3: header, metadata, tensor infos, aligned data.
  std::string g = "GGUF";
  md::PutInt<uint32_t>(&g, 3);
  md::PutInt<uint64_t>(&g, tensors.size());
  md::PutInt<uint64_t>(&g, 6);
  md::PutStr(&g, "general.architecture");
  md::PutInt<uint32_t>(&g, 8);  // string
  md::PutStr(&g, "llama");
  for (auto [key, value] : {std::pair<const char*, uint64_t>{"llama.block_count", s.layers},
                            {"llama.embedding_length", s.hidden},
                            {"llama.feed_forward_length", s.ffn},
                            {"llama.attention.head_count", s.heads},
                            {"llama.attention.head_count_kv", s.heads_kv}}) {
    md::PutStr(&g, key);
    md::PutInt<uint32_t>(&g, 4);  // u32
    md::PutInt<uint32_t>(&g, static_cast<uint32_t>(value));
  }
  uint64_t data = 0;
  std::vector<uint64_t> at;
  for (const ModelTensor& t : tensors) {
    md::PutStr(&g, t.gguf);
    md::PutInt<uint32_t>(&g, t.norm ? 1 : 2);
    md::PutInt<uint64_t>(&g, t.cols);
    if (!t.norm) md::PutInt<uint64_t>(&g, t.rows);
    md::PutInt<uint32_t>(&g, t.norm ? 0 : static_cast<uint32_t>(type));
    md::PutInt<uint64_t>(&g, data);
    at.push_back(data);
    data = (data + t.rows * md::GgufRowBytes(t, type) + md::kAlign - 1) / md::kAlign * md::kAlign;
  }
  g.append((md::kAlign - g.size() % md::kAlign) % md::kAlign, '\0');
  const std::string gguf_path = dir + "/" + gguf_name;
  if (fs::file_size(gguf_path, ec) == g.size() + data && !ec) return gguf_name;
  std::FILE* f = std::fopen(gguf_path.c_str(), "wb");
  if (!f || std::fwrite(g.data(), 1, g.size(), f) != g.size())
    md::Fail("cannot write " + gguf_path);
  std::vector<uint8_t> row;
  std::vector<float> x;
  uint64_t written = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ModelTensor& t = tensors[i];
    const std::vector<uint8_t> pad(at[i] - written, 0);
    if (std::fwrite(pad.data(), 1, pad.size(), f) != pad.size())
      md::Fail("cannot write " + gguf_path);
    written = at[i];
    row.resize(md::GgufRowBytes(t, type));
    x.resize(t.cols);
    for (uint64_t r = 0; r < t.rows; ++r) {
      const uint16_t* src = md::SourceRow(i, md::Permuted(r, t.rows, t.permute), t.cols);
      for (uint64_t c = 0; c < t.cols; ++c) x[c] = verifier::Bf16ToFp32(src[c]);
      if (t.norm) {
        std::memcpy(row.data(), x.data(), row.size());
      } else if (!verifier::QuantizeRowRef(type, x.data(), static_cast<int64_t>(t.cols), variant,
                                           row.data())) {
        md::Fail("cannot quantize to " + type_name);
      }
      if (std::fwrite(row.data(), 1, row.size(), f) != row.size())
        md::Fail("cannot write " + gguf_path);
      written += row.size();
    }
  }
  const std::vector<uint8_t> pad(data - written, 0);
  if (std::fwrite(pad.data(), 1, pad.size(), f) != pad.size() || std::fclose(f) != 0)
    md::Fail("cannot write " + gguf_path);
  return gguf_name;
}

}  // namespace provbadge::bench

#endif  // PROVBADGE_BENCH_BENCH_MODEL_H_
