// Bounds of provbadge/common/limits.h on OMS model.sig (bundle, DSSE envelope, statement): each
// input exactly at its limit passes that check, one past it fails with its specific finding.
// docs/threat-model.md ("Limits") maps every limit to its test.
#include <catch2/catch.hpp>
#include <string>

#include "provbadge/common/limits.h"
#include "provbadge/verifier/oms.h"
#include "test_helpers.h"

namespace provbadge::verifier {
namespace {

using nlohmann::json;
using testing::Codes;
using testing::HasCode;
using testing::MakeBundle;
using testing::MakeStatement;

// A hand-made statement over two files, signed by a throwaway key.
struct Signed {
  testing::TestKey key = testing::GenerateKey();
  testing::MemorySource source{{{"a.bin", "alpha"}, {"b.bin", "beta"}}};
  json statement = MakeStatement({{"a.bin", "alpha"}, {"b.bin", "beta"}});
  Report Run(const std::string& bundle) {
    Report report;
    VerifyOmsKey(source, bundle, *key.pub, {}, &report);
    return report;
  }
  Report Run() { return Run(MakeBundle(key, statement.dump())); }
};

TEST_CASE("limits: model.sig is at most kMaxBundleBytes", "[limits]") {
  Signed s;
  const std::string bundle = MakeBundle(s.key, s.statement.dump());
  // JSON whitespace pads the bundle to exactly the limit without changing what it says.
  std::string at = bundle.substr(0, bundle.size() - 1) +
                   std::string(limits::kMaxBundleBytes - bundle.size(), ' ') + "}";
  REQUIRE(at.size() == limits::kMaxBundleBytes);
  Report ok = s.Run(at);
  INFO(Codes(ok));
  CHECK(ok.verdict == Verdict::kVerified);
  Report over = s.Run(at + " ");
  CHECK(over.verdict == Verdict::kFailed);
  CHECK(HasCode(over, "bundle.too_large"));
}

// A member "x" of nested empty arrays: inside a top-level object the text nests `depth` deep.
std::string NestedMember(size_t depth) {
  return R"("x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']');
}

TEST_CASE("limits: model.sig nests JSON at most kMaxJsonDepth deep", "[limits]") {
  Signed s;
  const std::string bundle = MakeBundle(s.key, s.statement.dump());
  auto with_depth = [&](size_t depth) {
    return "{" + NestedMember(depth) + "," + bundle.substr(1);
  };
  Report ok = s.Run(with_depth(limits::kMaxJsonDepth));
  INFO(Codes(ok));
  CHECK(ok.verdict == Verdict::kVerified);
  CHECK(HasCode(s.Run(with_depth(limits::kMaxJsonDepth + 1)), "bundle.too_deep"));
}

TEST_CASE("limits: the signed statement nests JSON at most kMaxJsonDepth deep", "[limits]") {
  Signed s;
  const std::string statement = s.statement.dump();
  auto with_depth = [&](size_t depth) {
    return s.Run(MakeBundle(s.key, "{" + NestedMember(depth) + "," + statement.substr(1)));
  };
  Report ok = with_depth(limits::kMaxJsonDepth);
  INFO(Codes(ok));
  CHECK(ok.verdict == Verdict::kVerified);
  CHECK(HasCode(with_depth(limits::kMaxJsonDepth + 1), "statement.too_deep"));
}

TEST_CASE("limits: a DSSE envelope carries at most kMaxSignatures signatures", "[limits]") {
  Signed s;
  json b = json::parse(MakeBundle(s.key, s.statement.dump()));
  json& sigs = b["dsseEnvelope"]["signatures"];
  while (sigs.size() < limits::kMaxSignatures) sigs.push_back(sigs[0]);
  Report ok = s.Run(b.dump());
  INFO(Codes(ok));
  CHECK(ok.verdict == Verdict::kVerified);
  sigs.push_back(sigs[0]);
  CHECK(HasCode(s.Run(b.dump()), "dsse.too_many_signatures"));
}

TEST_CASE("limits: the DSSE payload decodes to at most kMaxPayloadBytes", "[limits]") {
  // The check is on the base64 length (3 bytes per 4 characters, before decoding): the
  // longest payload accepted is the largest multiple of 4 characters whose 3/4 fits.
  Signed s;
  json b = json::parse(MakeBundle(s.key, s.statement.dump()));
  const size_t at_chars = limits::kMaxPayloadBytes / 3 * 4;
  b["dsseEnvelope"]["payload"] = std::string(at_chars, 'A');
  Report at = s.Run(b.dump());
  INFO(Codes(at));
  CHECK_FALSE(HasCode(at, "dsse.payload_too_large"));
  CHECK(HasCode(at, "oms.signature_invalid"));  // decoded and checked, just not signed
  b["dsseEnvelope"]["payload"] = std::string(at_chars + 4, 'A');
  CHECK(HasCode(s.Run(b.dump()), "dsse.payload_too_large"));
}

TEST_CASE("limits: an OMS predicate lists at most kMaxResources resources", "[limits]") {
  Signed s;
  json& resources = s.statement["predicate"]["resources"];
  const json extra = resources[0];
  while (resources.size() < limits::kMaxResources) resources.push_back(extra);
  Report at = s.Run();
  INFO(Codes(at));
  CHECK_FALSE(HasCode(at, "statement.too_many_resources"));
  CHECK(HasCode(at, "oms.resource_duplicate"));  // parsed past the count check
  resources.push_back(extra);
  CHECK(HasCode(s.Run(), "statement.too_many_resources"));
}

TEST_CASE("limits: serialization.ignore_paths has at most kMaxIgnorePaths entries", "[limits]") {
  Signed s;
  s.statement["predicate"]["serialization"]["ignore_paths"] =
      std::vector<std::string>(limits::kMaxIgnorePaths, "x");
  Report ok = s.Run();
  INFO(Codes(ok));
  CHECK(ok.verdict == Verdict::kVerified);
  s.statement["predicate"]["serialization"]["ignore_paths"].push_back("x");
  CHECK(HasCode(s.Run(), "statement.too_many_ignore_paths"));
}

TEST_CASE("limits: a resource name is at most kMaxPathBytes", "[limits]") {
  auto with_name_of = [](size_t bytes) {
    Signed s;
    const std::string name = "d/" + std::string(bytes - 2, 'n');
    s.source.Set(name, "gamma");
    s.statement = MakeStatement({{"a.bin", "alpha"}, {"b.bin", "beta"}, {name, "gamma"}});
    return s.Run();
  };
  Report ok = with_name_of(limits::kMaxPathBytes);
  INFO(Codes(ok));
  CHECK(ok.verdict == Verdict::kVerified);
  CHECK(HasCode(with_name_of(limits::kMaxPathBytes + 1), "oms.resource_name_invalid"));
}

}  // namespace
}  // namespace provbadge::verifier
