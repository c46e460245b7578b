#include "runtime/http/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {
namespace {

const char* RefusedIpv4Kind(const uint8_t* b) {
  if (b[0] == 169 && b[1] == 254 && b[2] == 169 && b[3] == 254) {
    return "cloud metadata";
  }
  // 0.0.0.0/8 is "this network": connecting to it reaches the local host.
  if (b[0] == 0) return "unspecified";
  if (b[0] == 127) return "loopback";
  if (b[0] == 10) return "private";
  if (b[0] == 172 && (b[1] & 0xf0) == 16) return "private";
  if (b[0] == 192 && b[1] == 168) return "private";
  if (b[0] == 169 && b[1] == 254) return "link-local";
  if (b[0] == 100 && (b[1] & 0xc0) == 64) return "carrier-grade NAT";
  return nullptr;
}

const char* RefusedIpv6Kind(const uint8_t* b) {
  static const uint8_t kMetadata[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                        0,    0,    0,    0,    0, 0, 0x02, 0x54};
  if (std::memcmp(b, kMetadata, 16) == 0) return "cloud metadata";
  static const uint8_t kZero[12] = {};
  if (std::memcmp(b, kZero, 12) == 0) {
    if (b[12] == 0 && b[13] == 0 && b[14] == 0) {
      if (b[15] == 0) return "unspecified";
      if (b[15] == 1) return "loopback";
    }
    // IPv4-compatible (::a.b.c.d, deprecated): judged as the IPv4 address.
    return RefusedIpv4Kind(b + 12);
  }
  // IPv4-mapped (::ffff:a.b.c.d): a dual-stack socket connects to the IPv4
  // address itself.
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMapped, 12) == 0) return RefusedIpv4Kind(b + 12);
  // NAT64 well-known prefix (64:ff9b::/96): the gateway connects to the
  // embedded IPv4 address.
  static const uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kNat64, 12) == 0) return RefusedIpv4Kind(b + 12);
  if ((b[0] & 0xfe) == 0xfc) return "private";                     // fc00::/7, unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "site-local";  // fec0::/10
  return nullptr;
}

}  // namespace

bool IpFromSockaddr(const sockaddr* addr, socklen_t len, IpAddress* ip) {
  if (addr == nullptr) return false;
  if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    std::memcpy(&in, addr, sizeof(in));
    ip->family = AF_INET;
    std::memset(ip->bytes, 0, sizeof(ip->bytes));
    std::memcpy(ip->bytes, &in.sin_addr, 4);
    return true;
  }
  if (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    std::memcpy(&in6, addr, sizeof(in6));
    ip->family = AF_INET6;
    std::memcpy(ip->bytes, &in6.sin6_addr, 16);
    return true;
  }
  return false;
}

bool IpFromString(absl::string_view text, IpAddress* ip) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  // The zone of a link-local address ("fe80::1%eth0") does not change what
  // kind of address it is.
  size_t zone = text.find('%');
  if (zone != absl::string_view::npos) text = text.substr(0, zone);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  std::string copy(text);
  std::memset(ip->bytes, 0, sizeof(ip->bytes));
  if (inet_pton(AF_INET, copy.c_str(), ip->bytes) == 1) {
    ip->family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, copy.c_str(), ip->bytes) == 1) {
    ip->family = AF_INET6;
    return true;
  }
  return false;
}

std::string IpToString(const IpAddress& ip) {
  char text[INET6_ADDRSTRLEN] = {};
  if ((ip.family != AF_INET && ip.family != AF_INET6) ||
      inet_ntop(ip.family, ip.bytes, text, sizeof(text)) == nullptr) {
    return "(not an IP address)";
  }
  return text;
}

const char* RefusedAddressKind(const IpAddress& ip) {
  if (ip.family == AF_INET) return RefusedIpv4Kind(ip.bytes);
  if (ip.family == AF_INET6) return RefusedIpv6Kind(ip.bytes);
  return "unknown";
}

absl::Status CheckPublicAddress(const IpAddress& ip) {
  const char* kind = RefusedAddressKind(ip);
  if (kind == nullptr) return absl::OkStatus();
  const char* article = std::strchr("aeiou", kind[0]) != nullptr ? "an" : "a";
  return absl::PermissionDeniedError(absl::StrCat("refused to connect to ", IpToString(ip), ", ",
                                                  article, " ", kind,
                                                  " address (refuse_private_addresses)"));
}

}  // namespace internal
}  // namespace convey
