// The BadgeStore contract suite (badges/include/provbadge/badges/badge_store.h), shared by every
// implementation. A backend test file provides a StoreBackend factory and calls
// RunBadgeStoreContract() from one TEST_CASE; each contract case runs in its own SECTION on
// fresh, empty storage.
//
// Ownership: the backend owns its storage and removes it when destroyed. Thread-safety: the
// suite itself runs on the test thread; only the concurrency cases start threads.
#ifndef PROVBADGE_TESTS_BADGES_BADGE_STORE_CONTRACT_H_
#define PROVBADGE_TESTS_BADGES_BADGE_STORE_CONTRACT_H_

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "provbadge/badges/badge.h"
#include "provbadge/badges/badge_store.h"

namespace provbadge::badges::contract {

// Fresh, empty backing storage. Every Open() returns a new store over that same storage, so a
// second Open() after destroying the first store is a restart.
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  virtual std::unique_ptr<BadgeStore> Open() = 0;
};

using BackendFactory = std::function<std::unique_ptr<StoreBackend>()>;

inline const std::string kRepo = "org/model";
inline const std::string kCommitA = std::string(40, 'a');
inline const std::string kCommitB = std::string(40, 'b');

// A final (or pending) record whose message names its seq, so a read shows which write won.
inline BadgeRecord MakeRecord(const std::string& commit, int64_t seq,
                              BadgeState state = BadgeState::kVerified, const std::string& ref = "",
                              const std::string& repo = kRepo) {
  BadgeRecord r;
  r.badge.repo = repo;
  r.badge.commit = commit;
  r.badge.state = state;
  r.badge.label = "provenance";
  r.badge.message = "seq " + std::to_string(seq) + " " + std::string(BadgeStateName(state));
  r.badge.color = "#4c1";
  r.badge.chain.push_back({repo, commit, "self", "acme", verifier::Verdict::kVerified});
  r.badge.reasons.push_back({"test.reason", "written at seq " + std::to_string(seq)});
  r.badge.checked_at = state == BadgeState::kPending ? "" : "2024-05-01T12:00:00Z";
  r.ref = ref;
  r.seq = seq;
  r.report_json = state == BadgeState::kPending ? "" : "{\"seq\":" + std::to_string(seq) + "}";
  return r;
}

inline PutResult MustPut(BadgeStore& store, const BadgeRecord& record) {
  Result<PutResult> r = store.Put(record);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

inline std::optional<BadgeRecord> MustGetRevision(BadgeStore& store, const std::string& commit,
                                                  const std::string& repo = kRepo) {
  Result<std::optional<BadgeRecord>> r = store.GetRevision(repo, commit);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

inline std::optional<BadgeRecord> MustGetRef(BadgeStore& store, const std::string& ref,
                                             const std::string& repo = kRepo) {
  Result<std::optional<BadgeRecord>> r = store.GetRef(repo, ref);
  INFO((r.ok() ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  return *r;
}

inline void CheckSameRecord(const BadgeRecord& got, const BadgeRecord& want) {
  CHECK(got.seq == want.seq);
  CHECK(got.report_json == want.report_json);
  CHECK(BadgeToJson(got.badge) == BadgeToJson(want.badge));
}

inline void ContractPutAndGet(StoreBackend& backend) {
  auto store = backend.Open();
  BadgeRecord rec = MakeRecord(kCommitA, 3, BadgeState::kFailed, "main");
  CHECK(MustPut(*store, rec) == PutResult::kWritten);
  auto got = MustGetRevision(*store, kCommitA);
  REQUIRE(got.has_value());
  CheckSameRecord(*got, rec);
  CHECK(got->ref.empty());
  auto by_ref = MustGetRef(*store, "main");
  REQUIRE(by_ref.has_value());
  CheckSameRecord(*by_ref, rec);
  CHECK(by_ref->ref == "main");
}

inline void ContractUnknownIsNullopt(StoreBackend& backend) {
  auto store = backend.Open();
  CHECK_FALSE(MustGetRevision(*store, kCommitA).has_value());
  CHECK_FALSE(MustGetRef(*store, "main").has_value());
  MustPut(*store, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  CHECK_FALSE(MustGetRevision(*store, kCommitB).has_value());
  CHECK_FALSE(MustGetRevision(*store, kCommitA, "org/other").has_value());
  CHECK_FALSE(MustGetRef(*store, "dev").has_value());
  CHECK_FALSE(MustGetRef(*store, "main", "org/other").has_value());
}

inline void ContractRefFollowsPointer(StoreBackend& backend) {
  auto store = backend.Open();
  MustPut(*store, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  MustPut(*store, MakeRecord(kCommitB, 2, BadgeState::kFailed, "main"));
  auto got = MustGetRef(*store, "main");
  REQUIRE(got.has_value());
  CHECK(got->badge.commit == kCommitB);
  CHECK(got->badge.state == BadgeState::kFailed);
  // The pointer follows the revision record: a later write to B shows through the ref.
  MustPut(*store, MakeRecord(kCommitB, 4, BadgeState::kVerified));
  got = MustGetRef(*store, "main");
  REQUIRE(got.has_value());
  CHECK(got->seq == 4);
  CHECK(MustGetRevision(*store, kCommitA).has_value());  // A's record is kept
}

inline void ContractOlderNeverOverwritesNewer(StoreBackend& backend) {
  auto store = backend.Open();
  CHECK(MustPut(*store, MakeRecord(kCommitA, 7, BadgeState::kFailed)) == PutResult::kWritten);
  CHECK(MustPut(*store, MakeRecord(kCommitA, 5, BadgeState::kVerified)) == PutResult::kStale);
  auto got = MustGetRevision(*store, kCommitA);
  REQUIRE(got.has_value());
  CHECK(got->seq == 7);
  CHECK(got->badge.state == BadgeState::kFailed);
  CHECK(got->badge.message == "seq 7 failed");
  // Also an older pending.
  CHECK(MustPut(*store, MakeRecord(kCommitA, 6, BadgeState::kPending)) == PutResult::kStale);
  CHECK(MustGetRevision(*store, kCommitA)->seq == 7);
}

inline void ContractNewerOverwrites(StoreBackend& backend) {
  auto store = backend.Open();
  CHECK(MustPut(*store, MakeRecord(kCommitA, 5, BadgeState::kFailed)) == PutResult::kWritten);
  CHECK(MustPut(*store, MakeRecord(kCommitA, 6, BadgeState::kVerified)) == PutResult::kWritten);
  auto got = MustGetRevision(*store, kCommitA);
  REQUIRE(got.has_value());
  CheckSameRecord(*got, MakeRecord(kCommitA, 6, BadgeState::kVerified));
}

inline void ContractEqualSeqReplayIsStale(StoreBackend& backend) {
  auto store = backend.Open();
  BadgeRecord first = MakeRecord(kCommitA, 4, BadgeState::kVerified);
  CHECK(MustPut(*store, first) == PutResult::kWritten);
  BadgeRecord replay = MakeRecord(kCommitA, 4, BadgeState::kFailed);
  CHECK(MustPut(*store, replay) == PutResult::kStale);
  CheckSameRecord(*MustGetRevision(*store, kCommitA), first);
}

inline void ContractPendingReplacedByFinal(StoreBackend& backend) {
  auto store = backend.Open();
  CHECK(MustPut(*store, MakeRecord(kCommitA, 9, BadgeState::kPending)) == PutResult::kWritten);
  CHECK(MustGetRevision(*store, kCommitA)->badge.state == BadgeState::kPending);
  BadgeRecord final_rec = MakeRecord(kCommitA, 9, BadgeState::kUnverified);
  CHECK(MustPut(*store, final_rec) == PutResult::kWritten);
  CheckSameRecord(*MustGetRevision(*store, kCommitA), final_rec);
}

inline void ContractFinalNeverReplacedByPending(StoreBackend& backend) {
  auto store = backend.Open();
  BadgeRecord final_rec = MakeRecord(kCommitA, 9, BadgeState::kVerified);
  CHECK(MustPut(*store, final_rec) == PutResult::kWritten);
  CHECK(MustPut(*store, MakeRecord(kCommitA, 9, BadgeState::kPending)) == PutResult::kStale);
  CheckSameRecord(*MustGetRevision(*store, kCommitA), final_rec);
  // A pending of a newer event does replace it: that event is in progress.
  CHECK(MustPut(*store, MakeRecord(kCommitA, 10, BadgeState::kPending)) == PutResult::kWritten);
  CHECK(MustGetRevision(*store, kCommitA)->badge.state == BadgeState::kPending);
}

inline void ContractRefNeverMovesBackwards(StoreBackend& backend) {
  auto store = backend.Open();
  MustPut(*store, MakeRecord(kCommitB, 8, BadgeState::kVerified, "main"));
  // An older event for another commit arrives late: its revision is new (written), but the
  // pointer stays on the newer commit.
  CHECK(MustPut(*store, MakeRecord(kCommitA, 5, BadgeState::kFailed, "main")) ==
        PutResult::kWritten);
  CHECK(MustGetRef(*store, "main")->badge.commit == kCommitB);
  // Equal seq, different commit: no move either.
  MustPut(*store, MakeRecord(kCommitA, 8, BadgeState::kFailed, "main"));
  CHECK(MustGetRef(*store, "main")->badge.commit == kCommitB);
  // Equal seq, same commit (a replay): still B, record unchanged.
  CHECK(MustPut(*store, MakeRecord(kCommitB, 8, BadgeState::kFailed, "main")) == PutResult::kStale);
  auto got = MustGetRef(*store, "main");
  REQUIRE(got.has_value());
  CHECK(got->badge.commit == kCommitB);
  CHECK(got->badge.state == BadgeState::kVerified);
}

// A stale revision write still moves a pointer that is older than the event (badge_store.h).
inline void ContractStaleRevisionStillMovesOlderRef(StoreBackend& backend) {
  auto store = backend.Open();
  MustPut(*store, MakeRecord(kCommitA, 2, BadgeState::kVerified, "main"));
  MustPut(*store, MakeRecord(kCommitB, 9, BadgeState::kVerified, "dev"));
  // The event that put B on main (seq 5) arrives after B's newer record (seq 9).
  CHECK(MustPut(*store, MakeRecord(kCommitB, 5, BadgeState::kFailed, "main")) == PutResult::kStale);
  auto got = MustGetRef(*store, "main");
  REQUIRE(got.has_value());
  CHECK(got->badge.commit == kCommitB);
  CHECK(got->seq == 9);  // the newer record of B, not the stale one
  CHECK(got->badge.state == BadgeState::kVerified);
  // And an even older event for A cannot pull main back.
  MustPut(*store, MakeRecord(kCommitA, 3, BadgeState::kVerified, "main"));
  CHECK(MustGetRef(*store, "main")->badge.commit == kCommitB);
}

inline void ContractRefsIndependent(StoreBackend& backend) {
  auto store = backend.Open();
  MustPut(*store, MakeRecord(kCommitA, 10, BadgeState::kVerified, "main"));
  MustPut(*store, MakeRecord(kCommitB, 3, BadgeState::kFailed, "dev"));
  CHECK(MustGetRef(*store, "main")->badge.commit == kCommitA);
  CHECK(MustGetRef(*store, "dev")->badge.commit == kCommitB);
  // The same ref name in another repo is another pointer.
  MustPut(*store, MakeRecord(kCommitB, 1, BadgeState::kFailed, "main", "org/other"));
  CHECK(MustGetRef(*store, "main", "org/other")->badge.commit == kCommitB);
  CHECK(MustGetRef(*store, "main")->badge.commit == kCommitA);
}

inline void ContractReopenKeepsEverything(StoreBackend& backend) {
  BadgeRecord a = MakeRecord(kCommitA, 11, BadgeState::kVerified, "main");
  BadgeRecord b = MakeRecord(kCommitB, 12, BadgeState::kPending, "dev");
  {
    auto store = backend.Open();
    MustPut(*store, a);
    MustPut(*store, b);
  }
  auto store = backend.Open();
  CheckSameRecord(*MustGetRevision(*store, kCommitA), a);
  CheckSameRecord(*MustGetRevision(*store, kCommitB), b);
  CHECK(MustGetRef(*store, "main")->badge.commit == kCommitA);
  CHECK(MustGetRef(*store, "dev")->badge.commit == kCommitB);
  // The ordering rules hold across the restart.
  CHECK(MustPut(*store, MakeRecord(kCommitA, 10, BadgeState::kFailed)) == PutResult::kStale);
  CHECK(MustPut(*store, MakeRecord(kCommitB, 12, BadgeState::kFailed)) == PutResult::kWritten);
}

// Several threads write interleaved seqs; the record and the pointer end at the maximum.
inline void RunConcurrentWriters(const std::vector<BadgeStore*>& stores) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 40;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      BadgeStore& store = *stores[t % stores.size()];
      for (int i = 0; i < kPerThread; ++i) {
        int64_t seq = static_cast<int64_t>(i) * kThreads + t + 1;  // 1 .. kThreads*kPerThread
        const std::string& commit = seq % 2 == 0 ? kCommitA : kCommitB;
        if (!store.Put(MakeRecord(commit, seq, BadgeState::kVerified, "main")).ok() ||
            !store.Put(MakeRecord(kCommitA, seq, BadgeState::kVerified)).ok() ||
            !store.GetRef(kRepo, "main").ok()) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(std::count(failures.begin(), failures.end(), 0) == kThreads);
  constexpr int64_t kMax = kThreads * kPerThread;
  BadgeStore& store = *stores[0];
  CHECK(MustGetRevision(store, kCommitA)->seq == kMax);
  auto head = MustGetRef(store, "main");
  REQUIRE(head.has_value());
  CHECK(head->badge.commit == kCommitA);  // kMax is even
  CHECK(head->seq == kMax);
  CHECK(MustGetRevision(store, kCommitB)->seq == kMax - 1);
}

inline void ContractConcurrentWritersOneStore(StoreBackend& backend) {
  auto store = backend.Open();
  RunConcurrentWriters({store.get()});
}

// Two stores over the same storage (two worker processes) behave like one.
inline void ContractConcurrentWritersTwoStores(StoreBackend& backend) {
  auto first = backend.Open();
  auto second = backend.Open();
  RunConcurrentWriters({first.get(), second.get()});
}

inline void ContractRejectsRecordWithoutKey(StoreBackend& backend) {
  auto store = backend.Open();
  BadgeRecord no_commit = MakeRecord("", 1);
  Result<PutResult> r = store->Put(no_commit);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kInvalidInput);
  BadgeRecord no_repo = MakeRecord(kCommitA, 1, BadgeState::kVerified, "main", "");
  r = store->Put(no_repo);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kInvalidInput);
  CHECK_FALSE(MustGetRevision(*store, kCommitA, "").has_value());
}

// Keys are data: quotes, SQL, unicode and binary-ish bytes round-trip and stay apart.
inline void ContractHostileKeys(StoreBackend& backend) {
  auto store = backend.Open();
  const std::string repo = "o'rg\"/x; DROP TABLE revisions;--";
  const std::string ref = "refs/heads/\xC3\xA9t\xC3\xA9 *";
  BadgeRecord rec = MakeRecord(kCommitA, 2, BadgeState::kFailed, ref, repo);
  CHECK(MustPut(*store, rec) == PutResult::kWritten);
  CheckSameRecord(*MustGetRevision(*store, kCommitA, repo), rec);
  CHECK(MustGetRef(*store, ref, repo)->badge.commit == kCommitA);
  CHECK_FALSE(MustGetRef(*store, "refs/heads/*", repo).has_value());
  CHECK_FALSE(MustGetRevision(*store, kCommitA, "o'rg%").has_value());
}

inline void MustOk(const Status& s) {
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
}

inline void ContractDeleteRef(StoreBackend& backend) {
  auto store = backend.Open();
  MustPut(*store, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  MustPut(*store, MakeRecord(kCommitA, 1, BadgeState::kVerified, "dev"));
  MustOk(store->DeleteRef(kRepo, "main"));
  CHECK_FALSE(MustGetRef(*store, "main").has_value());
  CHECK(MustGetRef(*store, "dev").has_value());          // other refs stay
  CHECK(MustGetRevision(*store, kCommitA).has_value());  // the revision stays readable
  MustOk(store->DeleteRef(kRepo, "main"));               // idempotent
  MustOk(store->DeleteRef("org/unknown", "main"));
  // A later event may point the ref again.
  MustPut(*store, MakeRecord(kCommitB, 2, BadgeState::kFailed, "main"));
  CHECK(MustGetRef(*store, "main")->badge.commit == kCommitB);
}

inline void ContractPurgeRepo(StoreBackend& backend) {
  auto store = backend.Open();
  const std::string other = "org/other";
  MustPut(*store, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  MustPut(*store, MakeRecord(kCommitB, 2, BadgeState::kVerified, "dev"));
  MustPut(*store, MakeRecord(kCommitA, 3, BadgeState::kVerified, "main", other));
  MustPut(*store, MakeRecord(kCommitA, 3, BadgeState::kVerified, "main", "org/model2"));
  MustOk(store->PurgeRepo(kRepo));
  CHECK_FALSE(MustGetRevision(*store, kCommitA).has_value());
  CHECK_FALSE(MustGetRevision(*store, kCommitB).has_value());
  CHECK_FALSE(MustGetRef(*store, "main").has_value());
  CHECK_FALSE(MustGetRef(*store, "dev").has_value());
  CHECK(MustGetRef(*store, "main", other).has_value());         // other repos untouched
  CHECK(MustGetRef(*store, "main", "org/model2").has_value());  // a prefix is not a match
  MustOk(store->PurgeRepo(kRepo));                              // idempotent
}

inline void ContractMoveRepo(StoreBackend& backend) {
  auto store = backend.Open();
  const std::string to = "neworg/model";
  MustPut(*store, MakeRecord(kCommitA, 1, BadgeState::kVerified, "main"));
  MustPut(*store, MakeRecord(kCommitB, 2, BadgeState::kFailed, "dev"));
  MustOk(store->MoveRepo(kRepo, to));
  CHECK_FALSE(MustGetRevision(*store, kCommitA).has_value());
  CHECK_FALSE(MustGetRef(*store, "main").has_value());
  auto main = MustGetRef(*store, "main", to);
  REQUIRE(main.has_value());
  CHECK(main->badge.repo == to);
  CHECK(main->badge.commit == kCommitA);
  CHECK(main->badge.chain.at(0).repo == to);
  CHECK(main->seq == 1);
  CHECK(main->report_json == "{\"seq\":1}");
  auto dev = MustGetRef(*store, "dev", to);
  REQUIRE(dev.has_value());
  CHECK(dev->badge.state == BadgeState::kFailed);
  MustOk(store->MoveRepo(kRepo, to));  // nothing left to move: Ok
  MustOk(store->MoveRepo(to, to));     // onto itself: no-op
  CHECK(MustGetRef(*store, "main", to).has_value());
}

// Moving onto a repo that already has newer records keeps the newer ones (the Put rules).
inline void ContractMoveRepoKeepsNewer(StoreBackend& backend) {
  auto store = backend.Open();
  const std::string to = "neworg/model";
  MustPut(*store, MakeRecord(kCommitA, 5, BadgeState::kVerified, "main"));
  MustPut(*store, MakeRecord(kCommitB, 1, BadgeState::kFailed, "dev"));
  MustPut(*store, MakeRecord(kCommitA, 9, BadgeState::kFailed, "main", to));
  MustPut(*store, MakeRecord(kCommitA, 0, BadgeState::kUnverified, "dev", to));
  MustOk(store->MoveRepo(kRepo, to));
  auto main = MustGetRef(*store, "main", to);
  REQUIRE(main.has_value());
  CHECK(main->seq == 9);  // the newer record at `to` stays
  CHECK(main->badge.state == BadgeState::kFailed);
  auto dev = MustGetRef(*store, "dev", to);
  REQUIRE(dev.has_value());
  CHECK(dev->badge.commit == kCommitB);  // the moved pointer was newer
  CHECK(dev->badge.repo == to);
  CHECK_FALSE(MustGetRef(*store, "dev").has_value());
}

inline void ContractPing(StoreBackend& backend) {
  auto store = backend.Open();
  MustOk(store->Ping());
}

struct ContractCase {
  const char* name;
  void (*run)(StoreBackend&);
};

inline const std::vector<ContractCase>& ContractCases() {
  static const std::vector<ContractCase> kCases = {
      {"put then get revision and ref", ContractPutAndGet},
      {"unknown repo, commit or ref is nullopt", ContractUnknownIsNullopt},
      {"get ref follows the pointer", ContractRefFollowsPointer},
      {"older seq never overwrites newer (7 then 5)", ContractOlderNeverOverwritesNewer},
      {"newer seq overwrites", ContractNewerOverwrites},
      {"equal seq replay is stale", ContractEqualSeqReplayIsStale},
      {"pending replaced by final of the same seq", ContractPendingReplacedByFinal},
      {"final never replaced by pending of the same seq", ContractFinalNeverReplacedByPending},
      {"ref pointer never moves backwards", ContractRefNeverMovesBackwards},
      {"stale revision write still moves an older ref", ContractStaleRevisionStillMovesOlderRef},
      {"refs are independent", ContractRefsIndependent},
      {"reopen keeps everything", ContractReopenKeepsEverything},
      {"concurrent writers on one store end at the max seq", ContractConcurrentWritersOneStore},
      {"concurrent writers on two stores end at the max seq", ContractConcurrentWritersTwoStores},
      {"record without repo or commit is invalid input", ContractRejectsRecordWithoutKey},
      {"hostile keys are plain data", ContractHostileKeys},
      {"delete ref removes only the pointer", ContractDeleteRef},
      {"purge repo removes only that repo", ContractPurgeRepo},
      {"move repo re-keys records and pointers", ContractMoveRepo},
      {"move repo onto newer records keeps the newer", ContractMoveRepoKeepsNewer},
      {"ping answers", ContractPing},
  };
  return kCases;
}

}  // namespace provbadge::badges::contract

#include "badges/badge_store_contract_lineage.h"

namespace provbadge::badges::contract {

// Runs every contract case (both parts) in its own SECTION, each on fresh storage from
// `make_backend`.
inline void RunBadgeStoreContract(const BackendFactory& make_backend) {
  for (const auto* cases : {&ContractCases(), &LineageContractCases()}) {
    for (const ContractCase& c : *cases) {
      DYNAMIC_SECTION(c.name) {
        std::unique_ptr<StoreBackend> backend = make_backend();
        REQUIRE(backend != nullptr);
        c.run(*backend);
      }
    }
  }
}

}  // namespace provbadge::badges::contract

#endif  // PROVBADGE_TESTS_BADGES_BADGE_STORE_CONTRACT_H_
