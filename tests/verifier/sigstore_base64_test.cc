// StrictBase64Decode (Sigstore bundle fields): round trips through OpenSSL's encoder at every
// length and tail, and rejection of everything that is not strict standard base64.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "verifier/src/sigstore_internal.h"

namespace {

using provbadge::verifier::sigstore::StrictBase64Decode;

std::string Encode(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool Decodes(const std::string& b64, std::string* out) {
  out->clear();
  return StrictBase64Decode(b64, out);
}

}  // namespace

TEST_CASE("base64: every length round-trips and appends to the output", "[sigstore][base64]") {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 200; ++len) {
    std::string raw(len, '\0');
    for (char& c : raw) c = static_cast<char>(rng());
    std::string out;
    REQUIRE(Decodes(Encode(raw), &out));
    CHECK(out == raw);
    std::string appended = "prefix";
    REQUIRE(StrictBase64Decode(Encode(raw), &appended));
    CHECK(appended == "prefix" + raw);
  }
}

TEST_CASE("base64: line breaks are skipped, non-zero pad bits accepted", "[sigstore][base64]") {
  std::string out;
  CHECK(Decodes("Zm9v\nYmFy\r\n", &out));
  CHECK(out == "foobar");
  CHECK(Decodes("Zh==", &out));  // 'h' leaves non-zero pad bits, as Go's decoder accepts
  CHECK(out == "f");
  CHECK(Decodes("Zm9=", &out));
  CHECK(out == "fo");
}

TEST_CASE("base64: anything not strict standard base64 is rejected", "[sigstore][base64]") {
  std::string out;
  for (const char* bad : {"Zg=", "Zg", "Z===", "====", "Zg==Zg==", "Zm9v=Zm9", "Zm-v", "Zm_v",
                          "Zm9v Zm9v", "Zm9\x80", "Zm9v\tYmFy", "=Zm9", "Zm=v", "Zm9v===="}) {
    INFO(bad);
    CHECK_FALSE(Decodes(bad, &out));
  }
  // A NUL byte inside is not skipped.
  CHECK_FALSE(Decodes(std::string("Zm9v\0Zm9", 9), &out));
  CHECK(Decodes("", &out));
  CHECK(out.empty());
  // Every single-character substitution by a non-alphabet byte is caught, at every position.
  const std::string good = Encode("the quick brown fox jumps");
  for (size_t i = 0; i < good.size(); ++i) {
    for (char c : {'-', '_', '=', '.', '\0', '\x7f', '\xff', '*'}) {
      std::string bad = good;
      if (bad[i] == c || (c == '=' && i + 1 == good.size())) continue;
      bad[i] = c;
      INFO("position " << i << " byte " << int(static_cast<unsigned char>(c)));
      CHECK_FALSE(Decodes(bad, &out));
    }
  }
}
