// `convey serve` as a process: its options, and what a client was told
// survives SIGTERM and kill -9 with --store.
#include "tools/serve_command.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/serve/signature.h"
#include "tests/runtime/serve/test_client.h"
#include "tests/support/ops_processes.h"

namespace convey {
namespace tools {
namespace {

using serve::Client;
using serve::Reply;
using ::testing::HasSubstr;

TEST(ServeFlagsTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    const char* problem;
  } cases[] = {
      {{"f.json", "--listen", "8080"}, "--listen wants HOST:PORT"},
      {{"f.json", "--listen", "::1:80"}, "--listen wants HOST:PORT"},
      {{"f.json", "--listen", "127.0.0.1:70000"}, "--listen wants HOST:PORT"},
      {{"f.json", "--durability", "sync"}, "--durability needs --store"},
      {{"f.json", "--rate-limit", "0"}, "--rate-limit wants"},
      {{"f.json", "--rate-burst", "5"}, "--rate-burst needs --rate-limit"},
      {{"f.json", "--io-threads", "0"}, "--io-threads wants a whole number from 1"},
      {{"f.json", "--header-timeout", "-1"}, "--header-timeout wants"},
      {{"f.json", "--bogus"}, "unknown option --bogus"},
      {{"f.json", "--threads", "1", "--threads", "2"}, "--threads is given twice"},
      {{"f.json", "--no-console", "--console-writer", "7"}, "--console-writer needs the console"},
  };
  for (const Case& c : cases) {
    std::ostringstream out, err;
    EXPECT_EQ(RunServe(c.args, out, err), 2) << c.problem;
    EXPECT_THAT(err.str(), HasSubstr(c.problem));
  }
  std::ostringstream out, err;
  EXPECT_EQ(RunServe({"--help"}, out, err), 0);
  EXPECT_THAT(out.str(), HasSubstr("usage: convey serve"));
}

TEST(ServeFlagsTest, BadKeysAndFilesFailToStart) {
  std::ostringstream out, err;
  EXPECT_EQ(RunServe({"--api-key", "no-colon"}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("expected LOGIN:SECRET"));
  err.str("");
  EXPECT_EQ(RunServe({"--api-keys", "/nonexistent/keys"}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("cannot read the API keys file"));
  err.str("");
  EXPECT_EQ(RunServe({"--api-key", "7:s", "--console-writer", "8"}, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("--console-writer: \"8\" is not a configured API login"));
}

constexpr char kSecret[] = "s3cr3t";

// A `convey serve` child process on a store.
class Server {
 public:
  Server(const std::string& scheme, const std::string& store) {
    int out[2];
    if (pipe(out) != 0) std::abort();
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      execl("tools/convey", "convey", "serve", scheme.c_str(), "--listen", "127.0.0.1:0",
            "--api-key", (std::string("7:") + kSecret).c_str(), "--store", store.c_str(),
            "--threads", "2", nullptr);
      std::_Exit(127);
    }
    close(out[1]);
    FILE* stream = fdopen(out[0], "r");
    char line[512];
    if (fgets(line, sizeof line, stream) != nullptr) {
      // "convey serve: listening on http://127.0.0.1:PORT (...)"
      std::string text = line;
      size_t at = text.find("127.0.0.1:");
      if (at != std::string::npos) {
        size_t end = text.find(' ', at);
        base_ = "http://" + text.substr(at, end - at);
      }
    }
    fclose(stream);
  }
  ~Server() {
    if (pid_ > 0) Stop(SIGKILL);
  }
  const std::string& base() const { return base_; }
  // Sends `signal` and returns the exit status.
  int Stop(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  std::string base_;
};

std::string SignedUrl(const std::string& base, const std::string& body) {
  const std::string unixtime = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  return absl::StrCat(base, "/api/2/json/7/", unixtime, "/",
                      serve::UrlSignature(unixtime, kSecret, body));
}

// Creates tasks from 4 clients until `stop` and returns the refs whose
// create was answered ok.
std::vector<std::string> CreateUntil(const std::string& base, std::atomic<bool>& stop) {
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Client client;
      for (int i = 0; !stop.load(); ++i) {
        const std::string ref = absl::StrCat("t", t, "-", i);
        const std::string body =
            absl::StrCat(R"({"ops":[{"type":"create","obj":"task","conv_id":1002,"ref":")", ref,
                         R"(","data":{"i":)", i, "}}]}");
        Reply reply = client.Send("POST", SignedUrl(base, body), body);
        if (reply.code != CURLE_OK) break;  // the server is gone
        if (reply.status == 200 && absl::StrContains(reply.body, R"("proc":"ok")")) {
          std::lock_guard<std::mutex> lock(mutex);
          acknowledged.push_back(ref);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return acknowledged;
}

// Every ref in `refs` is a task of process 1002 on a server restarted on
// `store`.
void ExpectAllThere(const std::string& scheme, const std::string& store,
                    const std::vector<std::string>& refs) {
  Server server(scheme, store);
  ASSERT_FALSE(server.base().empty());
  Client client;
  int missing = 0;
  for (const std::string& ref : refs) {
    const std::string body = absl::StrCat(
        R"({"ops":[{"type":"show","obj":"task","conv_id":1002,"ref":")", ref, R"("}]})");
    Reply reply = client.Send("POST", SignedUrl(server.base(), body), body);
    if (!absl::StrContains(reply.body, R"("proc":"ok")")) {
      if (++missing < 5) ADD_FAILURE() << "acknowledged " << ref << " is gone: " << reply.body;
    }
  }
  EXPECT_EQ(missing, 0) << "of " << refs.size();
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

class ServeStoreTest : public ::testing::TestWithParam<int> {};

TEST_P(ServeStoreTest, AcknowledgedCreatesSurviveTheSignal) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/serve-", GetParam());
  const std::string scheme = dir + ".json";
  std::ofstream(scheme) << "[" << testing::kOpsHoldProcess << "]";
  std::vector<std::string> acknowledged;
  {
    Server server(scheme, dir);
    ASSERT_FALSE(server.base().empty()) << "the server did not start";
    std::atomic<bool> stop{false};
    std::thread load([&] { acknowledged = CreateUntil(server.base(), stop); });
    absl::SleepFor(absl::Milliseconds(700));
    const int status = server.Stop(GetParam());
    stop = true;
    load.join();
    if (GetParam() == SIGTERM) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
  }
  EXPECT_GT(acknowledged.size(), 10u);
  ExpectAllThere(scheme, dir, acknowledged);
}

INSTANTIATE_TEST_SUITE_P(Signals, ServeStoreTest, ::testing::Values(SIGTERM, SIGKILL),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == SIGTERM ? std::string("SIGTERM")
                                                        : std::string("SIGKILL");
                         });

}  // namespace
}  // namespace tools
}  // namespace convey
