// shields-style "flat" SVG rendering of a badge. Layout facts (not code) follow the shields
// badge-maker renderer: see /work/shared/notes/stack.md section 7.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "badge_style.h"
#include "provbadge/badges/badge.h"
#include "text_util.h"

namespace provbadge::badges {
namespace {

constexpr int kHeight = 20;
constexpr int kPadding = 5;
constexpr std::string_view kLabelColor = "#555";
// Advance width of a character outside the table (non-ASCII), in tenths of a pixel.
constexpr int kDefaultWidthTenths = 100;

// Approximate Verdana 11px advance widths of ASCII 0x20..0x7E, in tenths of a pixel.
constexpr int kAsciiWidthTenths[95] = {
    39,  43, 51, 90, 70, 118, 80, 30,  50, 50, 70, 90, 40, 50,  40, 50,  // ' '../
    70,  70, 70, 70, 70, 70,  70, 70,  70, 70, 50, 50, 90, 90,  90, 60,  // 0..?
    110, 75, 75, 77, 85, 70,  63, 85,  83, 46, 50, 76, 61, 93,  82, 87,  // @..O
    66,  87, 77, 75, 68, 81,  75, 109, 75, 68, 75, 50, 50, 50,  90, 70,  // P.._
    70,  66, 69, 57, 69, 66,  39, 69,  70, 30, 38, 65, 30, 107, 70, 67,  // `..o
    69,  69, 47, 57, 43, 70,  65, 90,  65, 65, 58, 70, 50, 70,  90,      // p..~
};

int CharWidthTenths(char32_t cp) {
  if (cp >= 0x20 && cp <= 0x7E) return kAsciiWidthTenths[cp - 0x20];
  return kDefaultWidthTenths;
}

// Text width in whole pixels, rounded up to an odd integer (as shields does).
int TextWidth(std::string_view text) {
  int tenths = 0;
  for (char32_t cp : internal::DecodeUtf8(text)) tenths += CharWidthTenths(cp);
  int px = (tenths + 9) / 10;
  return px % 2 == 0 ? px + 1 : px;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Rgb {
  int r, g, b;
};

// Parses "#rgb" or "#rrggbb"; nullopt for anything else.
std::optional<Rgb> ParseHexColor(std::string_view c) {
  if (c.empty() || c[0] != '#' || (c.size() != 4 && c.size() != 7)) return std::nullopt;
  int v[6];
  for (size_t i = 1; i < c.size(); ++i) {
    if ((v[i - 1] = HexDigit(c[i])) < 0) return std::nullopt;
  }
  if (c.size() == 4) return Rgb{v[0] * 17, v[1] * 17, v[2] * 17};
  return Rgb{v[0] * 16 + v[1], v[2] * 16 + v[3], v[4] * 16 + v[5]};
}

bool IsLight(Rgb c) { return (c.r * 299 + c.g * 587 + c.b * 114) / 255000.0 > 0.69; }

// One side of the badge: its box and the two text copies (shadow, then text).
struct Side {
  std::string text;  // raw text
  int x = 0;         // left edge of the box
  int width = 0;     // box width
  int text_width = 0;
  std::string fill;  // validated hex color
};

Side MakeSide(std::string_view text, int x, std::string fill) {
  Side s;
  s.text = text;
  s.x = x;
  s.text_width = TextWidth(text);
  s.width = s.text_width + 2 * kPadding;
  s.fill = std::move(fill);
  return s;
}

void AppendText(const Side& side, std::string& out) {
  bool light = IsLight(*ParseHexColor(side.fill));
  std::string escaped = internal::XmlEscape(side.text);
  std::string x = std::to_string(side.x * 10 + side.width * 5);
  std::string length = std::to_string(side.text_width * 10);
  out += "<text aria-hidden=\"true\" x=\"" + x + "\" y=\"150\" fill=\"" +
         (light ? "#ccc" : "#010101") + "\" fill-opacity=\".3\" transform=\"scale(.1)\" " +
         "textLength=\"" + length + "\">" + escaped + "</text>";
  out += "<text x=\"" + x + "\" y=\"140\" transform=\"scale(.1)\" fill=\"" +
         (light ? "#333" : "#fff") + "\" textLength=\"" + length + "\">" + escaped + "</text>";
}

}  // namespace

std::string BadgeToSvg(const Badge& badge) {
  // A color that is not plain hex (named, or hostile) falls back to the state's color.
  std::string color =
      ParseHexColor(badge.color) ? badge.color : std::string(internal::StateColor(badge.state));
  Side left = MakeSide(internal::kLabel, 0, std::string(kLabelColor));
  Side right = MakeSide(badge.label, left.width, color);
  std::string total = std::to_string(left.width + right.width);
  std::string h = std::to_string(kHeight);
  std::string title = internal::XmlEscape(std::string(internal::kLabel) + ": " + badge.label);

  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + total + "\" height=\"" +
                    h + "\" role=\"img\" aria-label=\"" + title + "\">";
  out += "<title>" + title + "</title>";
  out +=
      "<linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" "
      "stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>";
  out += "<clipPath id=\"r\"><rect width=\"" + total + "\" height=\"" + h +
         "\" rx=\"3\" fill=\"#fff\"/></clipPath>";
  out += "<g clip-path=\"url(#r)\">";
  out += "<rect width=\"" + std::to_string(left.width) + "\" height=\"" + h + "\" fill=\"" +
         left.fill + "\"/>";
  out += "<rect x=\"" + std::to_string(right.x) + "\" width=\"" + std::to_string(right.width) +
         "\" height=\"" + h + "\" fill=\"" + right.fill + "\"/>";
  out += "<rect width=\"" + total + "\" height=\"" + h + "\" fill=\"url(#s)\"/></g>";
  out +=
      "<g fill=\"#fff\" text-anchor=\"middle\" "
      "font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" "
      "text-rendering=\"geometricPrecision\" font-size=\"110\">";
  AppendText(left, out);
  AppendText(right, out);
  out += "</g></svg>";
  return out;
}

}  // namespace provbadge::badges
