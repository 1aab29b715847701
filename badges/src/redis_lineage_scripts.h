// The Lua of the Redis badge store's lineage cache, lineage index and revocations
// (redis_store.cc; key layout in README "Redis key layout"). kLineageLib is prepended to every
// script that uses it; such a script sets P (the key prefix) before calling a function.
// These scripts touch keys of several repositories (and compute keys inside the script), so
// like MoveRepo they need a single Redis node, not a Cluster.
//
// Encoding: a member naming a revision, and a revocation field or value, is a list of parts,
// each written "<byte length>:<bytes>" (RedisJoinFields), so any byte in a part is data.
//
// Thread-safety: constants.
#ifndef PROVBADGE_BADGES_SRC_REDIS_LINEAGE_SCRIPTS_H_
#define PROVBADGE_BADGES_SRC_REDIS_LINEAGE_SCRIPTS_H_

namespace provbadge::badges::internal {

inline constexpr char kLineageLib[] = R"lua(
local P
local function esc(s)
  return (string.gsub(s, '[%%{}]', {['%'] = '%25', ['{'] = '%7B', ['}'] = '%7D'}))
end
local function rkey(kind, repo, commit)
  return P .. ':' .. kind .. ':{' .. esc(repo) .. '}:' .. esc(commit)
end
local function tkey(kind, tag) return P .. ':' .. kind .. ':{' .. esc(tag) .. '}' end
local function join(t)
  local out = {}
  for _, x in ipairs(t) do out[#out + 1] = #x .. ':' .. x end
  return table.concat(out)
end
local function split(s)
  local out, i = {}, 1
  while i <= #s do
    local colon = string.find(s, ':', i, true)
    local n = tonumber(string.sub(s, i, colon - 1))
    out[#out + 1] = string.sub(s, colon + 1, colon + n)
    i = colon + n + 1
  end
  return out
end
local function add_edge(pr, pc, cr, cc)
  redis.call('SADD', rkey('children', pr, pc), join({cr, cc}))
  redis.call('SADD', rkey('parents', cr, cc), join({pr, pc}))
  redis.call('SADD', tkey('lineage', pr), pc)
  redis.call('SADD', tkey('lineage', cr), cc)
end
local function add_signed(s, cr, cc)
  redis.call('SADD', tkey('signed', s), join({cr, cc}))
  redis.call('SADD', rkey('signers', cr, cc), s)
  redis.call('SADD', tkey('lineage', cr), cc)
end
-- The index entries naming a revision of `repo` as child (parent and signer edges) and, when
-- as_parent, as parent (edges from another repo's child).
local function edges(repo, as_parent)
  local e, sg = {}, {}
  for _, c in ipairs(redis.call('SMEMBERS', tkey('lineage', repo))) do
    for _, m in ipairs(redis.call('SMEMBERS', rkey('parents', repo, c))) do
      local p = split(m)
      e[#e + 1] = {p[1], p[2], repo, c}
    end
    for _, s in ipairs(redis.call('SMEMBERS', rkey('signers', repo, c))) do
      sg[#sg + 1] = {s, repo, c}
    end
    if as_parent then
      for _, m in ipairs(redis.call('SMEMBERS', rkey('children', repo, c))) do
        local ch = split(m)
        if ch[1] ~= repo then e[#e + 1] = {repo, c, ch[1], ch[2]} end
      end
    end
  end
  return e, sg
end
local function remove(e, sg)
  for _, x in ipairs(e) do
    redis.call('SREM', rkey('children', x[1], x[2]), join({x[3], x[4]}))
    redis.call('SREM', rkey('parents', x[3], x[4]), join({x[1], x[2]}))
  end
  for _, x in ipairs(sg) do
    redis.call('SREM', tkey('signed', x[1]), join({x[2], x[3]}))
    redis.call('SREM', rkey('signers', x[2], x[3]), x[1])
  end
end
local function drop_nodes(repo)
  for _, c in ipairs(redis.call('SMEMBERS', tkey('nodes', repo))) do
    redis.call('DEL', rkey('node', repo, c))
  end
  redis.call('DEL', tkey('nodes', repo))
end
-- PurgeRepo: cached nodes dropped; the repo's revisions leave the index as children; their
-- children sets (the repo as parent) stay. Revocations stay.
local function purge_lineage(repo)
  drop_nodes(repo)
  remove(edges(repo, false))
  for _, c in ipairs(redis.call('SMEMBERS', tkey('lineage', repo))) do
    if redis.call('EXISTS', rkey('children', repo, c)) == 0 then
      redis.call('SREM', tkey('lineage', repo), c)
    end
  end
end
-- MoveRepo: cached nodes dropped; every index entry naming `from` renamed to `to`; revision
-- revocations of `from` copied to `to` (an existing one at `to` is kept).
local function move_lineage(from, to)
  drop_nodes(from)
  local e, sg = edges(from, true)
  remove(e, sg)
  local function rn(r) if r == from then return to end return r end
  for _, x in ipairs(e) do add_edge(rn(x[1]), x[2], rn(x[3]), x[4]) end
  for _, x in ipairs(sg) do add_signed(x[1], to, x[3]) end
  redis.call('DEL', tkey('lineage', from))
  local hash = P .. ':revocations'
  for _, f in ipairs(redis.call('SMEMBERS', tkey('revoked', from))) do
    local v = redis.call('HGET', hash, f)
    if v then
      local r = split(v)
      r[2] = to
      local nf = join({r[1], r[2], r[3], r[4]})
      redis.call('HSETNX', hash, nf, join(r))
      redis.call('SADD', tkey('revoked', to), nf)
    end
  end
end
)lua";

// RecordLineage. ARGV: key prefix, child repo, child commit, n parents, then per parent
// (repo, commit), then the signers.
inline constexpr char kRecordLineageScript[] = R"lua(
P = ARGV[1]
local cr, cc, n = ARGV[2], ARGV[3], tonumber(ARGV[4])
for i = 0, n - 1 do add_edge(ARGV[5 + 2 * i], ARGV[6 + 2 * i], cr, cc) end
for i = 5 + 2 * n, #ARGV do add_signed(ARGV[i], cr, cc) end
return 1
)lua";

// PutCachedNode. KEYS: node hash, nodes index of the repo. ARGV: policy digest, node JSON,
// commit.
inline constexpr char kPutNodeScript[] = R"lua(
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
)lua";

// DropCachedNodes. KEYS: node hash, nodes index of the repo. ARGV: commit.
inline constexpr char kDropNodesScript[] = R"lua(
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
)lua";

// AddRevocation. KEYS: revocations hash, and for kind "revision" the repo's revoked index.
// ARGV: field, value. Returns 1 when added, 0 when the key was known (kept as it was).
inline constexpr char kAddRevocationScript[] = R"lua(
local added = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if KEYS[2] then redis.call('SADD', KEYS[2], ARGV[1]) end
return added
)lua";

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_REDIS_LINEAGE_SCRIPTS_H_
