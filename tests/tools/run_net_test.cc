// `convey run` and private networks: api calls to private, loopback,
// link-local and metadata addresses are refused by default (the scheme
// files are not trusted); --allow-net lets listed networks, addresses and
// hosts through, --allow-private-net turns the check off. Against real
// servers on loopback.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/runtime/http/loopback_server.h"
#include "tests/support/scheme_text.h"
#include "tools/run_command.h"
#include "tools/run_flags.h"

namespace convey {
namespace tools {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::LoopbackServer;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

CommandResult RunConvey(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunRun(args, out, err, /*show_progress=*/false);
  return {code, out.str(), err.str()};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Process 5001: an api GET of the task's {{url}}; "Reached" or, by the
// error exit, "Failed".
std::string SchemeFile() {
  const std::string path = ::testing::TempDir() + "/net.conv.json";
  std::ofstream(path) << ProcessJson(
      5001,
      {NodeJson("start", Kind::kStart, "[" + GoJson("call") + "]"),
       NodeJson("call", Kind::kNormal,
                absl::StrCat(R"j([{"type":"api","method":"GET","url":"{{url}}",)j",
                             R"j("err_node_id":"failed"},)j", GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]", "", "Reached"),
       NodeJson("failed", Kind::kFinal, "[]", "", "Failed")},
      "Net");
  return path;
}

// A loopback server that counts the requests it answers.
class Server {
 public:
  explicit Server(const std::string& host = "127.0.0.1") : server_(Options(host)) {
    server_.server().Get("/.*", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.set_content(R"({"answered":true})", "application/json");
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

// `convey run` of one task calling `url`, with `flags`; the --output line.
CommandResult RunCall(const std::string& url, const std::vector<std::string>& flags,
                      std::string* output_line = nullptr) {
  const std::string output = ::testing::TempDir() + "/net.jsonl";
  std::vector<std::string> args = {SchemeFile(), "--data", absl::StrCat(R"({"url":")", url, "\"}"),
                                   "--output", output};
  args.insert(args.end(), flags.begin(), flags.end());
  CommandResult run = RunConvey(args);
  if (output_line != nullptr) *output_line = ReadFile(output);
  return run;
}

constexpr char kReached[] = "  finished:\n         1  Reached\n";
constexpr char kFailed[] = "  finished:\n         1  Failed\n";

TEST(RunNet, PrivateAddressesAreRefusedByDefault) {
  Server server;
  ASSERT_TRUE(server.started());
  std::string task;
  for (const std::string& url : {absl::StrCat("http://127.0.0.1:", server.port(), "/"),
                                 absl::StrCat("http://2130706433:", server.port(), "/"),
                                 absl::StrCat("http://0177.0.0.1:", server.port(), "/"),
                                 absl::StrCat("http://127.1:", server.port(), "/"),
                                 absl::StrCat("http://0:", server.port(), "/"),
                                 absl::StrCat("http://[::ffff:127.0.0.1]:", server.port(), "/"),
                                 absl::StrCat("http://user:pass@127.0.0.1:", server.port(), "/"),
                                 absl::StrCat("http://localhost:", server.port(), "/"),
                                 std::string("http://169.254.169.254/latest/meta-data/")}) {
    SCOPED_TRACE(url);
    CommandResult run = RunCall(url, {}, &task);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.out, HasSubstr(kFailed));
    EXPECT_THAT(task, HasSubstr(R"("__conveyor_api_return_type_error__":"software")"));
    EXPECT_THAT(task, HasSubstr(R"("__conveyor_api_return_type_tag__":"api_bad_answer")"));
    EXPECT_THAT(task, HasSubstr("refused_address: refused to connect to "));
    EXPECT_THAT(task, HasSubstr("api calls to private and local networks are refused"));
    EXPECT_THAT(task, HasSubstr("convey run --allow-net="));
  }
  CommandResult run = RunCall(absl::StrCat("http://127.0.0.1:", server.port(), "/"), {}, &task);
  EXPECT_THAT(task, HasSubstr("refused to connect to 127.0.0.1, a loopback address: "));
  EXPECT_THAT(task, HasSubstr("--allow-net=127.0.0.1/32)"));
  EXPECT_EQ(server.requests(), 0);
}

TEST(RunNet, AllowNetLetsItsNetworksThrough) {
  Server server;
  ASSERT_TRUE(server.started());
  const std::string url = absl::StrCat("http://127.0.0.1:", server.port(), "/");
  struct Case {
    std::vector<std::string> flags;
    bool reached;
  };
  int expected = 0;
  for (const Case& c : std::vector<Case>{
           {{"--allow-net=127.0.0.1/32"}, true},
           {{"--allow-net", "127.0.0.1"}, true},
           {{"--allow-net=10.0.0.0/8,127.0.0.0/8"}, true},
           {{"--allow-net=10.0.0.0/8", "--allow-net=::1", "--allow-net=127.0.0.1"}, true},
           {{"--allow-net=localhost"}, true},
           {{"--allow-net=::ffff:127.0.0.1"}, true},
           {{"--allow-private-net"}, true},
           // Everything else private stays refused.
           {{"--allow-net=127.0.0.2/32"}, false},
           {{"--allow-net=10.0.0.0/8,::1"}, false},
           {{"--allow-net=0.0.0.0/32"}, false},
       }) {
    SCOPED_TRACE(c.flags[0]);
    CommandResult run = RunCall(url, c.flags);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.out, HasSubstr(c.reached ? kReached : kFailed));
    expected += c.reached ? 1 : 0;
    EXPECT_EQ(server.requests(), expected);
  }
  // Allowing one address does not open the metadata service.
  CommandResult run =
      RunCall("http://169.254.169.254/latest/meta-data/", {"--allow-net=127.0.0.1/32,10.0.0.0/8"});
  EXPECT_THAT(run.out, HasSubstr(kFailed));
}

TEST(RunNet, AllowNetOnAnIpv6Loopback) {
  Server server("::1");
  ASSERT_TRUE(server.started()) << "no IPv6 loopback";
  const std::string url = absl::StrCat("http://[::1]:", server.port(), "/");
  EXPECT_THAT(RunCall(url, {}).out, HasSubstr(kFailed));
  EXPECT_THAT(RunCall(url, {"--allow-net=127.0.0.1/32"}).out, HasSubstr(kFailed));
  EXPECT_EQ(server.requests(), 0);
  EXPECT_THAT(RunCall(url, {"--allow-net=::1"}).out, HasSubstr(kReached));
  EXPECT_THAT(RunCall(url, {"--allow-net=[::1]/128"}).out, HasSubstr(kReached));
  EXPECT_EQ(server.requests(), 2);
}

TEST(RunNet, FlagsParse) {
  RunFlags flags;
  bool help = false;
  ASSERT_EQ(ParseRunFlags({"f.json", "--allow-net=10.0.0.0/8,127.0.0.1", "--allow-net", "::1",
                           "--allow-net=db.internal,[fd00::]/8"},
                          flags, help),
            std::nullopt);
  EXPECT_THAT(flags.allow_net,
              ElementsAre("10.0.0.0/8", "127.0.0.1", "::1", "db.internal", "[fd00::]/8"));
  EXPECT_FALSE(flags.allow_private_net);

  RunFlags open;
  ASSERT_EQ(ParseRunFlags({"f.json", "--allow-private-net"}, open, help), std::nullopt);
  EXPECT_TRUE(open.allow_private_net);
  EXPECT_TRUE(open.allow_net.empty());

  std::vector<std::string> networks;
  ASSERT_EQ(ResolveAllowedNetworks({"10.0.0.0/8", "127.0.0.1", "::1", "[fd00::]/8",
                                    "::ffff:10.1.0.0/112", "localhost", "127.0.0.1/32"},
                                   &networks),
            std::nullopt);
  // Canonical, localhost resolved (to 127.0.0.1 at least), repeats once.
  EXPECT_EQ(networks[0], "10.0.0.0/8");
  EXPECT_EQ(networks[1], "127.0.0.1/32");
  EXPECT_EQ(networks[2], "::1/128");
  EXPECT_EQ(networks[3], "fd00::/8");
  EXPECT_EQ(networks[4], "10.1.0.0/16");
  EXPECT_EQ(std::count(networks.begin(), networks.end(), "127.0.0.1/32"), 1);
}

TEST(RunNet, BadFlagsAreUsageErrors) {
  struct Bad {
    std::vector<std::string> flags;
    std::string message;
  };
  for (const Bad& bad : std::vector<Bad>{
           {{"--allow-net=127.1"}, "--allow-net \"127.1\": not an IPv4 address"},
           {{"--allow-net=2130706433"}, "--allow-net \"2130706433\": not an IPv4 address"},
           {{"--allow-net=10.0.0.1/8"},
            "--allow-net \"10.0.0.1/8\": has bits set past the /8 prefix (did you mean "
            "10.0.0.0/8?)"},
           {{"--allow-net=10.0.0.0/33"}, "--allow-net \"10.0.0.0/33\": the prefix length"},
           {{"--allow-net=fe80::1%eth0"},
            "--allow-net \"fe80::1%eth0\": an address with a zone (%...) names no network"},
           {{"--allow-net=bad_host!"},
            "--allow-net \"bad_host!\": neither a network (10.0.0.0/8, fd00::/8), an address "
            "(127.0.0.1, ::1) nor a host name"},
           {{"--allow-net=-x.example"}, "--allow-net \"-x.example\": neither a network"},
           {{"--allow-net=db.internal/24"}, "--allow-net \"db.internal/24\": not an IPv4"},
           {{"--allow-net=10.0.0.0/8,,::1"}, "--allow-net has an empty entry"},
           {{"--allow-net=10.0.0.0/8,"}, "--allow-net has an empty entry"},
           {{"--allow-net="}, "--allow-net needs a value"},
           {{"--allow-net"}, "--allow-net needs a value"},
           {{"--allow-net", "--json"}, "--allow-net needs a value"},
           {{"--allow-private-net=yes"}, "--allow-private-net takes no value"},
           {{"--allow-private-net", "--allow-private-net"}, "--allow-private-net is given twice"},
           {{"--allow-private-net", "--allow-net=10.0.0.0/8"},
            "--allow-private-net already allows every address"},
       }) {
    SCOPED_TRACE(bad.flags[0]);
    std::vector<std::string> args = {SchemeFile()};
    args.insert(args.end(), bad.flags.begin(), bad.flags.end());
    CommandResult run = RunConvey(args);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_THAT(run.err, HasSubstr(absl::StrCat("convey run: ", bad.message)));
    EXPECT_EQ(run.out, "");
  }
}

TEST(RunNet, UsageNamesTheFlags) {
  CommandResult run = RunConvey({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("[--allow-private-net | --allow-net NET,...]"));
  EXPECT_THAT(run.out, HasSubstr("  --allow-net NET,..."));
  EXPECT_THAT(run.out, HasSubstr("  --allow-private-net "));
  EXPECT_THAT(run.out, Not(HasSubstr("\t")));
}

}  // namespace
}  // namespace tools
}  // namespace convey
