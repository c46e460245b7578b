#include "runtime/http/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convey {
namespace internal {
namespace {

using ::testing::HasSubstr;

const char* Kind(const char* text) {
  IpAddress ip;
  EXPECT_TRUE(IpFromString(text, &ip)) << text;
  const char* kind = RefusedAddressKind(ip);
  return kind == nullptr ? "public" : kind;
}

TEST(AddressPolicyTest, Ipv4Ranges) {
  EXPECT_STREQ(Kind("127.0.0.1"), "loopback");
  EXPECT_STREQ(Kind("127.255.255.254"), "loopback");
  EXPECT_STREQ(Kind("10.0.0.1"), "private");
  EXPECT_STREQ(Kind("10.255.255.255"), "private");
  EXPECT_STREQ(Kind("172.16.0.1"), "private");
  EXPECT_STREQ(Kind("172.31.255.255"), "private");
  EXPECT_STREQ(Kind("172.15.255.255"), "public");
  EXPECT_STREQ(Kind("172.32.0.0"), "public");
  EXPECT_STREQ(Kind("192.168.1.1"), "private");
  EXPECT_STREQ(Kind("192.169.0.1"), "public");
  EXPECT_STREQ(Kind("169.254.1.1"), "link-local");
  EXPECT_STREQ(Kind("169.254.169.254"), "cloud metadata");
  EXPECT_STREQ(Kind("0.0.0.0"), "unspecified");
  EXPECT_STREQ(Kind("0.1.2.3"), "unspecified");
  EXPECT_STREQ(Kind("100.64.0.1"), "carrier-grade NAT");
  EXPECT_STREQ(Kind("100.127.255.255"), "carrier-grade NAT");
  EXPECT_STREQ(Kind("100.63.255.255"), "public");
  EXPECT_STREQ(Kind("100.128.0.0"), "public");
  EXPECT_STREQ(Kind("8.8.8.8"), "public");
  EXPECT_STREQ(Kind("1.1.1.1"), "public");
  EXPECT_STREQ(Kind("126.255.255.255"), "public");
  EXPECT_STREQ(Kind("128.0.0.1"), "public");
}

TEST(AddressPolicyTest, Ipv6Ranges) {
  EXPECT_STREQ(Kind("::1"), "loopback");
  EXPECT_STREQ(Kind("::"), "unspecified");
  EXPECT_STREQ(Kind("fc00::1"), "private");
  EXPECT_STREQ(Kind("fdff:ffff::1"), "private");
  EXPECT_STREQ(Kind("fd00:ec2::254"), "cloud metadata");
  EXPECT_STREQ(Kind("fe80::1"), "link-local");
  EXPECT_STREQ(Kind("fe80::1%eth0"), "link-local");
  EXPECT_STREQ(Kind("febf::1"), "link-local");
  EXPECT_STREQ(Kind("fec0::1"), "site-local");
  EXPECT_STREQ(Kind("2001:4860:4860::8888"), "public");
  EXPECT_STREQ(Kind("2606:4700::1111"), "public");
  EXPECT_STREQ(Kind("fb00::1"), "public");
  EXPECT_STREQ(Kind("[::1]"), "loopback");
}

TEST(AddressPolicyTest, Ipv4InIpv6) {
  EXPECT_STREQ(Kind("::ffff:127.0.0.1"), "loopback");
  EXPECT_STREQ(Kind("::ffff:10.1.2.3"), "private");
  EXPECT_STREQ(Kind("::ffff:169.254.169.254"), "cloud metadata");
  EXPECT_STREQ(Kind("::ffff:8.8.8.8"), "public");
  EXPECT_STREQ(Kind("64:ff9b::192.168.0.1"), "private");
  EXPECT_STREQ(Kind("64:ff9b::8.8.8.8"), "public");
  EXPECT_STREQ(Kind("::127.0.0.1"), "loopback");
}

TEST(AddressPolicyTest, FromSockaddr) {
  sockaddr_in in = {};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(0x0a000001);  // 10.0.0.1
  IpAddress ip;
  ASSERT_TRUE(IpFromSockaddr(reinterpret_cast<sockaddr*>(&in), sizeof(in), &ip));
  EXPECT_EQ(IpToString(ip), "10.0.0.1");
  EXPECT_STREQ(RefusedAddressKind(ip), "private");
  // Too short for its family.
  EXPECT_FALSE(IpFromSockaddr(reinterpret_cast<sockaddr*>(&in), 4, &ip));

  sockaddr_in6 in6 = {};
  in6.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:192.168.0.7", &in6.sin6_addr), 1);
  ASSERT_TRUE(IpFromSockaddr(reinterpret_cast<sockaddr*>(&in6), sizeof(in6), &ip));
  EXPECT_EQ(IpToString(ip), "::ffff:192.168.0.7");
  EXPECT_STREQ(RefusedAddressKind(ip), "private");

  sockaddr unix_addr = {};
  unix_addr.sa_family = AF_UNIX;
  EXPECT_FALSE(IpFromSockaddr(&unix_addr, sizeof(unix_addr), &ip));
}

TEST(AddressPolicyTest, NotAddresses) {
  IpAddress ip;
  EXPECT_FALSE(IpFromString("", &ip));
  EXPECT_FALSE(IpFromString("localhost", &ip));
  EXPECT_FALSE(IpFromString("127.0.0.1.5", &ip));
  EXPECT_FALSE(IpFromString("::g", &ip));
}

TEST(AddressPolicyTest, CheckMessage) {
  IpAddress ip;
  ASSERT_TRUE(IpFromString("169.254.169.254", &ip));
  absl::Status status = CheckPublicAddress(ip);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("169.254.169.254, a cloud metadata"));
  ASSERT_TRUE(IpFromString("::", &ip));
  EXPECT_THAT(CheckPublicAddress(ip).message(), HasSubstr("::, an unspecified address"));
  ASSERT_TRUE(IpFromString("93.184.216.34", &ip));
  EXPECT_TRUE(CheckPublicAddress(ip).ok());
}

TEST(AddressPolicyTest, CheckMessageNamesTheHostAndHowToAllow) {
  IpAddress ip;
  ASSERT_TRUE(IpFromString("127.0.0.1", &ip));
  absl::Status status = CheckPublicAddress(ip, "localhost");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(
      std::string(status.message()),
      HasSubstr("refused to connect to 127.0.0.1 (host \"localhost\"), a loopback address"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("--allow-net=127.0.0.1/32"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("api_allowed_networks"));
  // The host is not repeated when it is the address, bracketed or not.
  EXPECT_THAT(std::string(CheckPublicAddress(ip, "127.0.0.1").message()),
              HasSubstr("refused to connect to 127.0.0.1, a loopback"));
  ASSERT_TRUE(IpFromString("::1", &ip));
  EXPECT_THAT(std::string(CheckPublicAddress(ip, "[::1]").message()),
              HasSubstr("refused to connect to ::1, a loopback address"));
  EXPECT_THAT(std::string(CheckPublicAddress(ip, "[::1]").message()),
              HasSubstr("--allow-net=::1/128"));
  // A mapped address is allowed by its IPv4 network; a hostile host name
  // is escaped.
  ASSERT_TRUE(IpFromString("::ffff:10.1.2.3", &ip));
  status = CheckPublicAddress(ip, "evil\n\"host");
  EXPECT_THAT(std::string(status.message()), HasSubstr("--allow-net=10.1.2.3/32"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("(host \"evil\\n\\\"host\")"));
}

std::string Network(const char* text) {
  absl::StatusOr<IpNetwork> network = ParseIpNetwork(text);
  if (!network.ok()) return std::string("error: ") + std::string(network.status().message());
  return IpNetworkToString(*network);
}

TEST(AllowedNetworksTest, ParsesNetworksAndSingleAddresses) {
  EXPECT_EQ(Network("10.0.0.0/8"), "10.0.0.0/8");
  EXPECT_EQ(Network("127.0.0.1"), "127.0.0.1/32");
  EXPECT_EQ(Network("127.0.0.1/32"), "127.0.0.1/32");
  EXPECT_EQ(Network("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(Network("::1"), "::1/128");
  EXPECT_EQ(Network("[::1]"), "::1/128");
  EXPECT_EQ(Network("[fd00::]/8"), "fd00::/8");
  EXPECT_EQ(Network("fd00:0:0::/48"), "fd00::/48");
  EXPECT_EQ(Network("::/0"), "::/0");
  // IPv4-mapped networks are the IPv4 networks they carry.
  EXPECT_EQ(Network("::ffff:127.0.0.1"), "127.0.0.1/32");
  EXPECT_EQ(Network("::ffff:10.0.0.0/104"), "10.0.0.0/8");
  EXPECT_EQ(Network("::ffff:0:0/96"), "0.0.0.0/0");
}

TEST(AllowedNetworksTest, RefusesAnythingElseSayingWhy) {
  // Short and numeric IPv4 forms, leading zeros (octal to some parsers).
  for (const char* text : {"127.1", "2130706433", "0x7f000001", "0177.0.0.1", "010.0.0.1", "0",
                           "127.0.0.1.", "1.2.3.4.5", "256.0.0.1"}) {
    EXPECT_THAT(Network(text), HasSubstr("error: not an IPv4 address")) << text;
  }
  // Host names are resolved by the caller (convey run), not here.
  EXPECT_THAT(Network("localhost"), HasSubstr("error: not an IPv4 address"));
  EXPECT_THAT(Network(""), HasSubstr("error: no address"));
  EXPECT_THAT(Network("/8"), HasSubstr("error: no address"));
  EXPECT_THAT(Network("fe80::1%eth0"), HasSubstr("error: an address with a zone"));
  for (const char* text : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0/+8",
                           "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0/1000"}) {
    EXPECT_THAT(Network(text), HasSubstr("error: the prefix length after / must be a whole number "
                                         "from 0 to 32 for an IPv4 address"))
        << text;
  }
  EXPECT_THAT(Network("::/129"), HasSubstr("from 0 to 128 for an IPv6 address"));
  EXPECT_EQ(Network("10.0.0.1/8"),
            "error: has bits set past the /8 prefix (did you mean 10.0.0.0/8?)");
  EXPECT_EQ(Network("fd00::1/8"),
            "error: has bits set past the /8 prefix (did you mean fd00::/8?)");
  EXPECT_EQ(Network("127.0.0.1/0"),
            "error: has bits set past the /0 prefix (did you mean 0.0.0.0/0?)");
}

TEST(AllowedNetworksTest, ParseIpNetworksNamesTheBadEntry) {
  absl::StatusOr<std::vector<IpNetwork>> networks =
      ParseIpNetworks({"10.0.0.0/8", "::1", "192.168.0.1/16"});
  ASSERT_FALSE(networks.ok());
  EXPECT_EQ(networks.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(networks.status().message()),
              HasSubstr("[2] \"192.168.0.1/16\": has bits set past the /16 prefix"));
  networks = ParseIpNetworks({"10.0.0.0/8", "::1"});
  ASSERT_TRUE(networks.ok()) << networks.status();
  EXPECT_EQ(networks->size(), 2u);
  EXPECT_TRUE(ParseIpNetworks({}).ok());
}

bool Allowed(const std::vector<std::string>& texts, const char* address) {
  absl::StatusOr<std::vector<IpNetwork>> networks = ParseIpNetworks(texts);
  EXPECT_TRUE(networks.ok()) << networks.status();
  IpAddress ip;
  EXPECT_TRUE(IpFromString(address, &ip)) << address;
  return networks.ok() && InNetworks(*networks, ip);
}

TEST(AllowedNetworksTest, Membership) {
  EXPECT_TRUE(Allowed({"10.0.0.0/8"}, "10.255.1.2"));
  EXPECT_FALSE(Allowed({"10.0.0.0/8"}, "11.0.0.1"));
  EXPECT_TRUE(Allowed({"172.16.0.0/12"}, "172.31.255.255"));
  EXPECT_FALSE(Allowed({"172.16.0.0/12"}, "172.32.0.0"));
  EXPECT_TRUE(Allowed({"127.0.0.2/32"}, "127.0.0.2"));
  EXPECT_FALSE(Allowed({"127.0.0.2/32"}, "127.0.0.1"));
  EXPECT_FALSE(Allowed({}, "127.0.0.1"));
  EXPECT_TRUE(Allowed({"0.0.0.0/0"}, "169.254.169.254"));
  EXPECT_FALSE(Allowed({"0.0.0.0/0"}, "::1"));
  EXPECT_TRUE(Allowed({"::1"}, "::1"));
  EXPECT_FALSE(Allowed({"::1"}, "127.0.0.1"));
  EXPECT_TRUE(Allowed({"fd00::/8"}, "fdff:1::2"));
  EXPECT_FALSE(Allowed({"fd00::/8"}, "fc00::1"));
  EXPECT_TRUE(Allowed({"10.0.0.0/31"}, "10.0.0.1"));
  EXPECT_FALSE(Allowed({"10.0.0.0/31"}, "10.0.0.2"));
  // An IPv4-mapped address is its IPv4 address, both ways.
  EXPECT_TRUE(Allowed({"127.0.0.1/32"}, "::ffff:127.0.0.1"));
  EXPECT_TRUE(Allowed({"::ffff:127.0.0.1"}, "127.0.0.1"));
  EXPECT_FALSE(Allowed({"127.0.0.2/32"}, "::ffff:127.0.0.1"));
  EXPECT_TRUE(Allowed({"::/0"}, "::ffff:127.0.0.1"));
  // NAT64 and IPv4-compatible addresses are not the IPv4 address: the
  // connection goes elsewhere.
  EXPECT_FALSE(Allowed({"127.0.0.1/32"}, "64:ff9b::127.0.0.1"));
  EXPECT_FALSE(Allowed({"127.0.0.1/32"}, "::127.0.0.1"));
}

}  // namespace
}  // namespace internal
}  // namespace convey
