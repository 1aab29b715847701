// RedisPool (redis_pool.h).
#include "redis_pool.h"

#include <sys/time.h>

#include <chrono>

namespace provbadge::badges::internal {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

std::string RedisPool::Where() const {
  return "redis " + endpoint_.host + ":" + std::to_string(endpoint_.port);
}

Error RedisPool::Unexpected(const redisReply* r, std::string_view what) const {
  std::string detail = r->type == REDIS_REPLY_ERROR ? ReplyText(r) : "unexpected reply type";
  return Unavailable(Where() + ": " + std::string(what) + ": " + detail);
}

Status RedisPool::ExpectInteger(const Result<ReplyPtr>& reply, std::string_view what) const {
  if (!reply.ok()) return reply.error().Wrap(what);
  if ((*reply)->type != REDIS_REPLY_INTEGER) return Unexpected(reply->get(), what);
  return Status::Ok();
}

// A fresh connection with the command timeout and keepalive applied (hiredis 0.14 does not
// re-apply them on redisReconnect, so we never use it).
Status RedisPool::Connect(Slot& slot) {
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
    std::string db = std::to_string(endpoint_.db);
    if (Status s = Expect(slot, {"SELECT", db}, "SELECT"); !s.ok()) return s;
  }
  return Status::Ok();
}

// Runs a command that must answer +OK; drops the connection otherwise.
Status RedisPool::Expect(Slot& slot, const std::vector<std::string_view>& args,
                         std::string_view what) {
  Result<ReplyPtr> r = Run(slot, args);
  if (!r.ok()) return r.error();
  if ((*r)->type != REDIS_REPLY_STATUS) {
    Error e = Unexpected(r->get(), what);
    Drop(slot);
    return e;
  }
  return Status::Ok();
}

Result<ReplyPtr> RedisPool::Run(Slot& slot, const std::vector<std::string_view>& args) {
  if (slot.ctx == nullptr) {
    if (Status s = Connect(slot); !s.ok()) {
      Drop(slot);
      return s.error();
    }
  }
  constexpr size_t kInline = 8;
  const char* argv_inline[kInline];
  size_t lens_inline[kInline];
  std::vector<const char*> argv_heap;
  std::vector<size_t> lens_heap;
  const char** argv = argv_inline;
  size_t* lens = lens_inline;
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    lens_heap.resize(args.size());
    argv = argv_heap.data();
    lens = lens_heap.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(slot.ctx.get(), static_cast<int>(args.size()), argv, lens)));
  if (reply == nullptr) {
    std::string why = slot.ctx->errstr;
    Drop(slot);
    return Unavailable(Where() + ": " + (why.empty() ? "connection lost" : why));
  }
  return reply;
}

void RedisPool::Drop(Slot& slot) {
  if (slot.ctx == nullptr) return;
  if (on_drop_) on_drop_(slot);
  slot.ctx.reset();
}

Result<ReplyPtr> RedisPool::Eval(Slot& slot, const RedisScript& script,
                                 const std::vector<std::string>& keys,
                                 const std::vector<std::string>& argv) {
  std::string nkeys = std::to_string(keys.size());
  std::vector<std::string_view> args = {"EVALSHA", script.sha, nkeys};
  args.insert(args.end(), keys.begin(), keys.end());
  args.insert(args.end(), argv.begin(), argv.end());
  Result<ReplyPtr> reply = Run(slot, args);
  if (reply.ok() && (*reply)->type == REDIS_REPLY_ERROR &&
      ReplyText(reply->get()).rfind("NOSCRIPT", 0) == 0) {
    args[0] = "EVAL";  // EVAL also caches the script again
    args[1] = script.source;
    reply = Run(slot, args);
  }
  return reply;
}

Status RedisPool::Load(Slot& slot, RedisScript& script) {
  Result<ReplyPtr> loaded = Run(slot, {"SCRIPT", "LOAD", script.source});
  if (!loaded.ok()) return loaded.error();
  if ((*loaded)->type != REDIS_REPLY_STRING) return Unexpected(loaded->get(), "SCRIPT LOAD");
  script.sha = ReplyText(loaded->get());
  return Status::Ok();
}

}  // namespace provbadge::badges::internal
