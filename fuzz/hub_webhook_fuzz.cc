// Hub webhook payloads (queue/hub_webhook.h NormalizeHubWebhook), the body of
// POST /v1/hooks/hub: event scope/action, repo, updatedRefs, movedTo, webhook id.
// Invariant: every planned publish carries an upload event that itself validates.
#include "fuzz_support.h"
#include "provbadge/queue/hub_webhook.h"
#include "provbadge/queue/upload_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provbadge;
  auto plan =
      queue::NormalizeHubWebhook(fuzz::AsText(data, size), 1700000000000, "2024-01-01T00:00:00Z");
  if (!plan.ok()) return 0;
  for (const queue::WebhookAction& action : plan->actions) {
    fuzz::FuzzCheck(queue::ValidateRepoName(action.repo).ok(), "an action on an invalid repo");
    if (action.kind != queue::WebhookAction::Kind::kPublish) continue;
    auto reparsed = queue::ParseUploadEvent(queue::SerializeUploadEvent(action.event));
    fuzz::FuzzCheck(reparsed.ok(), "a planned upload event does not validate");
  }
  return 0;
}
