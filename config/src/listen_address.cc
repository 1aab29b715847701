// ParseListenAddress: "host:port" for http.listen.
#include <arpa/inet.h>

#include <charconv>
#include <string>
#include <string_view>

#include "provbadge/config/config.h"

namespace provbadge::config {
namespace {

constexpr size_t kMaxHostnameLength = 253;
constexpr size_t kMaxLabelLength = 63;

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// inet_pton reads a C string: an embedded NUL would hide the rest of the text.
bool HasNul(const std::string& host) { return host.find('\0') != std::string::npos; }

bool IsIpv4(const std::string& host) {
  if (HasNul(host)) return false;
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1;
}

bool IsIpv6(const std::string& host) {
  if (HasNul(host)) return false;
  in6_addr address{};
  return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

// RFC 1123 hostname: dot-separated labels of letters, digits and inner hyphens.
bool IsHostname(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostnameLength) return false;
  size_t start = 0;
  while (start <= host.size()) {
    size_t end = host.find('.', start);
    if (end == std::string_view::npos) end = host.size();
    std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > kMaxLabelLength) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!IsAsciiAlnum(c) && c != '-') return false;
    }
    start = end + 1;
  }
  return true;
}

// Digits and dots only: meant as an IPv4 address, so it must be one ("1.2.3" is not a name).
bool LooksNumeric(std::string_view host) {
  return host.find_first_not_of("0123456789.") == std::string_view::npos;
}

Result<uint16_t> ParsePort(std::string_view text) {
  if (text.empty()) return InvalidInput("port is missing");
  if (text.size() > 5 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return InvalidInput("port '" + std::string(text) + "' must be a number from 0 to 65535");
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > 65535) {
    return InvalidInput("port " + std::string(text) + " is out of range (0 to 65535)");
  }
  return static_cast<uint16_t>(value);
}

Status CheckHost(const std::string& host) {
  if (host.empty()) return InvalidInput("host is missing (use e.g. 127.0.0.1:8080)");
  if (host.find(':') != std::string::npos) {
    return InvalidInput("an IPv6 address must be in brackets, e.g. [::1]:8080");
  }
  if (LooksNumeric(host)) {
    if (!IsIpv4(host)) return InvalidInput("'" + host + "' is not a valid IPv4 address");
    return Status::Ok();
  }
  if (!IsHostname(host)) return InvalidInput("'" + host + "' is not a valid hostname");
  return Status::Ok();
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view listen) {
  ListenAddress address;
  std::string_view port_text;
  if (!listen.empty() && listen.front() == '[') {
    size_t close = listen.find(']');
    if (close == std::string_view::npos) return InvalidInput("'[' without a closing ']'");
    address.host = std::string(listen.substr(1, close - 1));
    if (!IsIpv6(address.host)) {
      return InvalidInput("'" + address.host + "' is not a valid IPv6 address");
    }
    std::string_view rest = listen.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return InvalidInput("must be [ipv6]:port");
    port_text = rest.substr(1);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidInput("must be host:port (e.g. 127.0.0.1:8080)");
    }
    address.host = std::string(listen.substr(0, colon));
    port_text = listen.substr(colon + 1);
    if (Status host = CheckHost(address.host); !host.ok()) return host.error();
  }
  Result<uint16_t> port = ParsePort(port_text);
  if (!port.ok()) return port.error();
  address.port = *port;
  return address;
}

}  // namespace provbadge::config
