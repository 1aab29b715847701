// Badge SVG: shields "flat" structure ("provenance" | the label), state colors, and XML escaping
// of hostile text.
#include <catch2/catch.hpp>

#include <string>

#include "provbadge/badges/badge.h"

namespace provbadge::badges {
namespace {

using Catch::Contains;

Badge MakeBadge(std::string label, std::string message, std::string color) {
  Badge b;
  b.repo = "org/model";
  b.commit = std::string(40, 'a');
  b.state = BadgeState::kFailed;
  b.label = std::move(label);
  b.message = std::move(message);
  b.color = std::move(color);
  return b;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST_CASE("svg has the shields flat structure", "[badge][svg]") {
  std::string svg = BadgeToSvg(MakeBadge("Signed by acme, verified", "verified", "#4c1"));
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.size() > 6);
  CHECK(svg.substr(svg.size() - 6) == "</svg>");
  CHECK_THAT(svg, Contains("height=\"20\""));
  CHECK_THAT(svg, Contains("role=\"img\""));
  CHECK_THAT(svg, Contains("aria-label=\"provenance: Signed by acme, verified\""));
  CHECK_THAT(svg, Contains("<title>provenance: Signed by acme, verified</title>"));
  CHECK_THAT(svg, Contains("fill=\"#555\""));
  CHECK_THAT(svg, Contains("fill=\"#4c1\""));
  CHECK_THAT(svg, Contains("<linearGradient id=\"s\""));
  CHECK_THAT(svg, Contains("rx=\"3\""));
  CHECK_THAT(svg, Contains("clip-path=\"url(#r)\""));
  CHECK_THAT(svg, Contains("font-size=\"110\""));
  CHECK_THAT(svg, Contains("textLength=\""));
  CHECK(Count(svg, "<text ") == 4);  // shadow + text, for each side
  CHECK(Count(svg, "<text ") == Count(svg, "</text>"));
  CHECK(Count(svg, ">provenance</text>") == 2);
  CHECK(Count(svg, ">Signed by acme, verified</text>") == 2);
  CHECK(Count(svg, ">verified</text>") == 0);  // the one-word state is JSON only
}

TEST_CASE("svg width grows with the text", "[badge][svg]") {
  auto width = [](const std::string& svg) {
    size_t start = svg.find("width=\"") + 7;
    return std::stoi(svg.substr(start, svg.find('"', start) - start));
  };
  int narrow = width(BadgeToSvg(MakeBadge("ok", "verified", "#4c1")));
  int wide = width(BadgeToSvg(MakeBadge("a much longer label here", "verified", "#4c1")));
  CHECK(narrow > 60);
  CHECK(wide > narrow + 100);
}

TEST_CASE("svg escapes hostile label text", "[badge][svg]") {
  std::string hostile = "\"&'</text><script>alert(1)</script>";
  std::string svg = BadgeToSvg(MakeBadge(hostile, "failed", "#e05d44"));
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK(svg.find("</text><script") == std::string::npos);
  CHECK_THAT(
      svg, Contains(">&quot;&amp;&apos;&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;</text>"));
  CHECK_THAT(svg, Contains("aria-label=\"provenance: &quot;&amp;&apos;&lt;/text&gt;"));
  CHECK(Count(svg, "<text ") == 4);
  CHECK(Count(svg, "</text>") == 4);
  CHECK(svg.find("\"&'") == std::string::npos);
}

TEST_CASE("svg never emits a hostile color or control characters", "[badge][svg]") {
  Badge b = MakeBadge("bad\x01\xff", "unverified", "\"/><script>alert(1)</script>");
  b.state = BadgeState::kUnverified;
  std::string svg = BadgeToSvg(b);
  CHECK(svg.find("<script>") == std::string::npos);
  CHECK_THAT(svg, Contains("fill=\"#9f9f9f\""));  // the state's color instead
  CHECK(svg.find('\x01') == std::string::npos);
  CHECK_THAT(svg, Contains("bad \uFFFD</text>"));
}

TEST_CASE("svg uses each state's color and dark text on light colors", "[badge][svg]") {
  CHECK_THAT(BadgeToSvg(MakeBadge("p", "m", "#dfb317")), Contains("fill=\"#dfb317\""));
  std::string light = BadgeToSvg(MakeBadge("p", "m", "#ffffff"));
  CHECK_THAT(light, Contains("fill=\"#333\""));
  std::string dark = BadgeToSvg(MakeBadge("p", "m", "#e05d44"));
  CHECK(dark.find("fill=\"#333\"") == std::string::npos);
}

TEST_CASE("svg handles non-ASCII and empty text", "[badge][svg]") {
  std::string svg = BadgeToSvg(PendingBadge("org/model", std::string(40, 'a')));
  CHECK_THAT(svg, Contains("Checking provenance\u2026"));
  CHECK_THAT(BadgeToSvg(MakeBadge("", "", "#4c1")), Contains("<svg "));
  CHECK_THAT(
      BadgeToSvg(MakeBadge("Quantized from org/b\u00e9se@1a2b3c4, verified", "verified", "#4c1")),
      Contains(">Quantized from org/b\u00e9se@1a2b3c4, verified</text>"));
}

}  // namespace
}  // namespace provbadge::badges
