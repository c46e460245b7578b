// Which IP addresses `refuse_private_addresses` refuses: loopback, private,
// link-local (cloud metadata included), unspecified and carrier-grade NAT
// ranges, for IPv4, IPv6 and IPv4 addresses carried in IPv6 (mapped, NAT64);
// and the networks an allow-list (`allowed_networks`) exempts.
//
// The transport applies it to the address a socket is about to connect to
// and to every reused connection's peer, so DNS answers and redirects cannot
// route around it. That address is binary, as the resolver made it: every
// spelling of a host in a URL (`2130706433`, `0177.0.0.1`, `127.1`,
// `[::ffff:127.0.0.1]`, `0`, userinfo before the host) has been turned into
// the one address it reaches before it is judged here.
#ifndef CONVEY_RUNTIME_HTTP_ADDRESS_POLICY_H_
#define CONVEY_RUNTIME_HTTP_ADDRESS_POLICY_H_

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

struct IpAddress {
  int family = 0;          // AF_INET or AF_INET6; 0: none
  uint8_t bytes[16] = {};  // network order; 4 used for AF_INET
};

// False when `addr` is not an IPv4 or IPv6 socket address of `len` bytes.
bool IpFromSockaddr(const sockaddr* addr, socklen_t len, IpAddress* ip);
// Numeric text as libcurl reports it ("10.0.0.1", "::1", "fe80::1%eth0").
bool IpFromString(absl::string_view text, IpAddress* ip);
std::string IpToString(const IpAddress& ip);

// What kind of non-public address `ip` is ("loopback", "private",
// "cloud metadata", ...), or nullptr when it may be connected to.
const char* RefusedAddressKind(const IpAddress& ip);

// OK, or PermissionDenied naming the address, what kind it is and how to
// allow it. `host` is the URL's host the address was reached for, as
// written there ("localhost", "2130706433"); named in the message when it
// is not the address itself.
absl::Status CheckPublicAddress(const IpAddress& ip, absl::string_view host = "");

// The check the transport applies when a request sets
// refuse_private_addresses (after the request's allowed_networks); tests
// substitute their own.
using AddressCheck = std::function<absl::Status(const IpAddress& ip, absl::string_view host)>;

// The first `prefix_length` bits of `address` (the rest are zero).
struct IpNetwork {
  IpAddress address;
  int prefix_length = 0;
};

// One allow-list entry: an address in standard notation ("10.1.2.3",
// "fd00::1", also "[fd00::1]") with an optional "/prefix" (0..32 for IPv4,
// 0..128 for IPv6; without it the single address). Nothing else is taken:
// no host names, no short or numeric IPv4 forms ("127.1", "2130706433"),
// no leading zeros, no zone ("%eth0"), and no bits set past the prefix
// ("10.0.0.1/8" names no network; the message suggests "10.0.0.0/8").
// An IPv4-mapped IPv6 network ("::ffff:10.0.0.0/104") is kept as the IPv4
// network it is. InvalidArgument saying why.
absl::StatusOr<IpNetwork> ParseIpNetwork(absl::string_view text);
// Every entry of `texts`; the first bad one is InvalidArgument
// `[i] "TEXT": why`.
absl::StatusOr<std::vector<IpNetwork>> ParseIpNetworks(const std::vector<std::string>& texts);
// "10.0.0.0/8", "fd00::/8".
std::string IpNetworkToString(const IpNetwork& network);

// True when `ip` is in one of `networks`. An IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, which a dual-stack socket connects to a.b.c.d itself)
// is also matched as its IPv4 address; NAT64 and IPv4-compatible ones are
// not (they reach another host's idea of that address).
bool InNetworks(const std::vector<IpNetwork>& networks, const IpAddress& ip);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_HTTP_ADDRESS_POLICY_H_
