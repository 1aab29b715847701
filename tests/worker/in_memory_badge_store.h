// A thread-safe in-memory BadgeStore for tests: follows the BadgeStore contract (seq ordering,
// pending replaced by the final badge of the same event, ref pointers) and can be switched to
// fail every call with kUnavailable. MoveRepo is atomic only against itself (a test double).
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
#include <vector>

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

  Status DeleteRef(std::string_view repo, std::string_view ref) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    refs_.erase(Key{std::string(repo), std::string(ref)});
    return Status::Ok();
  }

  Status PurgeRepo(std::string_view repo) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    EraseRepo(repo);
    return Status::Ok();
  }

  Status MoveRepo(std::string_view from, std::string_view to) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    if (from == to) return Status::Ok();
    std::vector<badges::BadgeRecord> records;
    std::vector<std::pair<std::string, std::pair<std::string, int64_t>>> refs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [key, record] : revisions_) {
        if (key.first == from) records.push_back(badges::RenamedRecord(record, from, to));
      }
      for (const auto& [key, pointer] : refs_) {
        if (key.first == from) refs.emplace_back(key.second, pointer);
      }
    }
    for (const auto& record : records) (void)Put(record);
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [ref, pointer] : refs) {
      Key ref_key{std::string(to), ref};
      auto it = refs_.find(ref_key);
      if (it == refs_.end() || pointer.second > it->second.second ||
          (pointer.second == it->second.second && pointer.first == it->second.first)) {
        refs_[ref_key] = pointer;
      }
    }
    EraseRepo(from);
    return Status::Ok();
  }

  Status Ping() override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    return Status::Ok();
  }

  void set_unavailable(bool unavailable) { unavailable_ = unavailable; }

 private:
  using Key = std::pair<std::string, std::string>;

  void EraseRepo(std::string_view repo) {
    std::erase_if(revisions_, [&](const auto& entry) { return entry.first.first == repo; });
    std::erase_if(refs_, [&](const auto& entry) { return entry.first.first == repo; });
  }

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
