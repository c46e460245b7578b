// Which IP addresses `refuse_private_addresses` refuses: loopback, private,
// link-local (cloud metadata included), unspecified and carrier-grade NAT
// ranges, for IPv4, IPv6 and IPv4 addresses carried in IPv6 (mapped, NAT64).
//
// The transport applies it to the address a socket is about to connect to
// and to every reused connection's peer, so DNS answers and redirects cannot
// route around it.
#ifndef CONVEY_RUNTIME_HTTP_ADDRESS_POLICY_H_
#define CONVEY_RUNTIME_HTTP_ADDRESS_POLICY_H_

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
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

// OK, or PermissionDenied naming the address and why it is refused.
absl::Status CheckPublicAddress(const IpAddress& ip);

// The check the transport applies when a request sets
// refuse_private_addresses; tests substitute their own.
using AddressCheck = std::function<absl::Status(const IpAddress&)>;

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_HTTP_ADDRESS_POLICY_H_
