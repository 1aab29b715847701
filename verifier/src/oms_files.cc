// Path rules shared by OMS verification and signing: ignores, relative paths, protected files.
#include <algorithm>
#include <array>
#include <cctype>

#include "oms_internal.h"
#include "provbadge/common/limits.h"

namespace provbadge::verifier::internal {
namespace {

// Strips "./" prefixes and trailing '/' from an ignore entry; empty when unusable.
std::string NormalizeIgnore(std::string_view p) {
  while (p.size() >= 2 && p.substr(0, 2) == "./") p.remove_prefix(2);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  if (!IsValidRelativePath(p)) return "";
  return std::string(p);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::vector<std::string> NormalizeIgnores(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const std::string& p : in) {
    std::string n = NormalizeIgnore(p);
    if (!n.empty()) out.push_back(std::move(n));
  }
  return out;
}

bool IsValidRelativePath(std::string_view path) {
  if (path.empty() || path.size() > limits::kMaxPathBytes || path.front() == '/') return false;
  if (path.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

bool IsIgnored(std::string_view path, const std::vector<std::string>& ignores) {
  for (const std::string& ig : ignores) {
    if (path == ig) return true;
    if (path.size() > ig.size() && path.substr(0, ig.size()) == ig && path[ig.size()] == '/') {
      return true;
    }
  }
  return false;
}

bool IsProtectedFile(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string base = Lower(slash == std::string_view::npos ? path : path.substr(slash + 1));
  static constexpr std::array<std::string_view, 19> kSuffixes = {
      // weights
      ".safetensors", ".gguf", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack", ".pkl",
      ".pickle", ".npz", ".npy",
      // tokenizer, chat templates, configs, code
      ".tiktoken", ".jinja", "config.json", ".index.json", ".py", ".pyc"};
  static constexpr std::array<std::string_view, 7> kNames = {
      "tokenizer.model",   "merges.txt",         "special_tokens_map.json",
      "added_tokens.json", "chat_template.json", "spiece.model",
      "params.json"};
  for (std::string_view suffix : kSuffixes) {
    if (EndsWith(base, suffix)) return true;
  }
  for (std::string_view name : kNames) {
    if (base == name) return true;
  }
  return StartsWith(base, "tokenizer") || StartsWith(base, "vocab.") ||
         StartsWith(base, "sentencepiece");
}

}  // namespace provbadge::verifier::internal
