// Shard resources of an OMS statement: names parsed from the right, layout per file.
#include <algorithm>
#include <map>

#include "oms_internal.h"

namespace provbadge::verifier::internal {
namespace {

// Decimal without sign or leading '+'; false on overflow or an empty/non-digit string.
bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseShardName(std::string_view name, std::string* path, uint64_t* start, uint64_t* end) {
  const size_t last = name.rfind(':');
  if (last == std::string_view::npos || last == 0) return false;
  const size_t mid = name.rfind(':', last - 1);
  if (mid == std::string_view::npos) return false;
  if (!ParseDecimal(name.substr(mid + 1, last - mid - 1), start) ||
      !ParseDecimal(name.substr(last + 1), end) || *start >= *end) {
    return false;
  }
  *path = std::string(name.substr(0, mid));
  return true;
}

bool CheckShardLayout(const OmsStatement& st, Report* report) {
  std::map<std::string, std::vector<const OmsResource*>> by_path;
  for (const OmsResource& r : st.resources) by_path[r.path].push_back(&r);
  bool ok = true;
  for (auto& [path, shards] : by_path) {
    std::sort(shards.begin(), shards.end(), [](const OmsResource* a, const OmsResource* b) {
      return a->start < b->start || (a->start == b->start && a->end < b->end);
    });
    uint64_t covered = 0;  // bytes [0, covered) are signed so far
    for (const OmsResource* r : shards) {
      const std::string range = std::to_string(r->start) + ":" + std::to_string(r->end);
      if (r->start < covered) {
        AddFinding(report, "oms.shard_overlap", Severity::kError,
                   "two signed shards of the file overlap", r->name,
                   "start >= " + std::to_string(covered), range);
        ok = false;
      } else if (r->start > covered) {
        AddFinding(report, "oms.shard_gap", Severity::kError,
                   "the signed shards leave bytes of the file unsigned", r->name,
                   "start " + std::to_string(covered), range);
        ok = false;
      } else if (r->start % st.shard_size != 0 || r->end - r->start > st.shard_size) {
        AddFinding(report, "oms.shard_misaligned", Severity::kError,
                   "a signed shard does not follow shard_size " + std::to_string(st.shard_size),
                   r->name, "multiples of " + std::to_string(st.shard_size), range);
        ok = false;
      }
      covered = std::max(covered, r->end);
    }
  }
  return ok;
}

}  // namespace provbadge::verifier::internal
