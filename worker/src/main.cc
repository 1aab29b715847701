// The `provbadge` command line (README "Command line").
#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "provbadge/worker/commands.h"

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace provbadge::worker;
  CLI::App app{"provbadge: provenance badges for model hubs"};
  app.set_version_flag("--version", std::string("provbadge ") + PROVBADGE_VERSION);
  app.require_subcommand(1);

  WorkerArgs worker;
  auto* w = app.add_subcommand("worker", "consume upload events, verify, store badges, serve HTTP");
  w->add_option("--config", worker.config, "config file")->required();
  w->add_flag("--until-idle", worker.until_idle, "exit once the queue is drained; no HTTP");

  EnqueueArgs enqueue;
  auto* e = app.add_subcommand("enqueue", "put an upload event on the configured queue");
  e->add_option("--config", enqueue.config, "config file")->required();
  e->add_option("--repo", enqueue.repo, "org/name")->required();
  e->add_option("--revision", enqueue.revision, "40-hex commit (default: the ref's commit)");
  e->add_option("--ref", enqueue.ref, "ref to resolve or to point at the revision (default main)");

  auto* vm = app.add_subcommand("verify-model", "verify a local model folder's OMS signature");
  vm->require_subcommand(1);
  VerifyModelArgs verify;
  auto* vk = vm->add_subcommand("key", "key mode: the signature was made with a private key");
  vk->add_option("dir", verify.dir, "model folder")->required();
  vk->add_option("--signature", verify.signature, "model.sig path")->required();
  vk->add_option("--public-key", verify.public_key, "public key PEM")->required();
  vk->add_option("--ignore-paths", verify.ignore_paths, "paths that may be present unsigned");
  vk->add_flag("--json", verify.json, "print the report as JSON");

  auto* sm = app.add_subcommand("sign-model", "sign a local model folder (OMS model.sig)");
  sm->require_subcommand(1);
  SignModelArgs sign;
  auto* sk = sm->add_subcommand("key", "key mode: sign with an EC private key");
  sk->add_option("dir", sign.dir, "model folder")->required();
  sk->add_option("--private-key", sign.private_key, "private key PEM")->required();
  sk->add_option("--signature", sign.signature, "output (default DIR/model.sig)");
  sk->add_option("--ignore-paths", sign.ignore_paths, "paths to leave unsigned");

  BadgeArgs badge;
  auto* b = app.add_subcommand("badge", "print stored badges: org/name@commit  state  message");
  b->add_option("--config", badge.config, "config file")->required();
  b->add_option("repos", badge.repos, "org/name ...")->required();
  b->add_option("--revision", badge.revision, "a revision instead of the main ref");
  b->add_option("--wait", badge.wait_seconds, "seconds to wait for final badges");
  b->add_flag("--json", badge.json, "print badge JSON");

  std::string dead_config;
  auto* d = app.add_subcommand("dead-letters", "list dead-lettered events with their reasons");
  d->add_option("--config", dead_config, "config file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    const int code = app.exit(err);
    return code == 0 ? 0 : 2;
  }
  if (*w) {
    InstallSignalHandlers();
    return RunWorker(worker, g_stop, std::cout, std::cerr);
  }
  if (*e) return RunEnqueue(enqueue, std::cout, std::cerr);
  if (*vk) return RunVerifyModelKey(verify, std::cout, std::cerr);
  if (*sk) return RunSignModelKey(sign, std::cout, std::cerr);
  if (*b) return RunBadge(badge, std::cout, std::cerr);
  if (*d) return RunDeadLetters(dead_config, std::cout, std::cerr);
  return 2;
}
