#include "provbadge/worker/hub_mirror.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "provbadge/common/limits.h"
#include "provbadge/queue/upload_event.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kMaxRefsFileBytes = limits::kMaxMirrorRefsFileBytes;

Result<std::string> ReadSmallFile(const fs::path& path, uintmax_t max_bytes) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return NotFound(path.string() + ": " + ec.message());
  if (size > max_bytes) {
    return InvalidInput(path.string() + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string NormalizeRef(std::string_view ref) {
  constexpr std::string_view kHeads = "refs/heads/";
  if (ref.substr(0, kHeads.size()) == kHeads) return std::string(ref.substr(kHeads.size()));
  return std::string(ref);
}

HubMirror::HubMirror(std::string root) : root_(std::move(root)) {}

Result<std::map<std::string, std::string>> HubMirror::ListRefs(std::string_view repo) const {
  if (Status s = queue::ValidateRepoName(repo); !s.ok()) return s.error();
  const fs::path file = fs::path(root_) / std::string(repo) / "refs.json";
  auto text = ReadSmallFile(file, kMaxRefsFileBytes);
  if (!text.ok()) return text.error().Wrap(std::string(repo) + " refs");
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return InvalidInput(std::string(repo) + " refs.json: not a JSON object");
  std::map<std::string, std::string> refs;
  for (const auto& [name, value] : json.items()) {
    if (!value.is_string() || !queue::ValidateCommit(value.get<std::string>()).ok()) {
      return InvalidInput(std::string(repo) + " refs.json: ref '" + name +
                          "' is not a 40-hex commit");
    }
    refs[NormalizeRef(name)] = value.get<std::string>();
  }
  return refs;
}

Result<std::string> HubMirror::ResolveRef(std::string_view repo, std::string_view ref) const {
  auto refs = ListRefs(repo);
  if (!refs.ok()) return refs.error();
  auto it = refs->find(NormalizeRef(ref));
  if (it == refs->end()) {
    return NotFound(std::string(repo) + ": no ref '" + std::string(ref) + "'");
  }
  return it->second;
}

Result<std::unique_ptr<verifier::RevisionSource>> HubMirror::OpenRevision(std::string_view repo,
                                                                          std::string_view commit) {
  if (Status s = queue::ValidateRepoName(repo); !s.ok()) return s.error();
  if (Status s = queue::ValidateCommit(commit); !s.ok()) return s.error();
  const fs::path dir = fs::path(root_) / std::string(repo) / std::string(commit);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) {
    return NotFound(std::string(repo) + "@" + std::string(commit) + ": no such revision");
  }
  return std::unique_ptr<verifier::RevisionSource>(
      std::make_unique<DirectorySource>(dir.string(), &cache_));
}

Result<std::vector<std::string>> HubMirror::ListRepos() const {
  std::vector<std::string> repos;
  std::error_code ec;
  for (const auto& org : fs::directory_iterator(root_, ec)) {
    if (!org.is_directory()) continue;
    for (const auto& name : fs::directory_iterator(org.path(), ec)) {
      if (!fs::exists(name.path() / "refs.json")) continue;
      std::string repo = org.path().filename().string() + "/" + name.path().filename().string();
      if (queue::ValidateRepoName(repo).ok()) repos.push_back(std::move(repo));
    }
  }
  if (ec) return Unavailable("list " + root_ + ": " + ec.message());
  std::sort(repos.begin(), repos.end());
  return repos;
}

}  // namespace provbadge::worker
