// Unsigned lineage claims: model card front matter and GGUF general.base_model.* keys.
#include "node_claims.h"

#include "limits.h"
#include "provbadge/verifier/gguf.h"

namespace provbadge::verifier::internal {
namespace {

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string Unquote(std::string_view s) {
  s = Trim(s);
  if (size_t hash = s.find(" #"); hash != std::string_view::npos) s = Trim(s.substr(0, hash));
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    s = s.substr(1, s.size() - 2);
  }
  return std::string(s);
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// "org/name" from "https://huggingface.co/org/name" (or "org/name" itself).
std::string RepoFromUrl(std::string_view url) {
  constexpr std::string_view kHf = "https://huggingface.co/";
  if (url.substr(0, kHf.size()) == kHf) url.remove_prefix(kHf.size());
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  size_t slash = url.find('/');
  if (slash == std::string_view::npos || url.find('/', slash + 1) != std::string_view::npos ||
      url.find("://") != std::string_view::npos) {
    return "";
  }
  return std::string(url);
}

void GgufClaims(const GgufFile& gguf, Claims* claims) {
  bool any = false;
  for (const auto& [key, value] : gguf.metadata) {
    if (key.rfind("general.base_model.", 0) == 0) any = true;
  }
  if (!any) return;
  claims->quantization = true;
  if (!claims->base.empty()) return;
  if (auto url = gguf.GetString("general.base_model.0.repo_url")) {
    claims->base = RepoFromUrl(*url);
  }
  auto org = gguf.GetString("general.base_model.0.organization");
  auto name = gguf.GetString("general.base_model.0.name");
  if (claims->base.empty() && org && name) claims->base = RepoFromUrl(*org + "/" + *name);
}

}  // namespace

Claims ParseCardClaims(std::string_view readme) {
  Claims claims;
  std::vector<std::string_view> lines = SplitLines(readme);
  if (lines.empty() || Trim(lines[0]) != "---") return claims;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (Trim(line) == "---" || Trim(line) == "...") break;
    if (line.empty() || line[0] == ' ' || line[0] == '\t' || line[0] == '-') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (key == "base_model_relation") {
      claims.quantization = claims.quantization || Unquote(value) == "quantized";
    } else if (key == "base_model" && claims.base.empty()) {
      if (!value.empty() && value.front() == '[') {
        value.remove_prefix(1);
        claims.base = Unquote(value.substr(0, value.find_first_of(",]")));
      } else if (!value.empty()) {
        claims.base = Unquote(value);
      } else {
        for (size_t j = i + 1; j < lines.size(); ++j) {
          std::string_view item = Trim(lines[j]);
          if (item.empty() || item.front() != '-') break;
          claims.base = Unquote(item.substr(1));
          break;
        }
      }
    }
  }
  return claims;
}

Result<Claims> ReadClaims(RevisionSource& source, const std::vector<FileInfo>& files) {
  Claims claims;
  for (const FileInfo& f : files) {
    if (f.path != "README.md") continue;
    Result<std::string> card = ReadWholeFile(source, f.path, limits::kMaxCardBytes);
    if (!card.ok() && card.error().code() == ErrorCode::kUnavailable) return card.error();
    if (card.ok()) claims = ParseCardClaims(*card);
  }
  size_t read = 0;
  for (const FileInfo& f : files) {
    if (f.path.size() < 5 || f.path.substr(f.path.size() - 5) != ".gguf") continue;
    if (++read > limits::kMaxClaimGgufFiles) break;
    Result<std::unique_ptr<FileReader>> reader = source.Open(f.path);
    if (!reader.ok()) {
      if (reader.error().code() == ErrorCode::kUnavailable) return reader.error();
      continue;
    }
    Result<GgufFile> gguf = ParseGguf(**reader);
    if (!gguf.ok()) {
      if (gguf.error().code() == ErrorCode::kUnavailable) return gguf.error();
      continue;
    }
    GgufClaims(*gguf, &claims);
  }
  return claims;
}

}  // namespace provbadge::verifier::internal
