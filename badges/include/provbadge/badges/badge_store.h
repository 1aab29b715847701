// Where badges live for the web tier (embedded SQLite now, Redis later).
//
// Contract, for every implementation:
//  - Put() writes the revision record (repo, commit) only if `record.seq` is newer than the
//    stored one, or equal while the stored badge is still pending (a pending badge is replaced
//    by the final badge of the same event). Otherwise it is a no-op reporting kStale.
//  - When `record.ref` is not empty, the ref pointer (repo, ref) -> commit moves to this
//    commit only if `record.seq` is newer than the pointer's seq (or equal, same commit).
//    Both writes happen atomically together. The pointer rule is independent of the revision
//    rule: when the revision write is stale (kStale) the pointer may still move to this commit
//    if `record.seq` is newer than the pointer's seq (the commit's stored record is then the
//    newer one already there). It compares only against the pointer's own seq, so it never
//    moves backwards, and it only ever names a commit that has a revision record.
//  - Put() returns kWritten if the revision record was written, else kStale; kInvalidInput if
//    badge.repo or badge.commit is empty.
//  - GetRevision() returns the record with an empty `ref`; GetRef() returns the record of the
//    commit the pointer names, with `ref` set to the ref asked for. nullopt when unknown.
//  - Readers never see a partial record. Replays and reordering can never make an older
//    result overwrite a newer one.
//  - kUnavailable on a storage fault: the caller retries; the previous badge stays.
//  - DeleteRef() removes the (repo, ref) pointer (a deleted branch or tag); the revision
//    records stay readable by commit. PurgeRepo() removes every record and pointer of the repo
//    (a deleted repo). MoveRepo(from, to) re-keys every record and pointer of `from` to `to`
//    (badge.repo and chain entries naming `from` renamed) and removes `from`; where `to`
//    already holds a record or pointer, the Put() ordering rules decide which one stays, so a
//    move never lets an older verdict replace a newer one. All three are idempotent (Ok when
//    there is nothing to remove or move) and atomic.
//  - Ping() is a cheap reachability check for readiness probes: Ok when the storage answers.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef PROVBADGE_BADGES_BADGE_STORE_H_
#define PROVBADGE_BADGES_BADGE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "provbadge/badges/badge.h"
#include "provbadge/common/result.h"

namespace provbadge::badges {

struct BadgeRecord {
  Badge badge;              // badge.repo and badge.commit are the key
  std::string ref;          // e.g. "main"; empty: no pointer update
  int64_t seq = 0;          // the event's seq (larger is newer)
  std::string report_json;  // the full verification report; may be empty for pending
};

enum class PutResult { kWritten, kStale };

// `record` re-keyed from repo `from` to repo `to`: badge.repo and every chain entry naming
// `from` are renamed; everything else (seq, state, report) is kept. For MoveRepo
// implementations.
BadgeRecord RenamedRecord(const BadgeRecord& record, std::string_view from, std::string_view to);

class BadgeStore {
 public:
  virtual ~BadgeStore() = default;
  virtual Result<PutResult> Put(const BadgeRecord& record) = 0;
  virtual Result<std::optional<BadgeRecord>> GetRevision(std::string_view repo,
                                                         std::string_view commit) = 0;
  // Follows the (repo, ref) pointer to its revision record.
  virtual Result<std::optional<BadgeRecord>> GetRef(std::string_view repo,
                                                    std::string_view ref) = 0;
  virtual Status DeleteRef(std::string_view repo, std::string_view ref) = 0;
  virtual Status PurgeRepo(std::string_view repo) = 0;
  virtual Status MoveRepo(std::string_view from, std::string_view to) = 0;
  virtual Status Ping() = 0;
};

}  // namespace provbadge::badges

#endif  // PROVBADGE_BADGES_BADGE_STORE_H_
