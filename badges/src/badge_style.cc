#include "badge_style.h"

namespace provbadge::badges::internal {

using verifier::Verdict;

std::string_view StateColor(BadgeState state) {
  switch (state) {
    case BadgeState::kVerified:
      return kColorVerified;
    case BadgeState::kUnverified:
      return kColorUnverified;
    case BadgeState::kPending:
      return kColorPending;
    case BadgeState::kFailed:
      break;
  }
  return kColorFailed;
}

std::optional<BadgeState> BadgeStateFromName(std::string_view name) {
  for (BadgeState s : {BadgeState::kVerified, BadgeState::kUnverified, BadgeState::kFailed,
                       BadgeState::kPending}) {
    if (BadgeStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view VerdictText(Verdict verdict) {
  switch (verdict) {
    case Verdict::kVerified:
      return "verified";
    case Verdict::kUnverified:
      return "unverified";
    case Verdict::kFailed:
      break;
  }
  return "failed";
}

std::optional<Verdict> VerdictFromText(std::string_view text) {
  for (Verdict v : {Verdict::kVerified, Verdict::kUnverified, Verdict::kFailed}) {
    if (VerdictText(v) == text) return v;
  }
  return std::nullopt;
}

}  // namespace provbadge::badges::internal
