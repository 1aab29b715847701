// ParseJsonBounded (simdjson, converted to nlohmann::json) against nlohmann's own parser: the
// same values and value kinds where both accept, and a rejection for every malformed input.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "verifier/src/json_util.h"

namespace {

using provbadge::verifier::internal::JsonParseStatus;
using provbadge::verifier::internal::ParseJsonBounded;

JsonParseStatus Parse(const std::string& text, nlohmann::json* out, size_t depth = 64) {
  return ParseJsonBounded(text, depth, out);
}

}  // namespace

TEST_CASE("json: values and kinds equal nlohmann's own parse", "[json]") {
  for (const char* text :
       {R"({"a":1,"b":-2,"c":1.5,"d":"x","e":true,"f":false,"g":null,"h":[],"i":{}})",
        R"([0, -0, 18446744073709551615, -9223372036854775808, 9223372036854775807])",
        R"([1e3, 1E-3, -1.25e+2, 0.1, 123456789012345678901234567890.5])",
        R"("\u00e9\ud83d\ude00\n\t\"\\\/\u0000")", R"({"dup":1,"dup":2})",
        R"({"nested":{"deeper":[{"k":"v"},[1,[2,[3]]]]}})", " \t\r\n[1]\n ", "\"caf\xc3\xa9\"",
        R"({"":""})", "12", "\"\"", "null"}) {
    INFO(text);
    nlohmann::json ours;
    REQUIRE(Parse(text, &ours) == JsonParseStatus::kOk);
    const nlohmann::json theirs = nlohmann::json::parse(text);
    CHECK(ours == theirs);
    CHECK(ours.dump() == theirs.dump());  // kinds too: 1 vs 1.0, unsigned vs signed
  }
  nlohmann::json j;
  REQUIRE(Parse(R"({"u":5,"n":-5,"f":5.0})", &j) == JsonParseStatus::kOk);
  CHECK(j["u"].is_number_unsigned());
  CHECK(j["n"].is_number_integer());
  CHECK_FALSE(j["n"].is_number_unsigned());
  CHECK(j["f"].is_number_float());
  REQUIRE(Parse(R"({"dup":1,"dup":2})", &j) == JsonParseStatus::kOk);
  CHECK(j["dup"] == 2);  // the last value wins, as in nlohmann
}

TEST_CASE("json: malformed documents are rejected", "[json]") {
  for (const std::string& text : std::initializer_list<std::string>{"",
                                                                    " ",
                                                                    "{",
                                                                    "[1,]",
                                                                    R"({"a":1,})",
                                                                    "[01]",
                                                                    "[1.]",
                                                                    "[.5]",
                                                                    "[+1]",
                                                                    "[NaN]",
                                                                    "[Infinity]",
                                                                    "{'a':1}",
                                                                    R"({"a" 1})",
                                                                    "[1] [2]",
                                                                    "[1] x",
                                                                    "// c\n[1]",
                                                                    "\"\x01\"",
                                                                    "\"\xff\"",
                                                                    "\"\xc3\"",
                                                                    "\"\xed\xa0\x80\"",
                                                                    R"("\x41")",
                                                                    R"("\u12")",
                                                                    "[1e400]",
                                                                    "[100000000000000000000000]",
                                                                    "tru",
                                                                    "nul",
                                                                    "[\"a\"",
                                                                    std::string("[1]\0", 4)}) {
    INFO(text);
    nlohmann::json out;
    CHECK(Parse(text, &out) == JsonParseStatus::kInvalid);
    CHECK(out.is_discarded());
  }
}

TEST_CASE("json: nesting beyond the bound is too deep, at the bound it parses", "[json]") {
  const std::string deep = std::string(10, '[') + std::string(10, ']');
  nlohmann::json out;
  CHECK(Parse(deep, &out, 9) == JsonParseStatus::kTooDeep);
  CHECK(Parse(deep, &out, 10) == JsonParseStatus::kOk);
  CHECK(out.dump() == deep);
  // A document larger than the reused parser's bound parses through a parser of its own.
  std::string big = "[";
  while (big.size() < (size_t{1} << 21)) big += "\"abcdefghijklmnopqrstuvwxyz\",";
  big += "1]";
  REQUIRE(Parse(big, &out) == JsonParseStatus::kOk);
  CHECK(out.size() > 70000);
  CHECK(out.back() == 1);
}
