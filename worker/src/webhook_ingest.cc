// WebhookIngest: secret check, normalisation, and the actions of one hub webhook delivery.
#include "provbadge/worker/webhook_ingest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>

#include "provbadge/queue/hub_webhook.h"
#include "provbadge/worker/pipeline.h"

namespace provbadge::worker {
namespace {

int64_t SystemNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

WebhookReply Json(int status, nlohmann::json body) {
  return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

WebhookReply Fail(int status, std::string_view message) {
  return Json(status, {{"error", std::string(message)}});
}

// Strictly increasing across the process, so two deliveries in one millisecond still order.
int64_t NextSeq(int64_t now) {
  static std::atomic<int64_t> last{0};
  int64_t prev = last.load();
  int64_t next = 0;
  do {
    next = std::max(now, prev + 1);
  } while (!last.compare_exchange_weak(prev, next));
  return next;
}

}  // namespace

std::string Sha256Raw(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

WebhookIngest::WebhookIngest(queue::EventQueue& queue, badges::BadgeStore& store, Metrics& metrics,
                             std::string secret, std::function<int64_t()> now_ms,
                             const HubSource* hub)
    : queue_(queue),
      store_(store),
      metrics_(metrics),
      secret_digest_(Sha256Raw(secret)),
      now_ms_(now_ms ? std::move(now_ms) : SystemNowMs),
      hub_(hub) {}

Result<bool> WebhookIngest::Current(const queue::WebhookAction& action) const {
  using Kind = queue::WebhookAction::Kind;
  if (hub_ == nullptr) return true;
  if (action.kind == Kind::kPublish && action.event.ref.empty()) return true;
  if (action.kind != Kind::kPublish && action.kind != Kind::kDeleteRef) return true;
  const std::string ref =
      action.kind == Kind::kPublish ? queue::StoreRefName(action.event.ref) : action.ref;
  Result<std::string> head = hub_->ResolveRef(action.repo, ref);
  if (!head.ok()) {
    if (head.error().code() != ErrorCode::kNotFound) return head.error();
    return action.kind == Kind::kDeleteRef;  // gone: deleting is current, publishing is stale
  }
  if (action.kind == Kind::kDeleteRef) return false;  // the ref exists (again)
  if (*head == action.event.commit) return true;
  if (!action.old_commit.empty() && *head == action.old_commit) {
    return Unavailable("hub still shows " + ref + " at its previous commit");
  }
  return false;
}

bool WebhookIngest::SecretMatches(std::string_view provided) const {
  std::string digest = Sha256Raw(provided);
  return digest.size() == secret_digest_.size() &&
         CRYPTO_memcmp(digest.data(), secret_digest_.data(), digest.size()) == 0;
}

WebhookReply WebhookIngest::Handle(std::string_view provided_secret, std::string_view body) {
  if (!SecretMatches(provided_secret)) {
    metrics_.CountWebhook("unauthorized");
    return Fail(401, "missing or wrong X-Webhook-Secret");
  }
  Result<queue::WebhookPlan> plan =
      queue::NormalizeHubWebhook(body, NextSeq(now_ms_()), NowRfc3339());
  if (!plan.ok()) {
    metrics_.CountWebhook("rejected");
    return Fail(400, "invalid webhook payload: " + plan.error().message());
  }
  if (plan->actions.empty()) {
    metrics_.CountWebhook("ignored");
    return Json(200, {{"ignored", plan->ignored}});
  }
  int published = 0;
  int stale = 0;
  for (const queue::WebhookAction& action : plan->actions) {
    Result<bool> current = Current(action);
    if (!current.ok()) {
      spdlog::warn("webhook {}: replay guard: {}", action.repo, current.error().message());
      metrics_.CountWebhook("error");
      return Fail(503, "the hub's current refs could not be confirmed; retry the delivery");
    }
    if (!*current) ++stale;
    Status done = Status::Ok();
    switch (action.kind) {
      case queue::WebhookAction::Kind::kPublish: {
        queue::UploadEvent event = action.event;
        if (!*current) event.ref.clear();  // stale: re-decide the revision, move no pointer
        done = queue_.Publish(event.event_id, queue::SerializeUploadEvent(event));
        if (done.ok()) ++published;
        break;
      }
      case queue::WebhookAction::Kind::kDeleteRef:
        if (*current) done = store_.DeleteRef(action.repo, action.ref);
        break;
      case queue::WebhookAction::Kind::kPurgeRepo:
        done = store_.PurgeRepo(action.repo);
        break;
      case queue::WebhookAction::Kind::kMoveRepo:
        done = store_.MoveRepo(action.repo, action.moved_to);
        break;
    }
    if (!done.ok()) {
      // Earlier actions stay done; they are idempotent, so the hub's retry is harmless.
      spdlog::warn("webhook {}: {}", action.repo, done.error().message());
      if (action.kind != queue::WebhookAction::Kind::kPublish) metrics_.CountStoreError();
      metrics_.CountWebhook("error");
      return Fail(503, "queue or badge store unavailable; retry the delivery");
    }
  }
  metrics_.CountWebhook("accepted");
  return Json(202, {{"published", published}, {"stale", stale}, {"actions", plan->actions.size()}});
}

}  // namespace provbadge::worker
