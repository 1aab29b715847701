// ParseListenAddress: the accepted and rejected forms of http.listen.
#include <catch2/catch.hpp>

#include <string>

#include "provbadge/config/config.h"

namespace provbadge::config {
namespace {

using Catch::Matchers::Contains;

ListenAddress ListenOk(const std::string& text) {
  Result<ListenAddress> address = ParseListenAddress(text);
  INFO(text);
  if (!address.ok()) FAIL(address.error().message());
  return *address;
}

std::string ListenFails(const std::string& text) {
  Result<ListenAddress> address = ParseListenAddress(text);
  INFO(text);
  REQUIRE_FALSE(address.ok());
  CHECK(address.error().code() == ErrorCode::kInvalidInput);
  return address.error().message();
}

TEST_CASE("IPv4, bracketed IPv6 and hostnames are accepted", "[config][listen]") {
  ListenAddress v4 = ListenOk("127.0.0.1:8080");
  CHECK(v4.host == "127.0.0.1");
  CHECK(v4.port == 8080);
  ListenAddress any = ListenOk("0.0.0.0:0");
  CHECK(any.host == "0.0.0.0");
  CHECK(any.port == 0);
  ListenAddress v6 = ListenOk("[::1]:65535");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 65535);
  CHECK(ListenOk("[2001:db8::8a2e:370:7334]:443").host == "2001:db8::8a2e:370:7334");
  CHECK(ListenOk("localhost:80").host == "localhost");
  CHECK(ListenOk("badges-1.internal.example.com:8443").host == "badges-1.internal.example.com");
}

TEST_CASE("malformed listen addresses say what is wrong", "[config][listen]") {
  CHECK(ListenFails("") == "must be host:port (e.g. 127.0.0.1:8080)");
  CHECK(ListenFails("localhost") == "must be host:port (e.g. 127.0.0.1:8080)");
  CHECK(ListenFails(":8080") == "host is missing (use e.g. 127.0.0.1:8080)");
  CHECK(ListenFails("127.0.0.1:") == "port is missing");
  CHECK(ListenFails("127.0.0.1:65536") == "port 65536 is out of range (0 to 65535)");
  CHECK(ListenFails("127.0.0.1:-1") == "port '-1' must be a number from 0 to 65535");
  CHECK(ListenFails("127.0.0.1:http") == "port 'http' must be a number from 0 to 65535");
  CHECK(ListenFails("127.0.0.1:123456") == "port '123456' must be a number from 0 to 65535");
  CHECK(ListenFails("127.0.0.1: 80") == "port ' 80' must be a number from 0 to 65535");
  CHECK(ListenFails("1.2.3:80") == "'1.2.3' is not a valid IPv4 address");
  CHECK(ListenFails("256.0.0.1:80") == "'256.0.0.1' is not a valid IPv4 address");
  CHECK(ListenFails("::1:80") == "an IPv6 address must be in brackets, e.g. [::1]:8080");
  CHECK(ListenFails("[::1:80") == "'[' without a closing ']'");
  CHECK(ListenFails("[::1]") == "must be [ipv6]:port");
  CHECK(ListenFails("[::1]80") == "must be [ipv6]:port");
  CHECK(ListenFails("[127.0.0.1]:80") == "'127.0.0.1' is not a valid IPv6 address");
  CHECK(ListenFails("[]:80") == "'' is not a valid IPv6 address");
  CHECK(ListenFails("-bad.example:80") == "'-bad.example' is not a valid hostname");
  CHECK(ListenFails("bad_host:80") == "'bad_host' is not a valid hostname");
  CHECK(ListenFails("a..b:80") == "'a..b' is not a valid hostname");
  CHECK(ListenFails("host.:80") == "'host.' is not a valid hostname");
  CHECK(ListenFails("ho st:80") == "'ho st' is not a valid hostname");
  CHECK_THAT(ListenFails(std::string(64, 'a') + ":80"), Contains("is not a valid hostname"));
  CHECK_THAT(ListenFails(std::string("a\0b:80", 6)), Contains("is not a valid hostname"));
  CHECK_THAT(ListenFails(std::string("[::1\0x]:80", 10)), Contains("is not a valid IPv6 address"));
  CHECK_THAT(ListenFails(std::string("1.2.3.4\0:80", 11)), Contains("is not a valid"));
}

}  // namespace
}  // namespace provbadge::config
