// `provbadge enqueue` and `provbadge sign-model key`: what publishers and operators put in.
#include <chrono>
#include <filesystem>
#include <fstream>

#include "file_util.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/verifier/digest.h"
#include "provbadge/verifier/oms_sign.h"
#include "provbadge/worker/app.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/directory_source.h"
#include "provbadge/worker/pipeline.h"

namespace provbadge::worker {
namespace fs = std::filesystem;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Picks the commit and ref of the event: an explicit revision keeps its ref only when given
// or when "main" points at it; otherwise the ref (default main) is resolved in the hub.
Result<queue::UploadEvent> BuildEvent(const EnqueueArgs& args, const HubSource& hub) {
  queue::UploadEvent e;
  e.repo = args.repo;
  if (Status s = queue::ValidateRepoName(e.repo); !s.ok()) return s.error().Wrap("--repo");
  if (args.revision.empty()) {
    e.ref = args.ref.empty() ? "main" : args.ref;
    auto commit = hub.ResolveRef(e.repo, e.ref);
    if (!commit.ok()) return commit.error();
    e.commit = *commit;
  } else {
    e.commit = args.revision;
    if (Status s = queue::ValidateCommit(e.commit); !s.ok()) return s.error().Wrap("--revision");
    e.ref = args.ref;
    auto main = hub.ResolveRef(e.repo, "main");
    if (e.ref.empty() && main.ok() && *main == e.commit) e.ref = "main";
  }
  e.seq = args.seq > 0 ? args.seq : NowMs();  // --seq: replay or test an out-of-order event
  e.received_at = NowRfc3339();
  e.source = "cli";
  e.event_id = "cli-" + verifier::Sha256Hex(e.repo + "|" + e.ref + "|" + e.commit + "|" +
                                            std::to_string(e.seq))
                            .substr(0, 32);
  return e;
}

}  // namespace

int RunEnqueue(const EnqueueArgs& args, std::ostream& out, std::ostream& err) {
  auto app = OpenApp(args.config, AppRole::kPublisher);
  if (!app.ok()) {
    err << "provbadge enqueue: " << app.error().message() << "\n";
    return 2;
  }
  auto event = BuildEvent(args, *(*app)->hub);
  if (!event.ok()) {
    err << "provbadge enqueue: " << event.error().message() << "\n";
    return 1;
  }
  if (Status s = (*app)->queue->Publish(event->event_id, queue::SerializeUploadEvent(*event));
      !s.ok()) {
    err << "provbadge enqueue: " << s.error().message() << "\n";
    return 1;
  }
  out << "enqueued " << event->repo << "@" << event->commit.substr(0, 7)
      << (event->ref.empty() ? "" : " (" + event->ref + ")") << " event " << event->event_id
      << "\n";
  return 0;
}

int RunSignModelKey(const SignModelArgs& args, std::ostream& out, std::ostream& err) {
  auto key = ReadFile(args.private_key, 1 << 20);
  if (!key.ok()) {
    err << "provbadge sign-model: --private-key " << key.error().message() << "\n";
    return 2;
  }
  DirectorySource source(args.dir, nullptr);
  const std::string name = fs::path(args.dir).lexically_normal().filename().string();
  auto bundle =
      verifier::SignOmsKey(source, *key, name.empty() ? "model" : name, args.ignore_paths);
  if (!bundle.ok()) {
    err << "provbadge sign-model: " << bundle.error().message() << "\n";
    return 1;
  }
  const std::string target =
      args.signature.empty() ? (fs::path(args.dir) / "model.sig").string() : args.signature;
  const std::string tmp = target + ".tmp";
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o << *bundle;
    if (!o.flush()) {
      err << "provbadge sign-model: cannot write " << tmp << "\n";
      return 1;
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    err << "provbadge sign-model: " << target << ": " << ec.message() << "\n";
    return 1;
  }
  out << "signed " << args.dir << " -> " << target << "\n";
  return 0;
}

}  // namespace provbadge::worker
