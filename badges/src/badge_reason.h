// The short failure reason a failed badge names ("Provenance check failed: <reason>"), private
// to the badges library.
//
// Thread-safety: pure functions.
#ifndef PROVBADGE_BADGES_SRC_BADGE_REASON_H_
#define PROVBADGE_BADGES_SRC_BADGE_REASON_H_

#include <string>
#include <string_view>

#include "provbadge/verifier/report.h"

namespace provbadge::badges::internal {

// "weights.bin digest differs from signed", else the finding's sentence, else its code. Paths
// written as "hf://org/name@<commit>/file" are shown as "org/name@<rev7>/file".
std::string ShortFailure(const verifier::Finding& f);

// The reason for a failed report: the first error of the first failed lineage node (a parent's
// prefixed with "org/name@<rev7>: "), else the first error finding; empty when there is none.
std::string FailureReason(const verifier::Report& report);

// Every "@" followed by 40 hex digits is cut to "@" and the first 7 ("rev7").
std::string ShortenCommits(std::string_view text);

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_BADGE_REASON_H_
