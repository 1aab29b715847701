// MemorySource: an in-memory RevisionSource for tests (a map path -> content), plus
// LoadFolder(), which copies a real folder into one recursively, skipping nothing.
//
// Ownership: owns copies of the contents. Thread-safety: ListFiles/Open may run concurrently
// when the source is not mutated meanwhile; mutators (Set/Remove/...) are for test setup only.
#ifndef PROVBADGE_TESTS_COMMON_MEMORY_SOURCE_H_
#define PROVBADGE_TESTS_COMMON_MEMORY_SOURCE_H_

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/revision_source.h"

namespace provbadge::testing {

// Views: kNone offers none (every read a copy); kDirect views point into the content;
// kPoisoned copies each view into a fresh buffer and overwrites the previous view's bytes, so a
// caller that uses a view after the next View call (against the FileReader contract) sees
// garbage. `check_views_ok_calls` >= 0: CheckViews fails after that many successful calls (a
// file that changed under a view).
class MemoryReader : public verifier::FileReader {
 public:
  enum class Views { kNone, kDirect, kPoisoned };
  explicit MemoryReader(std::string content, Views views = Views::kNone,
                        int check_views_ok_calls = -1)
      : content_(std::move(content)), views_(views), check_ok_left_(check_views_ok_calls) {}
  uint64_t Size() const override { return content_.size(); }
  Result<size_t> ReadAt(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= content_.size()) return size_t{0};
    size_t n = std::min<size_t>(buf.size(), content_.size() - offset);
    std::memcpy(buf.data(), content_.data() + offset, n);
    return n;
  }
  const std::byte* View(uint64_t offset, uint64_t len) override {
    if (views_ == Views::kNone || len == 0 || offset > content_.size() ||
        len > content_.size() - offset) {
      return nullptr;
    }
    ++views_given_;
    const auto* at = reinterpret_cast<const std::byte*>(content_.data() + offset);
    if (views_ == Views::kDirect) return at;
    std::fill(view_.begin(), view_.end(), std::byte{0xAA});
    view_.assign(at, at + len);
    return view_.data();
  }
  Status CheckViews() override {
    ++check_calls_;
    if (check_ok_left_ < 0) return Status::Ok();
    if (check_ok_left_ == 0) return Unavailable("file changed while reading");
    --check_ok_left_;
    return Status::Ok();
  }
  uint64_t views_given() const { return views_given_; }
  uint64_t check_calls() const { return check_calls_; }

 private:
  std::string content_;
  Views views_;
  int check_ok_left_;
  std::vector<std::byte> view_;  // kPoisoned: the current view's copy
  uint64_t views_given_ = 0, check_calls_ = 0;
};

class MemorySource : public verifier::RevisionSource {
 public:
  MemorySource() = default;
  explicit MemorySource(std::map<std::string, std::string> files) : files_(std::move(files)) {}

  void Set(const std::string& path, std::string content) { files_[path] = std::move(content); }
  void Remove(const std::string& path) {
    files_.erase(path);
    known_sha256_.erase(path);
    symlinks_.erase(path);
  }
  bool Has(const std::string& path) const { return files_.count(path) > 0; }
  const std::string& Get(const std::string& path) const { return files_.at(path); }
  // Makes ListFiles report `sha256` for `path` (as a hub that knows the LFS oid would).
  void SetKnownSha256(const std::string& path, std::string sha256) {
    known_sha256_[path] = std::move(sha256);
  }
  void MarkSymlink(const std::string& path) { symlinks_.insert(path); }
  // Readers Open returns from now on offer these views (MemoryReader::Views).
  void OfferViews(MemoryReader::Views views) { views_ = views; }
  // Makes ListFiles fail with `error` (e.g. a transient fault).
  void FailListing(Error error) { list_error_ = std::move(error); }

  Result<std::vector<verifier::FileInfo>> ListFiles() override {
    if (list_error_) return *list_error_;
    std::vector<verifier::FileInfo> out;
    for (const auto& [path, content] : files_) {  // std::map: sorted by path
      verifier::FileInfo info;
      info.path = path;
      info.size = content.size();
      if (auto it = known_sha256_.find(path); it != known_sha256_.end()) info.sha256 = it->second;
      info.is_symlink = symlinks_.count(path) > 0;
      out.push_back(std::move(info));
    }
    return out;
  }

  Result<std::unique_ptr<verifier::FileReader>> Open(std::string_view path) override {
    auto it = files_.find(std::string(path));
    if (it == files_.end()) return NotFound(std::string(path) + ": not in the revision");
    return std::unique_ptr<verifier::FileReader>(
        std::make_unique<MemoryReader>(it->second, views_));
  }

 private:
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> known_sha256_;
  std::set<std::string> symlinks_;
  std::optional<Error> list_error_;
  MemoryReader::Views views_ = MemoryReader::Views::kNone;
};

// Every regular file under `dir`, recursively, keyed by its POSIX path relative to `dir`.
inline MemorySource LoadFolder(const std::string& dir) {
  namespace fs = std::filesystem;
  MemorySource source;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    source.Set(fs::relative(entry.path(), dir).generic_string(), content.str());
  }
  return source;
}

// The bytes of one file on disk ("" when unreadable).
inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_COMMON_MEMORY_SOURCE_H_
