#include "runtime/http/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/quote.h"

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

const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool IsMapped(const IpAddress& ip) {
  return ip.family == AF_INET6 && std::memcmp(ip.bytes, kMappedPrefix, 12) == 0;
}

// ::ffff:a.b.c.d as a.b.c.d; any other address as it is.
IpAddress Unmapped(const IpAddress& ip) {
  if (!IsMapped(ip)) return ip;
  IpAddress v4;
  v4.family = AF_INET;
  std::memcpy(v4.bytes, ip.bytes + 12, 4);
  return v4;
}

int MaxPrefix(int family) { return family == AF_INET ? 32 : 128; }

// Clears the bits of `ip` past the first `prefix_length`; true when one was
// set.
bool ClearHostBits(IpAddress* ip, int prefix_length) {
  bool was_set = false;
  const int bytes = ip->family == AF_INET ? 4 : 16;
  for (int i = 0; i < bytes; ++i) {
    const int keep = std::min(std::max(prefix_length - 8 * i, 0), 8);
    const uint8_t mask = keep == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    if ((ip->bytes[i] & ~mask) != 0) was_set = true;
    ip->bytes[i] &= mask;
  }
  return was_set;
}

bool Contains(const IpNetwork& network, const IpAddress& ip) {
  if (network.address.family != ip.family) return false;
  IpAddress masked = ip;
  ClearHostBits(&masked, network.prefix_length);
  return std::memcmp(masked.bytes, network.address.bytes, 16) == 0;
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

absl::Status CheckPublicAddress(const IpAddress& ip, absl::string_view host) {
  const char* kind = RefusedAddressKind(ip);
  if (kind == nullptr) return absl::OkStatus();
  const char* article = std::strchr("aeiou", kind[0]) != nullptr ? "an" : "a";
  const std::string address = IpToString(ip);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string for_host;
  IpAddress host_ip;
  const bool host_is_ip = IpFromString(host, &host_ip) && host_ip.family == ip.family &&
                          std::memcmp(host_ip.bytes, ip.bytes, 16) == 0;
  if (!host.empty() && !host_is_ip) {
    for_host = absl::StrCat(" (host ", Quote(host, 100), ")");
  }
  // The allow-list entry that lets exactly this address through.
  IpNetwork single;
  single.address = Unmapped(ip);
  single.prefix_length = MaxPrefix(single.address.family);
  return absl::PermissionDeniedError(
      absl::StrCat("refused to connect to ", address, for_host, ", ", article, " ", kind,
                   " address: api calls to private and local networks are refused (to allow it: "
                   "EngineOptions::api_allowed_networks, or convey run --allow-net=",
                   IpNetworkToString(single), ")"));
}

absl::StatusOr<IpNetwork> ParseIpNetwork(absl::string_view text) {
  absl::string_view address = text;
  absl::string_view prefix;
  bool has_prefix = false;
  if (const size_t slash = text.find('/'); slash != absl::string_view::npos) {
    address = text.substr(0, slash);
    prefix = text.substr(slash + 1);
    has_prefix = true;
  }
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  if (address.empty()) return absl::InvalidArgumentError("no address");
  if (address.find('%') != absl::string_view::npos) {
    return absl::InvalidArgumentError("an address with a zone (%...) names no network");
  }
  IpNetwork network;
  IpAddress& ip = network.address;
  bool parsed = false;
  if (address.size() < INET6_ADDRSTRLEN) {
    const std::string copy(address);
    if (inet_pton(AF_INET, copy.c_str(), ip.bytes) == 1) {
      ip.family = AF_INET;
      parsed = true;
    } else if (inet_pton(AF_INET6, copy.c_str(), ip.bytes) == 1) {
      ip.family = AF_INET6;
      parsed = true;
    }
  }
  if (!parsed) {
    return absl::InvalidArgumentError(
        "not an IPv4 address (a.b.c.d, four decimal numbers without leading zeros) or an "
        "IPv6 address, with an optional /prefix (host names and short or numeric forms such "
        "as 127.1 or 2130706433 are not taken)");
  }
  const int max = MaxPrefix(ip.family);
  network.prefix_length = max;
  if (has_prefix) {
    int length = -1;
    const bool digits = !prefix.empty() && prefix.size() <= 3 &&
                        std::all_of(prefix.begin(), prefix.end(), [](char c) {
                          return absl::ascii_isdigit(static_cast<unsigned char>(c));
                        });
    if (!digits || (prefix.size() > 1 && prefix[0] == '0') || !absl::SimpleAtoi(prefix, &length) ||
        length > max) {
      return absl::InvalidArgumentError(
          absl::StrCat("the prefix length after / must be a whole number from 0 to ", max,
                       " for an ", ip.family == AF_INET ? "IPv4" : "IPv6", " address"));
    }
    network.prefix_length = length;
  }
  if (ClearHostBits(&ip, network.prefix_length)) {
    return absl::InvalidArgumentError(absl::StrCat("has bits set past the /", network.prefix_length,
                                                   " prefix (did you mean ",
                                                   IpNetworkToString(network), "?)"));
  }
  if (IsMapped(ip) && network.prefix_length >= 96) {
    network.address = Unmapped(ip);
    network.prefix_length -= 96;
  }
  return network;
}

absl::StatusOr<std::vector<IpNetwork>> ParseIpNetworks(const std::vector<std::string>& texts) {
  std::vector<IpNetwork> networks;
  networks.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    absl::StatusOr<IpNetwork> network = ParseIpNetwork(texts[i]);
    if (!network.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("[", i, "] ", Quote(texts[i], 100), ": ", network.status().message()));
    }
    networks.push_back(*network);
  }
  return networks;
}

std::string IpNetworkToString(const IpNetwork& network) {
  return absl::StrCat(IpToString(network.address), "/", network.prefix_length);
}

bool InNetworks(const std::vector<IpNetwork>& networks, const IpAddress& ip) {
  const IpAddress unmapped = Unmapped(ip);
  for (const IpNetwork& network : networks) {
    if (Contains(network, ip) || Contains(network, unmapped)) return true;
  }
  return false;
}

}  // namespace internal
}  // namespace convey
