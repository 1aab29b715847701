// RedisTrackedReader (redis_tracked_read.h).
#include "redis_tracked_read.h"

namespace provbadge::badges::internal {

RedisTrackedReader::RedisTrackedReader(const RedisStoreOptions& options,
                                       const RedisEndpoint& endpoint)
    : prefix_(options.key_prefix),
      before_insert_(options.read_cache_before_insert),
      cache_(options.read_cache_max_entries, options.read_cache_max_bytes),
      pool_(options, endpoint, [this](RedisPool::Slot& slot) { OnDrop(slot); }),
      listener_(options, endpoint, cache_) {}

void RedisTrackedReader::OnDrop(RedisPool::Slot& slot) {
  if (slot.tracking_session == 0) return;
  listener_.Unwatch(slot);
  slot.tracking_session = 0;
  cache_.Flush();  // Redis forgets a closed client's tracking: its keys are unguarded now
}

Status RedisTrackedReader::Track(RedisPool::Slot& slot, const Session& session) {
  if (slot.hung_up.exchange(false)) pool_.Drop(slot);
  if (slot.ctx != nullptr && slot.tracking_session == session.serial) return Status::Ok();
  std::string id = std::to_string(session.client_id);
  Result<ReplyPtr> reply = pool_.Run(slot, {"CLIENT", "TRACKING", "on", "REDIRECT", id});
  if (!reply.ok()) return reply.error();
  if ((*reply)->type != REDIS_REPLY_STATUS) return pool_.Unexpected(reply->get(), "tracking");
  slot.tracking_session = session.serial;
  listener_.Watch(slot, slot.ctx->fd);
  return Status::Ok();
}

Result<RedisReadCache::Value> RedisTrackedReader::Get(std::optional<Lease>& lease,
                                                      const Session& session,
                                                      const std::string& key,
                                                      std::string_view field) {
  if (std::optional<RedisReadCache::Value> hit = cache_.Find(key)) return std::move(*hit);
  if (!lease) lease.emplace(pool_.PickSlot());
  RedisPool::Slot& slot = lease->slot();
  std::optional<RedisReadCache::Ticket> ticket;
  // Not tracked (e.g. the session just ended): still answer, uncached, on this connection.
  if (Track(slot, session).ok()) ticket = cache_.Begin(key, slot.tracking_session);
  Result<ReplyPtr> reply = pool_.Run(slot, {"HGET", key, field});
  if (!reply.ok()) return reply.error().Wrap("get badge");
  RedisReadCache::Value value;
  if ((*reply)->type == REDIS_REPLY_STRING) {
    value = ReplyText(reply->get());
  } else if ((*reply)->type != REDIS_REPLY_NIL) {
    return pool_.Unexpected(reply->get(), "get badge");
  }
  if (ticket) {
    if (before_insert_) before_insert_(key);
    cache_.Complete(key, *ticket, value);
  }
  return value;
}

std::optional<Result<std::optional<std::string>>> RedisTrackedReader::GetBadgeJson(
    std::string_view repo, std::string_view ref_or_commit, bool by_ref) {
  auto [serial, client_id] = cache_.Session();
  if (serial == 0) return std::nullopt;
  const Session session{serial, client_id};
  std::optional<Lease> lease;  // taken on the first miss only
  std::string commit(ref_or_commit);
  if (by_ref) {
    Result<RedisReadCache::Value> pointer =
        Get(lease, session, RedisRefKey(prefix_, repo, ref_or_commit), "commit");
    if (!pointer.ok()) return Result<std::optional<std::string>>(pointer.error());
    if (!pointer->has_value()) return Result<std::optional<std::string>>(std::nullopt);
    commit = std::move(**pointer);
  }
  Result<RedisReadCache::Value> badge =
      Get(lease, session, RedisBadgeKey(prefix_, repo, commit), "badge");
  if (!badge.ok()) return Result<std::optional<std::string>>(badge.error());
  return Result<std::optional<std::string>>(std::move(*badge));
}

}  // namespace provbadge::badges::internal
