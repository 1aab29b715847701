// Wiring: builds the configured queue, badge store, hub source and trust policy from a
// config file. The only place that knows every implementation.
//
// Ownership: App owns everything it opened. Thread-safety: the members are thread-safe
// objects; App itself is built once and then only read.
#ifndef PROVBADGE_WORKER_APP_H_
#define PROVBADGE_WORKER_APP_H_

#include <memory>
#include <string>

#include "provbadge/badges/badge_store.h"
#include "provbadge/badges/verdict.h"
#include "provbadge/config/config.h"
#include "provbadge/queue/event_queue.h"
#include "provbadge/verifier/policy.h"
#include "provbadge/worker/hub_mirror.h"
#include "provbadge/worker/hub_source.h"

namespace provbadge::worker {

struct App {
  config::Config config;
  verifier::TrustPolicy policy;
  std::unique_ptr<queue::EventQueue> queue;
  std::unique_ptr<badges::BadgeStore> store;
  std::unique_ptr<HubSource> hub;  // HubMirror or HubHttp (hub.kind)
  std::string webhook_secret;      // http.webhook_secret or the file's content; "" = disabled
  std::string admin_token;         // http.admin_token or the file's content; "" = disabled
  // worker.verdict_key, parsed once; null = verdicts are not signed.
  std::shared_ptr<const badges::VerdictKey> verdict_key;
};

enum class AppRole { kWorker, kPublisher, kReader };

// Loads the config (with PROVBADGE_* overrides) and opens what `role` needs:
// kWorker everything (and reclaims deliveries a crashed worker left in flight),
// kPublisher the queue and hub, kReader the store and queue. Errors name the failing part.
Result<std::unique_ptr<App>> OpenApp(const std::string& config_path, AppRole role);

// Sets up spdlog from the log config: text or JSON lines on stderr.
void SetupLogging(const config::LogConfig& log);

}  // namespace provbadge::worker

#endif  // PROVBADGE_WORKER_APP_H_
