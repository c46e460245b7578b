// refuse_private_addresses against real servers on loopback, for every way a
// URL can spell a loopback address: the check runs on the address libcurl
// is about to connect to, so each spelling must arrive there as the one
// address it reaches. Each case first proves that the spelling does reach a
// server with the check off (else refusing it would prove nothing), then
// that with the check on the request fails with PermissionDenied and the
// server sees nothing. Also: redirects from an allowed host to loopback,
// pooled connections, and allowed_networks letting exactly its networks
// through.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "convey/http.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/runtime/http/loopback_server.h"

namespace convey {
namespace {

using ::convey::testing::LoopbackServer;
using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<HttpResponse> Fetch(HttpTransport& transport, HttpRequest request) {
  std::promise<absl::StatusOr<HttpResponse>> promise;
  std::future<absl::StatusOr<HttpResponse>> future = promise.get_future();
  transport.Send(std::move(request), [&promise](absl::StatusOr<HttpResponse> result) {
    // Moved: a status shared between threads is counted in
    // Abseil's uninstrumented library, which TSan cannot see.
    promise.set_value(std::move(result));
  });
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    return absl::InternalError("the test timed out");
  }
  return future.get();
}

HttpRequest Get(std::string url, bool refuse, std::vector<std::string> allowed = {}) {
  HttpRequest request;
  request.method = "GET";
  request.url = std::move(url);
  request.timeout = absl::Seconds(20);
  request.refuse_private_addresses = refuse;
  request.allowed_networks = std::move(allowed);
  return request;
}

// A server on `host` that counts the requests it answers.
class CountingServer {
 public:
  explicit CountingServer(const std::string& host) : server_(Options(host)), name_(host) {}

  // Handlers registered on server() before Start come first; every other
  // GET is counted and answered with the server's host.
  absl::Status Start() {
    server_.server().Get("/.*", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.set_content(name_, "text/plain");
    });
    return server_.Start();
  }
  httplib::Server& server() { return server_.server(); }
  int port() const { return server_.port(); }
  int requests() const { return requests_.load(); }

 private:
  static LoopbackServer::Options Options(const std::string& host) {
    LoopbackServer::Options options;
    options.host = host;
    options.threads = 2;
    // A server stopped while a client pools a connection to it waits this
    // long for the connection.
    options.keep_alive_timeout_sec = 1;
    return options;
  }

  LoopbackServer server_;
  std::string name_;
  std::atomic<int> requests_{0};
};

std::unique_ptr<HttpTransport> MakeTransport() {
  absl::StatusOr<std::unique_ptr<HttpTransport>> transport = NewCurlTransport();
  EXPECT_TRUE(transport.ok()) << transport.status();
  return transport.ok() ? std::move(*transport) : nullptr;
}

class AddressSpellingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(v4_.Start().ok());
    ASSERT_TRUE(v6_.Start().ok()) << "no IPv6 loopback";
    transport_ = MakeTransport();
    ASSERT_NE(transport_, nullptr);
  }

  // `url_template` with {v4} and {v6} for the servers' ports.
  std::string Url(const std::string& url_template) const {
    return absl::StrReplaceAll(
        url_template, {{"{v4}", absl::StrCat(v4_.port())}, {"{v6}", absl::StrCat(v6_.port())}});
  }

  // With the check on, the spelling is refused before the server sees
  // anything, naming `address` as `kind` (checked on the address a new socket would connect
  // to); with it off the same URL reaches `server` (so the refusal is the
  // check's doing); with it on again, the connection that request left in
  // the pool is refused too, as `pooled_kind` (checked on the connection's
  // peer, the address the kernel really connected to).
  void ExpectReachableButRefused(const std::string& url_template, CountingServer& server,
                                 const std::string& address, const std::string& kind,
                                 const std::string& pooled_kind = "a loopback address") {
    const std::string url = Url(url_template);
    SCOPED_TRACE(url);
    std::unique_ptr<HttpTransport> transport = MakeTransport();
    ASSERT_NE(transport, nullptr);
    const int before = server.requests();
    absl::StatusOr<HttpResponse> refused = Fetch(*transport, Get(url, /*refuse=*/true));
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr(absl::StrCat("refused to connect to ", address)));
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(kind));
    EXPECT_EQ(server.requests(), before) << "the refused request reached the server";

    absl::StatusOr<HttpResponse> open = Fetch(*transport, Get(url, /*refuse=*/false));
    ASSERT_TRUE(open.ok()) << open.status();
    EXPECT_EQ(open->status, 200);
    ASSERT_EQ(server.requests(), before + 1) << "the spelling did not reach the server";

    refused = Fetch(*transport, Get(url, /*refuse=*/true));
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(pooled_kind));
    EXPECT_EQ(server.requests(), before + 1) << "the refused request reached the server";
  }

  CountingServer v4_{"127.0.0.1"};
  CountingServer v6_{"::1"};
  std::unique_ptr<HttpTransport> transport_;
};

TEST_F(AddressSpellingsTest, Ipv4LoopbackSpellings) {
  for (const char* url : {
           "http://127.0.0.1:{v4}/plain",
           "http://2130706433:{v4}/decimal",
           "http://0x7f000001:{v4}/hex",
           "http://0x7F.0.0.1:{v4}/hex-part",
           "http://017700000001:{v4}/octal",
           "http://0177.0.0.1:{v4}/octal-part",
           "http://0177.0.0.01:{v4}/octal-parts",
           "http://127.1:{v4}/short",
           "http://127.0.1:{v4}/short3",
           "http://localhost:{v4}/name",
           "http://LocalHost:{v4}/name-case",
           "http://user:pass@127.0.0.1:{v4}/userinfo",
           "http://127.0.0.2:{v4}@127.0.0.1:{v4}/userinfo-looks-allowed",
           "http://[::ffff:127.0.0.1]:{v4}/mapped",
           "http://[::ffff:7f00:1]:{v4}/mapped-hex",
           "http://[0:0:0:0:0:ffff:127.0.0.1]:{v4}/mapped-long",
           "http://%31%32%37.0.0.1:{v4}/percent",
       }) {
    // ::ffff:127.0.0.1 for the mapped ones.
    ExpectReachableButRefused(url, v4_, "", "127.0.0.1");
    ExpectReachableButRefused(url, v4_, "", "a loopback address");
  }
}

// "This host": Linux connects 0.0.0.0 to 127.0.0.1 and :: to ::1. A new
// connection is refused for its target (unspecified); a pooled one for its
// peer (loopback).
TEST_F(AddressSpellingsTest, UnspecifiedAddressesReachTheLocalHost) {
  for (const char* url : {"http://0:{v4}/zero", "http://0.0.0.0:{v4}/zeros",
                          "http://0x0:{v4}/hex-zero", "http://000.0:{v4}/octal-zero"}) {
    ExpectReachableButRefused(url, v4_, "0.0.0.0", ", an unspecified address",
                              "127.0.0.1 (host \"0.0.0.0\"), a loopback address");
  }
  ExpectReachableButRefused("http://[::]:{v6}/unspecified6", v6_, "::", ", an unspecified address",
                            "::1 (host \"::\"), a loopback address");
}

TEST_F(AddressSpellingsTest, Ipv6LoopbackSpellings) {
  for (const char* url : {"http://[::1]:{v6}/plain", "http://[0:0:0:0:0:0:0:1]:{v6}/long",
                          "http://[0000::0001]:{v6}/zeros", "http://user@[::1]:{v6}/userinfo"}) {
    ExpectReachableButRefused(url, v6_, "::1", ", a loopback address");
  }
}

// Spellings whose address no server here listens on: refused before any
// connection is tried, so the answer is PermissionDenied rather than a
// connection error.
TEST_F(AddressSpellingsTest, RefusedBeforeConnecting) {
  struct Refused {
    const char* url;
    const char* message;
  };
  for (const Refused& c : std::vector<Refused>{
           {"http://[64:ff9b::7f00:1]:{v4}/nat64", "64:ff9b::7f00:1, a loopback address"},
           {"http://[64:ff9b::a00:1]:{v4}/nat64-private", "64:ff9b::a00:1, a private address"},
           {"http://[::127.0.0.1]:{v4}/compatible", "::127.0.0.1, a loopback address"},
           {"http://169.254.169.254/latest/meta-data/",
            "169.254.169.254, a cloud metadata address"},
           {"http://2852039166/latest/meta-data/", "169.254.169.254, a cloud metadata address"},
           {"http://[::ffff:169.254.169.254]/", "a cloud metadata address"},
           {"http://[fd00:ec2::254]/", "fd00:ec2::254, a cloud metadata address"},
           {"http://169.254.1.1/", "169.254.1.1, a link-local address"},
           {"http://[fe80::1]:{v4}/", "fe80::1, a link-local address"},
           {"http://10.0.0.1:{v4}/", "10.0.0.1, a private address"},
           {"http://0xa000001:{v4}/", "10.0.0.1, a private address"},
           {"http://172.16.0.1:{v4}/", "172.16.0.1, a private address"},
           {"http://192.168.0.1:{v4}/", "192.168.0.1, a private address"},
           {"http://100.64.0.1:{v4}/", "100.64.0.1, a carrier-grade NAT address"},
           {"http://[fc00::1]:{v4}/", "fc00::1, a private address"},
       }) {
    const std::string url = Url(c.url);
    SCOPED_TRACE(url);
    absl::StatusOr<HttpResponse> refused = Fetch(*transport_, Get(url, true));
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr(c.message));
  }
  EXPECT_EQ(v4_.requests(), 0);
  EXPECT_EQ(v6_.requests(), 0);
}

// The message names the URL's host when it is not the address itself.
TEST_F(AddressSpellingsTest, TheMessageNamesTheHost) {
  absl::StatusOr<HttpResponse> refused =
      Fetch(*transport_, Get(Url("http://localhost:{v4}/"), true));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("refused to connect to 127.0.0.1 (host \"localhost\"), a loopback address: "
                        "api calls to private and local networks are refused (to allow it: "
                        "EngineOptions::api_allowed_networks, or convey run "
                        "--allow-net=127.0.0.1/32)"));
  // Userinfo is not the host.
  refused = Fetch(*transport_, Get(Url("http://user:secret@127.0.0.1:{v4}/"), true));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr("secret")));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("to 127.0.0.1, a loopback"));
  EXPECT_EQ(v4_.requests(), 0);
}

// A pooled connection to loopback, opened by a request the check let
// through, is not reused by one it refuses.
TEST_F(AddressSpellingsTest, PooledConnectionsAreCheckedAgain) {
  const std::string url = Url("http://127.0.0.1:{v4}/pooled");
  ASSERT_TRUE(Fetch(*transport_, Get(url, true, {"127.0.0.1/32"})).ok());
  ASSERT_TRUE(Fetch(*transport_, Get(url, false)).ok());
  EXPECT_EQ(v4_.requests(), 2);
  absl::StatusOr<HttpResponse> refused = Fetch(*transport_, Get(url, true));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  refused = Fetch(*transport_, Get(url, true, {"127.0.0.2/32", "::1"}));
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_EQ(v4_.requests(), 2);
  // Allowed again: the pooled connection serves it.
  ASSERT_TRUE(Fetch(*transport_, Get(url, true, {"127.0.0.0/8"})).ok());
  EXPECT_EQ(v4_.requests(), 3);
}

TEST_F(AddressSpellingsTest, AllowedNetworksAreReachedAndNothingElse) {
  struct Allowed {
    std::vector<std::string> networks;
    const char* url;
    bool reached;
  };
  const std::vector<Allowed> cases = {
      {{"127.0.0.1/32"}, "http://127.0.0.1:{v4}/", true},
      {{"127.0.0.0/8"}, "http://2130706433:{v4}/", true},
      {{"127.0.0.0/8"}, "http://127.1:{v4}/", true},
      {{"127.0.0.1"}, "http://localhost:{v4}/", true},
      {{"127.0.0.1/32"}, "http://[::ffff:127.0.0.1]:{v4}/", true},
      {{"::ffff:127.0.0.1"}, "http://127.0.0.1:{v4}/", true},
      {{"10.0.0.0/8", "::1"}, "http://[::1]:{v6}/", true},
      {{"::/0"}, "http://[::1]:{v6}/", true},
      // Everything else private stays refused.
      // 0.0.0.0 may be connected to, but the connection's peer is 127.0.0.1.
      {{"0.0.0.0/32"}, "http://0:{v4}/", false},
      {{"0.0.0.0/32", "127.0.0.1/32"}, "http://0:{v4}/", true},
      {{"127.0.0.2/32"}, "http://127.0.0.1:{v4}/", false},
      {{"127.0.0.0/31"}, "http://127.0.0.2:{v4}/", false},
      {{"::1"}, "http://127.0.0.1:{v4}/", false},
      {{"127.0.0.1/32"}, "http://[::1]:{v6}/", false},
      {{"127.0.0.1/32"}, "http://0:{v4}/", false},
      {{"127.0.0.1/32"}, "http://[::]:{v6}/", false},
      {{"10.0.0.0/8"}, "http://localhost:{v4}/", false},
      {{"0.0.0.0/0"}, "http://[::1]:{v6}/", false},
  };
  for (const Allowed& c : cases) {
    const std::string url = Url(c.url);
    SCOPED_TRACE(absl::StrCat(url, " allowing ", c.networks[0]));
    // No pooled connection from an earlier case.
    std::unique_ptr<HttpTransport> transport = MakeTransport();
    ASSERT_NE(transport, nullptr);
    const int before = v4_.requests() + v6_.requests();
    absl::StatusOr<HttpResponse> response = Fetch(*transport, Get(url, true, c.networks));
    if (c.reached) {
      ASSERT_TRUE(response.ok()) << response.status();
      EXPECT_EQ(response->status, 200);
      EXPECT_EQ(v4_.requests() + v6_.requests(), before + 1);
    } else {
      ASSERT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied) << response.status();
      EXPECT_EQ(v4_.requests() + v6_.requests(), before);
    }
  }
}

TEST_F(AddressSpellingsTest, AMalformedAllowedNetworkFailsTheRequest) {
  absl::StatusOr<HttpResponse> response =
      Fetch(*transport_, Get(Url("http://127.0.0.1:{v4}/"), true, {"::1", "127.1"}));
  ASSERT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument) << response.status();
  EXPECT_THAT(std::string(response.status().message()),
              HasSubstr("allowed_networks[1] \"127.1\": not an IPv4 address"));
  // Without the check the list is not read.
  response = Fetch(*transport_, Get(Url("http://127.0.0.1:{v4}/"), false, {"127.1"}));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(v4_.requests(), 1);
}

// A redirect from an allowed host (127.0.0.2, allow-listed) to loopback in
// every spelling is refused at the second hop; the target sees nothing.
// Without the check the same redirects reach it.
TEST_F(AddressSpellingsTest, RedirectFromAnAllowedHostToLoopbackIsRefused) {
  CountingServer first("127.0.0.2");
  first.server().Get("/to", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_redirect(Url(req.get_param_value("url")), 302);
  });
  ASSERT_TRUE(first.Start().ok());
  const std::string base = absl::StrCat("http://127.0.0.2:", first.port());
  const std::vector<std::string> allowed = {"127.0.0.2/32"};

  // The first host is reached when allowed, refused when not.
  absl::StatusOr<HttpResponse> response =
      Fetch(*transport_, Get(absl::StrCat(base, "/self"), true, allowed));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "127.0.0.2");
  response = Fetch(*transport_, Get(absl::StrCat(base, "/self"), true));
  ASSERT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied) << response.status();

  struct Target {
    const char* url;
    CountingServer* server;
  };
  for (const Target& target : std::vector<Target>{
           {"http://127.0.0.1:{v4}/target", &v4_},
           {"http://2130706433:{v4}/target", &v4_},
           {"http://0177.0.0.1:{v4}/target", &v4_},
           {"http://127.1:{v4}/target", &v4_},
           {"http://0:{v4}/target", &v4_},
           {"http://localhost:{v4}/target", &v4_},
           {"http://user:pass@127.0.0.1:{v4}/target", &v4_},
           {"http://[::ffff:127.0.0.1]:{v4}/target", &v4_},
           {"http://[::1]:{v6}/target", &v6_},
           {"http://[::]:{v6}/target", &v6_},
       }) {
    SCOPED_TRACE(target.url);
    // The query carries the target's template; the first host fills it in.
    std::string query = target.url;
    query = absl::StrReplaceAll(query, {{"%", "%25"},
                                        {":", "%3A"},
                                        {"/", "%2F"},
                                        {"@", "%40"},
                                        {"[", "%5B"},
                                        {"]", "%5D"},
                                        {"{", "%7B"},
                                        {"}", "%7D"}});
    HttpRequest request = Get(absl::StrCat(base, "/to?url=", query), true, allowed);
    request.follow_redirects = true;
    const int before = target.server->requests();
    const int first_before = first.requests();
    response = Fetch(*transport_, request);
    ASSERT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied) << response.status();
    EXPECT_THAT(std::string(response.status().message()), HasSubstr("refused to connect to"));
    EXPECT_EQ(target.server->requests(), before) << "the redirect reached loopback";

    // With the check off the same redirect gets there: the refusal above is
    // the check's doing.
    request.refuse_private_addresses = false;
    response = Fetch(*transport_, request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(target.server->requests(), before + 1);
    // The handler of /to counts nothing: only the servers' catch-all does.
    EXPECT_EQ(first.requests(), first_before);

    // A pooled connection to the target now exists: still refused.
    request.refuse_private_addresses = true;
    response = Fetch(*transport_, request);
    ASSERT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied) << response.status();
    EXPECT_EQ(target.server->requests(), before + 1);
  }

  // Allowing the target's network too lets the redirect through.
  HttpRequest request =
      Get(absl::StrCat(base, "/to?url=http%3A%2F%2F127.0.0.1%3A%7Bv4%7D%2Fallowed"), true,
          {"127.0.0.2/32", "127.0.0.1/32"});
  request.follow_redirects = true;
  const int before = v4_.requests();
  response = Fetch(*transport_, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "127.0.0.1");
  EXPECT_EQ(v4_.requests(), before + 1);
  transport_.reset();  // its pooled connections, before `first` stops
}

}  // namespace
}  // namespace convey
