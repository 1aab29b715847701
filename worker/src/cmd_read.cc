// `provbadge badge` and `provbadge dead-letters`: read what the worker produced.
#include <chrono>
#include <thread>

#include "provbadge/badges/badge.h"
#include "provbadge/worker/app.h"
#include "provbadge/worker/commands.h"

namespace provbadge::worker {
namespace {

using Clock = std::chrono::steady_clock;

Result<std::optional<badges::BadgeRecord>> Lookup(badges::BadgeStore& store,
                                                  const std::string& repo,
                                                  const std::string& revision) {
  return revision.empty() ? store.GetRef(repo, "main") : store.GetRevision(repo, revision);
}

bool IsFinal(const Result<std::optional<badges::BadgeRecord>>& r) {
  return r.ok() && r->has_value() && (**r).badge.state != badges::BadgeState::kPending;
}

}  // namespace

int RunBadge(const BadgeArgs& args, std::ostream& out, std::ostream& err) {
  auto app = OpenApp(args.config, AppRole::kReader);
  if (!app.ok()) {
    err << "provbadge badge: " << app.error().message() << "\n";
    return 2;
  }
  badges::BadgeStore& store = *(*app)->store;
  const auto deadline = Clock::now() + std::chrono::duration<double>(args.wait_seconds);
  int missing = 0;
  for (const std::string& repo : args.repos) {
    auto rec = Lookup(store, repo, args.revision);
    while (!IsFinal(rec) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      rec = Lookup(store, repo, args.revision);
    }
    if (!rec.ok()) {
      err << repo << ": " << rec.error().message() << "\n";
      ++missing;
    } else if (!rec->has_value()) {
      out << repo << "  (no badge)\n";
      ++missing;
    } else if (args.json) {
      out << badges::BadgeToJson((**rec).badge) << "\n";
    } else {
      const badges::Badge& b = (**rec).badge;
      out << b.repo << "@" << b.commit.substr(0, 7) << "  " << badges::BadgeStateName(b.state)
          << "  " << b.label << "\n";
    }
  }
  return missing == 0 ? 0 : 1;
}

int RunDeadLetters(const std::string& config, std::ostream& out, std::ostream& err) {
  auto app = OpenApp(config, AppRole::kReader);
  if (!app.ok()) {
    err << "provbadge dead-letters: " << app.error().message() << "\n";
    return 2;
  }
  auto dead = (*app)->queue->ListDeadLetters(1000);
  if (!dead.ok()) {
    err << "provbadge dead-letters: " << dead.error().message() << "\n";
    return 1;
  }
  for (const auto& d : *dead) {
    out << d.message_id << "  attempts=" << d.attempts << "  " << d.reason << "\n";
  }
  return 0;
}

}  // namespace provbadge::worker
