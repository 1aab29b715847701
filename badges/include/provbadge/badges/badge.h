// The badge: what a model page shows for one revision, made from a verification report.
// JSON and SVG forms are documented in README ("Badge JSON").
//
// Thread-safety: plain values and pure functions.
#ifndef PROVBADGE_BADGES_BADGE_H_
#define PROVBADGE_BADGES_BADGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provbadge/common/result.h"
#include "provbadge/verifier/report.h"

namespace provbadge::badges {

enum class BadgeState { kVerified, kUnverified, kFailed, kPending };
std::string_view BadgeStateName(BadgeState s);  // "verified" | "unverified" | "failed" | "pending"

struct Reason {
  std::string code;  // a finding code
  std::string text;  // its plain sentence
};

struct Badge {
  std::string repo;    // "org/name"
  std::string commit;  // 40-hex
  BadgeState state = BadgeState::kPending;
  // The full label text: "Quantized from org/base@1a2b3c4, verified", "Fine-tuned from ...",
  // "Adapter of ...", "Merged from ...", "Bit-exact quantization of ...", "Signed by acme,
  // verified", "Unverified quantization", "Unverified", "Provenance check failed: <reason>",
  // "Checking provenance…" (pending).
  std::string label;
  std::string message;  // the state in one word: "verified" | "unverified" | "failed" | "pending"
  std::string color;    // shields color hex, e.g. "#4c1"
  std::vector<verifier::ChainLink> chain;
  std::vector<Reason> reasons;
  std::string policy_digest;
  std::string verifier_version;
  std::string checked_at;  // RFC 3339 UTC; empty for pending
};

// Fail closed: only a report with verdict kVerified, no error finding (flat or in any lineage
// node), every chain link and node verified, a signer, and a parent for a derived relation
// becomes kVerified. The label names the root's relation to its first parent (all parents for
// a merge) as "org/name@<rev7>".
Badge BadgeFromReport(const verifier::Report& report, std::string_view repo,
                      std::string_view commit, std::string_view checked_at);
Badge PendingBadge(std::string_view repo, std::string_view commit);

std::string BadgeToJson(const Badge& badge);
Result<Badge> BadgeFromJson(std::string_view json);
// shields-style "flat" SVG: "provenance" on the left, the label on the state's color on the
// right; all text XML-escaped.
std::string BadgeToSvg(const Badge& badge);

}  // namespace provbadge::badges

#endif  // PROVBADGE_BADGES_BADGE_H_
