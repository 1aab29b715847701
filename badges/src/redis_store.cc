// The Redis badge store (redis_store.h): hiredis 0.14, a small mutex-protected pool of
// connections, and one Lua script that performs the whole revision-guarded write.
#include "provbadge/badges/redis_store.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <atomic>
#include <charconv>
#include <ctime>
#include <mutex>
#include <vector>

#include "redis_scripts.h"

namespace provbadge::badges {
namespace {

using internal::kDeleteRefScript;
using internal::kMoveScript;
using internal::kPurgeScript;
using internal::kPutScript;
using std::chrono::milliseconds;

constexpr int kMoveAttempts = 4;  // MoveRepo retries when `from` changes while it reads

constexpr int kMaxPoolSize = 64;

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;

timeval ToTimeval(milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

std::string NowRfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string ReplyText(const redisReply* r) {
  return r->str == nullptr ? std::string() : std::string(r->str, r->len);
}

// One pooled connection; `ctx` is null while disconnected.
struct Slot {
  std::mutex mu;
  ContextPtr ctx;
};

class RedisBadgeStore final : public BadgeStore {
 public:
  RedisBadgeStore(RedisStoreOptions options, RedisEndpoint endpoint)
      : options_(std::move(options)), endpoint_(std::move(endpoint)), slots_(options_.pool_size) {}

  Status Init() {
    Slot& slot = slots_[0];
    std::lock_guard lock(slot.mu);
    for (auto [source, sha] : {std::pair{kPutScript, &put_sha_},
                               {kDeleteRefScript, &delete_sha_},
                               {kPurgeScript, &purge_sha_},
                               {kMoveScript, &move_sha_}}) {
      Result<ReplyPtr> loaded = Run(slot, {"SCRIPT", "LOAD", source});
      if (!loaded.ok()) return loaded.error();
      if ((*loaded)->type != REDIS_REPLY_STRING) return Unexpected(loaded->get(), "SCRIPT LOAD");
      *sha = ReplyText(loaded->get());
    }
    return Status::Ok();
  }

  Result<PutResult> Put(const BadgeRecord& record) override {
    const Badge& badge = record.badge;
    if (badge.repo.empty() || badge.commit.empty()) {
      return InvalidInput("redis badge store: put: badge.repo and badge.commit are required");
    }
    const std::string& p = options_.key_prefix;
    std::vector<std::string> keys = {RedisBadgeKey(p, badge.repo, badge.commit),
                                     IndexKey("commits", badge.repo)};
    if (!record.ref.empty()) {
      keys.push_back(RedisRefKey(p, badge.repo, record.ref));
      keys.push_back(IndexKey("refs", badge.repo));
    }
    Slot& slot = PickSlot();
    std::lock_guard lock(slot.mu);
    Result<ReplyPtr> reply =
        Eval(slot, put_sha_, kPutScript, keys,
             {std::to_string(record.seq), std::string(BadgeStateName(badge.state)),
              BadgeToJson(badge), record.report_json, NowRfc3339(), badge.commit, record.ref});
    if (!reply.ok()) return reply.error().Wrap("put");
    if ((*reply)->type != REDIS_REPLY_INTEGER) return Unexpected(reply->get(), "put");
    return (*reply)->integer == 1 ? PutResult::kWritten : PutResult::kStale;
  }

  Status DeleteRef(std::string_view repo, std::string_view ref) override {
    Slot& slot = PickSlot();
    std::lock_guard lock(slot.mu);
    return ExpectInteger(Eval(slot, delete_sha_, kDeleteRefScript,
                              {RedisRefKey(options_.key_prefix, repo, ref), IndexKey("refs", repo)},
                              {std::string(ref)}),
                         "delete ref");
  }

  Status PurgeRepo(std::string_view repo) override {
    Slot& slot = PickSlot();
    std::lock_guard lock(slot.mu);
    return ExpectInteger(
        Eval(slot, purge_sha_, kPurgeScript, {IndexKey("commits", repo), IndexKey("refs", repo)},
             {RedisBadgeKey(options_.key_prefix, repo, ""),
              RedisRefKey(options_.key_prefix, repo, "")}),
        "purge repo");
  }

  Status MoveRepo(std::string_view from, std::string_view to) override {
    if (from == to) return Status::Ok();
    Slot& slot = PickSlot();
    std::lock_guard lock(slot.mu);
    for (int attempt = 0; attempt < kMoveAttempts; ++attempt) {
      Result<bool> moved = MoveOnce(slot, from, to);
      if (!moved.ok()) return moved.error().Wrap("move repo");
      if (*moved) return Status::Ok();
    }
    return Unavailable(Where() + ": move repo: the repository kept changing; try again");
  }

  Status Ping() override {
    Slot& slot = PickSlot();
    std::lock_guard lock(slot.mu);
    Result<ReplyPtr> reply = Run(slot, {"PING"});
    if (!reply.ok()) return reply.error().Wrap("ping");
    if ((*reply)->type != REDIS_REPLY_STATUS) return Unexpected(reply->get(), "ping");
    return Status::Ok();
  }

  Result<std::optional<BadgeRecord>> GetRevision(std::string_view repo,
                                                 std::string_view commit) override {
    Slot& slot = PickSlot();
    std::lock_guard lock(slot.mu);
    return ReadRecord(slot, RedisBadgeKey(options_.key_prefix, repo, commit), "");
  }

  Result<std::optional<BadgeRecord>> GetRef(std::string_view repo, std::string_view ref) override {
    Slot& slot = PickSlot();
    std::lock_guard lock(slot.mu);
    Result<ReplyPtr> pointer =
        Run(slot, {"HGET", RedisRefKey(options_.key_prefix, repo, ref), "commit"});
    if (!pointer.ok()) return pointer.error().Wrap("get ref");
    if ((*pointer)->type == REDIS_REPLY_NIL) return std::optional<BadgeRecord>();
    if ((*pointer)->type != REDIS_REPLY_STRING) return Unexpected(pointer->get(), "get ref");
    std::string commit = ReplyText(pointer->get());
    return ReadRecord(slot, RedisBadgeKey(options_.key_prefix, repo, commit), ref);
  }

 private:
  // The per-repository index sets ("commits" or "refs") that PurgeRepo and MoveRepo walk.
  std::string IndexKey(std::string_view kind, std::string_view repo) const {
    std::string key = RedisRefKey(options_.key_prefix, repo, "");  // "<p>:ref:{repo}:"
    key.replace(options_.key_prefix.size() + 1, 3, kind);
    key.pop_back();  // drop the trailing ':'
    return key;
  }

  // EVALSHA, falling back to EVAL when the server lost its script cache (restart, SCRIPT
  // FLUSH); EVAL also caches the script again. REQUIRES: slot.mu held.
  Result<ReplyPtr> Eval(Slot& slot, const std::string& sha, const char* source,
                        const std::vector<std::string>& keys,
                        const std::vector<std::string>& argv) {
    std::vector<std::string> args = {"EVALSHA", sha, std::to_string(keys.size())};
    args.insert(args.end(), keys.begin(), keys.end());
    args.insert(args.end(), argv.begin(), argv.end());
    Result<ReplyPtr> reply = Run(slot, args);
    if (reply.ok() && (*reply)->type == REDIS_REPLY_ERROR &&
        ReplyText(reply->get()).rfind("NOSCRIPT", 0) == 0) {
      args[0] = "EVAL";
      args[1] = source;
      reply = Run(slot, args);
    }
    return reply;
  }

  Status ExpectInteger(const Result<ReplyPtr>& reply, std::string_view what) const {
    if (!reply.ok()) return reply.error().Wrap(what);
    if ((*reply)->type != REDIS_REPLY_INTEGER) return Unexpected(reply->get(), what);
    return Status::Ok();
  }

  Result<std::vector<std::string>> Members(Slot& slot, const std::string& key) {
    Result<ReplyPtr> reply = Run(slot, {"SMEMBERS", key});
    if (!reply.ok()) return reply.error();
    if ((*reply)->type != REDIS_REPLY_ARRAY) return Unexpected(reply->get(), "SMEMBERS");
    std::vector<std::string> out;
    for (size_t i = 0; i < (*reply)->elements; ++i) out.push_back(ReplyText((*reply)->element[i]));
    return out;
  }

  // Reads `from`, renames its badges, and moves everything in one script. False when `from`
  // changed in between (nothing written).
  Result<bool> MoveOnce(Slot& slot, std::string_view from, std::string_view to) {
    const std::string& p = options_.key_prefix;
    Result<std::vector<std::string>> commits = Members(slot, IndexKey("commits", from));
    if (!commits.ok()) return commits.error();
    Result<std::vector<std::string>> refs = Members(slot, IndexKey("refs", from));
    if (!refs.ok()) return refs.error();
    std::vector<std::string> keys = {IndexKey("commits", from), IndexKey("refs", from),
                                     IndexKey("commits", to), IndexKey("refs", to)};
    std::vector<std::string> argv = {std::to_string(commits->size()), std::to_string(refs->size())};
    for (const std::string& commit : *commits) {
      Result<std::optional<BadgeRecord>> record =
          ReadRecord(slot, RedisBadgeKey(p, from, commit), "");
      if (!record.ok()) return record.error();
      if (!record->has_value()) return false;  // changed under us
      keys.push_back(RedisBadgeKey(p, from, commit));
      keys.push_back(RedisBadgeKey(p, to, commit));
      argv.push_back(std::to_string((*record)->seq));
      argv.push_back(BadgeToJson(RenamedRecord(**record, from, to).badge));
      argv.push_back(commit);
    }
    for (const std::string& ref : *refs) {
      keys.push_back(RedisRefKey(p, from, ref));
      keys.push_back(RedisRefKey(p, to, ref));
      argv.push_back(ref);
    }
    Result<ReplyPtr> reply = Eval(slot, move_sha_, kMoveScript, keys, argv);
    if (!reply.ok()) return reply.error();
    if ((*reply)->type != REDIS_REPLY_INTEGER) return Unexpected(reply->get(), "move");
    return (*reply)->integer == 1;
  }

  std::string Where() const {
    return "redis " + endpoint_.host + ":" + std::to_string(endpoint_.port);
  }

  Error Unexpected(const redisReply* r, std::string_view what) const {
    std::string detail = r->type == REDIS_REPLY_ERROR ? ReplyText(r) : "unexpected reply type";
    return Unavailable(Where() + ": " + std::string(what) + ": " + detail);
  }

  Slot& PickSlot() { return slots_[next_slot_++ % slots_.size()]; }

  // A fresh connection with the command timeout and keepalive applied (hiredis 0.14 does not
  // re-apply them on redisReconnect, so we never use it).
  Status Connect(Slot& slot) {
    ContextPtr ctx(redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                           ToTimeval(options_.connect_timeout)));
    if (ctx == nullptr) return Unavailable(Where() + ": cannot allocate a connection");
    if (ctx->err != 0) return Unavailable(Where() + ": connect: " + ctx->errstr);
    if (redisSetTimeout(ctx.get(), ToTimeval(options_.command_timeout)) != REDIS_OK ||
        redisEnableKeepAlive(ctx.get()) != REDIS_OK) {
      return Unavailable(Where() + ": cannot set socket options: " + ctx->errstr);
    }
    slot.ctx = std::move(ctx);
    if (!endpoint_.password.empty()) {
      if (Status s = Expect(slot, {"AUTH", endpoint_.password}, "AUTH"); !s.ok()) return s;
    }
    if (endpoint_.db != 0) {
      if (Status s = Expect(slot, {"SELECT", std::to_string(endpoint_.db)}, "SELECT"); !s.ok()) {
        return s;
      }
    }
    return Status::Ok();
  }

  // Runs a command that must answer +OK; drops the connection otherwise.
  Status Expect(Slot& slot, const std::vector<std::string>& args, std::string_view what) {
    Result<ReplyPtr> r = Run(slot, args);
    if (!r.ok()) return r.error();
    if ((*r)->type != REDIS_REPLY_STATUS) {
      Error e = Unexpected(r->get(), what);
      slot.ctx.reset();
      return e;
    }
    return Status::Ok();
  }

  // Sends one command on `slot` (connecting first if needed). A NULL reply means the
  // connection is dead: it is dropped, and the next call reconnects. ERROR replies are
  // returned to the caller. REQUIRES: slot.mu held.
  Result<ReplyPtr> Run(Slot& slot, const std::vector<std::string>& args) {
    if (slot.ctx == nullptr) {
      if (Status s = Connect(slot); !s.ok()) {
        slot.ctx.reset();
        return s.error();
      }
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(slot.ctx.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (reply == nullptr) {
      std::string why = slot.ctx->errstr;
      slot.ctx.reset();
      return Unavailable(Where() + ": " + (why.empty() ? "connection lost" : why));
    }
    return reply;
  }

  Result<std::optional<BadgeRecord>> ReadRecord(Slot& slot, const std::string& key,
                                                std::string_view ref) {
    Result<ReplyPtr> r = Run(slot, {"HMGET", key, "seq", "badge", "report"});
    if (!r.ok()) return r.error().Wrap("get");
    const redisReply* reply = r->get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return Unexpected(reply, "get");
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
    record.ref = std::string(ref);
    return std::optional<BadgeRecord>(std::move(record));
  }

  const RedisStoreOptions options_;
  const RedisEndpoint endpoint_;
  std::vector<Slot> slots_;
  std::atomic<size_t> next_slot_{0};
  std::string put_sha_, delete_sha_, purge_sha_, move_sha_;  // set once by Init
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
  if (options.connect_timeout <= milliseconds(0) || options.command_timeout <= milliseconds(0)) {
    return InvalidInput("redis badge store: timeouts must be positive");
  }
  auto store = std::make_unique<RedisBadgeStore>(options, *endpoint);
  if (Status s = store->Init(); !s.ok()) return s.error().Wrap("redis badge store: open");
  return std::unique_ptr<BadgeStore>(std::move(store));
}

}  // namespace provbadge::badges
