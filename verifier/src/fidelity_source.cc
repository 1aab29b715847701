// LoadSourceModel (fidelity_source.h).
#include "fidelity_source.h"

#include <set>

#include <nlohmann/json.hpp>

#include "provbadge/common/limits.h"

namespace provbadge::verifier::fidelity {
namespace {

constexpr std::string_view kConfig = "config.json";
constexpr std::string_view kSingle = "model.safetensors";
constexpr std::string_view kIndex = "model.safetensors.index.json";

Error Bad(std::string_view code, const std::string& sentence) {
  return InvalidInput(std::string(code) + ": " + sentence);
}

// Shard paths of an index: plain file names beside the index (no directories, no "..").
Result<std::vector<std::string>> ShardsOf(const std::string& text) {
  using nlohmann::json;
  std::set<std::string> shards;
  try {
    const json j = json::parse(text);
    auto wm = j.is_object() ? j.find("weight_map") : j.end();
    if (wm == j.end() || !wm->is_object())
      return Bad("fidelity.source_index_invalid", "the index has no weight_map object");
    for (auto it = wm->begin(); it != wm->end(); ++it) {
      if (!it->is_string())
        return Bad("fidelity.source_index_invalid",
                   "weight_map value of \"" + it.key() + "\" is not a string");
      const std::string shard = it->get<std::string>();
      if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..") {
        return Bad("fidelity.source_index_invalid",
                   "shard name \"" + shard + "\" is not a file beside the index");
      }
      shards.insert(shard);
    }
  } catch (const json::exception& e) {
    return Bad("fidelity.source_index_invalid", std::string("the index is not JSON: ") + e.what());
  }
  if (shards.size() > limits::kMaxSafetensorsShards)
    return Bad("fidelity.source_index_invalid", "too many shards");
  return std::vector<std::string>(shards.begin(), shards.end());
}

}  // namespace

Result<std::unique_ptr<SourceModel>> LoadSourceModel(RevisionSource& source) {
  auto model = std::make_unique<SourceModel>();
  auto config = ReadWholeFile(source, kConfig, limits::kMaxModelConfigBytes);
  if (!config.ok()) {
    if (config.error().code() == ErrorCode::kNotFound)
      return Bad("fidelity.source_incomplete", "the source has no config.json");
    if (config.error().code() == ErrorCode::kInvalidInput)  // over kMaxModelConfigBytes
      return Bad("fidelity.config_invalid", config.error().message());
    return config.error();
  }
  model->config_json = std::move(*config);
  std::vector<std::string> shard_paths;
  auto index = ReadWholeFile(source, kIndex, limits::kMaxSafetensorsIndexBytes);
  if (index.ok()) {
    auto shards = ShardsOf(*index);
    if (!shards.ok()) return shards.error();
    shard_paths = std::move(*shards);
  } else if (index.error().code() == ErrorCode::kNotFound) {
    shard_paths.emplace_back(kSingle);
  } else if (index.error().code() == ErrorCode::kInvalidInput) {  // over the index limit
    return Bad("fidelity.source_index_invalid", index.error().message());
  } else {
    return index.error();
  }
  for (const std::string& path : shard_paths) {
    auto reader = source.Open(path);
    if (!reader.ok()) {
      if (reader.error().code() == ErrorCode::kNotFound)
        return Bad("fidelity.source_incomplete", "the source has no " + path);
      return reader.error();
    }
    auto parsed = ParseSafetensors(**reader);
    if (!parsed.ok()) {  // keep the finding code first: "<code>: <shard>: <sentence>"
      const std::string& m = parsed.error().message();
      const size_t colon = m.find(": ");
      if (colon == std::string::npos) return parsed.error().Wrap(path);
      return Error(parsed.error().code(),
                   m.substr(0, colon) + ": " + path + ": " + m.substr(colon + 2));
    }
    model->shards.push_back({path, std::move(*reader), std::move(*parsed)});
  }
  for (size_t s = 0; s < model->shards.size(); ++s) {
    for (const SafetensorsTensor& t : model->shards[s].file.tensors) {
      if (!model->tensors.emplace(t.name, std::make_pair(s, &t)).second) {
        return Bad("fidelity.source_duplicate_tensor",
                   "tensor \"" + t.name + "\" is in more than one shard");
      }
    }
  }
  return model;
}

}  // namespace provbadge::verifier::fidelity
