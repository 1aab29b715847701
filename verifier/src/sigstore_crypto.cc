// OpenSSL and encoding helpers for the Sigstore steps: strict base64, hashing, signature
// verification with the key's default hash, DER (de)serialisation and time conversion.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>
#include <ctime>

#include "sigstore_internal.h"

namespace provbadge::verifier::sigstore {
namespace {

constexpr std::array<int8_t, 256> MakeB64Table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kB64 = MakeB64Table();

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// The 3 bytes of one quad of 6-bit values.
void PutQuad(uint32_t a, uint32_t b, uint32_t c, uint32_t d, char* dst) {
  const uint32_t n = (a << 18) | (b << 12) | (c << 6) | d;
  dst[0] = static_cast<char>(n >> 16);
  dst[1] = static_cast<char>(n >> 8);
  dst[2] = static_cast<char>(n);
}

}  // namespace

bool StrictBase64Decode(std::string_view b64, std::string* out) {
  if (std::memchr(b64.data(), '\n', b64.size()) != nullptr ||
      std::memchr(b64.data(), '\r', b64.size()) != nullptr) {
    std::string joined;  // line breaks are skipped, as Go's decoder does
    joined.reserve(b64.size());
    for (char c : b64) {
      if (c != '\r' && c != '\n') joined += c;
    }
    return StrictBase64Decode(joined, out);
  }
  if (b64.size() % 4 != 0) return false;
  if (b64.empty()) return true;
  size_t pad = 0;
  if (b64.back() == '=') pad = (b64.size() >= 2 && b64[b64.size() - 2] == '=') ? 2 : 1;
  const size_t base = out->size();
  out->resize(base + b64.size() / 4 * 3);
  char* dst = out->data() + base;
  const auto* src = reinterpret_cast<const unsigned char*>(b64.data());
  // Every quad but the last: four alphabet characters ('=' maps to -1 like any non-alphabet
  // byte, so padding before the end is rejected here).
  const size_t full = b64.size() - 4;
  for (size_t i = 0; i < full; i += 4, dst += 3) {
    const int32_t a = kB64[src[i]], b = kB64[src[i + 1]], c = kB64[src[i + 2]],
                  d = kB64[src[i + 3]];
    if ((a | b | c | d) < 0) return false;
    PutQuad(a, b, c, d, dst);
  }
  int v[4];
  for (size_t j = 0; j < 4; ++j) {
    const unsigned char c = src[full + j];
    v[j] = (c == '=' && j >= 4 - pad) ? 0 : kB64[c];
    if (v[j] < 0) return false;
  }
  PutQuad(v[0], v[1], v[2], v[3], dst);
  out->resize(out->size() - pad);
  return true;
}

std::string Sha256(std::string_view data) {
  std::string out(32, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Hex(std::string_view raw) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

const EVP_MD* DefaultMd(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
      return nullptr;
    case EVP_PKEY_EC: {
      const int bits = EVP_PKEY_get_bits(key);
      if (bits > 384) return EVP_sha512();
      if (bits > 256) return EVP_sha384();
      return EVP_sha256();
    }
    default:
      return EVP_sha256();
  }
}

bool VerifySig(EVP_PKEY* key, const EVP_MD* md, std::string_view msg, std::string_view sig) {
  if (key == nullptr || sig.empty()) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  int rc = 0;
  if (ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1) {
    rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  }
  ERR_clear_error();
  return rc == 1;
}

bool VerifySig(EVP_PKEY* key, const FixedKeyEcdsa* fixed, const EVP_MD* md, std::string_view msg,
               std::string_view sig) {
  return fixed != nullptr ? fixed->Verify(md, msg, sig) : VerifySig(key, md, msg, sig);
}

bool VerifyPrehashedSha256(EVP_PKEY* key, std::string_view digest32, std::string_view sig) {
  if (key == nullptr || digest32.size() != 32 || sig.empty()) return false;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) return false;
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new(key, nullptr));
  int rc = 0;
  if (ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) == 1) {
    rc = EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(digest32.data()), 32);
  }
  ERR_clear_error();
  return rc == 1;
}

PkeyPtr KeyFromSpkiDer(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

X509Ptr CertFromDer(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return nullptr;
  }
  return cert;
}

std::string CertDer(X509* cert) {
  unsigned char* buf = nullptr;
  const int len = i2d_X509(cert, &buf);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::string SpkiDer(EVP_PKEY* key) {
  unsigned char* buf = nullptr;
  const int len = i2d_PUBKEY(key, &buf);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::optional<int64_t> ParseRfc3339(std::string_view s) {
  struct tm tm {};
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || !ParseDigits(s, 0, 4, &y) || s[4] != '-' || !ParseDigits(s, 5, 2, &mo) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
      !ParseDigits(s, 11, 2, &h) || s[13] != ':' || !ParseDigits(s, 14, 2, &mi) || s[16] != ':' ||
      !ParseDigits(s, 17, 2, &se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t digits = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == digits || pos - digits > 9) return std::nullopt;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, &om)) {
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

std::optional<int64_t> Asn1TimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::string UrlHost(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  return std::string(url.substr(start, end == std::string_view::npos ? end : end - start));
}

void Fail(Finding* fail, std::string code, std::string message, std::string expected,
          std::string actual) {
  *fail = Finding{std::move(code),     Severity::kError, std::move(message), "",
                  std::move(expected), std::move(actual)};
}

}  // namespace provbadge::verifier::sigstore
