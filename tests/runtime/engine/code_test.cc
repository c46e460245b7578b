// Code nodes (`api_code`) through the engine: data in and out, the error
// family `code` and its 4-node pattern with a time retry loop, the limits
// from EngineOptions, isolation between tasks, and 10^4 tasks on two
// workers (tagged "stress": also under TSan and ASan).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;
using ::testing::HasSubstr;

constexpr int64_t kConv = 300;

std::unique_ptr<Engine> OpenEngine(Clock* clock, absl::Duration time_limit) {
  EngineOptions options;
  options.worker_threads = 2;
  options.clock = clock;
  options.code_limits.time_limit = time_limit;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return *std::move(engine);
}

std::string CodeJson(const std::string& src) {
  std::string escaped;
  for (char c : src) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped.push_back(c);
  }
  return absl::StrCat(R"({"type":"api_code","lang":"js","src":")", escaped,
                      R"(","err_node_id":"esc"})");
}

// The shape of most user exports: start -> code -> done; the code's error
// goes to an escalation node that counts the retry and sends hardware
// errors to a 30-second delay back to the code, software errors to `fail`.
std::string RetryScheme(const std::string& src) {
  const std::string count_retry = R"j({"type":"set_param",
      "extra":{"retries":"$.math({{retries}}+1)"},"extra_type":{"retries":"number"},
      "err_node_id":"fail"})j";
  return ProcessJson(
      kConv,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("code"), "]")),
       NodeJson("code", Kind::kNormal, absl::StrCat("[", CodeJson(src), ",", GoJson("done"), "]")),
       NodeJson("esc", Kind::kEscalation,
                absl::StrCat("[", count_retry, ",",
                             IfJson("__conveyor_code_return_type_error__", "eq", "hardware",
                                    "string", "delay"),
                             ",", GoJson("fail"), "]")),
       SemaphoreNodeJson("delay", Kind::kNormal, "[]",
                         absl::StrCat("[", TimeJson("30", "sec", "code"), "]")),
       NodeJson("done", Kind::kFinal, "[]"), NodeJson("fail", Kind::kFinal, "[]")});
}

class CodeEngineTest : public ::testing::Test {
 protected:
  void Deploy(const std::string& src, absl::Duration time_limit = absl::Seconds(1)) {
    engine_ = OpenEngine(&clock_, time_limit);
    absl::StatusOr<DeployResult> deployed = engine_->Deploy("code.json", RetryScheme(src));
    ASSERT_TRUE(deployed.ok()) << deployed.status();
  }
  // Runs one task to its end.
  TaskSnapshot RunTask(const std::string& data) {
    absl::StatusOr<std::string> id = engine_->CreateTask(kConv, "", data);
    EXPECT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(engine_->WaitIdle(absl::Seconds(30)).ok());
    absl::StatusOr<TaskSnapshot> shown = engine_->ShowTask(TaskKey::ByObjId(*id));
    EXPECT_TRUE(shown.ok()) << shown.status();
    return shown.ok() ? *shown : TaskSnapshot{};
  }

  VirtualClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<Engine> engine_;
};

TEST_F(CodeEngineTest, DataChangesReachTheNextNodes) {
  Deploy("data.total = data.price * data.qty; delete data.tmp; data.tags.push('done');");
  TaskSnapshot task = RunTask(R"({"price":2.5,"qty":4,"tmp":1,"tags":["a"],"retries":0})");
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(task.data, R"({"price":2.5,"qty":4,"tags":["a","done"],"retries":0,"total":10})");
}

TEST_F(CodeEngineTest, TimeoutsRetryThroughTheDelayUntilTheCodeSucceeds) {
  Deploy("if (data.retries < 2) { for (;;) {} }\ndata.ok = true;", absl::Milliseconds(50));
  TaskSnapshot task = RunTask(R"({"retries":0})");
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(Field(task.data, "retries"), "2");
  EXPECT_EQ(Field(task.data, "ok"), "true");
  EXPECT_EQ(Field(task.data, "__conveyor_code_return_type_tag__"), "\"code_timeout\"");
  EXPECT_EQ(Field(task.data, "__conveyor_code_return_type_error__"), "\"hardware\"");
  // Two 30-second delays passed on the virtual clock.
  EXPECT_GE(task.change_time - task.create_time, absl::Seconds(60));
}

TEST_F(CodeEngineTest, ThrownErrorsTakeTheSoftwareRoute) {
  Deploy("if (data.count <= 0) {\n  throw new Error('Count must be greater than 0');\n}");
  TaskSnapshot task = RunTask(R"({"count":0,"retries":0})");
  EXPECT_EQ(task.node_id, "fail");
  EXPECT_EQ(Field(task.data, "__conveyor_code_return_type_error__"), "\"software\"");
  EXPECT_EQ(Field(task.data, "__conveyor_code_return_type_tag__"), "\"code_executing_error\"");
  EXPECT_THAT(Field(task.data, "__conveyor_code_return_description__"),
              HasSubstr("Error: Count must be greater than 0 (line 2"));
  EXPECT_EQ(Field(task.data, "count"), "0");  // nothing of the failed run applied
}

TEST_F(CodeEngineTest, DataThatIsNoObjectIsAFormatError) {
  Deploy("data = [data.a];");
  TaskSnapshot task = RunTask(R"({"a":1,"retries":0})");
  EXPECT_EQ(task.node_id, "fail");
  EXPECT_EQ(Field(task.data, "__conveyor_code_return_type_tag__"), "\"code_return_format_error\"");
  EXPECT_EQ(Field(task.data, "a"), "1");
}

TEST_F(CodeEngineTest, DataPastTheTaskSizeLimitFailsTheLogic) {
  Deploy("data.big = 'x'.repeat(200000);");
  TaskSnapshot task = RunTask(R"({"retries":0})");
  EXPECT_EQ(task.node_id, "fail");
  EXPECT_EQ(Field(task.data, "__conveyor_code_return_type_tag__"),
            "\"code_task_size_overflow_limit\"");
  EXPECT_EQ(Field(task.data, "big"), "<missing>");
}

TEST_F(CodeEngineTest, DeepDataIsRefused) {
  Deploy(
      "let o = {}; const root = o; for (let i = 0; i < 2000; i++) { o.a = {}; o = o.a; }"
      "data.deep = root;");
  TaskSnapshot task = RunTask(R"({"retries":0})");
  EXPECT_EQ(task.node_id, "fail");
  EXPECT_EQ(Field(task.data, "__conveyor_code_return_type_tag__"), "\"code_return_format_error\"");
}

TEST_F(CodeEngineTest, NothingOneTaskDoesIsSeenByTheNext) {
  Deploy(
      "data.seen = typeof leaked; leaked = 1; try { Object.prototype.x = 1; } catch (e) {}"
      "data.proto = ({}).x === undefined;");
  for (int i = 0; i < 20; ++i) {
    TaskSnapshot task = RunTask(R"({"retries":0})");
    EXPECT_EQ(Field(task.data, "seen"), "\"undefined\"");
    EXPECT_EQ(Field(task.data, "proto"), "true");
  }
}

TEST(CodeDeployTest, SyntaxErrorsAndErlangAtDeploy) {
  VirtualClock clock(absl::FromUnixSeconds(1700000000));
  auto engine = OpenEngine(&clock, absl::Seconds(1));
  absl::StatusOr<DeployResult> bad = engine->Deploy("bad.json", RetryScheme("data.a = (;"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("bad.json: scheme.nodes[1].condition.logics[0].src: line 1, column 11: "
                        "SyntaxError"));
  EXPECT_THAT(bad.status().message(), HasSubstr("(node \"code\")"));

  const std::string erlang = ProcessJson(
      kConv + 1,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("code"), "]")),
       NodeJson("code", Kind::kNormal,
                R"([{"type":"api_code","lang":"erl","src":"-module(node).","err_node_id":"err"},)" +
                    GoJson("done") + "]"),
       NodeJson("err", Kind::kFinal, "[]"), NodeJson("done", Kind::kFinal, "[]")});
  absl::StatusOr<DeployResult> deployed = engine->Deploy("erl.json", erlang);
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  ASSERT_EQ(deployed->warnings.size(), 1u);
  EXPECT_THAT(deployed->warnings[0].message, HasSubstr("Erlang"));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv + 1, "", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  absl::StatusOr<TaskSnapshot> task = engine->ShowTask(TaskKey::ByObjId(*id));
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->node_id, "err");
  EXPECT_EQ(Field(task->data, "__conveyor_code_return_type_tag__"), "\"logic_not_supported\"");
}

// 10^4 tasks through a Code node on two workers; every 100th loops past its
// limit and goes down the retry path once.
TEST(CodeStressTest, TenThousandTasksOnTwoWorkers) {
  VirtualClock clock(absl::FromUnixSeconds(1700000000));
  auto engine = OpenEngine(&clock, absl::Milliseconds(20));
  ASSERT_TRUE(engine
                  ->Deploy("stress.json",
                           RetryScheme("if (data.n % 100 === 0 && data.retries === 0) for (;;) {}\n"
                                       "data.total = data.n * 2; scratch = data.n;"))
                  .ok());
  engine->HoldTime(true);
  constexpr int kTasks = 10000;
  for (int i = 0; i < kTasks; ++i) {
    const std::string data = absl::StrCat(R"({"n":)", i, R"(,"retries":0})");
    absl::StatusOr<std::string> id = engine->CreateTask(kConv, absl::StrCat("t", i), data);
    while (absl::IsResourceExhausted(id.status())) {
      (void)engine->WaitIdle(absl::Milliseconds(1));
      id = engine->CreateTask(kConv, absl::StrCat("t", i), data);
    }
    ASSERT_TRUE(id.ok()) << id.status();
  }
  engine->HoldTime(false);
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(120)).ok());
  absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
  ASSERT_TRUE(stats.ok());
  int64_t done = 0;
  int64_t failed = 0;
  for (const NodeStats& node : stats->nodes) {
    if (node.node_id == "done") done = node.finished;
    if (node.node_id == "fail") failed = node.finished;
  }
  EXPECT_EQ(done, kTasks);
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace convey
