// Strict DER reading (see sigstore_der.h).
#include "sigstore_der.h"

namespace provbadge::verifier::sigstore::der {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

bool Read(std::string_view* in, Tlv* out) {
  const std::string_view s = *in;
  if (s.size() < 2 || (static_cast<unsigned char>(s[0]) & 0x1f) == 0x1f) return false;
  const unsigned char first = static_cast<unsigned char>(s[1]);
  size_t len = first, pos = 2;
  if (first & 0x80) {
    const size_t n = first & 0x7f;  // 0: indefinite length, not DER
    if (n == 0 || n > 4 || s.size() < 2 + n || s[2] == 0) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<unsigned char>(s[2 + i]);
    if (len < 0x80) return false;  // the short form was required
    pos = 2 + n;
  }
  if (len > s.size() - pos) return false;
  out->tag = static_cast<unsigned char>(s[0]);
  out->content = s.substr(pos, len);
  out->whole = s.substr(0, pos + len);
  in->remove_prefix(pos + len);
  return true;
}

bool Expect(std::string_view* in, unsigned char tag, Tlv* out) {
  std::string_view copy = *in;
  if (!Read(&copy, out) || out->tag != tag) return false;
  *in = copy;
  return true;
}

bool NextIs(std::string_view in, unsigned char tag) {
  return !in.empty() && static_cast<unsigned char>(in[0]) == tag;
}

bool Only(std::string_view in, unsigned char tag, std::string_view* content) {
  Tlv t;
  if (!Expect(&in, tag, &t) || !in.empty()) return false;
  *content = t.content;
  return true;
}

bool MinimalInteger(std::string_view c) {
  if (c.empty()) return false;
  if (c.size() == 1) return true;
  const unsigned char a = static_cast<unsigned char>(c[0]), b = static_cast<unsigned char>(c[1]);
  return !(a == 0x00 && (b & 0x80) == 0) && !(a == 0xff && (b & 0x80) != 0);
}

bool SmallInteger(std::string_view c, int64_t* value) {
  if (!MinimalInteger(c) || c.size() > 4 || (static_cast<unsigned char>(c[0]) & 0x80)) {
    return false;
  }
  int64_t v = 0;
  for (unsigned char b : c) v = (v << 8) | b;
  *value = v;
  return true;
}

bool Boolean(std::string_view c, bool* value) {
  if (c.size() != 1 || (c[0] != 0 && static_cast<unsigned char>(c[0]) != 0xff)) return false;
  *value = c[0] != 0;
  return true;
}

bool BitString(std::string_view c, int* unused, std::string_view* bits) {
  if (c.empty() || static_cast<unsigned char>(c[0]) > 7 || (c.size() == 1 && c[0] != 0)) {
    return false;
  }
  *unused = c[0];
  *bits = c.substr(1);
  return true;
}

bool Time(const Tlv& t, int64_t* unix_seconds) {
  const std::string_view s = t.content;
  int y = 0, mo, d, h, mi, se;
  size_t p = 0;
  if (t.tag == kUtcTime && s.size() == 13) {
    if (!Digits(s, 0, 2, &y)) return false;
    y += y < 50 ? 2000 : 1900;
    p = 2;
  } else if (t.tag == kGeneralizedTime && s.size() == 15) {
    if (!Digits(s, 0, 4, &y)) return false;
    p = 4;
  } else {
    return false;
  }
  if (!Digits(s, p, 2, &mo) || !Digits(s, p + 2, 2, &d) || !Digits(s, p + 4, 2, &h) ||
      !Digits(s, p + 6, 2, &mi) || !Digits(s, p + 8, 2, &se) || s[p + 10] != 'Z') {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || se > 59) {
    return false;
  }
  *unix_seconds = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  return true;
}

void Put(std::string* out, unsigned char tag, std::string_view content) {
  out->push_back(static_cast<char>(tag));
  const size_t len = content.size();
  if (len < 0x80) {
    out->push_back(static_cast<char>(len));
  } else {
    int n = 0;
    for (size_t v = len; v != 0; v >>= 8) ++n;
    out->push_back(static_cast<char>(0x80 | n));
    for (int i = n - 1; i >= 0; --i) out->push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
  out->append(content);
}

}  // namespace provbadge::verifier::sigstore::der
