// Hostile process files and task data (issue 12): each case reproduces what
// an attacker's input used to break (a crash, a hang, memory without
// bound) and checks it is now refused or survived with a clear error.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::testing::HasSubstr;

constexpr int64_t kConv = 100;

std::unique_ptr<Engine> OpenEngine() {
  EngineOptions options;
  options.worker_threads = 2;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return *std::move(engine);
}

// start -> work (the given logics, then go to end; errors to "failed").
std::string OneNodeScheme(const std::string& logics) {
  return ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("work"), "]")),
              NodeJson("work", Kind::kNormal, absl::StrCat("[", logics, ",", GoJson("end"), "]")),
              NodeJson("end", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]")});
}

std::string SetParam(const std::string& key, const std::string& value, const std::string& type) {
  return absl::StrCat(R"({"type":"set_param","extra":{")", key, R"(":")", value,
                      R"("},"extra_type":{")", key, R"(":")", type,
                      R"("},"err_node_id":"failed"})");
}

TaskSnapshot RunOne(Engine& engine, const std::string& data) {
  absl::StatusOr<std::string> id = engine.CreateTask(kConv, "", data);
  EXPECT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(engine.WaitIdle(absl::Seconds(30)).ok());
  return *engine.ShowTask(TaskKey::ByObjId(*id));
}

// Row 1: a `$.math` chain of 70 000 terms (140 KB) overflowed the stack, at
// deploy when constant and on the first task when an operand is a template.
TEST(HostileInput, LongMathChainsRunWithoutRecursion) {
  std::string constant = "$.math(1";
  std::string dynamic = "$.math({{one}}";
  for (int k = 1; k < 70000; ++k) {
    constant += "+1";
    dynamic += "+{{one}}";
  }
  constant += ")";
  dynamic += ")";
  auto engine = OpenEngine();
  ASSERT_TRUE(
      engine
          ->Deploy("math.json", OneNodeScheme(absl::StrCat(SetParam("c", constant, "number"), ",",
                                                           SetParam("d", dynamic, "number"))))
          .ok());
  TaskSnapshot task = RunOne(*engine, R"({"one":1})");
  EXPECT_EQ(task.node_id, "end");
  EXPECT_EQ(Field(task.data, "c"), "70000");
  EXPECT_EQ(Field(task.data, "d"), "70000");
}

std::string DeepKey(int steps) {
  std::string key = "k";
  for (int k = 1; k < steps; ++k) key += ".k";
  return key;
}

// Row 2: a set_param key of 30 000 steps overflowed the stack in the write
// set's emitter; at 10 000 it built data nested 10 000 deep, which no later
// read could parse. Paths are now bounded to 256 steps; a key past that is a
// wrong key (set_param_wrong_key), as any malformed key is, and the message
// quotes the key cut short.
TEST(HostileInput, DeepSetParamKeysFailTheLogic) {
  auto engine = OpenEngine();
  for (int steps : {257, 10000, 30000}) {
    SCOPED_TRACE(steps);
    ASSERT_TRUE(
        engine->Deploy("deep.json", OneNodeScheme(SetParam(DeepKey(steps), "1", "number"))).ok());
    TaskSnapshot task = RunOne(*engine, "{}");
    EXPECT_EQ(task.node_id, "failed");
    EXPECT_THAT(task.data, HasSubstr("set_param_wrong_key"));
    EXPECT_THAT(task.data, HasSubstr("more than 256 steps"));
    EXPECT_LT(task.data.size(), 2000u) << "the key is quoted, not copied whole";
  }
  // 256 steps is allowed.
  ASSERT_TRUE(
      engine->Deploy("deep.json", OneNodeScheme(SetParam(DeepKey(256), "1", "number"))).ok());
  TaskSnapshot task = RunOne(*engine, "{}");
  EXPECT_EQ(task.node_id, "end");
}

// Row 2, at run time: a value written under a deep key must not make the
// data deeper than the 1024 levels every reader parses.
TEST(HostileInput, WritesThatWouldNestTooDeepFailTheLogic) {
  std::string deep = "1";
  for (int k = 0; k < 900; ++k) deep = absl::StrCat("[", deep, "]");
  auto engine = OpenEngine();
  ASSERT_TRUE(
      engine->Deploy("deep.json", OneNodeScheme(SetParam(DeepKey(200), "{{deep}}", "array"))).ok());
  TaskSnapshot task = RunOne(*engine, absl::StrCat(R"({"deep":)", deep, "}"));
  EXPECT_EQ(task.node_id, "failed");
  EXPECT_THAT(task.data, HasSubstr("set_param_task_depth_overflow_limit"));
  EXPECT_THAT(task.data, HasSubstr("deeper than 1024 levels"));
  // The data is intact, readable, and not the nested write.
  EXPECT_EQ(Field(task.data, "deep").size(), deep.size());

  // Just within the limit it is written.
  std::string fits = "1";
  for (int k = 0; k < 1024 - 201; ++k) fits = absl::StrCat("[", fits, "]");
  task = RunOne(*engine, absl::StrCat(R"({"deep":)", fits, "}"));
  EXPECT_EQ(task.node_id, "end") << task.data.substr(0, 300);
}

// Row 5: when the OS refuses a thread (`--threads 1024` under a memory
// limit), Open used to abort with an uncaught std::system_error. Run in a
// child process whose address space is capped, so that the stacks of 1024
// workers cannot be mapped.
TEST(HostileInput, ThreadsTheOsRefusesAreAnErrorNotAnAbort) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers reserve more address space than the cap allows";
#endif
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t used = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE));
    rlimit limit{used + (rlim_t{256} << 20), used + (rlim_t{256} << 20)};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
    EngineOptions options;
    options.worker_threads = 1024;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    if (engine.ok()) _exit(1);
    const bool named =
        engine.status().code() == absl::StatusCode::kResourceExhausted &&
        absl::StrContains(engine.status().message(), "cannot start the engine's threads");
    _exit(named ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: Open succeeded; 2: another error; 3: no rlimit";
}

}  // namespace
}  // namespace convey
