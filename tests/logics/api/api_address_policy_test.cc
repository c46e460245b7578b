// The api logic with api_refuse_private_addresses and api_allowed_networks,
// end to end: a real Engine, the built-in libcurl transport and real
// servers on loopback. A refused call is a software `api_bad_answer` whose
// description names the address, what kind it is and how to allow it; the
// server never sees it. Engine::Open refuses a malformed allow-list entry,
// naming the field and the entry.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/runtime/http/loopback_server.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::LoopbackServer;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kConv = 1;

// start -> call [api GET {{url}}, err -> failed, go -> done].
std::string UrlScheme() {
  return ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, "[" + GoJson("call") + "]"),
              NodeJson("call", Kind::kNormal,
                       absl::StrCat(R"j([{"type":"api","method":"GET","url":"{{url}}",)j",
                                    R"j("err_node_id":"failed"},)j", GoJson("done"), "]")),
              NodeJson("done", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]")});
}

// A loopback server answering {"reached":"HOST"} and counting.
class Server {
 public:
  explicit Server(const std::string& host = "127.0.0.1") : server_(Options(host)) {
    server_.server().Get("/redirect", [](const httplib::Request& req, httplib::Response& res) {
      res.set_redirect(req.get_param_value("to"), 302);
    });
    server_.server().Get("/.*", [this, host](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.set_content(absl::StrCat(R"({"reached":")", host, R"("})"), "application/json");
    });
    started_ = server_.Start().ok();
  }
  bool started() const { return started_; }
  int port() const { return server_.port(); }
  int requests() const { return requests_.load(); }

 private:
  static LoopbackServer::Options Options(const std::string& host) {
    LoopbackServer::Options options;
    options.host = host;
    options.threads = 2;
    options.keep_alive_timeout_sec = 1;
    return options;
  }

  LoopbackServer server_;
  std::atomic<int> requests_{0};
  bool started_ = false;
};

struct Ended {
  std::string node_id;
  std::string data;
};

// A string field of `data`, unquoted; "<not a string>" when it is not one.
std::string Text(const std::string& data, const char* key) {
  const std::string json = Field(data, key);
  std::string text;
  if (json.size() < 2 || json.front() != '"' ||
      !absl::CUnescape(absl::string_view(json).substr(1, json.size() - 2), &text)) {
    return "<not a string>";
  }
  return text;
}

// Runs one task with {"url": url} through UrlScheme on an engine with
// `options`.
Ended RunOne(EngineOptions options, const std::string& url) {
  options.worker_threads = 2;
  options.api_timeout = absl::Seconds(20);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return {};
  EXPECT_TRUE((*engine)->Deploy("api.json", UrlScheme()).ok());
  absl::StatusOr<std::string> id =
      (*engine)->CreateTask(kConv, "", absl::StrCat(R"({"url":")", url, R"("})"));
  EXPECT_TRUE(id.ok()) << id.status();
  if (!id.ok()) return {};
  EXPECT_TRUE((*engine)->WaitIdle(absl::Seconds(60)).ok());
  absl::StatusOr<TaskSnapshot> task = (*engine)->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_TRUE(task.ok()) << task.status();
  if (!task.ok()) return {};
  return {task->node_id, task->data};
}

EngineOptions Refusing(std::vector<std::string> allowed = {}) {
  EngineOptions options;
  options.api_refuse_private_addresses = true;
  options.api_allowed_networks = std::move(allowed);
  return options;
}

TEST(ApiAddressPolicyTest, ARefusedCallIsASoftwareBadAnswerNamingTheAddress) {
  Server server;
  ASSERT_TRUE(server.started());
  const std::string port = absl::StrCat(server.port());
  struct Case {
    std::string url;
    std::string description;
  };
  for (const Case& c : std::vector<Case>{
           {"http://localhost:" + port + "/a",
            "refused_address: refused to connect to 127.0.0.1 (host \"localhost\"), a loopback "
            "address: api calls to private and local networks are refused (to allow it: "
            "EngineOptions::api_allowed_networks, or convey run --allow-net=127.0.0.1/32)"},
           {"http://2130706433:" + port + "/b",
            "refused_address: refused to connect to 127.0.0.1, a loopback address"},
           {"http://user:pass@0177.0.0.1:" + port + "/c",
            "refused_address: refused to connect to 127.0.0.1, a loopback address"},
           {"http://0:" + port + "/d",
            "refused_address: refused to connect to 0.0.0.0, an unspecified address"},
           {"http://[::ffff:127.0.0.1]:" + port + "/e",
            "refused_address: refused to connect to ::ffff:127.0.0.1, a loopback address"},
           {"http://169.254.169.254/latest/meta-data/",
            "refused_address: refused to connect to 169.254.169.254, a cloud metadata address"},
       }) {
    SCOPED_TRACE(c.url);
    Ended ended = RunOne(Refusing(), c.url);
    EXPECT_EQ(ended.node_id, "failed") << ended.data;
    EXPECT_EQ(Field(ended.data, "__conveyor_api_return_type_error__"), "\"software\"");
    EXPECT_EQ(Field(ended.data, "__conveyor_api_return_type_tag__"), "\"api_bad_answer\"");
    EXPECT_THAT(Text(ended.data, "__conveyor_api_return_description__"), StartsWith(c.description));
    // No answer: no HTTP code.
    EXPECT_EQ(Field(ended.data, "__conveyor_api_return_http_code__"), "<missing>");
    EXPECT_EQ(Field(ended.data, "reached"), "<missing>");
  }
  EXPECT_EQ(server.requests(), 0);
}

TEST(ApiAddressPolicyTest, TheLibraryDefaultStillReachesPrivateAddresses) {
  Server server;
  ASSERT_TRUE(server.started());
  Ended ended = RunOne(EngineOptions{}, absl::StrCat("http://127.0.0.1:", server.port(), "/"));
  EXPECT_EQ(ended.node_id, "done") << ended.data;
  EXPECT_EQ(Field(ended.data, "reached"), "\"127.0.0.1\"");
  EXPECT_EQ(server.requests(), 1);
}

TEST(ApiAddressPolicyTest, AllowedNetworksAreReachedAndOnlyThey) {
  Server server;
  ASSERT_TRUE(server.started());
  const std::string url = absl::StrCat("http://localhost:", server.port(), "/");

  Ended ended = RunOne(Refusing({"10.0.0.0/8", "127.0.0.1/32"}), url);
  EXPECT_EQ(ended.node_id, "done") << ended.data;
  EXPECT_EQ(Field(ended.data, "reached"), "\"127.0.0.1\"");
  EXPECT_EQ(server.requests(), 1);

  ended = RunOne(Refusing({"127.0.0.0/8"}), absl::StrCat("http://2130706433:", server.port()));
  EXPECT_EQ(ended.node_id, "done") << ended.data;
  EXPECT_EQ(server.requests(), 2);

  ended = RunOne(Refusing({"127.0.0.2/32", "::1"}), url);
  EXPECT_EQ(ended.node_id, "failed") << ended.data;
  EXPECT_THAT(Text(ended.data, "__conveyor_api_return_description__"),
              HasSubstr("127.0.0.1 (host \"localhost\"), a loopback address"));
  EXPECT_EQ(server.requests(), 2);

  // Without api_refuse_private_addresses the list restricts nothing.
  EngineOptions open;
  open.api_allowed_networks = {"10.0.0.0/8"};
  ended = RunOne(open, url);
  EXPECT_EQ(ended.node_id, "done") << ended.data;
  EXPECT_EQ(server.requests(), 3);
}

// The first host is allowed (127.0.0.2/32); its redirect to 127.0.0.1 is
// refused at the second hop.
TEST(ApiAddressPolicyTest, ARedirectFromAnAllowedHostToLoopbackIsRefused) {
  Server target;
  Server first("127.0.0.2");
  ASSERT_TRUE(target.started());
  ASSERT_TRUE(first.started());
  const std::string url =
      absl::StrCat("http://127.0.0.2:", first.port(), "/redirect?to=http%3A%2F%2F2130706433%3A",
                   target.port(), "%2Ftarget");
  EngineOptions options = Refusing({"127.0.0.2/32"});
  options.api_follow_redirects = true;

  Ended ended = RunOne(options, absl::StrCat("http://127.0.0.2:", first.port(), "/self"));
  EXPECT_EQ(ended.node_id, "done") << ended.data;
  EXPECT_EQ(Field(ended.data, "reached"), "\"127.0.0.2\"");

  ended = RunOne(options, url);
  EXPECT_EQ(ended.node_id, "failed") << ended.data;
  EXPECT_EQ(Field(ended.data, "__conveyor_api_return_type_error__"), "\"software\"");
  EXPECT_THAT(Text(ended.data, "__conveyor_api_return_description__"),
              StartsWith("refused_address: refused to connect to 127.0.0.1, a loopback"));
  EXPECT_EQ(target.requests(), 0);

  // Allowing the target too, the redirect gets there.
  options.api_allowed_networks.push_back("127.0.0.1");
  ended = RunOne(options, url);
  EXPECT_EQ(ended.node_id, "done") << ended.data;
  EXPECT_EQ(Field(ended.data, "reached"), "\"127.0.0.1\"");
  EXPECT_EQ(target.requests(), 1);
}

TEST(ApiAddressPolicyTest, OpenRefusesAMalformedAllowedNetworkNamingIt) {
  struct Bad {
    std::string entry;
    std::string why;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"127.1", "not an IPv4 address"},
           {"2130706433", "not an IPv4 address"},
           {"010.0.0.1", "not an IPv4 address"},
           {"localhost", "not an IPv4 address"},
           {"", "no address"},
           {"10.0.0.0/33", "the prefix length after / must be a whole number from 0 to 32"},
           {"::/129", "the prefix length after / must be a whole number from 0 to 128"},
           {"10.0.0.0/", "the prefix length"},
           {"10.0.0.1/8", "has bits set past the /8 prefix (did you mean 10.0.0.0/8?)"},
           {"fe80::1%eth0", "an address with a zone (%...) names no network"},
           {"10.0.0.0/8\n", "the prefix length"},
       }) {
    EngineOptions options = Refusing({"192.168.0.0/16", bad.entry});
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    ASSERT_FALSE(engine.ok()) << bad.entry;
    EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(engine.status().message());
    EXPECT_THAT(message, StartsWith("EngineOptions::api_allowed_networks[1] is \""));
    EXPECT_THAT(message, HasSubstr(": must be an IPv4 or IPv6 network or single address"));
    EXPECT_THAT(message, HasSubstr(bad.why));
  }
  // The entry is escaped in the message.
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Refusing({"10.0.0.0/8\n"}));
  ASSERT_FALSE(engine.ok());
  EXPECT_THAT(std::string(engine.status().message()),
              StartsWith("EngineOptions::api_allowed_networks[0] is \"10.0.0.0/8\\n\": must be"));
  // Also checked when the refusal is off: the list is kept for when it is
  // turned on, and a typo should not wait until then.
  EngineOptions off;
  off.api_allowed_networks = {"127.1"};
  EXPECT_EQ(Engine::Open(off).status().code(), absl::StatusCode::kInvalidArgument);

  for (const std::vector<std::string>& good : std::vector<std::vector<std::string>>{
           {}, {"0.0.0.0/0", "::/0"}, {"127.0.0.1", "::1", "[fd00::]/8", "::ffff:10.0.0.0/104"}}) {
    absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(Refusing(good));
    ASSERT_TRUE(opened.ok()) << opened.status();
    (*opened)->Close().IgnoreError();
  }
}

}  // namespace
}  // namespace convey
