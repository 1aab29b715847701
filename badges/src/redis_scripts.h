// The Lua scripts of the Redis badge store (redis_store.cc). Each runs atomically on the
// server. Keys of one repository share the hash tag {org/name}, so every script touches one
// Redis Cluster slot, except MoveRepo, which spans two repositories (single node only).
//
// Thread-safety: constants.
#ifndef PROVBADGE_BADGES_SRC_REDIS_SCRIPTS_H_
#define PROVBADGE_BADGES_SRC_REDIS_SCRIPTS_H_

#include "redis_lineage_scripts.h"

namespace provbadge::badges::internal {

// The write of badge_store.h. KEYS: revision hash, commits index; when the record names a ref
// also the ref hash and the refs index. ARGV: seq, state, badge JSON, report JSON, updated_at,
// commit, ref, VSA envelope. Returns 1 when the revision record was written, 0 when stale.
inline constexpr char kPutScript[] = R"lua(
local seq = tonumber(ARGV[1])
local written = 0
local cur = redis.call('HMGET', KEYS[1], 'seq', 'state')
local cur_seq = tonumber(cur[1])
if (not cur_seq) or seq > cur_seq or (seq == cur_seq and cur[2] == 'pending') then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'state', ARGV[2], 'badge', ARGV[3],
             'report', ARGV[4], 'updated_at', ARGV[5], 'vsa', ARGV[8])
  redis.call('SADD', KEYS[2], ARGV[6])
  written = 1
end
if #KEYS >= 4 then
  local ref = redis.call('HMGET', KEYS[3], 'seq', 'commit')
  local ref_seq = tonumber(ref[1])
  if (not ref_seq) or seq > ref_seq or (seq == ref_seq and ref[2] == ARGV[6]) then
    redis.call('HSET', KEYS[3], 'commit', ARGV[6], 'seq', ARGV[1])
    redis.call('SADD', KEYS[4], ARGV[7])
  end
end
return written
)lua";

// GetBadgeJson by ref: the pointer, then the badge field of the commit it names, in one round
// trip. KEYS: ref hash. ARGV: revision key prefix ("<p>:badge:{repo}:"). Returns the badge
// JSON bytes, or nil.
inline constexpr char kReadRefBadgeScript[] = R"lua(
local c = redis.call('HGET', KEYS[1], 'commit')
if not c then return false end
return redis.call('HGET', ARGV[1] .. string.gsub(c, '[%%{}]',
                  {['%'] = '%25', ['{'] = '%7B', ['}'] = '%7D'}), 'badge')
)lua";

// KEYS: ref hash, refs index. ARGV: ref.
inline constexpr char kDeleteRefScript[] = R"lua(
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
)lua";

// Every key of one repository, built from its two index sets (same hash slot), then its
// lineage part (kLineageLib purge_lineage; other slots: single node only).
// KEYS: commits index, refs index. ARGV: revision key prefix, ref key prefix (each ending in
// "}:"), key prefix, repo. Parts are escaped as in RedisBadgeKey. Prepended: kLineageLib.
inline constexpr char kPurgeScript[] = R"lua(
for _, c in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[1] .. esc(c)) end
for _, r in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', ARGV[2] .. esc(r)) end
redis.call('DEL', KEYS[1], KEYS[2])
P = ARGV[3]
purge_lineage(ARGV[4])
return 1
)lua";

// MoveRepo after the client read `from` and renamed its badges. KEYS: from commits index,
// from refs index, to commits index, to refs index, then per revision (from hash, to hash),
// then per ref (from hash, to hash). ARGV: n revisions, m refs, then per revision (expected
// seq, renamed badge JSON, commit), then per ref (ref), then key prefix, from, to (the
// lineage part, kLineageLib move_lineage). Returns -1 without writing when `from` changed
// since it was read (the client retries), else 1. Prepended: kLineageLib.
inline constexpr char kMoveScript[] = R"lua(
local n, m = tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('SCARD', KEYS[1]) ~= n or redis.call('SCARD', KEYS[2]) ~= m then return -1 end
for i = 1, n do
  if redis.call('HGET', KEYS[3 + 2 * i], 'seq') ~= ARGV[3 * i] then return -1 end
end
for i = 1, n do
  local from, to = KEYS[3 + 2 * i], KEYS[4 + 2 * i]
  local rec = redis.call('HMGET', from, 'seq', 'state', 'report', 'updated_at', 'vsa')
  local seq = tonumber(rec[1])
  local cur = redis.call('HMGET', to, 'seq', 'state')
  local cur_seq = tonumber(cur[1])
  if (not cur_seq) or seq > cur_seq or (seq == cur_seq and cur[2] == 'pending') then
    redis.call('HSET', to, 'seq', rec[1], 'state', rec[2], 'badge', ARGV[3 * i + 1],
               'report', rec[3], 'updated_at', rec[4], 'vsa', rec[5] or '')
    redis.call('SADD', KEYS[3], ARGV[3 * i + 2])
  end
  redis.call('DEL', from)
end
for j = 1, m do
  local from, to = KEYS[3 + 2 * n + 2 * j], KEYS[4 + 2 * n + 2 * j]
  local ptr = redis.call('HMGET', from, 'seq', 'commit')
  local cur = redis.call('HMGET', to, 'seq', 'commit')
  local seq, cur_seq = tonumber(ptr[1]), tonumber(cur[1])
  if (not cur_seq) or seq > cur_seq or (seq == cur_seq and cur[2] == ptr[2]) then
    redis.call('HSET', to, 'commit', ptr[2], 'seq', ptr[1])
    redis.call('SADD', KEYS[4], ARGV[2 + 3 * n + j])
  end
  redis.call('DEL', from)
end
redis.call('DEL', KEYS[1], KEYS[2])
P = ARGV[#ARGV - 2]
move_lineage(ARGV[#ARGV - 1], ARGV[#ARGV])
return 1
)lua";

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_REDIS_SCRIPTS_H_
