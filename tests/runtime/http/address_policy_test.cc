#include "runtime/http/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

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

}  // namespace
}  // namespace internal
}  // namespace convey
