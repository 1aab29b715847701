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
//  - GetBadgeJson() is the read path of the HTTP API: the badge JSON bytes exactly as Put()
//    wrote them (BadgeToJson of the stored record), without the report and without parsing,
//    in at most one storage round trip per key it reads (an implementation may serve it from
//    a cache that storage invalidates: never a value older than the last write it has been
//    told about). By ref it follows the (repo, ref) pointer like GetRef(). nullopt when
//    unknown.
//  - Lineage cache (verifier LineageCache): opaque node JSON per (repo, commit, policy
//    digest); PutCachedNode overwrites; DropCachedNodes removes every policy digest of one
//    revision. Empty repo, commit or policy digest is kInvalidInput.
//  - Lineage index: RecordLineage(child, parents, signers) adds child to Children(p) for each
//    parent p and to SignedBy(s) for each signer s (set-add: replays change nothing; an
//    earlier call's entries are never removed). Children() and SignedBy() return each entry
//    once, sorted by (repo, commit); empty when unknown.
//  - Revocations: AddRevocation is idempotent per key (kind "revision": repo + commit; kind
//    "signer": signer); re-adding a known key keeps the first one (its reason and created_at).
//    Anything else (unknown kind, missing key part) is kInvalidInput. ListRevocations returns
//    them sorted by (kind, repo, commit, signer).
//  - PurgeRepo(repo) also drops the cached nodes of the repo's revisions and removes its
//    revisions from the lineage index as children (from every Children() and SignedBy() set);
//    index entries where a revision of the purged repo is the PARENT stay (its children still
//    exist and were built from it, so a later revocation of it still reaches them).
//    Revocations stay. MoveRepo(from, to) drops the cached nodes of `from` (their bytes name
//    the old repo; they are re-verified on demand), renames `from` to `to` everywhere in the
//    lineage index (as child and as parent), and copies revision revocations of `from` to `to`
//    (keeping the originals), so a rename never evades a revocation.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef PROVBADGE_BADGES_BADGE_STORE_H_
#define PROVBADGE_BADGES_BADGE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/badges/badge.h"
#include "provbadge/common/result.h"

namespace provbadge::badges {

struct BadgeRecord {
  Badge badge;              // badge.repo and badge.commit are the key
  std::string ref;          // e.g. "main"; empty: no pointer update
  int64_t seq = 0;          // the event's seq (larger is newer)
  std::string report_json;  // the full verification report; may be empty for pending
  std::string vsa_json;     // DSSE envelope of the signed verdict (badges/verdict.h); may be empty
};

// One revision, as a key of the lineage index.
struct RevisionKey {
  std::string repo;    // "org/name"
  std::string commit;  // 40-hex
  friend bool operator==(const RevisionKey&, const RevisionKey&) = default;
  friend auto operator<=>(const RevisionKey&, const RevisionKey&) = default;
};

struct Revocation {
  std::string kind;          // "revision" | "signer"
  std::string repo, commit;  // kind "revision"
  std::string signer;        // kind "signer": a policy identity name
  std::string reason;
  std::string created_at;  // RFC 3339 UTC, set by the caller
};

enum class PutResult { kWritten, kStale };

// The counters of a store's in-process badge read cache (BadgeStore::ReadCache).
struct ReadCacheStats {
  uint64_t hits = 0, misses = 0;
  uint64_t invalidations = 0;  // keys named by invalidation messages
  uint64_t flushes = 0;        // whole-cache flushes (tracking lost or restarted, flushall)
  uint64_t evictions = 0;      // entries dropped to stay within the bounds
  uint64_t discards = 0;       // replies not cached because an invalidation overtook them
  uint64_t entries = 0, bytes = 0;
  bool tracking = false;           // invalidations are flowing: reads may be served cached
  int64_t tracking_client_id = 0;  // the store's invalidation connection (Redis CLIENT ID)
};

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

  // The badge HTTP read: stored badge JSON bytes. `by_ref` false: `ref_or_commit` is a commit.
  virtual Result<std::optional<std::string>> GetBadgeJson(std::string_view repo,
                                                          std::string_view ref_or_commit,
                                                          bool by_ref) = 0;
  // The read cache's counters; nullopt when the store has no read cache (SQLite, or turned
  // off).
  virtual std::optional<ReadCacheStats> ReadCache() const { return std::nullopt; }

  // Lineage cache.
  virtual Result<std::optional<std::string>> GetCachedNode(std::string_view repo,
                                                           std::string_view commit,
                                                           std::string_view policy_digest) = 0;
  virtual Status PutCachedNode(std::string_view repo, std::string_view commit,
                               std::string_view policy_digest, std::string_view node_json) = 0;
  virtual Status DropCachedNodes(std::string_view repo, std::string_view commit) = 0;

  // Lineage index.
  virtual Status RecordLineage(const RevisionKey& child, const std::vector<RevisionKey>& parents,
                               const std::vector<std::string>& signers) = 0;
  virtual Result<std::vector<RevisionKey>> Children(const RevisionKey& parent) = 0;
  virtual Result<std::vector<RevisionKey>> SignedBy(std::string_view signer) = 0;

  // Revocations.
  virtual Status AddRevocation(const Revocation& revocation) = 0;
  virtual Result<std::vector<Revocation>> ListRevocations() = 0;
};

// Shared validation of the implementations: kInvalidInput naming what is wrong, else Ok.
Status ValidateRevisionKey(const RevisionKey& key, std::string_view what);
Status ValidateRevocation(const Revocation& revocation);

}  // namespace provbadge::badges

#endif  // PROVBADGE_BADGES_BADGE_STORE_H_
