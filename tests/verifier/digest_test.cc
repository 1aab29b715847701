#include "provbadge/verifier/digest.h"

#include <catch2/catch.hpp>

#include "common/memory_source.h"

namespace provbadge::verifier {
namespace {

TEST_CASE("Sha256Hex matches known answers") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Raw("abc").size() == 32);
}

TEST_CASE("Sha256 streams in pieces to the same digest") {
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  CHECK(h.FinalHex() == Sha256Hex("abc"));
}

TEST_CASE("Sha256HexOfReader hashes a file larger than its buffer") {
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>(i & 0xff);
  testing::MemoryReader reader(big);
  Result<std::string> digest = Sha256HexOfReader(reader);
  REQUIRE(digest.ok());
  CHECK(*digest == Sha256Hex(big));
}

TEST_CASE("Hex round trip and rejection") {
  CHECK(HexEncode(std::string("\x00\xff\x10", 3)) == "00ff10");
  Result<std::string> raw = HexDecode("00FF10");
  REQUIRE(raw.ok());
  CHECK(*raw == std::string("\x00\xff\x10", 3));
  CHECK_FALSE(HexDecode("abc").ok());
  CHECK_FALSE(HexDecode("zz").ok());
}

TEST_CASE("Base64 encodes standard and decodes both alphabets") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  std::string raw("\xfb\xff\xfe", 3);
  CHECK(Base64Encode(raw) == "+//+");
  Result<std::string> std_dec = Base64Decode("+//+");
  Result<std::string> url_dec = Base64Decode("-__-");
  REQUIRE(std_dec.ok());
  REQUIRE(url_dec.ok());
  CHECK(*std_dec == raw);
  CHECK(*url_dec == raw);
  Result<std::string> unpadded = Base64Decode("Zm8");
  REQUIRE(unpadded.ok());
  CHECK(*unpadded == "fo");
}

TEST_CASE("Base64Decode rejects malformed input") {
  CHECK_FALSE(Base64Decode("Zm9v!").ok());
  CHECK_FALSE(Base64Decode("Z").ok());
  CHECK_FALSE(Base64Decode("Zg=").ok());
  CHECK_FALSE(Base64Decode("Zh==").ok());  // non-zero trailing bits
  CHECK_FALSE(Base64Decode("Zm 9v").ok());
}

}  // namespace
}  // namespace provbadge::verifier
