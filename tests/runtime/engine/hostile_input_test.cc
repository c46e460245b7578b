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
#include "convey/scheme.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/engine_support.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::OpenEngine;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;
using ::testing::HasSubstr;

constexpr int64_t kConv = 100;

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

// Row 3: a process whose two api_copy logics both copy into the process
// itself doubled its tasks every step (the copy chain's guard of 50 still
// allowed 2^50: 2.5 GB and an abort in 17 s). A tree of tasks may start
// max_tasks_per_tree tasks; then its copies fail with `copy_task_limit`.
std::string CopyTwiceScheme(int64_t into) {
  const std::string copy = absl::StrCat(R"({"type":"api_copy","mode":"create","conv_id":)", into,
                                        R"(,"ref":"","data":{},"err_node_id":"failed"})");
  return ProcessJson(
      kConv,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("copy"), "]")),
       NodeJson("copy", Kind::kNormal, absl::StrCat("[", copy, ",", copy, ",", GoJson("end"), "]")),
       NodeJson("end", Kind::kFinal, "[]"),
       // Failed copiers stay here (no logics: no_exit), still counted.
       NodeJson("failed", Kind::kNormal, "[]")});
}

// The tag and description of one task parked in "failed", and how many.
struct Failed {
  int64_t count = 0;
  std::string tag;
  std::string description;
};
Failed FailedTasks(Engine& engine, int64_t conv_id) {
  Failed failed;
  engine.ForEachTask([&](const TaskSnapshot& task) {
    if (task.conv_id != conv_id || task.node_id != "failed") return;
    ++failed.count;
    failed.tag = Field(task.data, "__conveyor_copy_task_return_type_tag__");
    failed.description = Field(task.data, "__conveyor_copy_task_return_description__");
  });
  return failed;
}

TEST(HostileInput, CopiesThatDoubleEveryStepStopAtTheTreeBound) {
  std::unique_ptr<Engine> engine = OpenEngine();  // default bounds
  ASSERT_TRUE(engine->Deploy("double.json", CopyTwiceScheme(kConv)).ok());
  ASSERT_TRUE(engine->CreateTask(kConv, "", "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(60)).ok());
  const EngineStats stats = engine->Stats();
  const int64_t bound = static_cast<int64_t>(EngineOptions{}.max_tasks_per_tree);
  EXPECT_EQ(stats.tasks_created, bound + 1);  // the root and the tree's bound
  const Failed failed = FailedTasks(*engine, kConv);
  EXPECT_GT(failed.count, 0);
  EXPECT_EQ(failed.tag, "\"copy_task_limit\"");
  EXPECT_THAT(failed.description, HasSubstr("(max_tasks_per_tree)"));
}

// A task that copies itself once per timer is no burst: every timer starts
// a new tree, so 30 copies a second apart pass a bound of 5.
TEST(HostileInput, ATimerStartsANewTree) {
  EngineOptions options;
  options.worker_threads = 1;
  options.max_tasks_per_tree = 5;
  VirtualClock clock;
  options.clock = &clock;
  std::unique_ptr<Engine> engine = OpenEngine(options);
  const std::string copy = absl::StrCat(
      R"({"type":"api_copy","mode":"create","conv_id":)", kConv,
      R"j(,"ref":"","data":{"n":"$.math({{n}}+1)"},"data_type":{"n":"number"},"err_node_id":"failed"})j");
  ASSERT_TRUE(
      engine
          ->Deploy(
              "cron.json",
              ProcessJson(
                  kConv,
                  {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                   SemaphoreNodeJson("wait", Kind::kNormal, "[]",
                                     absl::StrCat("[", TimeJson("1", "sec", "copy"), "]")),
                   NodeJson("copy", Kind::kNormal,
                            absl::StrCat("[", IfJson("n", "more_or_eq", "30", "number", "end"), ",",
                                         copy, ",", GoJson("end"), "]")),
                   NodeJson("end", Kind::kFinal, "[]"), NodeJson("failed", Kind::kNormal, "[]")}))
          .ok());
  ASSERT_TRUE(engine->CreateTask(kConv, "", R"({"n":0})").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(30)).ok());
  EXPECT_EQ(engine->Stats().tasks_created, 31);
  EXPECT_EQ(FailedTasks(*engine, kConv).count, 0);
}

// The same bound holds for calls: a process that calls itself twice per
// call (nested up to max_rpc_depth, 2^32 calls in all) stops at the bound.
TEST(HostileInput, CallsThatDoubleEveryCallStopAtTheTreeBound) {
  EngineOptions options;
  options.max_tasks_per_tree = 1000;
  std::unique_ptr<Engine> engine = OpenEngine(options);
  const std::string call = absl::StrCat(R"({"type":"api_rpc","conv_id":)", kConv,
                                        R"(,"extra":{},"extra_type":{},"err_node_id":"reply"})");
  ASSERT_TRUE(
      engine
          ->Deploy(
              "calls.json",
              ProcessJson(
                  kConv,
                  {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("call"), "]")),
                   NodeJson("call", Kind::kNormal,
                            absl::StrCat("[", call, ",", call, ",", GoJson("reply"), "]")),
                   NodeJson(
                       "reply", Kind::kNormal,
                       R"([{"type":"api_rpc_reply","mode":"key_value","res_data":{},"res_data_type":{}},)" +
                           GoJson("end") + "]"),
                   NodeJson("end", Kind::kFinal, "[]")}))
          .ok());
  absl::StatusOr<std::string> root = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(60)).ok());
  EXPECT_EQ(engine->Stats().tasks_created, 1001);
  absl::StatusOr<TaskSnapshot> done = engine->ShowTask(TaskKey::ByObjId(*root));
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, TaskStatus::kProcessed);
  EXPECT_EQ(Field(done->data, "__conveyor_rpc_return_type_tag__"), "\"rpc_task_limit\"");
}

// Per process: tasks started there by logics and still in the engine, from
// any number of trees. Finishing or deleting one makes room.
TEST(HostileInput, TasksCopiedIntoAProcessStopAtItsBound) {
  EngineOptions options;
  options.max_caused_tasks_per_process = 50;
  std::unique_ptr<Engine> engine = OpenEngine(options);
  constexpr int64_t kHolder = 200;
  const std::string copy = absl::StrCat(R"({"type":"api_copy","mode":"create","conv_id":)", kHolder,
                                        R"(,"ref":"","data":{},"err_node_id":"failed"})");
  ASSERT_TRUE(engine
                  ->Deploy("holder.json",
                           ProcessJson(kHolder,
                                       {NodeJson("start", Kind::kStart, "[" + GoJson("hold") + "]"),
                                        NodeJson("hold", Kind::kNormal, "[]")}))
                  .ok());
  ASSERT_TRUE(engine->Deploy("copier.json", OneNodeScheme(copy)).ok());
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(engine->CreateTask(kConv, "", "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(30)).ok());
  EXPECT_EQ(engine->StatsFor(kHolder)->nodes[1].tasks, 50);
  EXPECT_EQ(engine->StatsFor(kConv)->nodes[3].finished, 10);  // "failed"
  // One held task deleted: the next copy passes.
  std::string held;
  engine->ForEachTask([&held](const TaskSnapshot& task) {
    if (task.conv_id == kHolder && held.empty()) held = task.obj_id;
  });
  ASSERT_TRUE(engine->DeleteTask(TaskKey::ByObjId(held)).ok());
  TaskSnapshot passed = RunOne(*engine, "{}");
  EXPECT_EQ(passed.node_id, "end");
  TaskSnapshot refused = RunOne(*engine, "{}");
  EXPECT_EQ(refused.node_id, "failed");
  EXPECT_EQ(Field(refused.data, "__conveyor_copy_task_return_type_tag__"), "\"copy_task_limit\"");
  EXPECT_THAT(Field(refused.data, "__conveyor_copy_task_return_description__"),
              HasSubstr("(max_caused_tasks_per_process)"));
}

// Row 12: `inspect` said "loaded, 0 errors" for templates that failed at
// run time. Every template of every logic is compiled by inspect as by
// deploy: each of these is a located error, and Deploy refuses the file.
TEST(HostileInput, InspectCompilesEveryTemplate) {
  struct Case {
    std::string logic;
    std::string error;
  };
  std::string deep = "{{a";  // {{a[{{b[{{b ... }}]}}]}}: 18 levels
  for (int i = 0; i < 17; ++i) deep += "[{{b";
  for (int i = 0; i < 17; ++i) deep += "}}]";
  deep += "}}";
  for (
      const Case& c : std::vector<Case>{
          {SetParam("a", "{{}}", "string"), "extra.a: template \"{{}}\" at byte 0: empty '{{}}'"},
          {SetParam("a", deep, "string"), "nesting deeper than 16 levels"},
          {SetParam("a", "$.f(1)", "string"), "unknown function $.f"},
          {SetParam("a", "$.unixtime().tz('Bad/Zone')", "string"),
           "unknown time zone \"Bad/Zone\""},
          {R"({"type":"api","url":"http://x/{{}}","method":"GET","extra":{},"extra_type":{}})",
           ".url: template \"http://x/{{}}\" at byte 9: empty '{{}}'"},
          {R"({"type":"go_if_const","to_node_id":"end","conditions":[{"param":"{{}}","const":"1","fun":"eq","cast":"string"}]})",
           ".conditions[0].param: template \"{{}}\""},
          {absl::StrCat(R"({"type":"api_copy","mode":"create","conv_id":)", kConv,
                        R"j(,"ref":"","data":{"x":"$.zz()"},"data_type":{"x":"string"}})j"),
           "data.x: template \"$.zz()\" at byte 0: unknown function $.zz"},
      }) {
    SCOPED_TRACE(c.logic);
    const std::string scheme = OneNodeScheme(c.logic);
    const SchemeReport report = InspectScheme("t.json", scheme, ImportLimits{});
    ASSERT_EQ(report.errors.size(), 1u);
    EXPECT_THAT(report.errors[0].ToString(), HasSubstr(c.error));
    std::unique_ptr<Engine> engine = OpenEngine();
    absl::StatusOr<DeployResult> deployed = engine->Deploy("t.json", scheme);
    EXPECT_FALSE(deployed.ok());
    EXPECT_THAT(deployed.status().message(), HasSubstr(c.error));
  }
}

// Row 15: an api_sum past the largest double printed `inf` (`null` in
// JSON) with no error. The add that would pass it fails the logic.
TEST(HostileInput, SumsThatWouldOverflowFailTheLogic) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_TRUE(
      engine
          ->Deploy("sum.json", OneNodeScheme(R"({"type":"api_sum","err_node_id":"failed",)"
                                             R"("extra":[{"id":"total","value":"{{n}}"}]})"))
          .ok());
  EXPECT_EQ(RunOne(*engine, R"({"n":1e308})").node_id, "end");
  const TaskSnapshot second = RunOne(*engine, R"({"n":1e308})");
  EXPECT_EQ(second.node_id, "failed");
  EXPECT_EQ(Field(second.data, "__conveyor_api_sum_return_type_tag__"), "\"api_sum_overflow\"");
  EXPECT_EQ(engine->StatsFor(kConv)->nodes[1].sums[0].value, 1e308);
}

// Row 4: a scheme file was read whole before its size was checked
// (`convey inspect /dev/zero` grew to 17 GB). Reading now stops one byte
// past the limit, for regular files (by their size) and devices alike.
TEST(HostileInput, SchemeFilesAreNotReadPastTheSizeLimit) {
  ImportLimits limits;
  limits.max_file_size = 1 << 20;
  absl::StatusOr<SchemeReport> zero = InspectSchemeFile("/dev/zero", limits);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(zero.status().message(),
            "/dev/zero: the file is more than 1048576 bytes, over the import limit of 1048576 "
            "bytes (ImportLimits::max_file_size)");

  const std::string path = ::testing::TempDir() + "/big_scheme.json";
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xEF\xBB\xBF" << OneNodeScheme(GoJson("end")) << std::string(100, ' ');
  }
  limits.max_file_size = 100;
  absl::StatusOr<SchemeReport> big = InspectSchemeFile(path, limits);
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("over the import limit of 100 bytes"));

  EngineOptions options;
  options.worker_threads = 1;
  options.import_limits.max_file_size = 1 << 20;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  absl::StatusOr<DeployResult> deployed = (*engine)->DeployFile("/dev/zero");
  EXPECT_EQ(deployed.status().code(), absl::StatusCode::kResourceExhausted);
  deployed = (*engine)->DeployFile(path);
  EXPECT_TRUE(deployed.ok()) << deployed.status();
}

}  // namespace
}  // namespace convey
