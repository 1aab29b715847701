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

// Returns when every pipeline thread has finished. After `stop`, in-flight deliveries get
// `grace` to finish; then `abort` hands them back to the queue.
void WaitForShutdown(const std::atomic<bool>& stop, const std::atomic<int>& running,
                     std::chrono::milliseconds grace, std::atomic<bool>& abort,
                     const Metrics& metrics) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kTick = std::chrono::milliseconds(20);
  while (running > 0 && !stop) std::this_thread::sleep_for(kTick);
  if (running == 0) return;
  spdlog::info("stopping: finishing {} in-flight deliveries (grace {} ms)", metrics.InFlight(),
               grace.count());
  const auto deadline = Clock::now() + grace;
  while (running > 0 && Clock::now() < deadline) std::this_thread::sleep_for(kTick);
  if (running > 0) {
    spdlog::warn("stopping: grace period over; handing {} deliveries back to the queue",
                 metrics.InFlight());
    abort = true;
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
  std::atomic<bool> abort{false};
  options.abort = &abort;
  options.verdict_key = a.verdict_key.get();
  Pipeline pipeline(*a.queue, *a.store, *a.hub, a.policy, metrics, options);
  pipeline.set_observer(LogResult);

  HttpApiOptions api_options;
  api_options.queue = a.queue.get();
  api_options.webhook_secret = a.webhook_secret;
  api_options.admin_token = a.admin_token;
  api_options.hub = a.hub.get();
  api_options.signer_known = [&a](std::string_view name) {
    return a.policy.FindIdentity(name) != nullptr;
  };
  api_options.stopping = [&stop] { return stop.load(); };
  HttpApi api(
      *a.store, metrics, [] { return true; }, std::move(api_options));
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
  if (server && !a.webhook_secret.empty()) spdlog::info("hub webhook ingest on /v1/hooks/hub");
  if (server && !a.admin_token.empty()) spdlog::info("admin API on /v1/admin/revocations");
  std::vector<std::thread> threads;
  std::atomic<int> running{a.config.worker.threads};
  for (int i = 0; i < a.config.worker.threads; ++i) {
    threads.emplace_back([&] {
      pipeline.Run(stop, args.until_idle);
      --running;
    });
  }
  WaitForShutdown(stop, running, std::chrono::milliseconds(a.config.worker.shutdown_grace_ms),
                  abort, metrics);
  for (auto& t : threads) t.join();
  if (server) server->Stop();  // drains in-flight HTTP requests (bounded)
  spdlog::info("worker stopped");
  return 0;
}

}  // namespace provbadge::worker
