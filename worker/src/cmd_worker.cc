// `provbadge worker`: the long-running process.
#include <spdlog/spdlog.h>

#include <thread>

#include "provbadge/worker/app.h"
#include "provbadge/worker/commands.h"
#include "provbadge/worker/http_server.h"
#include "provbadge/worker/pipeline.h"

namespace provbadge::worker {
namespace {

void LogResult(const ProcessResult& r) {
  const std::string what = r.repo.empty() ? "event" : r.repo + "@" + r.commit.substr(0, 7);
  if (r.outcome.kind == queue::Outcome::Kind::kAck) {
    spdlog::info("{}: badge {}", what, r.state);
  } else {
    spdlog::warn("{}: {} ({})", what, r.state, r.outcome.reason);
  }
}

}  // namespace

int RunWorker(const WorkerArgs& args, std::atomic<bool>& stop, std::ostream& out,
              std::ostream& err) {
  auto app = OpenApp(args.config, AppRole::kWorker);
  if (!app.ok()) {
    err << "provbadge worker: " << app.error().message() << "\n";
    return 2;
  }
  App& a = **app;
  SetupLogging(a.config.log);
  Metrics metrics;
  PipelineOptions options;
  options.retry_base = std::chrono::milliseconds(a.config.queue.retry_base_ms);
  Pipeline pipeline(*a.queue, *a.store, *a.hub, a.policy, metrics, options);
  pipeline.set_observer(LogResult);

  HttpApi api(*a.store, metrics, [&a] { return a.queue->Stats().ok(); });
  std::unique_ptr<HttpServer> server;
  if (!args.until_idle) {
    auto started = HttpServer::Start(a.config.http.listen, a.config.http.threads, api);
    if (!started.ok()) {
      err << "provbadge worker: http.listen " << a.config.http.listen << ": "
          << started.error().message() << "\n";
      return 2;
    }
    server = std::move(started).value();
    out << "provbadge worker: serving http on port " << server->port() << std::endl;
  }
  spdlog::info("worker started: {} verification threads, policy {}", a.config.worker.threads,
               a.policy.digest);
  std::vector<std::thread> threads;
  for (int i = 0; i < a.config.worker.threads; ++i) {
    threads.emplace_back([&] { pipeline.Run(stop, args.until_idle); });
  }
  for (auto& t : threads) t.join();
  if (server) server->Stop();
  spdlog::info("worker stopped");
  return 0;
}

}  // namespace provbadge::worker
