// Streaming SHA-256 and BLAKE2b over OpenSSL EVP, hex and base64 codecs.
#include "provbadge/verifier/digest.h"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace provbadge::verifier {
namespace {

constexpr size_t kReadChunk = 1u << 20;  // 1 MiB, as the reference implementation reads

EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Value of one base64 character in either alphabet, -1 when invalid.
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // EVP_DigestInit_ex only fails on allocation failure, which we treat as fatal like new.
  if (ctx_ == nullptr || EVP_DigestInit_ex(Ctx(ctx_), EVP_sha256(), nullptr) != 1) std::abort();
}

Sha256::~Sha256() { EVP_MD_CTX_free(Ctx(ctx_)); }

void Sha256::Update(const void* data, size_t len) {
  if (len > 0) EVP_DigestUpdate(Ctx(ctx_), data, len);
}

std::string Sha256::FinalRaw() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(Ctx(ctx_), md.data(), &n);
  return std::string(reinterpret_cast<const char*>(md.data()), n);
}

std::string Sha256::FinalHex() { return HexEncode(FinalRaw()); }

std::string Sha256Raw(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.FinalRaw();
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256Raw(data)); }

Result<std::string> Sha256HexOfReader(FileReader& reader) {
  Sha256 h;
  std::vector<std::byte> buf(kReadChunk);
  uint64_t offset = 0;
  for (;;) {
    Result<size_t> n = reader.ReadAt(offset, buf);
    if (!n.ok()) return n.error().Wrap("hashing");
    if (*n == 0) break;
    h.Update(buf.data(), *n);
    offset += *n;
  }
  return h.FinalHex();
}

std::string_view HashAlgorithmName(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kBlake2b ? "blake2b" : "sha256";
}

size_t DigestBytes(HashAlgorithm algorithm) {
  return algorithm == HashAlgorithm::kBlake2b ? 64 : 32;
}

Hasher::Hasher(HashAlgorithm algorithm) : ctx_(EVP_MD_CTX_new()) {
  const EVP_MD* md = algorithm == HashAlgorithm::kBlake2b ? EVP_blake2b512() : EVP_sha256();
  if (ctx_ == nullptr || EVP_DigestInit_ex(Ctx(ctx_), md, nullptr) != 1) std::abort();
}

Hasher::~Hasher() { EVP_MD_CTX_free(Ctx(ctx_)); }

void Hasher::Update(const void* data, size_t len) {
  if (len > 0) EVP_DigestUpdate(Ctx(ctx_), data, len);
}

std::string Hasher::FinalRaw() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(Ctx(ctx_), md.data(), &n);
  return std::string(reinterpret_cast<const char*>(md.data()), n);
}

std::string Hasher::FinalHex() { return HexEncode(FinalRaw()); }

std::string DigestHex(HashAlgorithm algorithm, std::string_view data) {
  Hasher h(algorithm);
  h.Update(data);
  return h.FinalHex();
}

std::string HexEncode(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

Result<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return InvalidInput("hex string has odd length");
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]);
    int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return InvalidInput("hex string has a non-hex character");
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view b64) {
  size_t end = b64.size();
  size_t pad = 0;
  while (end > 0 && b64[end - 1] == '=' && pad < 2) {
    --end;
    ++pad;
  }
  if (pad > 0 && (end + pad) % 4 != 0) return InvalidInput("base64 padding is malformed");
  if (end % 4 == 1) return InvalidInput("base64 length is impossible");
  std::string out;
  out.reserve(end / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < end; ++i) {
    int v = Base64Value(b64[i]);
    if (v < 0) return InvalidInput("base64 has a character outside both alphabets");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero (canonical encoding), else two strings decode to one value.
  if ((acc & ((1u << bits) - 1)) != 0) return InvalidInput("base64 has non-zero trailing bits");
  return out;
}

std::string Base64Encode(std::string_view raw) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= raw.size(); i += 3) {
    uint32_t v = (uint8_t(raw[i]) << 16) | (uint8_t(raw[i + 1]) << 8) | uint8_t(raw[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  size_t rest = raw.size() - i;
  if (rest > 0) {
    uint32_t v = uint8_t(raw[i]) << 16;
    if (rest == 2) v |= uint8_t(raw[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace provbadge::verifier
