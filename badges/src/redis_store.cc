// The Redis badge store (redis_store.h): a RedisPool of hiredis connections and Lua scripts
// for every multi-key write (redis_scripts.h, redis_lineage_scripts.h).
#include "provbadge/badges/redis_store.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <tuple>
#include <vector>

#include "redis_pool.h"
#include "redis_scripts.h"
#include "redis_tracked_read.h"

namespace provbadge::badges {
namespace {

using internal::RedisPool;
using internal::RedisScript;
using internal::ReplyPtr;
using internal::ReplyText;
using Lease = RedisPool::Lease;
using std::chrono::milliseconds;

constexpr int kMoveAttempts = 4;  // MoveRepo retries when `from` changes while it reads
constexpr int kMaxPoolSize = 64;
constexpr size_t kMinCacheBytes = 4096;

std::string NowRfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string WithLib(const char* body) { return std::string(internal::kLineageLib) + body; }

class RedisBadgeStore final : public BadgeStore {
 public:
  RedisBadgeStore(const RedisStoreOptions& options, const RedisEndpoint& endpoint)
      : pool_(options, endpoint), p_(options.key_prefix) {
    if (options.read_cache)
      tracked_ = std::make_unique<internal::RedisTrackedReader>(options, endpoint);
  }

  Status Init() {
    Lease lease(pool_.FirstSlot());
    for (RedisScript* script : {&put_, &read_ref_, &delete_ref_, &purge_, &move_, &lineage_,
                                &put_node_, &drop_nodes_, &revoke_}) {
      if (Status s = pool_.Load(lease.slot(), *script); !s.ok()) return s;
    }
    return tracked_ ? tracked_->Start() : Status::Ok();
  }

  Result<PutResult> Put(const BadgeRecord& record) override {
    const Badge& badge = record.badge;
    if (badge.repo.empty() || badge.commit.empty()) {
      return InvalidInput("redis badge store: put: badge.repo and badge.commit are required");
    }
    std::vector<std::string> keys = {RedisBadgeKey(p_, badge.repo, badge.commit),
                                     RedisTaggedKey(p_, "commits", badge.repo)};
    if (!record.ref.empty()) {
      keys.push_back(RedisRefKey(p_, badge.repo, record.ref));
      keys.push_back(RedisTaggedKey(p_, "refs", badge.repo));
    }
    Lease lease(pool_.PickSlot());
    Result<ReplyPtr> reply = pool_.Eval(
        lease.slot(), put_, keys,
        {std::to_string(record.seq), std::string(BadgeStateName(badge.state)), BadgeToJson(badge),
         record.report_json, NowRfc3339(), badge.commit, record.ref, record.vsa_json});
    Forget(
        {keys[0], record.ref.empty() ? std::string() : keys[2]});  // even on error: it may have run
    if (!reply.ok()) return reply.error().Wrap("put");
    if ((*reply)->type != REDIS_REPLY_INTEGER) return pool_.Unexpected(reply->get(), "put");
    return (*reply)->integer == 1 ? PutResult::kWritten : PutResult::kStale;
  }

  Result<std::optional<std::string>> GetBadgeJson(std::string_view repo,
                                                  std::string_view ref_or_commit,
                                                  bool by_ref) override {
    if (tracked_) {
      auto cached = tracked_->GetBadgeJson(repo, ref_or_commit, by_ref);
      if (cached) return std::move(*cached);  // else: not tracking right now, read uncached
    }
    Lease lease(pool_.PickSlot());
    Result<ReplyPtr> reply =
        by_ref ? pool_.Eval(lease.slot(), read_ref_, {RedisRefKey(p_, repo, ref_or_commit)},
                            {RedisBadgeKey(p_, repo, "")})
               : pool_.Run(lease.slot(), {"HGET", RedisBadgeKey(p_, repo, ref_or_commit), "badge"});
    return OptionalString(reply, "get badge");
  }

  std::optional<ReadCacheStats> ReadCache() const override {
    if (!tracked_) return std::nullopt;
    return tracked_->Stats();
  }

  Status DeleteRef(std::string_view repo, std::string_view ref) override {
    Lease lease(pool_.PickSlot());
    std::string ref_key = RedisRefKey(p_, repo, ref);
    Result<ReplyPtr> reply = pool_.Eval(
        lease.slot(), delete_ref_, {ref_key, RedisTaggedKey(p_, "refs", repo)}, {std::string(ref)});
    Forget({ref_key});
    return pool_.ExpectInteger(reply, "delete ref");
  }

  Status PurgeRepo(std::string_view repo) override {
    Lease lease(pool_.PickSlot());
    Result<ReplyPtr> reply =
        pool_.Eval(lease.slot(), purge_,
                   {RedisTaggedKey(p_, "commits", repo), RedisTaggedKey(p_, "refs", repo)},
                   {RedisBadgeKey(p_, repo, ""), RedisRefKey(p_, repo, ""), p_, std::string(repo)});
    if (tracked_) tracked_->Flush();  // many keys; rare
    return pool_.ExpectInteger(reply, "purge repo");
  }

  Status MoveRepo(std::string_view from, std::string_view to) override {
    if (from == to) return Status::Ok();
    Lease lease(pool_.PickSlot());
    Status status =
        Unavailable(pool_.Where() + ": move repo: the repository kept changing; try again");
    for (int attempt = 0; attempt < kMoveAttempts; ++attempt) {
      Result<bool> moved = MoveOnce(lease.slot(), from, to);
      if (!moved.ok() || *moved) {
        status = moved.ok() ? Status::Ok() : Status(moved.error().Wrap("move repo"));
        break;
      }
    }
    if (tracked_) tracked_->Flush();  // many keys; rare
    return status;
  }

  Status Ping() override {
    Lease lease(pool_.PickSlot());
    Result<ReplyPtr> reply = pool_.Run(lease.slot(), {"PING"});
    if (!reply.ok()) return reply.error().Wrap("ping");
    if ((*reply)->type != REDIS_REPLY_STATUS) return pool_.Unexpected(reply->get(), "ping");
    return Status::Ok();
  }

  Result<std::optional<BadgeRecord>> GetRevision(std::string_view repo,
                                                 std::string_view commit) override {
    Lease lease(pool_.PickSlot());
    return ReadRecord(lease.slot(), RedisBadgeKey(p_, repo, commit), "");
  }

  Result<std::optional<BadgeRecord>> GetRef(std::string_view repo, std::string_view ref) override {
    Lease lease(pool_.PickSlot());
    Result<ReplyPtr> pointer =
        pool_.Run(lease.slot(), {"HGET", RedisRefKey(p_, repo, ref), "commit"});
    Result<std::optional<std::string>> commit = OptionalString(pointer, "get ref");
    if (!commit.ok()) return commit.error();
    if (!commit->has_value()) return std::optional<BadgeRecord>();
    return ReadRecord(lease.slot(), RedisBadgeKey(p_, repo, **commit), ref);
  }

  Result<std::optional<std::string>> GetCachedNode(std::string_view repo, std::string_view commit,
                                                   std::string_view policy_digest) override {
    if (Status s = CheckNodeKey(repo, commit, policy_digest); !s.ok()) return s.error();
    Lease lease(pool_.PickSlot());
    return OptionalString(
        pool_.Run(lease.slot(), {"HGET", RedisRepoKey(p_, "node", repo, commit), policy_digest}),
        "get cached node");
  }

  Status PutCachedNode(std::string_view repo, std::string_view commit,
                       std::string_view policy_digest, std::string_view node_json) override {
    if (Status s = CheckNodeKey(repo, commit, policy_digest); !s.ok()) return s;
    Lease lease(pool_.PickSlot());
    return pool_.ExpectInteger(
        pool_.Eval(lease.slot(), put_node_,
                   {RedisRepoKey(p_, "node", repo, commit), RedisTaggedKey(p_, "nodes", repo)},
                   {std::string(policy_digest), std::string(node_json), std::string(commit)}),
        "put cached node");
  }

  Status DropCachedNodes(std::string_view repo, std::string_view commit) override {
    Lease lease(pool_.PickSlot());
    return pool_.ExpectInteger(
        pool_.Eval(lease.slot(), drop_nodes_,
                   {RedisRepoKey(p_, "node", repo, commit), RedisTaggedKey(p_, "nodes", repo)},
                   {std::string(commit)}),
        "drop cached nodes");
  }

  Status RecordLineage(const RevisionKey& child, const std::vector<RevisionKey>& parents,
                       const std::vector<std::string>& signers) override {
    if (Status s = ValidateRevisionKey(child, "record lineage"); !s.ok()) return s;
    std::vector<std::string> argv = {p_, child.repo, child.commit, std::to_string(parents.size())};
    for (const RevisionKey& parent : parents) {
      if (Status s = ValidateRevisionKey(parent, "record lineage"); !s.ok()) return s;
      argv.push_back(parent.repo);
      argv.push_back(parent.commit);
    }
    for (const std::string& signer : signers) {
      if (signer.empty()) return InvalidInput("redis badge store: record lineage: empty signer");
      argv.push_back(signer);
    }
    Lease lease(pool_.PickSlot());
    return pool_.ExpectInteger(pool_.Eval(lease.slot(), lineage_, {}, argv), "record lineage");
  }

  Result<std::vector<RevisionKey>> Children(const RevisionKey& parent) override {
    return RevisionSet(RedisRepoKey(p_, "children", parent.repo, parent.commit), "children");
  }

  Result<std::vector<RevisionKey>> SignedBy(std::string_view signer) override {
    return RevisionSet(RedisTaggedKey(p_, "signed", signer), "signed by");
  }

  Status AddRevocation(const Revocation& r) override {
    if (Status s = ValidateRevocation(r); !s.ok()) return s;
    std::vector<std::string> keys = {RevocationsKey()};
    if (r.kind == "revision") keys.push_back(RedisTaggedKey(p_, "revoked", r.repo));
    Lease lease(pool_.PickSlot());
    return pool_.ExpectInteger(
        pool_.Eval(lease.slot(), revoke_, keys,
                   {RedisJoinFields({r.kind, r.repo, r.commit, r.signer}),
                    RedisJoinFields({r.kind, r.repo, r.commit, r.signer, r.reason, r.created_at})}),
        "add revocation");
  }

  Result<std::vector<Revocation>> ListRevocations() override {
    Result<std::vector<std::string>> values = Strings({"HVALS", RevocationsKey()}, "revocations");
    if (!values.ok()) return values.error();
    std::vector<Revocation> out;
    for (const std::string& value : *values) {
      std::optional<std::vector<std::string>> f = RedisSplitFields(value);
      if (!f || f->size() != 6) {
        return Internal("redis badge store: " + RevocationsKey() + ": a stored value is corrupt");
      }
      out.push_back(Revocation{(*f)[0], (*f)[1], (*f)[2], (*f)[3], (*f)[4], (*f)[5]});
    }
    std::sort(out.begin(), out.end(), [](const Revocation& a, const Revocation& b) {
      return std::tie(a.kind, a.repo, a.commit, a.signer) <
             std::tie(b.kind, b.repo, b.commit, b.signer);
    });
    return out;
  }

 private:
  static Status CheckNodeKey(std::string_view repo, std::string_view commit,
                             std::string_view policy_digest) {
    if (repo.empty() || commit.empty() || policy_digest.empty()) {
      return InvalidInput(
          "redis badge store: cached node: repo, commit and policy digest are required");
    }
    return Status::Ok();
  }

  std::string RevocationsKey() const { return p_ + ":revocations"; }

  // Drops what this process just wrote from the read cache (read-your-writes).
  void Forget(std::initializer_list<std::string> keys) {
    if (!tracked_) return;
    for (const std::string& key : keys) {
      if (!key.empty()) tracked_->Forget(key);
    }
  }

  // A bulk string or nil reply.
  Result<std::optional<std::string>> OptionalString(const Result<ReplyPtr>& reply,
                                                    std::string_view what) const {
    if (!reply.ok()) return reply.error().Wrap(what);
    if ((*reply)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
    if ((*reply)->type != REDIS_REPLY_STRING) return pool_.Unexpected(reply->get(), what);
    return std::optional<std::string>(ReplyText(reply->get()));
  }

  // An array-of-strings reply (SMEMBERS, HVALS).
  Result<std::vector<std::string>> Strings(const std::vector<std::string_view>& args,
                                           std::string_view what) {
    Lease lease(pool_.PickSlot());
    return StringsLocked(lease.slot(), args, what);
  }
  Result<std::vector<std::string>> StringsLocked(RedisPool::Slot& slot,
                                                 const std::vector<std::string_view>& args,
                                                 std::string_view what) {
    Result<ReplyPtr> reply = pool_.Run(slot, args);
    if (!reply.ok()) return reply.error().Wrap(what);
    if ((*reply)->type != REDIS_REPLY_ARRAY) return pool_.Unexpected(reply->get(), what);
    std::vector<std::string> out;
    for (size_t i = 0; i < (*reply)->elements; ++i) out.push_back(ReplyText((*reply)->element[i]));
    return out;
  }

  // A lineage set of encoded revisions, decoded and sorted.
  Result<std::vector<RevisionKey>> RevisionSet(const std::string& key, std::string_view what) {
    Result<std::vector<std::string>> members = Strings({"SMEMBERS", key}, what);
    if (!members.ok()) return members.error();
    std::vector<RevisionKey> out;
    for (const std::string& member : *members) {
      std::optional<std::vector<std::string>> parts = RedisSplitFields(member);
      if (!parts || parts->size() != 2) {
        return Internal("redis badge store: " + key + ": a stored member is corrupt");
      }
      out.push_back(RevisionKey{(*parts)[0], (*parts)[1]});
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Reads `from`, renames its badges, and moves everything in one script. False when `from`
  // changed in between (nothing written). REQUIRES: slot.mu held.
  Result<bool> MoveOnce(RedisPool::Slot& slot, std::string_view from, std::string_view to) {
    std::string from_commits = RedisTaggedKey(p_, "commits", from);
    std::string from_refs = RedisTaggedKey(p_, "refs", from);
    Result<std::vector<std::string>> commits = StringsLocked(slot, {"SMEMBERS", from_commits}, "");
    if (!commits.ok()) return commits.error();
    Result<std::vector<std::string>> refs = StringsLocked(slot, {"SMEMBERS", from_refs}, "");
    if (!refs.ok()) return refs.error();
    std::vector<std::string> keys = {from_commits, from_refs, RedisTaggedKey(p_, "commits", to),
                                     RedisTaggedKey(p_, "refs", to)};
    std::vector<std::string> argv = {std::to_string(commits->size()), std::to_string(refs->size())};
    for (const std::string& commit : *commits) {
      Result<std::optional<BadgeRecord>> record =
          ReadRecord(slot, RedisBadgeKey(p_, from, commit), "");
      if (!record.ok()) return record.error();
      if (!record->has_value()) return false;  // changed under us
      keys.push_back(RedisBadgeKey(p_, from, commit));
      keys.push_back(RedisBadgeKey(p_, to, commit));
      argv.push_back(std::to_string((*record)->seq));
      argv.push_back(BadgeToJson(RenamedRecord(**record, from, to).badge));
      argv.push_back(commit);
    }
    for (const std::string& ref : *refs) {
      keys.push_back(RedisRefKey(p_, from, ref));
      keys.push_back(RedisRefKey(p_, to, ref));
      argv.push_back(ref);
    }
    argv.insert(argv.end(), {p_, std::string(from), std::string(to)});
    Result<ReplyPtr> reply = pool_.Eval(slot, move_, keys, argv);
    if (!reply.ok()) return reply.error();
    if ((*reply)->type != REDIS_REPLY_INTEGER) return pool_.Unexpected(reply->get(), "move");
    return (*reply)->integer == 1;
  }

  Result<std::optional<BadgeRecord>> ReadRecord(RedisPool::Slot& slot, const std::string& key,
                                                std::string_view ref) {
    Result<ReplyPtr> r = pool_.Run(slot, {"HMGET", key, "seq", "badge", "report", "vsa"});
    if (!r.ok()) return r.error().Wrap("get");
    const redisReply* reply = r->get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
      return pool_.Unexpected(reply, "get");
    }
    const redisReply* seq = reply->element[0];
    const redisReply* badge_json = reply->element[1];
    if (seq->type == REDIS_REPLY_NIL && badge_json->type == REDIS_REPLY_NIL) {
      return std::optional<BadgeRecord>();
    }
    BadgeRecord record;
    std::string seq_text = ReplyText(seq);
    auto [end, ec] =
        std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), record.seq);
    if (seq->type != REDIS_REPLY_STRING || ec != std::errc() ||
        end != seq_text.data() + seq_text.size()) {
      return Internal("redis badge store: " + key + ": stored seq is corrupt");
    }
    Result<Badge> badge = BadgeFromJson(ReplyText(badge_json));
    if (!badge.ok()) {
      return Internal("redis badge store: " + key +
                      ": stored badge is corrupt: " + badge.error().message());
    }
    record.badge = std::move(*badge);
    record.report_json = ReplyText(reply->element[2]);
    record.vsa_json = ReplyText(reply->element[3]);
    record.ref = std::string(ref);
    return std::optional<BadgeRecord>(std::move(record));
  }

  RedisPool pool_;
  const std::string p_;  // the key prefix
  RedisScript put_{internal::kPutScript, ""};
  RedisScript read_ref_{internal::kReadRefBadgeScript, ""};
  RedisScript delete_ref_{internal::kDeleteRefScript, ""};
  RedisScript purge_{WithLib(internal::kPurgeScript), ""};
  RedisScript move_{WithLib(internal::kMoveScript), ""};
  RedisScript lineage_{WithLib(internal::kRecordLineageScript), ""};
  RedisScript put_node_{internal::kPutNodeScript, ""};
  RedisScript drop_nodes_{internal::kDropNodesScript, ""};
  RedisScript revoke_{internal::kAddRevocationScript, ""};
  std::unique_ptr<internal::RedisTrackedReader> tracked_;  // null: read cache off
};

}  // namespace

Result<std::unique_ptr<BadgeStore>> OpenRedisBadgeStore(const RedisStoreOptions& options) {
  Result<RedisEndpoint> endpoint = ParseRedisUrl(options.url);
  if (!endpoint.ok()) return endpoint.error();
  if (options.pool_size < 1 || options.pool_size > kMaxPoolSize) {
    return InvalidInput("redis badge store: pool_size must be between 1 and " +
                        std::to_string(kMaxPoolSize));
  }
  if (options.key_prefix.empty()) {
    return InvalidInput("redis badge store: key_prefix must not be empty");
  }
  if (options.connect_timeout <= milliseconds(0) || options.command_timeout <= milliseconds(0) ||
      options.tracking_ping_interval <= milliseconds(0)) {
    return InvalidInput("redis badge store: timeouts must be positive");
  }
  if (options.read_cache &&
      (options.read_cache_max_entries < 1 || options.read_cache_max_bytes < kMinCacheBytes)) {
    return InvalidInput("redis badge store: the read cache needs at least 1 entry and " +
                        std::to_string(kMinCacheBytes) + " bytes");
  }
  auto store = std::make_unique<RedisBadgeStore>(options, *endpoint);
  if (Status s = store->Init(); !s.ok()) return s.error().Wrap("redis badge store: open");
  return std::unique_ptr<BadgeStore>(std::move(store));
}

}  // namespace provbadge::badges
