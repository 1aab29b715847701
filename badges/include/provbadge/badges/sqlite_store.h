// The embedded badge store on SQLite (WAL). First-class: same contract as Redis.
//
// Ownership: owns its connection. Thread-safety: all methods are safe concurrently.
#ifndef PROVBADGE_BADGES_SQLITE_STORE_H_
#define PROVBADGE_BADGES_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "provbadge/badges/badge_store.h"

namespace provbadge::badges {

Result<std::unique_ptr<BadgeStore>> OpenSqliteBadgeStore(const std::string& path);

}  // namespace provbadge::badges

#endif  // PROVBADGE_BADGES_SQLITE_STORE_H_
