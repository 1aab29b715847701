// The `provbadge` subcommands, callable from main() and from tests. Each returns the process
// exit code and prints to the given streams: 0 success (for verify-model: verified),
// 1 a negative verdict or a failed operation, 2 a usage or configuration error.
//
// Thread-safety: each call is independent; RunWorker blocks until stopped.
#ifndef PROVBADGE_WORKER_COMMANDS_H_
#define PROVBADGE_WORKER_COMMANDS_H_

#include <atomic>
#include <ostream>
#include <string>
#include <vector>

namespace provbadge::worker {

struct WorkerArgs {
  std::string config;
  bool until_idle = false;  // exit once the queue is drained (no HTTP server kept)
};
// Consumes, verifies, stores, serves HTTP; stops on SIGINT/SIGTERM or when `stop` is set.
int RunWorker(const WorkerArgs& args, std::atomic<bool>& stop, std::ostream& out,
              std::ostream& err);

struct EnqueueArgs {
  std::string config, repo, revision, ref;
};
int RunEnqueue(const EnqueueArgs& args, std::ostream& out, std::ostream& err);

struct VerifyModelArgs {
  std::string dir, signature, public_key;
  std::vector<std::string> ignore_paths;
  bool json = false;
};
int RunVerifyModelKey(const VerifyModelArgs& args, std::ostream& out, std::ostream& err);

struct SignModelArgs {
  std::string dir, signature, private_key;
  std::vector<std::string> ignore_paths;
};
int RunSignModelKey(const SignModelArgs& args, std::ostream& out, std::ostream& err);

struct BadgeArgs {
  std::string config;
  std::vector<std::string> repos;
  std::string revision;
  double wait_seconds = 0;  // wait until every badge exists and is not pending
  bool json = false;
};
// Prints one line per repo: "org/name@<7-hex>  <state>  <message>".
int RunBadge(const BadgeArgs& args, std::ostream& out, std::ostream& err);

int RunDeadLetters(const std::string& config, std::ostream& out, std::ostream& err);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_COMMANDS_H_
