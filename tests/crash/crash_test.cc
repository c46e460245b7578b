// The crash test (RocksDB's db_stress idea): a child process runs the crash
// scheme on a durable store while this driver creates and modifies tasks,
// recording every acknowledged operation; the driver kills the child with
// SIGKILL at random moments, or has it killed at a named kill point inside
// the commit path (runtime/store/kill_points.h), and restarts it on the same
// directory. At the end a child that is not killed finishes everything, and
// the expected-state oracle checks:
//   - every acknowledged create exists exactly once, an unacknowledged one
//     at most once; no obj_id appears twice;
//   - every task ends where its data says (done_<kind>), with what its way
//     of waiting gave it (the rpc reply, the api answer, one copy);
//   - the sums equal the sum of `amount` over the distinct finished tasks;
//   - no timer fired before its deadline.
//
//   crash_test --cycles=N (./test.sh: 100; //tests/crash:crash_campaign: 1000)
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/crash/crash_scheme.h"
#include "tests/runtime/http/loopback_server.h"

namespace convey {
namespace crash {
namespace {

int cycles_flag = 50;

// One run of crash_child: its pipes and what it has said.
class Child {
 public:
  Child(const std::string& store, const std::string& kill_point) {
    int to_child[2], from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) std::abort();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      ::close(to_child[1]);
      ::close(from_child[0]);
      if (!kill_point.empty()) ::setenv("CONVEY_TEST_KILL_POINT", kill_point.c_str(), 1);
      ::execl("tests/crash/crash_child", "crash_child", store.c_str(), nullptr);
      std::_Exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = ::fdopen(to_child[1], "w");
    out_ = ::fdopen(from_child[0], "r");
    reader_ = std::thread([this] { Read(); });
  }

  ~Child() {
    Kill();
    reader_.join();
    std::fclose(out_);
  }

  // False once the child is gone (killed at a kill point).
  bool Send(const std::string& line) {
    if (in_ == nullptr) return false;
    if (std::fprintf(in_, "%s\n", line.c_str()) < 0 || std::fflush(in_) != 0) return false;
    return true;
  }

  // Kills the child; true when it had died already (at a kill point).
  bool Kill() {
    if (pid_ <= 0) return false;
    int status = 0;
    const bool dead = ::waitpid(pid_, &status, WNOHANG) == pid_;
    if (!dead) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    if (in_ != nullptr) std::fclose(in_);
    in_ = nullptr;
    return dead;
  }

  // Closes stdin and waits for a clean exit.
  int Finish() {
    std::fclose(in_);
    in_ = nullptr;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

  // Waits (up to `timeout`) for a line equal to `line`; its index or -1.
  int WaitFor(const std::string& line, size_t from, absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = from; i < lines_.size(); ++i) {
          if (lines_[i] == line) return static_cast<int>(i);
        }
        if (eof_) return -1;
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
    return -1;
  }

 private:
  void Read() {
    char* buffer = nullptr;
    size_t size = 0;
    ssize_t n;
    while ((n = ::getline(&buffer, &size, out_)) > 0) {
      std::string line(buffer, n);
      if (!line.empty() && line.back() == '\n') line.pop_back();
      std::lock_guard<std::mutex> lock(mu_);
      lines_.push_back(std::move(line));
    }
    std::free(buffer);
    std::lock_guard<std::mutex> lock(mu_);
    eof_ = true;
  }

  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
  std::thread reader_;
  std::mutex mu_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

// What the driver asked for, and what was acknowledged.
struct Expected {
  std::string kind;
  int amount = 0;
  int x = 0;
  int n = 0;
  bool created = false;   // acknowledged
  bool modified = false;  // callback: the modify was acknowledged
};

struct DumpedTask {
  int64_t conv_id = 0;
  std::string ref;
  std::string status;
  std::string node;
  int64_t create_us = 0;
  int64_t change_us = 0;
  std::string data;
};

std::string Json(simdjson::dom::parser& parser, const std::string& data, const char* key) {
  simdjson::dom::element root;
  if (parser.parse(data).get(root) != simdjson::SUCCESS) return "";
  simdjson::dom::element value;
  if (root[key].get(value) != simdjson::SUCCESS) return "";
  return simdjson::minify(value);
}

TEST(CrashTest, AcknowledgedWorkSurvivesEveryKill) {
  testing::LoopbackServer server;
  server.server().Get("/echo", [](const httplib::Request& request, httplib::Response& response) {
    response.set_content(absl::StrCat(R"({"echo":)", request.get_param_value("n"), "}"),
                         "application/json");
  });
  ASSERT_TRUE(server.Start().ok());
  const std::string url = server.Url("/echo");
  const std::string store = ::testing::TempDir() + "/crash_store";
  std::system(("rm -rf '" + store + "'").c_str());

  std::mt19937 random(static_cast<uint32_t>(::getpid()));
  std::map<std::string, Expected> expected;
  int next_ref = 0;
  int killed_at_points = 0;
  const char* kPoints[] = {"commit.before", "commit.after", "sync.before", "sync.after"};
  const absl::Time started = absl::Now();

  for (int cycle = 0; cycle < cycles_flag; ++cycle) {
    std::string kill_point;
    // Three cycles in four die at a kill point (if they get that far);
    // early counts hit recovery's own commits and the first creates.
    if (cycle % 4 != 0) {
      kill_point = absl::StrCat(kPoints[random() % 4], ":", 1 + random() % 40);
    }
    Child child(store, kill_point);
    if (child.WaitFor("ready", 0, absl::Seconds(30)) < 0) {
      // Recovered tasks commit as they move, before the child is ready: a
      // kill point may strike there. Anything else is a failed recovery.
      ASSERT_TRUE(child.Kill() && !kill_point.empty())
          << "cycle " << cycle << ": the child did not start (recovery failed?)";
      ++killed_at_points;
      continue;
    }
    // Modifies for callbacks not yet acknowledged, then new tasks.
    std::vector<std::string> sent;
    for (auto& [ref, task] : expected) {
      if (task.kind == "callback" && task.created && !task.modified && random() % 2 == 0) {
        if (!child.Send(absl::StrCat("modify ", ref, R"( {"paid":1})"))) break;
        sent.push_back("modify " + ref);
      }
    }
    for (int i = 0; i < 12; ++i) {
      Expected task;
      task.kind = kKinds[random() % 5];
      task.amount = 1 + random() % 100;
      task.x = random() % 1000;
      task.n = random() % 1000;
      const std::string ref = absl::StrCat("t", next_ref++);
      expected[ref] = task;
      const std::string data =
          absl::StrCat(R"({"kind":")", task.kind, R"(","amount":)", task.amount, R"(,"x":)", task.x,
                       R"(,"n":)", task.n, R"(,"r":")", ref, R"(","url":")", url, R"("})");
      if (!child.Send(absl::StrCat("create ", ref, " ", data))) break;
      sent.push_back("create " + ref);
    }
    absl::SleepFor(absl::Milliseconds(random() % 400));
    if (child.Kill()) ++killed_at_points;
    for (const std::string& line : child.Lines()) {
      std::vector<std::string> words = absl::StrSplit(line, ' ');
      if (words.size() != 3 || words[0] != "ack") continue;
      if (words[1] == "create") expected[words[2]].created = true;
      if (words[1] == "modify") expected[words[2]].modified = true;
    }
  }

  // A last run, not killed: every callback is released, then everything
  // ends.
  Child last(store, "");
  ASSERT_GE(last.WaitFor("ready", 0, absl::Seconds(30)), 0);
  for (auto& [ref, task] : expected) {
    if (task.kind == "callback") last.Send(absl::StrCat("modify ", ref, R"( {"paid":1})"));
  }
  std::vector<DumpedTask> tasks;
  std::vector<double> sums;
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  for (;;) {
    const size_t from = last.Lines().size();
    last.Send("dump");
    const int end = last.WaitFor("end", from, absl::Seconds(30));
    ASSERT_GE(end, 0);
    const std::vector<std::string> lines = last.Lines();
    tasks.clear();
    sums.clear();
    bool moving = false;
    for (size_t i = from; i < static_cast<size_t>(end); ++i) {
      const std::string& line = lines[i];
      if (line.rfind("sum ", 0) == 0) {
        double value = 0;
        ASSERT_TRUE(absl::SimpleAtod(line.substr(4), &value)) << line;
        sums.push_back(value);
        continue;
      }
      if (line.rfind("task ", 0) != 0) continue;
      std::vector<std::string> words = absl::StrSplit(line, absl::MaxSplits(' ', 7));
      ASSERT_EQ(words.size(), 8u) << line;
      DumpedTask task;
      ASSERT_TRUE(absl::SimpleAtoi(words[1], &task.conv_id));
      task.ref = words[2];
      task.status = words[3];
      task.node = words[4];
      ASSERT_TRUE(absl::SimpleAtoi(words[5], &task.create_us));
      ASSERT_TRUE(absl::SimpleAtoi(words[6], &task.change_us));
      task.data = words[7];
      if (task.status != "processed") moving = true;
      tasks.push_back(std::move(task));
    }
    if (!moving || absl::Now() > give_up) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(last.Finish(), 0);

  // The oracle.
  simdjson::dom::parser parser;
  std::map<std::string, int> main_refs, copy_refs;
  double expected_sum = 0;
  for (const DumpedTask& task : tasks) {
    EXPECT_EQ(task.status, "processed") << task.ref << " stopped in " << task.node;
    if (task.conv_id == kCopies) {
      ++copy_refs[task.ref];
      continue;
    }
    if (task.conv_id != kMain) continue;
    ++main_refs[task.ref];
    auto it = expected.find(task.ref);
    ASSERT_NE(it, expected.end()) << "a task nobody created: " << task.ref;
    const Expected& want = it->second;
    EXPECT_EQ(task.node, "done_" + want.kind) << task.ref << " " << task.data;
    expected_sum += want.amount;
    if (want.kind == "rpc") {
      EXPECT_EQ(Json(parser, task.data, "y"), absl::StrCat(want.x * 2)) << task.ref;
    }
    if (want.kind == "api") {
      EXPECT_EQ(Json(parser, task.data, "echo"), absl::StrCat(want.n)) << task.ref;
    }
    if (want.kind == "timer") {
      EXPECT_GE(task.change_us - task.create_us, 500000) << task.ref << ": the timer fired early";
    }
  }
  int acknowledged = 0;
  for (const auto& [ref, want] : expected) {
    const int count = main_refs.count(ref) ? main_refs[ref] : 0;
    if (want.created) {
      ++acknowledged;
      EXPECT_EQ(count, 1) << ref << " was acknowledged";
    } else {
      EXPECT_LE(count, 1) << ref;
    }
    if (want.kind == "copy" && count == 1) {
      EXPECT_EQ(copy_refs["c-" + ref], 1) << "copies of " << ref;
    }
  }
  for (const auto& [ref, count] : copy_refs) {
    EXPECT_EQ(count, 1) << ref;
    EXPECT_EQ(main_refs.count(ref.substr(2)), 1u) << "a copy whose cause never finished: " << ref;
  }
  double total = 0;
  for (double sum : sums) total += sum;
  EXPECT_EQ(total, expected_sum);
  EXPECT_GT(acknowledged, cycles_flag);  // the test did something
  std::printf(
      "crash test: %d cycles (%d killed at a kill point) in %s; %d tasks acknowledged, "
      "%zu in the store\n",
      cycles_flag, killed_at_points, absl::FormatDuration(absl::Now() - started).c_str(),
      acknowledged, tasks.size());
}

}  // namespace
}  // namespace crash
}  // namespace convey

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--cycles=", 0) == 0) {
      convey::crash::cycles_flag = std::atoi(arg.c_str() + 9);
    }
  }
  return RUN_ALL_TESTS();
}
