// DigestCache: digests remembered across verifications, keyed by a file's content tag
// (FileReader::ContentTag, e.g. "dev:inode:size:mtime") plus what was hashed ("sha256",
// "blake2b:0:1000000000", ...). A revision source hands one out (RevisionSource::digest_cache)
// so a worker that verifies fifty quantizations of one base, or re-verifies a revision, does
// not re-read unchanged files.
//
// Bounded: when `max_entries` is reached everything is dropped (simple, and a miss only costs
// a re-hash). Thread-safety: all methods may be called concurrently.
#ifndef PROVBADGE_VERIFIER_DIGEST_CACHE_H_
#define PROVBADGE_VERIFIER_DIGEST_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace provbadge::verifier {

class DigestCache {
 public:
  explicit DigestCache(size_t max_entries = 100000) : max_entries_(max_entries) {}

  std::optional<std::string> Get(const std::string& tag, const std::string& what) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find({tag, what});
    if (it == entries_.end()) {
      ++misses_;
      return std::nullopt;
    }
    ++hits_;
    return it->second;
  }

  void Put(const std::string& tag, const std::string& what, std::string hex) {
    if (tag.empty()) return;
    std::lock_guard lock(mu_);
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_[{tag, what}] = std::move(hex);
  }

  uint64_t hits() const {
    std::lock_guard lock(mu_);
    return hits_;
  }
  uint64_t misses() const {
    std::lock_guard lock(mu_);
    return misses_;
  }

 private:
  size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> entries_;
  mutable uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace provbadge::verifier

#endif  // PROVBADGE_VERIFIER_DIGEST_CACHE_H_
