// Helpers shared by the BadgeStore implementations.
#include "provbadge/badges/badge_store.h"

namespace provbadge::badges {

BadgeRecord RenamedRecord(const BadgeRecord& record, std::string_view from, std::string_view to) {
  BadgeRecord out = record;
  if (out.badge.repo == from) out.badge.repo = std::string(to);
  for (verifier::ChainLink& link : out.badge.chain) {
    if (link.repo == from) link.repo = std::string(to);
  }
  return out;
}

}  // namespace provbadge::badges
