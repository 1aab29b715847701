// The upload event: parsing, validation of every field, hostile input, round trip.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "provbadge/queue/upload_event.h"

namespace provbadge::queue {
namespace {

using Json = nlohmann::json;

const char kCommit[] = "575db8b7e8c2a1f0d9b3c4e5f60718293a4b5c6d";

Json ValidJson() {
  return Json{{"schema", kUploadEventSchema},
              {"event_id", "evt-0001"},
              {"repo", "org/model-GGUF"},
              {"ref", "refs/heads/main"},
              {"commit", kCommit},
              {"seq", 1788091200000},
              {"received_at", "2026-08-30T12:00:00Z"},
              {"source", "hf-webhook"}};
}

// Parses `j` and requires a kInvalidInput whose message starts with `prefix`.
void ExpectInvalid(const std::string& text, const std::string& prefix) {
  Result<UploadEvent> r = ParseUploadEvent(text);
  INFO(text.substr(0, 200));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kInvalidInput);
  CHECK_THAT(r.error().message(), Catch::StartsWith(prefix));
}

void ExpectInvalidWith(const char* field, const Json& value, const std::string& prefix) {
  Json j = ValidJson();
  j[field] = value;
  ExpectInvalid(j.dump(), prefix);
}

TEST_CASE("upload event: a valid event parses with every field", "[queue][event]") {
  Result<UploadEvent> r = ParseUploadEvent(ValidJson().dump());
  INFO((r.ok() ? "" : r.error().message()));
  REQUIRE(r.ok());
  CHECK(r->event_id == "evt-0001");
  CHECK(r->repo == "org/model-GGUF");
  CHECK(r->ref == "refs/heads/main");
  CHECK(r->commit == kCommit);
  CHECK(r->seq == 1788091200000);
  CHECK(r->received_at == "2026-08-30T12:00:00Z");
  CHECK(r->source == "hf-webhook");
}

TEST_CASE("upload event: serialize then parse is exact", "[queue][event]") {
  UploadEvent ev;
  ev.event_id = "sha256:0a1b";
  ev.repo = "Org_1/name.v2-q4";
  ev.commit = kCommit;
  ev.seq = (int64_t{1} << 53) - 1;
  SECTION("all optional fields set") {
    ev.ref = "refs/pr/3";
    ev.received_at = "2026-08-30T12:00:00.123456Z";
    ev.source = "cli";
  }
  SECTION("optional fields empty") {}
  std::string text = SerializeUploadEvent(ev);
  Result<UploadEvent> back = ParseUploadEvent(text);
  INFO(text);
  REQUIRE(back.ok());
  CHECK(back->event_id == ev.event_id);
  CHECK(back->repo == ev.repo);
  CHECK(back->ref == ev.ref);
  CHECK(back->commit == ev.commit);
  CHECK(back->seq == ev.seq);
  CHECK(back->received_at == ev.received_at);
  CHECK(back->source == ev.source);
  CHECK(SerializeUploadEvent(*back) == text);
  CHECK(Json::parse(text)["schema"] == kUploadEventSchema);
}

TEST_CASE("upload event: serialize never throws on invalid UTF-8", "[queue][event]") {
  UploadEvent ev;
  ev.event_id = "bad\xff\xfe";
  std::string text = SerializeUploadEvent(ev);
  CHECK_FALSE(ParseUploadEvent(text).ok());
}

TEST_CASE("upload event: unknown fields are ignored", "[queue][event]") {
  Json j = ValidJson();
  j["hints"] = {{"card_base_model", nullptr}, {"nested", {{"deep", {1, 2, 3}}}}};
  j["priority"] = "normal";
  Result<UploadEvent> r = ParseUploadEvent(j.dump());
  REQUIRE(r.ok());
  CHECK(r->repo == "org/model-GGUF");
}

TEST_CASE("upload event: optional fields may be absent", "[queue][event]") {
  Json j = ValidJson();
  j.erase("ref");
  j.erase("received_at");
  j.erase("source");
  Result<UploadEvent> r = ParseUploadEvent(j.dump());
  REQUIRE(r.ok());
  CHECK(r->ref.empty());
  CHECK(r->received_at.empty());
  CHECK(r->source.empty());
}

TEST_CASE("upload event: not JSON, not an object", "[queue][event]") {
  ExpectInvalid("", "body: not valid JSON");
  ExpectInvalid("{", "body: not valid JSON");
  ExpectInvalid("{\"schema\": }", "body: not valid JSON");
  ExpectInvalid(ValidJson().dump() + " trailing", "body: not valid JSON");
  ExpectInvalid("[1,2]", "body: must be a JSON object");
  ExpectInvalid("\"str\"", "body: must be a JSON object");
  ExpectInvalid("null", "body: must be a JSON object");
  ExpectInvalid("{\"event_id\": \"\xff\xfe\"}", "body: not valid JSON");
}

TEST_CASE("upload event: duplicate keys are refused", "[queue][event]") {
  std::string text = ValidJson().dump();
  text.insert(1, "\"commit\":\"" + std::string(40, '0') + "\",");
  ExpectInvalid(text, "body: duplicate key \"commit\"");
}

TEST_CASE("upload event: size and depth limits", "[queue][event]") {
  SECTION("body over 64 KiB") {
    Json j = ValidJson();
    j["padding"] = std::string(64 * 1024, 'x');
    ExpectInvalid(j.dump(), "body: larger than 65536 bytes");
  }
  SECTION("a megabyte of brackets") {
    ExpectInvalid(std::string(1 << 20, '['), "body: larger than");
  }
  SECTION("nesting of 17 refused, 16 accepted") {
    auto nested = [](int levels) {
      Json j = ValidJson();
      Json inner = 1;
      for (int i = 1; i < levels; ++i) inner = Json::array({inner});
      j["extra"] = inner;
      return j.dump();
    };
    CHECK(ParseUploadEvent(nested(16)).ok());  // object + 15 arrays
    ExpectInvalid(nested(17), "body: JSON nested deeper than 16 levels");
  }
  SECTION("deep nesting just under the size limit") {
    ExpectInvalid("{\"a\":" + std::string(60000, '['), "body: JSON nested deeper than 16");
  }
  SECTION("brackets inside strings do not count") {
    Json j = ValidJson();
    j["note"] = std::string(1000, '[') + "\\\"{{{";
    CHECK(ParseUploadEvent(j.dump()).ok());
  }
}

TEST_CASE("upload event: schema", "[queue][event]") {
  ExpectInvalidWith("schema", "urn:provbadge:upload-event:v2", "schema: unsupported");
  ExpectInvalidWith("schema", "urn:hub:provenance:upload-event:v1", "schema: unsupported");
  ExpectInvalidWith("schema", 1, "schema: must be a string");
  Json j = ValidJson();
  j.erase("schema");
  ExpectInvalid(j.dump(), "schema: required field is missing");
}

TEST_CASE("upload event: required fields missing", "[queue][event]") {
  for (const char* field : {"event_id", "repo", "commit", "seq"}) {
    Json j = ValidJson();
    j.erase(field);
    ExpectInvalid(j.dump(), std::string(field) + ": required field is missing");
  }
}

TEST_CASE("upload event: wrong types", "[queue][event]") {
  for (const char* field : {"event_id", "repo", "commit", "ref", "received_at", "source"}) {
    ExpectInvalidWith(field, 42, std::string(field) + ": must be a string");
    ExpectInvalidWith(field, nullptr, std::string(field) + ": must be a string");
    ExpectInvalidWith(field, Json::array(), std::string(field) + ": must be a string");
  }
  ExpectInvalidWith("seq", "17", "seq: must be an integer");
  ExpectInvalidWith("seq", true, "seq: must be an integer");
  ExpectInvalidWith("seq", nullptr, "seq: must be an integer");
}

TEST_CASE("upload event: seq range", "[queue][event]") {
  ExpectInvalidWith("seq", 0, "seq: must be an integer with 0 < seq < 2^53");
  ExpectInvalidWith("seq", -5, "seq: must be an integer with 0 < seq < 2^53");
  ExpectInvalidWith("seq", int64_t{1} << 53, "seq: must be an integer with 0 < seq < 2^53");
  ExpectInvalidWith("seq", 1.5, "seq: must be an integer with 0 < seq < 2^53");
  ExpectInvalidWith("seq", UINT64_MAX, "seq: must be an integer with 0 < seq < 2^53");
  std::string text = ValidJson().dump();
  size_t at = text.find("1788091200000");
  ExpectInvalid(text.replace(at, 13, "1e3"), "seq: must be an integer with 0 < seq < 2^53");
  text = ValidJson().dump();
  ExpectInvalid(text.replace(at, 13, "99999999999999999999999"), "seq: must be an integer with");
  Json j = ValidJson();
  j["seq"] = 1;
  CHECK(ParseUploadEvent(j.dump()).ok());
  j["seq"] = (int64_t{1} << 53) - 1;
  CHECK(ParseUploadEvent(j.dump()).ok());
}

TEST_CASE("upload event: event_id", "[queue][event]") {
  for (const char* bad : {"", "has space", "slash/x", "semi;colon", "new\nline"}) {
    ExpectInvalidWith("event_id", bad, "event_id: must be 1-128 characters");
  }
  ExpectInvalidWith("event_id", std::string(129, 'a'), "event_id: must be 1-128 characters");
  Json j = ValidJson();
  j["event_id"] = std::string(128, 'a');
  CHECK(ParseUploadEvent(j.dump()).ok());
  j["event_id"] = "sha256:AbC.1_2-3";
  CHECK(ParseUploadEvent(j.dump()).ok());
}

TEST_CASE("upload event: repo names cannot traverse paths", "[queue][event]") {
  for (const char* bad : {"../x", "org/..", "a/b/c", "..", "/abs", "org/", "/name", "noslash",
                          "org/.hidden", "org/-dash", "org/a..b", "./x", "org/name\\..\\x",
                          "org /name", "org/na%2e%2e", "org/na\xc3\xa9"}) {
    INFO(bad);
    ExpectInvalidWith("repo", bad, "repo: ");
    Status direct = ValidateRepoName(bad);
    REQUIRE_FALSE(direct.ok());
    CHECK(direct.error().code() == ErrorCode::kInvalidInput);
  }
  ExpectInvalidWith("repo", "org/" + std::string(97, 'n'), "repo: each part must be 1-96");
  for (const char* good : {"org/name", "A1/b", "org/name.v2", "org_x/m-GGUF", "0/0"}) {
    INFO(good);
    CHECK(ValidateRepoName(good).ok());
  }
  CHECK(ValidateRepoName("org/" + std::string(96, 'n')).ok());
}

TEST_CASE("upload event: commit", "[queue][event]") {
  const std::string upper = "575DB8B7E8C2A1F0D9B3C4E5F60718293A4B5C6D";
  for (const std::string& bad : {std::string(), std::string(39, 'a'), std::string(41, 'a'), upper,
                                 std::string(39, 'a') + "g", std::string(64, 'a')}) {
    INFO(bad);
    ExpectInvalidWith("commit", bad, "commit: must be 40 lowercase hex characters");
    CHECK_FALSE(ValidateCommit(bad).ok());
  }
  CHECK(ValidateCommit(kCommit).ok());
}

TEST_CASE("upload event: ref", "[queue][event]") {
  ExpectInvalidWith("ref", "refs/../../etc", "ref: must not contain \"..\"");
  ExpectInvalidWith("ref", "/refs/heads/main", "ref: must not start with \"/\"");
  ExpectInvalidWith("ref", "main branch", "ref: must be printable ASCII");
  ExpectInvalidWith("ref", "a\tb", "ref: must be printable ASCII");
  ExpectInvalidWith("ref", "a\\b", "ref: must be printable ASCII");
  ExpectInvalidWith("ref", "caf\xc3\xa9", "ref: must be printable ASCII");
  ExpectInvalidWith("ref", std::string(256, 'r'), "ref: longer than 255");
  for (const char* good : {"", "main", "refs/heads/main", "refs/pr/3", "v1.0"}) {
    Json j = ValidJson();
    j["ref"] = good;
    CHECK(ParseUploadEvent(j.dump()).ok());
  }
}

TEST_CASE("upload event: received_at and source", "[queue][event]") {
  for (const char* bad :
       {"2026-08-30 12:00:00Z", "2026-08-30T12:00:00+02:00", "2026-13-01T00:00:00Z",
        "2026-08-30T24:00:00Z", "2026-08-30T12:00:00.Z", "yesterday", "2026-08-30T12:00:00z"}) {
    INFO(bad);
    ExpectInvalidWith("received_at", bad, "received_at: must be an RFC 3339 UTC time");
  }
  ExpectInvalidWith("source", "has space", "source: must be 1-64 characters");
  ExpectInvalidWith("source", std::string(65, 's'), "source: must be 1-64 characters");
}

}  // namespace
}  // namespace provbadge::queue
