#include "provbadge/worker/app.h"

#include <filesystem>

#include "provbadge/badges/sqlite_store.h"
#include "provbadge/queue/sqlite_queue.h"

namespace provbadge::worker {
namespace {

Status EnsureParentDir(const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Unavailable("create " + parent.string() + ": " + ec.message());
  return Status::Ok();
}

Result<std::unique_ptr<queue::EventQueue>> OpenQueue(const config::QueueConfig& c, bool reclaim) {
  if (Status s = EnsureParentDir(c.path); !s.ok()) return s.error();
  queue::SqliteQueueOptions options;
  options.path = c.path;
  options.max_attempts = c.max_attempts;
  options.reclaim_in_flight_on_open = reclaim;
  auto q = queue::OpenSqliteQueue(options);
  if (!q.ok()) return q.error().Wrap("queue " + c.path);
  return q;
}

Result<std::unique_ptr<badges::BadgeStore>> OpenStore(const config::StoreConfig& c) {
  if (Status s = EnsureParentDir(c.path); !s.ok()) return s.error();
  auto store = badges::OpenSqliteBadgeStore(c.path);
  if (!store.ok()) return store.error().Wrap("badge store " + c.path);
  return store;
}

}  // namespace

Result<std::unique_ptr<App>> OpenApp(const std::string& config_path, AppRole role) {
  auto app = std::make_unique<App>();
  auto cfg = config::LoadConfig(config_path, config::ProcessEnvironment());
  if (!cfg.ok()) return cfg.error().Wrap(config_path);
  app->config = std::move(cfg).value();
  if (role == AppRole::kWorker) {
    auto policy = config::LoadPolicy(app->config.policy);
    if (!policy.ok()) return policy.error().Wrap("policy " + app->config.policy);
    app->policy = std::move(policy).value();
  }
  auto q = OpenQueue(app->config.queue, role == AppRole::kWorker);
  if (!q.ok()) return q.error();
  app->queue = std::move(q).value();
  if (role != AppRole::kPublisher) {
    auto store = OpenStore(app->config.store);
    if (!store.ok()) return store.error();
    app->store = std::move(store).value();
  }
  if (role != AppRole::kReader) app->hub = std::make_unique<HubMirror>(app->config.hub.path);
  return app;
}

}  // namespace provbadge::worker
