// Text helpers for badge strings: UTF-8 sanitising, truncation and XML escaping.
//
// Ownership: none (pure functions over string views). Thread-safety: pure functions.
// Contract: every output is valid UTF-8; invalid byte sequences become U+FFFD.
#ifndef PROVBADGE_BADGES_SRC_TEXT_UTIL_H_
#define PROVBADGE_BADGES_SRC_TEXT_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace provbadge::badges::internal {

// Decodes `text` into code points; each invalid byte becomes U+FFFD.
std::vector<char32_t> DecodeUtf8(std::string_view text);
void AppendUtf8(char32_t cp, std::string& out);

// Valid UTF-8 on one line: invalid bytes become U+FFFD, control characters become spaces.
std::string OneLine(std::string_view text);

// At most `max_chars` code points; longer text keeps `max_chars - 1` and ends with "…".
std::string Truncate(std::string_view text, size_t max_chars);

// Escapes & < > " ' for element text and attribute values, after OneLine(); the result is safe
// anywhere in an XML 1.0 document.
std::string XmlEscape(std::string_view text);

}  // namespace provbadge::badges::internal

#endif  // PROVBADGE_BADGES_SRC_TEXT_UTIL_H_
