// A thread-safe in-memory BadgeStore for tests: follows the BadgeStore contract (seq ordering,
// pending replaced by the final badge of the same event, ref pointers) and can be switched to
// fail every call with kUnavailable. MoveRepo is atomic only against itself (a test double).
// The lineage cache, lineage index and revocations follow the contract too (badge_store.h),
// including what PurgeRepo and MoveRepo do to them.
//
// Thread-safety: all methods are safe to call concurrently (one mutex).
#ifndef PROVBADGE_TESTS_WORKER_IN_MEMORY_BADGE_STORE_H_
#define PROVBADGE_TESTS_WORKER_IN_MEMORY_BADGE_STORE_H_

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
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
    std::erase_if(nodes_, [&](const auto& e) { return std::get<0>(e.first) == repo; });
    std::erase_if(children_, [&](const auto& e) { return e.second.repo == repo; });
    std::erase_if(signed_, [&](const auto& e) { return e.second.repo == repo; });
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
    MoveLineageLocked(from, to);
    return Status::Ok();
  }

  Result<std::optional<std::string>> GetBadgeJson(std::string_view repo,
                                                  std::string_view ref_or_commit,
                                                  bool by_ref) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    std::string commit(ref_or_commit);
    if (by_ref) {
      auto it = refs_.find(Key{std::string(repo), std::string(ref_or_commit)});
      if (it == refs_.end()) return std::optional<std::string>();
      commit = it->second.first;
    }
    std::optional<badges::BadgeRecord> found = Find(repo, commit);
    if (!found) return std::optional<std::string>();
    return std::optional<std::string>(badges::BadgeToJson(found->badge));
  }

  Result<std::optional<std::string>> GetCachedNode(std::string_view repo, std::string_view commit,
                                                   std::string_view policy_digest) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    if (Status s = CheckNodeKey(repo, commit, policy_digest); !s.ok()) return s.error();
    std::lock_guard<std::mutex> lock(mu_);
    auto it =
        nodes_.find(NodeKey{std::string(repo), std::string(commit), std::string(policy_digest)});
    if (it == nodes_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status PutCachedNode(std::string_view repo, std::string_view commit,
                       std::string_view policy_digest, std::string_view node_json) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    if (Status s = CheckNodeKey(repo, commit, policy_digest); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(mu_);
    nodes_[NodeKey{std::string(repo), std::string(commit), std::string(policy_digest)}] =
        std::string(node_json);
    ++node_puts_;
    return Status::Ok();
  }

  Status DropCachedNodes(std::string_view repo, std::string_view commit) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(nodes_, [&](const auto& e) {
      return std::get<0>(e.first) == repo && std::get<1>(e.first) == commit;
    });
    return Status::Ok();
  }

  Status RecordLineage(const badges::RevisionKey& child,
                       const std::vector<badges::RevisionKey>& parents,
                       const std::vector<std::string>& signers) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    if (Status s = badges::ValidateRevisionKey(child, "record lineage"); !s.ok()) return s;
    for (const auto& parent : parents) {
      if (Status s = badges::ValidateRevisionKey(parent, "record lineage"); !s.ok()) return s;
    }
    for (const auto& signer : signers) {
      if (signer.empty()) return InvalidInput("in-memory store: record lineage: empty signer");
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& parent : parents) children_.emplace(parent, child);
    for (const auto& signer : signers) signed_.emplace(signer, child);
    return Status::Ok();
  }

  Result<std::vector<badges::RevisionKey>> Children(const badges::RevisionKey& parent) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    return Range(children_, parent);
  }

  Result<std::vector<badges::RevisionKey>> SignedBy(std::string_view signer) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    return Range(signed_, std::string(signer));
  }

  Status AddRevocation(const badges::Revocation& revocation) override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    if (Status s = badges::ValidateRevocation(revocation); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(mu_);
    revocations_.emplace(RevocationKey(revocation), revocation);
    return Status::Ok();
  }

  Result<std::vector<badges::Revocation>> ListRevocations() override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<badges::Revocation> out;
    for (const auto& [key, revocation] : revocations_) out.push_back(revocation);
    return out;
  }

  // How many PutCachedNode calls succeeded (for cache tests that count verifications).
  int node_puts() {
    std::lock_guard<std::mutex> lock(mu_);
    return node_puts_;
  }

  Status Ping() override {
    if (unavailable_) return Unavailable("in-memory store: switched off");
    return Status::Ok();
  }

  void set_unavailable(bool unavailable) { unavailable_ = unavailable; }

 private:
  using Key = std::pair<std::string, std::string>;
  using NodeKey = std::tuple<std::string, std::string, std::string>;  // repo, commit, digest
  using RevKey = std::tuple<std::string, std::string, std::string, std::string>;

  static Status CheckNodeKey(std::string_view repo, std::string_view commit,
                             std::string_view policy_digest) {
    if (repo.empty() || commit.empty() || policy_digest.empty()) {
      return InvalidInput("in-memory store: cached node: repo, commit and policy digest required");
    }
    return Status::Ok();
  }

  static RevKey RevocationKey(const badges::Revocation& r) {
    return {r.kind, r.repo, r.commit, r.signer};
  }

  template <typename K>
  static std::vector<badges::RevisionKey> Range(
      const std::set<std::pair<K, badges::RevisionKey>>& index, const K& key) {
    std::vector<badges::RevisionKey> out;
    for (auto it = index.lower_bound({key, badges::RevisionKey{}});
         it != index.end() && it->first == key; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  // MoveRepo's lineage part: cached nodes of `from` dropped, index entries renamed, revision
  // revocations copied. REQUIRES: mu_ held.
  void MoveLineageLocked(std::string_view from, std::string_view to) {
    std::erase_if(nodes_, [&](const auto& e) { return std::get<0>(e.first) == from; });
    auto rename = [&](badges::RevisionKey key) {
      if (key.repo == from) key.repo = std::string(to);
      return key;
    };
    std::set<std::pair<badges::RevisionKey, badges::RevisionKey>> children;
    for (const auto& [parent, child] : children_) children.emplace(rename(parent), rename(child));
    children_ = std::move(children);
    std::set<std::pair<std::string, badges::RevisionKey>> signed_by;
    for (const auto& [signer, child] : signed_) signed_by.emplace(signer, rename(child));
    signed_ = std::move(signed_by);
    std::vector<badges::Revocation> copies;
    for (const auto& [key, r] : revocations_) {
      if (r.kind == "revision" && r.repo == from) copies.push_back(r);
    }
    for (badges::Revocation& r : copies) {
      r.repo = std::string(to);
      revocations_.emplace(RevocationKey(r), r);
    }
  }

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
  std::map<NodeKey, std::string> nodes_;
  std::set<std::pair<badges::RevisionKey, badges::RevisionKey>> children_;  // (parent, child)
  std::set<std::pair<std::string, badges::RevisionKey>> signed_;            // (signer, child)
  std::map<RevKey, badges::Revocation> revocations_;
  int node_puts_ = 0;
};

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_WORKER_IN_MEMORY_BADGE_STORE_H_
