// Badge JSON: the shields endpoint fields, our fields, the exact round trip, and rejection of
// malformed input with a specific error.
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <string>

#include "provbadge/badges/badge.h"
#include "provbadge/common/limits.h"

namespace provbadge::badges {
namespace {

using nlohmann::json;
using verifier::Verdict;

Badge SampleBadge() {
  Badge b;
  b.repo = "org/model-q4";
  b.commit = std::string(40, 'a');
  b.state = BadgeState::kFailed;
  b.label = "Provenance check failed: q4.gguf digest differs from signed \"&'<>\u2026";
  b.message = "failed";
  b.color = "#e05d44";
  b.chain.push_back({"org/model-q4", b.commit, "self", "acme", Verdict::kFailed});
  b.chain.push_back({"org/base", std::string(40, 'b'), "quantized", "", Verdict::kVerified});
  b.reasons.push_back({"oms.file_changed", "q4.gguf differs from the signed digest."});
  b.reasons.push_back({"lineage.note", "Second reason."});
  b.policy_digest = "sha256:" + std::string(64, 'f');
  b.verifier_version = "0.1.0";
  b.checked_at = "2024-05-01T12:00:00Z";
  return b;
}

TEST_CASE("badge json carries the shields endpoint schema and our fields", "[badge][json]") {
  json j = json::parse(BadgeToJson(SampleBadge()));
  CHECK(j["schemaVersion"] == 1);
  CHECK(j["label"] == SampleBadge().label);
  CHECK(j["message"] == "failed");
  CHECK(j["color"] == "#e05d44");
  CHECK(j["state"] == "failed");
  CHECK(j["repo"] == "org/model-q4");
  CHECK(j["commit"] == std::string(40, 'a'));
  REQUIRE(j["chain"].size() == 2);
  CHECK(j["chain"][1] == json{{"repo", "org/base"},
                              {"commit", std::string(40, 'b')},
                              {"relation", "quantized"},
                              {"signer", ""},
                              {"status", "verified"}});
  CHECK(j["chain"][0]["status"] == "failed");
  REQUIRE(j["reasons"].size() == 2);
  CHECK(j["reasons"][0] ==
        json{{"code", "oms.file_changed"}, {"text", "q4.gguf differs from the signed digest."}});
  CHECK(j["policy_digest"] == SampleBadge().policy_digest);
  CHECK(j["verifier_version"] == "0.1.0");
  CHECK(j["checked_at"] == "2024-05-01T12:00:00Z");
  CHECK(BadgeToJson(SampleBadge()).rfind("{\"schemaVersion\":1,", 0) == 0);
}

TEST_CASE("badge json round trip is exact", "[badge][json]") {
  for (const Badge& original : {SampleBadge(), PendingBadge("org/x", std::string(40, '1'))}) {
    std::string text = BadgeToJson(original);
    Result<Badge> parsed = BadgeFromJson(text);
    INFO((parsed.ok() ? text : parsed.error().message()));
    REQUIRE(parsed.ok());
    CHECK(BadgeToJson(*parsed) == text);
    CHECK(parsed->state == original.state);
    CHECK(parsed->message == original.message);
    CHECK(parsed->chain.size() == original.chain.size());
    CHECK(parsed->reasons.size() == original.reasons.size());
  }
}

TEST_CASE("badge json with every state parses back to that state", "[badge][json]") {
  for (BadgeState s : {BadgeState::kVerified, BadgeState::kUnverified, BadgeState::kFailed,
                       BadgeState::kPending}) {
    Badge b = SampleBadge();
    b.state = s;
    Result<Badge> parsed = BadgeFromJson(BadgeToJson(b));
    REQUIRE(parsed.ok());
    CHECK(parsed->state == s);
  }
}

TEST_CASE("badge json: invalid UTF-8 is replaced, never thrown", "[badge][json]") {
  Badge b = SampleBadge();
  b.message = "bad \xff\xfe bytes";
  std::string text = BadgeToJson(b);
  Result<Badge> parsed = BadgeFromJson(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->message == "bad \uFFFD\uFFFD bytes");
}

// Applies `edit` to a valid badge's JSON and expects a specific rejection.
void ExpectRejected(void (*edit)(json&), const std::string& fragment) {
  json j = json::parse(BadgeToJson(SampleBadge()));
  edit(j);
  Result<Badge> parsed = BadgeFromJson(j.dump());
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code() == ErrorCode::kInvalidInput);
  CHECK_THAT(parsed.error().message(), Catch::Contains(fragment));
}

TEST_CASE("badge json: malformed input is rejected with a specific error", "[badge][json]") {
  SECTION("not json") {
    Result<Badge> r = BadgeFromJson("{\"schemaVersion\":1,");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kInvalidInput);
    CHECK_THAT(r.error().message(), Catch::StartsWith("badge json: "));
  }
  SECTION("not an object") {
    Result<Badge> r = BadgeFromJson("[1,2]");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message(), Catch::Contains("expected an object"));
  }
  SECTION("empty") { CHECK_FALSE(BadgeFromJson("").ok()); }
  SECTION("wrong schema version") {
    ExpectRejected([](json& j) { j["schemaVersion"] = 2; }, "schemaVersion");
  }
  SECTION("unknown state") {
    ExpectRejected([](json& j) { j["state"] = "trusted"; }, "unknown state \"trusted\"");
  }
  SECTION("missing message") {
    ExpectRejected([](json& j) { j.erase("message"); }, "\"message\": missing");
  }
  SECTION("label not a string") {
    ExpectRejected([](json& j) { j["label"] = 5; }, "\"label\": expected a string");
  }
  SECTION("chain not an array") {
    ExpectRejected([](json& j) { j["chain"] = json::object(); }, "\"chain\"");
  }
  SECTION("bad chain status") {
    ExpectRejected([](json& j) { j["chain"][1]["status"] = "ok"; }, "chain[1].status");
  }
  SECTION("chain entry missing signer") {
    ExpectRejected([](json& j) { j["chain"][0].erase("signer"); }, "chain[0].signer");
  }
  SECTION("reason not an object") {
    ExpectRejected([](json& j) { j["reasons"][1] = "text"; }, "reasons[1]");
  }
  SECTION("reason text missing") {
    ExpectRejected([](json& j) { j["reasons"][0].erase("text"); }, "reasons[0].text");
  }
}

TEST_CASE("badge json: deeply nested input is rejected without a crash", "[badge][json]") {
  std::string deep(100000, '[');
  CHECK_FALSE(BadgeFromJson(deep).ok());
  std::string big = "{\"x\":\"" + std::string(9 << 20, 'a') + "\"}";
  Result<Badge> r = BadgeFromJson(big);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message(), Catch::Contains("larger than"));
}

TEST_CASE("limits: badge json is at most kMaxBadgeJsonBytes and kMaxJsonDepth deep",
          "[badge][json][limits]") {
  const std::string text = BadgeToJson(SampleBadge());
  auto padded = [&](size_t bytes) {  // JSON whitespace before the closing brace
    return text.substr(0, text.size() - 1) + std::string(bytes - text.size(), ' ') + "}";
  };
  CHECK(BadgeFromJson(padded(limits::kMaxBadgeJsonBytes)).ok());
  Result<Badge> big = BadgeFromJson(padded(limits::kMaxBadgeJsonBytes + 1));
  REQUIRE_FALSE(big.ok());
  CHECK_THAT(big.error().message(), Catch::Contains("larger than"));

  auto nested = [&](size_t depth) {  // the badge object, then depth - 1 arrays under "x"
    return BadgeFromJson(R"({"x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') +
                         "," + text.substr(1));
  };
  CHECK(nested(limits::kMaxJsonDepth).ok());
  Result<Badge> deep = nested(limits::kMaxJsonDepth + 1);
  REQUIRE_FALSE(deep.ok());
  CHECK_THAT(deep.error().message(), Catch::Contains("nested deeper than"));
}

}  // namespace
}  // namespace provbadge::badges
