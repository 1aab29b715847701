// AdminApi: authentication, validation, the descendant walk and the re-queueing of a
// revocation (admin_api.h).
#include "admin_api.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "provbadge/common/json_depth.h"
#include "provbadge/common/json_unique_keys.h"
#include "provbadge/queue/upload_event.h"
#include "provbadge/worker/pipeline.h"
#include "provbadge/worker/webhook_ingest.h"

namespace provbadge::worker {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kJsonType = "application/json";
constexpr size_t kMaxBodyDepth = 2;
constexpr int64_t kMaxSeq = (int64_t{1} << 53) - 1;
constexpr std::string_view kEventSource = "admin-revocation";

std::string Dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

HttpResponse Reply(int status, const Json& body) {
  HttpResponse response;
  response.status = status;
  response.content_type = kJsonType;
  response.body = Dump(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

HttpResponse Fail(int status, std::string_view message) {
  return Reply(status, {{"error", std::string(message)}});
}

HttpResponse StoreFailure(const Error& error, std::string_view during) {
  spdlog::warn("admin revocation: {}: {}", during, error.message());
  if (error.code() == ErrorCode::kUnavailable) {
    return Fail(503, "badge store unavailable; retry the request (it is idempotent)");
  }
  return Fail(500, "internal error");
}

int64_t SystemNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool HasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// The value of `key` as a string: nullopt when absent; an error text when not a string.
struct Field {
  bool present = false;
  std::string value;
};

Result<Field> StringField(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) return Field{};
  if (!it->is_string()) return InvalidInput(std::string(key) + ": must be a string");
  return Field{true, it->get<std::string>()};
}

// Parses the request body into a Revocation (kind, repo, commit, signer, reason). Never throws.
Result<badges::Revocation> ParseRevocation(std::string_view text) {
  if (!JsonDepthWithin(text, kMaxBodyDepth)) return InvalidInput("body: nested too deeply");
  Json body;
  std::string duplicate;
  try {
    duplicate = ParseJsonUniqueKeys(text, body);
  } catch (const Json::exception&) {
    return InvalidInput("body: not valid JSON");
  }
  if (!duplicate.empty()) return InvalidInput("body: a key is repeated");
  if (!body.is_object()) return InvalidInput("body: must be a JSON object");
  for (const auto& [key, unused] : body.items()) {
    if (key != "repo" && key != "commit" && key != "signer" && key != "reason") {
      return InvalidInput("body: unknown field (allowed: repo, commit, signer, reason)");
    }
  }
  Result<Field> repo = StringField(body, "repo");
  Result<Field> commit = StringField(body, "commit");
  Result<Field> signer = StringField(body, "signer");
  Result<Field> reason = StringField(body, "reason");
  for (const Result<Field>* f : {&repo, &commit, &signer, &reason}) {
    if (!f->ok()) return f->error();
  }
  badges::Revocation r;
  if (!reason->present || reason->value.empty()) return InvalidInput("reason: required");
  if (reason->value.size() > kMaxRevocationReasonBytes || HasControlCharacter(reason->value)) {
    return InvalidInput("reason: at most " + std::to_string(kMaxRevocationReasonBytes) +
                        " bytes, without control characters");
  }
  r.reason = reason->value;
  if (signer->present) {
    if (repo->present || commit->present) {
      return InvalidInput("body: give either repo and commit, or signer, not both");
    }
    if (signer->value.empty() || signer->value.size() > kMaxSignerNameBytes ||
        HasControlCharacter(signer->value)) {
      return InvalidInput("signer: must be 1-" + std::to_string(kMaxSignerNameBytes) +
                          " bytes without control characters");
    }
    r.kind = "signer";
    r.signer = signer->value;
    return r;
  }
  if (!repo->present && !commit->present) {
    return InvalidInput("body: give either repo and commit, or signer");
  }
  if (!repo->present) return InvalidInput("repo: required with commit");
  if (!commit->present) return InvalidInput("commit: required with repo");
  if (!queue::ValidateRepoName(repo->value).ok()) {
    return InvalidInput("repo: must be org/name, each part [A-Za-z0-9][A-Za-z0-9._-]{0,95}");
  }
  if (!queue::ValidateCommit(commit->value).ok()) {
    return InvalidInput("commit: must be 40 lowercase hex characters");
  }
  r.kind = "revision";
  r.repo = repo->value;
  r.commit = commit->value;
  return r;
}

Json RevocationJson(const badges::Revocation& r) {
  Json out = {{"kind", r.kind}, {"reason", r.reason}};
  if (!r.repo.empty()) out["repo"] = r.repo;
  if (!r.commit.empty()) out["commit"] = r.commit;
  if (!r.signer.empty()) out["signer"] = r.signer;
  if (!r.created_at.empty()) out["createdAt"] = r.created_at;
  return out;
}

std::string KeyText(const badges::RevisionKey& key) { return key.repo + "@" + key.commit; }

struct Walk {
  std::vector<badges::RevisionKey> revisions;  // start revisions first, then breadth-first
  bool truncated = false;
};

// Every revision reachable from `start` through Children, each once, at most `limit`.
Result<Walk> Descendants(badges::BadgeStore& store, const std::vector<badges::RevisionKey>& start,
                         size_t limit) {
  Walk walk;
  std::set<std::string> seen;
  std::deque<badges::RevisionKey> todo;
  auto visit = [&](const badges::RevisionKey& key) {
    if (seen.count(KeyText(key)) != 0) return;
    if (seen.size() >= limit) {
      walk.truncated = true;
      return;
    }
    seen.insert(KeyText(key));
    todo.push_back(key);
  };
  for (const badges::RevisionKey& key : start) visit(key);
  while (!todo.empty()) {
    badges::RevisionKey key = std::move(todo.front());
    todo.pop_front();
    Result<std::vector<badges::RevisionKey>> children = store.Children(key);
    if (!children.ok()) return children.error();
    for (const badges::RevisionKey& child : *children) visit(child);
    walk.revisions.push_back(std::move(key));
  }
  return walk;
}

// Strictly increasing across the process, so events of one request never share a seq.
int64_t NextSeq(int64_t candidate) {
  static std::atomic<int64_t> last{0};
  int64_t prev = last.load();
  int64_t next = 0;
  do {
    next = std::max(candidate, prev + 1);
  } while (!last.compare_exchange_weak(prev, next));
  return next;
}

std::string HexPrefix(std::string_view raw, size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < std::min(bytes, raw.size()); ++i) {
    auto b = static_cast<unsigned char>(raw[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

}  // namespace

AdminApi::AdminApi(badges::BadgeStore& store, queue::EventQueue& queue, AdminOptions options)
    : store_(store),
      queue_(queue),
      options_(std::move(options)),
      token_digest_(Sha256Raw(options_.token)) {
  if (!options_.now_ms) options_.now_ms = SystemNowMs;
}

bool AdminApi::TokenMatches(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  std::string digest = Sha256Raw(authorization.substr(kScheme.size()));
  return digest.size() == token_digest_.size() &&
         CRYPTO_memcmp(digest.data(), token_digest_.data(), digest.size()) == 0;
}

HttpResponse AdminApi::Revoke(const HttpRequest& request) {
  if (!TokenMatches(request.authorization)) {
    HttpResponse response = Fail(401, "missing or wrong bearer token");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"provbadge-admin\"");
    return response;
  }
  if (request.body.size() > kMaxAdminBodyBytes) {
    return Fail(413, "body larger than " + std::to_string(kMaxAdminBodyBytes) + " bytes");
  }
  Result<badges::Revocation> parsed = ParseRevocation(request.body);
  if (!parsed.ok()) return Fail(400, "invalid revocation: " + parsed.error().message());
  badges::Revocation revocation = std::move(parsed).value();
  if (revocation.kind == "signer" && options_.signer_known &&
      !options_.signer_known(revocation.signer)) {
    return Fail(400, "invalid revocation: signer: not an identity of the trust policy");
  }
  revocation.created_at = NowRfc3339();
  if (Status s = store_.AddRevocation(revocation); !s.ok()) return StoreFailure(s.error(), "add");

  std::vector<badges::RevisionKey> start;
  if (revocation.kind == "revision") {
    start.push_back({revocation.repo, revocation.commit});
  } else {
    Result<std::vector<badges::RevisionKey>> signed_by = store_.SignedBy(revocation.signer);
    if (!signed_by.ok()) return StoreFailure(signed_by.error(), "signed by");
    start = std::move(signed_by).value();
  }
  Result<Walk> walk = Descendants(store_, start, options_.max_requeue);
  if (!walk.ok()) return StoreFailure(walk.error(), "children");

  Json listed = Json::array();
  size_t published = 0;
  for (const badges::RevisionKey& key : walk->revisions) {
    // A cached node of a revoked (or now-failing) ancestor must not be reused.
    if (Status s = store_.DropCachedNodes(key.repo, key.commit); !s.ok()) {
      return StoreFailure(s.error(), "drop cached nodes");
    }
    Result<std::optional<badges::BadgeRecord>> stored = store_.GetRevision(key.repo, key.commit);
    if (!stored.ok()) return StoreFailure(stored.error(), "read revision");
    int64_t floor = stored->has_value() ? (*stored)->seq + 1 : 0;
    queue::UploadEvent event;
    event.seq = std::min(NextSeq(std::max(options_.now_ms(), floor)), kMaxSeq);
    event.repo = key.repo;
    event.commit = key.commit;
    event.received_at = NowRfc3339();
    event.source = std::string(kEventSource);
    event.event_id =
        "revocation-" + std::to_string(event.seq) + "-" + HexPrefix(Sha256Raw(KeyText(key)), 8);
    if (Status s = queue_.Publish(event.event_id, queue::SerializeUploadEvent(event)); !s.ok()) {
      spdlog::warn("admin revocation: publish {}: {}", KeyText(key), s.error().message());
      return Fail(503, "queue unavailable after re-queueing " + std::to_string(published) + " of " +
                           std::to_string(walk->revisions.size()) +
                           " revisions; the revocation is recorded: retry the request");
    }
    ++published;
    listed.push_back(KeyText(key));
  }
  spdlog::info(
      "admin revocation of {} {}: {} revisions re-queued{}", revocation.kind,
      revocation.kind == "signer" ? revocation.signer : revocation.repo + "@" + revocation.commit,
      published, walk->truncated ? " (truncated)" : "");
  return Reply(202, {{"revocation", RevocationJson(revocation)},
                     {"requeued", published},
                     {"truncated", walk->truncated},
                     {"revisions", std::move(listed)}});
}

HttpResponse ListRevocationsResponse(badges::BadgeStore& store) {
  Result<std::vector<badges::Revocation>> all = store.ListRevocations();
  if (!all.ok()) {
    if (all.error().code() == ErrorCode::kUnavailable) {
      return Fail(503, "badge store unavailable");
    }
    return Fail(500, "internal error");
  }
  Json list = Json::array();
  for (const badges::Revocation& r : *all) list.push_back(RevocationJson(r));
  HttpResponse response = Reply(200, {{"revocations", std::move(list)}});
  response.headers.clear();
  response.headers.emplace_back("Cache-Control", "public, max-age=60");
  return response;
}

}  // namespace provbadge::worker
