// A thread-safe in-memory BadgeStore for tests: follows the BadgeStore contract (seq ordering,
// pending replaced by the final badge of the same event, ref pointers) and can be switched to
// fail every call with kUnavailable.
//
// Thread-safety: all methods are safe to call concurrently (one mutex).
#ifndef PROVBADGE_TESTS_WORKER_IN_MEMORY_BADGE_STORE_H_
#define PROVBADGE_TESTS_WORKER_IN_MEMORY_BADGE_STORE_H_

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "provbadge/badges/badge_store.h"

namespace provbadge::testing {

class InMemoryBadgeStore : public badges::BadgeStore {
 public:
  Result<badges::PutResult> Put(const badges::BadgeRecord& record) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    Key key{record.badge.repo, record.badge.commit};
    auto it = revisions_.find(key);
    bool newer =
        it == revisions_.end() || record.seq > it->second.seq ||
        (record.seq == it->second.seq && it->second.badge.state == badges::BadgeState::kPending);
    if (!newer) return badges::PutResult::kStale;
    revisions_[key] = record;
    if (!record.ref.empty()) {
      Key ref_key{record.badge.repo, record.ref};
      auto ref = refs_.find(ref_key);
      if (ref == refs_.end() || record.seq > ref->second.second ||
          (record.seq == ref->second.second && ref->second.first == record.badge.commit)) {
        refs_[ref_key] = {record.badge.commit, record.seq};
      }
    }
    return badges::PutResult::kWritten;
  }

  Result<std::optional<badges::BadgeRecord>> GetRevision(std::string_view repo,
                                                         std::string_view commit) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    return Find(repo, commit);
  }

  Result<std::optional<badges::BadgeRecord>> GetRef(std::string_view repo,
                                                    std::string_view ref) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    auto it = refs_.find(Key{std::string(repo), std::string(ref)});
    if (it == refs_.end()) return std::optional<badges::BadgeRecord>();
    return Find(repo, it->second.first);
  }

  void set_unavailable(bool unavailable) { unavailable_ = unavailable; }

 private:
  using Key = std::pair<std::string, std::string>;

  std::optional<badges::BadgeRecord> Find(std::string_view repo, std::string_view commit) const {
    auto it = revisions_.find(Key{std::string(repo), std::string(commit)});
    if (it == revisions_.end()) return std::nullopt;
    return it->second;
  }

  std::atomic<bool> unavailable_{false};
  std::mutex mu_;
  std::map<Key, badges::BadgeRecord> revisions_;         // (repo, commit) -> record
  std::map<Key, std::pair<std::string, int64_t>> refs_;  // (repo, ref) -> (commit, seq)
};

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_WORKER_IN_MEMORY_BADGE_STORE_H_
