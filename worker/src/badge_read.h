// The badge read fast path of the HTTP API (routed by HttpApi):
//   GET|HEAD /v1/badges/{org}/{name}[.svg][?commit=<40 hex>|?revision=<40 hex>|?ref=<ref>]
// served from BadgeStore::GetBadgeJson: one store round trip, the stored badge JSON bytes
// returned as they are (no parse, no report). `commit` and `revision` are one parameter;
// `ref` follows a ref pointer ("refs/heads/x" is read as "x"); neither: the "main" ref. Both,
// a repeat, or a malformed value is 400; no badge 404; a store fault 503 (unavailable) or 500.
// Unknown parameters are ignored.
//
// The ETag is a digest of the bytes served (FNV-1a 64 of the stored badge JSON, "j-" for JSON
// and "s-" for SVG), so every worker replica gives the same tag for the same badge and a new
// verdict always changes it. The SVG is rendered from the parsed bytes; renders are kept in a
// small bounded cache keyed by the exact stored bytes (compared in full), so a repeated SVG
// read costs one store read (with Redis usually served by the store's own invalidated read
// cache, redis_store.h) and a lookup, and can never serve another badge's SVG: no
// TTL is needed because an entry is valid exactly as long as the store returns those bytes.
//
// Thread-safety: Read() is safe concurrently (the cache has its own locks); the store must be
// thread-safe. Ownership: borrows the store.
#ifndef PROVBADGE_WORKER_SRC_BADGE_READ_H_
#define PROVBADGE_WORKER_SRC_BADGE_READ_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "provbadge/badges/badge_store.h"
#include "provbadge/worker/http_api.h"

namespace provbadge::worker {

// 64-bit FNV-1a of `bytes` (deterministic across processes; not a security digest).
uint64_t Fnv1a64(std::string_view bytes);

// A direct-mapped cache of rendered SVGs keyed by the badge JSON bytes they were made from.
// Bounded: kSlots entries, each only for badge JSON up to kMaxKeyBytes.
class SvgCache {
 public:
  static constexpr size_t kSlots = 512;
  static constexpr size_t kMaxKeyBytes = 16 * 1024;
  // The SVG for `badge_json` (whose FNV-1a is `hash`), or null.
  std::shared_ptr<const std::string> Find(std::string_view badge_json, uint64_t hash);
  void Store(std::string_view badge_json, uint64_t hash, std::shared_ptr<const std::string> svg);

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> svg;
  };
  std::array<std::mutex, kShards> mu_;
  std::array<Entry, kSlots> entries_;
};

class BadgeReader {
 public:
  explicit BadgeReader(badges::BadgeStore& store) : store_(store) {}
  // `repo` is a validated "org/name"; `query` the part after '?'. Never throws.
  HttpResponse Read(std::string_view repo, std::string_view query, bool svg,
                    std::string_view if_none_match);

 private:
  badges::BadgeStore& store_;
  SvgCache svg_cache_;
};

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_SRC_BADGE_READ_H_
