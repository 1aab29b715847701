// Badge colors (shields named colors) and verdict names, private to the badges library.
//
// Thread-safety: constants and pure functions. The verdict names are our own mapping so the
// badges library depends only on the verifier's report types, not its functions.
#ifndef PROVBADGE_BADGES_SRC_BADGE_STYLE_H_
#define PROVBADGE_BADGES_SRC_BADGE_STYLE_H_

#include <optional>
#include <string_view>

#include "provbadge/badges/badge.h"
#include "provbadge/verifier/report.h"

namespace provbadge::badges::internal {

// The SVG badge's left-hand text (the right-hand side is Badge.label).
inline constexpr std::string_view kLabel = "provenance";
inline constexpr std::string_view kPendingLabel = "Checking provenance\u2026";
inline constexpr std::string_view kColorVerified = "#4c1";       // brightgreen
inline constexpr std::string_view kColorUnverified = "#9f9f9f";  // lightgrey
inline constexpr std::string_view kColorFailed = "#e05d44";      // red
inline constexpr std::string_view kColorPending = "#dfb317";     // yellow

std::string_view StateColor(BadgeState state);
std::optional<BadgeState> BadgeStateFromName(std::string_view name);

// "verified" | "unverified" | "failed"; anything else maps to "failed" (fail closed).
std::string_view VerdictText(verifier::Verdict verdict);
std::optional<verifier::Verdict> VerdictFromText(std::string_view text);

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_BADGE_STYLE_H_
