// The crash test's child: an engine on a durable store (sync mode, real
// clock) running crash_scheme.h, driven by commands on stdin, one a line,
// answered on stdout. The driver (crash_test.cc) kills it at random.
//
//   create REF JSON   -> "ack create REF" once the create is acknowledged
//                        (also when a task with REF is already active)
//   modify REF JSON   -> "ack modify REF" (also when the task has finished
//                        or does not exist: nothing is left to do)
//   dump              -> "task CONV_ID REF STATUS NODE CREATE_US CHANGE_US
//                        DATA" for every task (archive included), "sum
//                        VALUE" per sum, then "end"
//
// Usage: crash_child STORE_DIR. Commands run on four threads, so that
// creates share syncs (group commit).
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "tests/crash/crash_scheme.h"

namespace convey {
namespace crash {
namespace {

std::mutex out_mu;

void Say(const std::string& line) {
  std::lock_guard<std::mutex> lock(out_mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Dump(Engine& engine) {
  std::vector<std::string> lines;
  engine.ForEachTask([&](const TaskSnapshot& task) {
    lines.push_back(absl::StrCat("task ", task.conv_id, " ", task.ref.empty() ? "-" : task.ref, " ",
                                 TaskStatusName(task.status), " ", task.node_id, " ",
                                 absl::ToUnixMicros(task.create_time), " ",
                                 absl::ToUnixMicros(task.change_time), " ", task.data));
  });
  for (const ProcessStats& process : engine.Stats().processes) {
    for (const NodeStats& node : process.nodes) {
      for (const SumStats& sum : node.sums) lines.push_back(absl::StrCat("sum ", sum.value));
    }
  }
  lines.push_back("end");
  std::lock_guard<std::mutex> lock(out_mu);
  for (const std::string& line : lines) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
}

void Handle(Engine& engine, const std::string& line) {
  const size_t first = line.find(' ');
  const std::string verb = line.substr(0, first);
  if (verb == "dump") {
    Dump(engine);
    return;
  }
  const size_t second = line.find(' ', first + 1);
  if (first == std::string::npos || second == std::string::npos) {
    Say("error " + line);
    return;
  }
  const std::string ref = line.substr(first + 1, second - first - 1);
  const std::string data = line.substr(second + 1);
  if (verb == "create") {
    absl::StatusOr<std::string> id = engine.CreateTask(kMain, ref, data);
    if (id.ok() || id.status().code() == absl::StatusCode::kAlreadyExists) {
      Say("ack create " + ref);
    } else {
      Say(absl::StrCat("fail create ", ref, " ", id.status().ToString()));
    }
  } else if (verb == "modify") {
    absl::Status modified = engine.ModifyTask(TaskKey::ByRef(kMain, ref), data);
    if (modified.ok() || modified.code() == absl::StatusCode::kFailedPrecondition ||
        modified.code() == absl::StatusCode::kNotFound) {
      Say("ack modify " + ref);
    } else {
      Say(absl::StrCat("fail modify ", ref, " ", modified.ToString()));
    }
  } else {
    Say("error " + line);
  }
}

int Main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: crash_child STORE_DIR\n");
    return 2;
  }
  EngineOptions options;
  options.worker_threads = 2;
  options.store_directory = argv[1];
  options.durability = Durability::kSync;
  options.api_timeout = absl::Seconds(5);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "crash_child: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<DeployResult> deployed = (*engine)->Deploy("crash.json", CrashScheme());
  if (!deployed.ok()) {
    std::fprintf(stderr, "crash_child: %s\n", deployed.status().ToString().c_str());
    return 1;
  }
  Say("ready");
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> lines;
  bool done = false;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (;;) {
        std::string line;
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return done || !lines.empty(); });
          if (lines.empty()) return;
          line = std::move(lines.front());
          lines.pop_front();
        }
        Handle(**engine, line);
      }
    });
  }
  for (std::string line; std::getline(std::cin, line);) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(std::move(line));
    cv.notify_one();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    cv.notify_all();
  }
  for (std::thread& thread : threads) thread.join();
  (*engine)->Close().IgnoreError();
  return 0;
}

}  // namespace
}  // namespace crash
}  // namespace convey

int main(int argc, char** argv) { return convey::crash::Main(argc, argv); }
