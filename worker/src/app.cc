#include "provbadge/worker/app.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "provbadge/badges/redis_store.h"
#include "provbadge/badges/sqlite_store.h"
#include "provbadge/queue/rabbitmq_queue.h"
#include "provbadge/queue/sqlite_queue.h"
#include "provbadge/worker/hub_http.h"

namespace provbadge::worker {
namespace {

Status EnsureParentDir(const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Unavailable("create " + parent.string() + ": " + ec.message());
  return Status::Ok();
}

// RabbitMQ: the broker keeps deliveries of a dead worker itself, so `reclaim` has no meaning.
Result<std::unique_ptr<queue::EventQueue>> OpenRabbitMq(const config::QueueConfig& c) {
  queue::RabbitMqQueueOptions options;
  options.url = c.url;
  options.ca_file = c.ca_file;
  options.queue = c.name;
  options.prefetch = c.prefetch;
  options.max_attempts = c.max_attempts;
  auto q = queue::OpenRabbitMqQueue(options);
  if (!q.ok()) return q.error().Wrap("queue " + c.name);
  return q;
}

Result<std::unique_ptr<badges::BadgeStore>> OpenRedis(const config::StoreConfig& c) {
  badges::RedisStoreOptions options;
  options.url = c.url;
  options.read_cache = c.read_cache == "on";
  options.read_cache_max_entries = static_cast<size_t>(c.read_cache_max_entries);
  options.read_cache_max_bytes = static_cast<size_t>(c.read_cache_max_mb) << 20;
  auto store = badges::OpenRedisBadgeStore(options);
  if (!store.ok()) return store.error().Wrap("badge store");
  return store;
}

Result<std::unique_ptr<queue::EventQueue>> OpenQueue(const config::QueueConfig& c, bool reclaim) {
  if (c.kind == "rabbitmq") return OpenRabbitMq(c);
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
  if (c.kind == "redis") return OpenRedis(c);
  if (Status s = EnsureParentDir(c.path); !s.ok()) return s.error();
  auto store = badges::OpenSqliteBadgeStore(c.path);
  if (!store.ok()) return store.error().Wrap("badge store " + c.path);
  return store;
}

// A secret given inline or in a file (one trailing newline dropped); both set is an error.
constexpr size_t kMinAdminTokenLength = 16;

Result<std::string> ReadSecret(const std::string& inline_value, const std::string& file,
                               const std::string& key) {
  if (file.empty()) return inline_value;
  if (!inline_value.empty()) {
    return InvalidInput(key + " and " + key + "_file are both set; use one");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return InvalidInput(key + "_file " + file + ": cannot be read");
  std::string text;
  std::getline(in, text, '\0');
  if (text.size() > 4096) return InvalidInput(key + "_file " + file + ": longer than 4096 bytes");
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidInput(key + "_file " + file +
                          ": must not contain spaces or control characters");
    }
  }
  return text;
}

Result<std::unique_ptr<HubSource>> OpenHub(const config::HubConfig& c) {
  if (c.kind != "http") return std::unique_ptr<HubSource>(std::make_unique<HubMirror>(c.path));
  Result<std::string> token = ReadSecret(c.token, c.token_file, "hub.token");
  if (!token.ok()) return token.error();
  HubHttpOptions options;
  options.url = c.url;
  options.token = std::move(token).value();
  options.ca_file = c.ca_file;
  options.connect_timeout = std::chrono::milliseconds(c.connect_timeout_ms);
  options.read_timeout = std::chrono::milliseconds(c.read_timeout_ms);
  options.max_attempts = c.max_attempts;
  options.retry_base = std::chrono::milliseconds(c.retry_base_ms);
  auto hub = HubHttp::Create(std::move(options));
  if (!hub.ok()) return hub.error();
  return std::unique_ptr<HubSource>(std::move(hub).value());
}

// worker.verdict_key: null when not set.
Result<std::shared_ptr<const badges::VerdictKey>> LoadVerdictKeyFile(
    const config::WorkerConfig& c) {
  if (c.verdict_key.empty()) return std::shared_ptr<const badges::VerdictKey>();
  std::ifstream in(c.verdict_key, std::ios::binary);
  std::stringstream pem;
  pem << in.rdbuf();
  if (!in) return InvalidInput("worker.verdict_key: cannot read " + c.verdict_key);
  auto key = badges::LoadVerdictKey(pem.str(), c.verdict_key_id);
  if (!key.ok()) return key.error().Wrap("worker.verdict_key " + c.verdict_key);
  return key;
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
  if (role != AppRole::kReader) {
    auto hub = OpenHub(app->config.hub);
    if (!hub.ok()) return hub.error();
    app->hub = std::move(hub).value();
  }
  if (role == AppRole::kWorker) {
    auto secret = ReadSecret(app->config.http.webhook_secret, app->config.http.webhook_secret_file,
                             "http.webhook_secret");
    if (!secret.ok()) return secret.error();
    app->webhook_secret = std::move(secret).value();
    auto token = ReadSecret(app->config.http.admin_token, app->config.http.admin_token_file,
                            "http.admin_token");
    if (!token.ok()) return token.error();
    if (!token->empty() && token->size() < kMinAdminTokenLength) {
      return InvalidInput("http.admin_token: must be at least " +
                          std::to_string(kMinAdminTokenLength) + " characters when set");
    }
    app->admin_token = std::move(token).value();
    auto verdict_key = LoadVerdictKeyFile(app->config.worker);
    if (!verdict_key.ok()) return verdict_key.error();
    app->verdict_key = std::move(verdict_key).value();
  }
  return app;
}

}  // namespace provbadge::worker
