// NormalizeHubWebhook: Hugging Face webhook v3 payload -> ingest actions (hub_webhook.h).
#include "provbadge/queue/hub_webhook.h"

#include <openssl/evp.h>

#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "provbadge/common/json_depth.h"
#include "provbadge/common/json_unique_keys.h"
#include "provbadge/common/limits.h"

namespace provbadge::queue {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxDepth = limits::kMaxHubWebhookJsonDepth;
constexpr size_t kMaxIdLength = limits::kMaxHubWebhookIdBytes;
constexpr int kWebhookVersion = 3;
constexpr std::string_view kSource = "hf-webhook";

// Parses `text`, refusing duplicate keys in any object. Never throws.
Status ParseObject(std::string_view text, Json& out) {
  std::string duplicate;
  try {
    duplicate = ParseJsonUniqueKeys(text, out);
  } catch (const Json::exception&) {
    return InvalidInput("body: not valid JSON");
  }
  if (!duplicate.empty()) return InvalidInput("body: a key is repeated within one object");
  if (!out.is_object()) return InvalidInput("body: must be a JSON object");
  return Status::Ok();
}

// The object at `name` inside `obj`, or an error naming `path`.
Result<const Json*> Object(const Json& obj, const char* name, const std::string& path) {
  auto it = obj.find(name);
  if (it == obj.end()) return InvalidInput(path + ": required field is missing");
  if (!it->is_object()) return InvalidInput(path + ": must be an object");
  return &*it;
}

Result<std::string> String(const Json& obj, const char* name, const std::string& path) {
  auto it = obj.find(name);
  if (it == obj.end()) return InvalidInput(path + ": required field is missing");
  if (!it->is_string()) return InvalidInput(path + ": must be a string");
  return it->get<std::string>();
}

// Webhook and repo ids: opaque hub ids, but bounded printable ASCII without '|'.
Status CheckId(std::string_view id, const std::string& path) {
  bool ok = !id.empty() && id.size() <= kMaxIdLength;
  for (char c : id) ok = ok && c > 0x20 && c < 0x7f && c != '|';
  return ok ? Status::Ok()
            : InvalidInput(path + ": must be 1-128 printable ASCII characters without '|'");
}

std::string Sha256Hex(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

struct Context {
  std::string webhook_id, repo_id, repo, action, scope;
  int64_t seq = 0;
  std::string received_at;
};

// An UploadEvent validated by the queue's own parser (one set of rules for every producer).
Result<WebhookAction> PublishAction(const Context& c, const std::string& ref,
                                    const std::string& sha, const std::string& path) {
  UploadEvent event;
  event.event_id = Sha256Hex(c.webhook_id + "|" + c.repo_id + "|" + ref + "|" + sha);
  event.repo = c.repo;
  event.ref = ref;
  event.commit = sha;
  event.seq = c.seq;
  event.received_at = c.received_at;
  event.source = std::string(kSource);
  Result<UploadEvent> checked = ParseUploadEvent(SerializeUploadEvent(event));
  if (!checked.ok()) return checked.error().Wrap(path);
  WebhookAction action;
  action.kind = WebhookAction::Kind::kPublish;
  action.repo = c.repo;
  action.event = std::move(checked).value();
  return action;
}

Status PlanContent(const Json& payload, const Context& c, WebhookPlan& plan) {
  auto refs = payload.find("updatedRefs");
  if (refs == payload.end() || refs->is_null()) {
    plan.ignored = "repo.content event without updatedRefs";
    return Status::Ok();
  }
  if (!refs->is_array()) return InvalidInput("updatedRefs: must be an array");
  if (refs->size() > kMaxHubWebhookRefs) {
    return InvalidInput("updatedRefs: more than " + std::to_string(kMaxHubWebhookRefs) +
                        " entries");
  }
  for (size_t i = 0; i < refs->size(); ++i) {
    const std::string path = "updatedRefs[" + std::to_string(i) + "]";
    const Json& entry = (*refs)[i];
    if (!entry.is_object()) return InvalidInput(path + ": must be an object");
    Result<std::string> ref = String(entry, "ref", path + ".ref");
    if (!ref.ok()) return ref.error();
    if (ref->empty()) return InvalidInput(path + ".ref: must not be empty");
    auto sha = entry.find("newSha");
    if (sha == entry.end()) return InvalidInput(path + ".newSha: required field is missing");
    if (sha->is_null()) {
      // Validate the ref text the same way as for a publish (the sha is only a placeholder).
      Result<WebhookAction> probe = PublishAction(c, *ref, std::string(40, '0'), path);
      if (!probe.ok()) return probe.error();
      WebhookAction action;
      action.kind = WebhookAction::Kind::kDeleteRef;
      action.repo = c.repo;
      action.ref = StoreRefName(*ref);
      plan.actions.push_back(std::move(action));
      continue;
    }
    if (!sha->is_string() || !ValidateCommit(sha->get<std::string>()).ok()) {
      return InvalidInput(path + ".newSha: must be 40 lowercase hex characters or null");
    }
    Result<WebhookAction> action = PublishAction(c, *ref, sha->get<std::string>(), path);
    if (!action.ok()) return action.error();
    auto old_sha = entry.find("oldSha");
    if (old_sha != entry.end() && !old_sha->is_null()) {
      if (!old_sha->is_string() || !ValidateCommit(old_sha->get<std::string>()).ok()) {
        return InvalidInput(path + ".oldSha: must be 40 lowercase hex characters or null");
      }
      action->old_commit = old_sha->get<std::string>();
    }
    plan.actions.push_back(std::move(action).value());
  }
  if (plan.actions.empty()) plan.ignored = "repo.content event with no updated refs";
  return Status::Ok();
}

Status PlanMove(const Json& payload, const Json& repo, const Context& c, WebhookPlan& plan) {
  Result<const Json*> moved = Object(payload, "movedTo", "movedTo");
  if (!moved.ok()) return moved.error();
  Result<std::string> to = String(**moved, "name", "movedTo.name");
  if (!to.ok()) return to.error();
  if (Status s = ValidateRepoName(*to); !s.ok()) return s.error().Wrap("movedTo.name");
  WebhookAction move;
  move.kind = WebhookAction::Kind::kMoveRepo;
  move.repo = c.repo;
  move.moved_to = *to;
  plan.actions.push_back(std::move(move));
  auto head = repo.find("headSha");
  if (head == repo.end()) head = repo.find("head_sha");
  if (head == repo.end() || head->is_null()) return Status::Ok();
  if (!head->is_string() || !ValidateCommit(head->get<std::string>()).ok()) {
    return InvalidInput("repo.headSha: must be 40 lowercase hex characters");
  }
  Context renamed = c;
  renamed.repo = *to;
  Result<WebhookAction> recheck = PublishAction(renamed, "refs/heads/main", *head, "repo.headSha");
  if (!recheck.ok()) return recheck.error();
  plan.actions.push_back(std::move(recheck).value());
  return Status::Ok();
}

Result<Context> ReadContext(const Json& payload, const Json*& repo) {
  Context c;
  Result<const Json*> webhook = Object(payload, "webhook", "webhook");
  if (!webhook.ok()) return webhook.error();
  auto version = (*webhook)->find("version");
  if (version == (*webhook)->end() || !version->is_number_integer() ||
      version->get<int64_t>() != kWebhookVersion) {
    return InvalidInput("webhook.version: must be 3");
  }
  Result<const Json*> event = Object(payload, "event", "event");
  if (!event.ok()) return event.error();
  Result<const Json*> repo_obj = Object(payload, "repo", "repo");
  if (!repo_obj.ok()) return repo_obj.error();
  repo = *repo_obj;
  std::pair<const Json*, std::pair<const char*, std::string*>> fields[] = {
      {*webhook, {"id", &c.webhook_id}},
      {*event, {"action", &c.action}},
      {*event, {"scope", &c.scope}},
      {repo, {"name", &c.repo}},
      {repo, {"id", &c.repo_id}}};
  const char* paths[] = {"webhook.id", "event.action", "event.scope", "repo.name", "repo.id"};
  for (size_t i = 0; i < std::size(fields); ++i) {
    Result<std::string> value = String(*fields[i].first, fields[i].second.first, paths[i]);
    if (!value.ok()) return value.error();
    *fields[i].second.second = std::move(value).value();
  }
  if (Status s = CheckId(c.webhook_id, "webhook.id"); !s.ok()) return s.error();
  if (Status s = CheckId(c.repo_id, "repo.id"); !s.ok()) return s.error();
  return c;
}

bool ScopeIs(std::string_view scope, std::string_view parent) {
  return scope == parent ||
         (scope.size() > parent.size() && scope.substr(0, parent.size()) == parent &&
          scope[parent.size()] == '.');
}

}  // namespace

std::string StoreRefName(std::string_view ref) {
  constexpr std::string_view kHeads = "refs/heads/";
  if (ref.substr(0, kHeads.size()) == kHeads) return std::string(ref.substr(kHeads.size()));
  return std::string(ref);
}

Result<WebhookPlan> NormalizeHubWebhook(std::string_view body, int64_t seq,
                                        std::string_view received_at) {
  if (body.size() > kMaxHubWebhookBytes) {
    return InvalidInput("body: larger than " + std::to_string(kMaxHubWebhookBytes) + " bytes");
  }
  if (!JsonDepthWithin(body, kMaxDepth)) {
    return InvalidInput("body: JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  Json payload;
  if (Status s = ParseObject(body, payload); !s.ok()) return s.error();
  const Json* repo = nullptr;
  Result<Context> context = ReadContext(payload, repo);
  if (!context.ok()) return context.error();
  context->seq = seq;
  context->received_at = std::string(received_at);
  WebhookPlan plan;
  auto type = repo->find("type");
  if (type == repo->end() || !type->is_string()) return InvalidInput("repo.type: must be a string");
  if (*type != "model") {
    plan.ignored = "not a model repository";
    return plan;
  }
  // A repo name is validated only once we act on it: ignored payloads need not be ours.
  const std::string& scope = context->scope;
  const std::string& action = context->action;
  bool content = ScopeIs(scope, "repo.content");
  bool repo_scope = scope == "repo";
  if (!content && !(repo_scope && (action == "delete" || action == "move"))) {
    plan.ignored = "this scope and action need no badge work";
    return plan;
  }
  if (Status s = ValidateRepoName(context->repo); !s.ok()) return s.error().Wrap("repo.name");
  Status planned = Status::Ok();
  if (content) {
    planned = PlanContent(payload, *context, plan);
  } else if (action == "delete") {
    WebhookAction purge;
    purge.kind = WebhookAction::Kind::kPurgeRepo;
    purge.repo = context->repo;
    plan.actions.push_back(std::move(purge));
  } else {
    planned = PlanMove(payload, *repo, *context, plan);
  }
  if (!planned.ok()) return planned.error();
  return plan;
}

}  // namespace provbadge::queue
