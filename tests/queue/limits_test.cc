// Queue-side bounds of provbadge/common/limits.h: upload-event and hub-webhook bodies (size,
// nesting, fields), the SQLite queue's message ids and its dead-letter browse. At the limit the
// input is accepted, one past it is refused naming the field (a browse is cut at its limit).
// docs/threat-model.md ("Limits") maps every limit to its test (the upload event's other
// fields are in upload_event_test.cc).
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "provbadge/common/limits.h"
#include "provbadge/queue/hub_webhook.h"
#include "provbadge/queue/sqlite_queue.h"
#include "provbadge/queue/upload_event.h"

namespace provbadge::queue {
namespace {

using Json = nlohmann::json;
const std::string kSha(40, 'a');

Json Event() {
  return Json{{"schema", kUploadEventSchema},
              {"event_id", "e1"},
              {"repo", "org/model"},
              {"ref", "main"},
              {"commit", kSha},
              {"seq", 1},
              {"received_at", "2026-01-01T00:00:00Z"},
              {"source", "cli"}};
}

TEST_CASE("limits: an upload event's source is at most kMaxSourceBytes", "[limits]") {
  Json at = Event();
  at["source"] = std::string(limits::kMaxSourceBytes, 's');
  CHECK(ParseUploadEvent(at.dump()).ok());
  Json over = Event();
  over["source"] = std::string(limits::kMaxSourceBytes + 1, 's');
  auto r = ParseUploadEvent(over.dump());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message(), Catch::StartsWith("source:"));
}

// `j` dumped, with JSON whitespace before its closing brace up to exactly `bytes`.
std::string PaddedTo(const Json& j, size_t bytes) {
  const std::string text = j.dump();
  return text.substr(0, text.size() - 1) + std::string(bytes - text.size(), ' ') + "}";
}

TEST_CASE("limits: an upload event body is at most kMaxUploadEventBytes", "[limits]") {
  const std::string at = PaddedTo(Event(), limits::kMaxUploadEventBytes);
  REQUIRE(at.size() == limits::kMaxUploadEventBytes);
  CHECK(ParseUploadEvent(at).ok());
  auto over = ParseUploadEvent(" " + at);
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Catch::StartsWith("body: larger than"));
}

TEST_CASE("limits: an upload event's ref is at most kMaxRefBytes", "[limits]") {
  Json at = Event();
  at["ref"] = std::string(limits::kMaxRefBytes, 'r');
  CHECK(ParseUploadEvent(at.dump()).ok());
  Json over = Event();
  over["ref"] = std::string(limits::kMaxRefBytes + 1, 'r');
  auto r = ParseUploadEvent(over.dump());
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message(), Catch::StartsWith("ref: longer than"));
}

Json Webhook(const std::string& id, size_t refs) {
  Json updated = Json::array();
  for (size_t i = 0; i < refs; ++i) {
    updated.push_back(
        {{"ref", "refs/heads/b" + std::to_string(i)}, {"oldSha", nullptr}, {"newSha", kSha}});
  }
  return Json{{"event", {{"action", "update"}, {"scope", "repo.content"}}},
              {"repo", {{"type", "model"}, {"name", "org/model"}, {"id", "r1"}}},
              {"updatedRefs", updated},
              {"webhook", {{"id", id}, {"version", 3}}}};
}

TEST_CASE("limits: a webhook id is at most kMaxHubWebhookIdBytes", "[limits]") {
  const std::string at(limits::kMaxHubWebhookIdBytes, 'w');
  CHECK(NormalizeHubWebhook(Webhook(at, 1).dump(), 1, "2026-01-01T00:00:00Z").ok());
  auto over = NormalizeHubWebhook(Webhook(at + "w", 1).dump(), 1, "2026-01-01T00:00:00Z");
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Catch::Contains("webhook.id"));
}

TEST_CASE("limits: a webhook lists at most kMaxHubWebhookRefs updated refs", "[limits]") {
  auto at = NormalizeHubWebhook(Webhook("w1", limits::kMaxHubWebhookRefs).dump(), 1,
                                "2026-01-01T00:00:00Z");
  REQUIRE(at.ok());
  CHECK(at->actions.size() == limits::kMaxHubWebhookRefs);
  auto over = NormalizeHubWebhook(Webhook("w1", limits::kMaxHubWebhookRefs + 1).dump(), 1,
                                  "2026-01-01T00:00:00Z");
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Catch::Contains("updatedRefs: more than"));
}

TEST_CASE("limits: a webhook body is at most kMaxHubWebhookBytes", "[limits]") {
  const std::string at = PaddedTo(Webhook("w1", 1), limits::kMaxHubWebhookBytes);
  REQUIRE(at.size() == limits::kMaxHubWebhookBytes);
  CHECK(NormalizeHubWebhook(at, 1, "2026-01-01T00:00:00Z").ok());
  auto over = NormalizeHubWebhook(" " + at, 1, "2026-01-01T00:00:00Z");
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Catch::StartsWith("body: larger than"));
}

TEST_CASE("limits: a webhook nests JSON at most kMaxHubWebhookJsonDepth deep", "[limits]") {
  auto with_depth = [](size_t depth) {  // the payload object, then depth - 1 arrays
    Json inner = Json::array();
    for (size_t d = 2; d < depth; ++d) inner = Json::array({inner});
    Json p = Webhook("w1", 1);
    p["extra"] = inner;
    return NormalizeHubWebhook(p.dump(), 1, "2026-01-01T00:00:00Z");
  };
  CHECK(with_depth(limits::kMaxHubWebhookJsonDepth).ok());
  auto over = with_depth(limits::kMaxHubWebhookJsonDepth + 1);
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.error().message(), Catch::StartsWith("body: JSON nested deeper"));
}

// A SQLite queue in a fresh directory of its own, removed with it.
class ScratchQueue {
 public:
  ScratchQueue() {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    SqliteQueueOptions options;
    options.path = path();
    auto q = OpenSqliteQueue(options);
    REQUIRE(q.ok());
    queue_ = std::move(*q);
  }
  ~ScratchQueue() {
    queue_.reset();
    std::filesystem::remove_all(dir_);
  }
  EventQueue* operator->() { return queue_.get(); }
  std::string path() const { return (dir_ / "queue.db").string(); }

 private:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("pb-limits-" + std::to_string(::getpid()));
  std::unique_ptr<EventQueue> queue_;
};

TEST_CASE("limits: SQLite queue message ids are at most kMaxSqliteMessageIdBytes", "[limits]") {
  ScratchQueue q;
  CHECK(q->Publish(std::string(limits::kMaxSqliteMessageIdBytes, 'm'), "{}").ok());
  Status over = q->Publish(std::string(limits::kMaxSqliteMessageIdBytes + 1, 'm'), "{}");
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code() == ErrorCode::kInvalidInput);
  Status empty = q->Publish("", "{}");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code() == ErrorCode::kInvalidInput);
}

TEST_CASE("limits: a dead-letter browse returns at most kMaxQueueBrowse messages", "[limits]") {
  ScratchQueue q;
  // One past the limit, written in one transaction by a second connection (as another process
  // would; through Publish/Receive/Complete each would be its own synced transaction).
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(q.path().c_str(), &db) == SQLITE_OK);
  const std::string insert =
      "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " +
      std::to_string(limits::kMaxQueueBrowse) +
      ") INSERT INTO dead_letters (message_id, body, reason, attempts, dead_at_ms)"
      " SELECT 'm' || i, '{}', 'bad', 1, 0 FROM n ORDER BY i";
  CHECK(sqlite3_exec(db, insert.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto stats = q->Stats();
  REQUIRE(stats.ok());
  REQUIRE(stats->dead == static_cast<int64_t>(limits::kMaxQueueBrowse + 1));
  auto at = q->ListDeadLetters(limits::kMaxQueueBrowse);
  REQUIRE(at.ok());
  CHECK(at->size() == limits::kMaxQueueBrowse);
  auto over = q->ListDeadLetters(limits::kMaxQueueBrowse + 1);
  REQUIRE(over.ok());
  REQUIRE(over->size() == limits::kMaxQueueBrowse);
  CHECK(over->front().message_id == "m0");  // the oldest first
  CHECK(over->back().message_id == "m" + std::to_string(limits::kMaxQueueBrowse - 1));
  auto any = q->ListDeadLetters(SIZE_MAX);
  REQUIRE(any.ok());
  CHECK(any->size() == limits::kMaxQueueBrowse);
}

}  // namespace
}  // namespace provbadge::queue
