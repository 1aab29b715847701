// Report JSON (verifier/report.h ReportFromJson) and badge JSON (badges/badge.h BadgeFromJson),
// the documents read back from the badge store, selected by the first byte. Accepted documents
// are rendered again (JSON, text, SVG). Invariants: a round trip parses again, and the SVG
// never carries markup from the input (no "<script", every '<' starts a known SVG element).
#include <string>

#include "fuzz_support.h"
#include "provbadge/badges/badge.h"
#include "provbadge/verifier/report.h"

namespace {

using namespace provbadge;

void CheckSvg(const std::string& svg) {
  fuzz::FuzzCheck(svg.find("<script") == std::string::npos, "SVG carries a script element");
  for (size_t at = svg.find('<'); at != std::string::npos; at = svg.find('<', at + 1)) {
    std::string_view tag = std::string_view(svg).substr(at + 1, 6);
    bool known = tag.starts_with("svg") || tag.starts_with("/") || tag.starts_with("title") ||
                 tag.starts_with("rect") || tag.starts_with("text") || tag.starts_with("g") ||
                 tag.starts_with("path") || tag.starts_with("linear") || tag.starts_with("stop") ||
                 tag.starts_with("clip") || tag.starts_with("mask");
    fuzz::FuzzCheck(known, "SVG carries an element the renderer does not write");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text = fuzz::AsText(data + 1, size - 1);
  if (data[0] & 1) {
    auto badge = badges::BadgeFromJson(text);
    if (!badge.ok()) return 0;
    fuzz::FuzzCheck(badges::BadgeFromJson(badges::BadgeToJson(*badge)).ok(),
                    "a badge does not survive a round trip");
    CheckSvg(badges::BadgeToSvg(*badge));
  } else {
    auto report = verifier::ReportFromJson(text);
    if (!report.ok()) return 0;
    fuzz::FuzzCheck(verifier::ReportFromJson(verifier::ReportToJson(*report)).ok(),
                    "a report does not survive a round trip");
    (void)verifier::ReportToText(*report);
  }
  return 0;
}
