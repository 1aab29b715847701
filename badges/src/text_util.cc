#include "text_util.h"

namespace provbadge::badges::internal {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Length of a sequence starting with `lead`, or 0 if `lead` cannot start one.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Decodes the sequence of `len` bytes at `p` into `*cp`; false if it is malformed (bad
// continuation, overlong, surrogate, or beyond U+10FFFF).
bool DecodeSequence(const unsigned char* p, size_t len, char32_t* cp) {
  char32_t v = len == 1 ? p[0] : p[0] & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return false;
    v = (v << 6) | (p[i] & 0x3F);
  }
  static constexpr char32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if ((len > 1 && v < kMinForLength[len]) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    return false;
  }
  *cp = v;
  return true;
}

bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

}  // namespace

std::vector<char32_t> DecodeUtf8(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    size_t len = SequenceLength(p[i]);
    char32_t cp = 0;
    if (len == 0 || i + len > text.size() || !DecodeSequence(p + i, len, &cp)) {
      out.push_back(kReplacement);  // resynchronise on the next byte
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : DecodeUtf8(text)) AppendUtf8(IsControl(cp) ? U' ' : cp, out);
  return out;
}

std::string Truncate(std::string_view text, size_t max_chars) {
  std::vector<char32_t> cps = DecodeUtf8(text);
  if (cps.size() <= max_chars) {
    std::string out;
    for (char32_t cp : cps) AppendUtf8(cp, out);
    return out;
  }
  std::string out;
  for (size_t i = 0; i + 1 < max_chars; ++i) AppendUtf8(cps[i], out);
  if (max_chars > 0) AppendUtf8(U'\u2026', out);
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : OneLine(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace provbadge::badges::internal
