// Badge records for the worker tests.
//
// Thread-safety: pure functions returning values.
#ifndef PROVBADGE_TESTS_WORKER_BADGE_FIXTURES_H_
#define PROVBADGE_TESTS_WORKER_BADGE_FIXTURES_H_

#include <cstdint>
#include <string>
#include <utility>

#include "provbadge/badges/badge_store.h"

namespace provbadge::testing {

inline constexpr char kCommitA[] = "1a2b3c4d5e6f708192a3b4c5d6e7f80911223344";
inline constexpr char kCommitB[] = "ffeeddccbbaa99887766554433221100ffeeddcc";

// A final badge for (repo, commit) in `state`, pointed at by ref "main", with a report.
inline badges::BadgeRecord MakeRecord(std::string repo, std::string commit,
                                      badges::BadgeState state, int64_t seq,
                                      std::string message = "signed by acme, verified") {
  badges::BadgeRecord record;
  record.badge.repo = std::move(repo);
  record.badge.commit = std::move(commit);
  record.badge.state = state;
  record.badge.label = "provenance";
  record.badge.message = std::move(message);
  record.badge.color = state == badges::BadgeState::kVerified ? "#4c1" : "#e05d44";
  record.badge.policy_digest = "sha256:00";
  record.badge.verifier_version = "0.1.0";
  record.badge.checked_at = "2024-05-01T12:00:00Z";
  record.ref = "main";
  record.seq = seq;
  record.report_json = R"({"subject":")" + record.badge.repo + "@" + record.badge.commit +
                       R"(","verdict":"verified","findings":[]})";
  return record;
}

}  // namespace provbadge::testing

#endif  // PROVBADGE_TESTS_WORKER_BADGE_FIXTURES_H_
