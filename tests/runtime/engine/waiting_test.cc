// Time and waiting in the engine: time and count semaphores, the virtual
// clock, first-transition-wins, api_callback waits and state diagrams.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "convey/engine.h"
#include "convey/logic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/engine_support.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::CountJson;
using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::MustDeploy;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;

constexpr int64_t kConv = 100;
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

std::unique_ptr<Engine> OpenEngine(Clock* clock, const LogicRegistry* registry = nullptr) {
  EngineOptions options;
  options.worker_threads = 2;
  options.clock = clock;
  options.registry = registry;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return *std::move(engine);
}

TaskSnapshot Show(Engine& engine, const std::string& obj_id) {
  absl::StatusOr<TaskSnapshot> shown = engine.ShowTask(TaskKey::ByObjId(obj_id));
  EXPECT_TRUE(shown.ok()) << shown.status();
  return shown.ok() ? *shown : TaskSnapshot{};
}

// Polls until `done` holds (for clocks the test moves by hand); false after
// five real seconds.
template <typename Done>
bool Eventually(Done done) {
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// start -> wait (no logics; time semaphore `timer` -> done) -> done.
std::string DelayScheme(const std::string& timer) {
  return ProcessJson(kConv,
                     {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                      SemaphoreNodeJson("wait", Kind::kNormal, "[]", absl::StrCat("[", timer, "]")),
                      NodeJson("done", Kind::kFinal, "[]")});
}

TEST(TimeSemaphoreTest, ThirtyDayDelayRunsAtOnceOnTheVirtualClock) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, DelayScheme(TimeJson("30", "day", "done")));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(id.ok()) << id.status();
  const absl::Time real_start = absl::Now();
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_LT(absl::Now() - real_start, absl::Seconds(2));
  TaskSnapshot task = Show(*engine, *id);
  EXPECT_EQ(task.status, TaskStatus::kProcessed);
  EXPECT_EQ(task.node_id, "done");
  // Fired exactly at its deadline, never before.
  EXPECT_EQ(task.change_time, kStart + absl::Hours(24 * 30));
  EXPECT_EQ(clock.Now(), kStart + absl::Hours(24 * 30));
  EngineStats stats = engine->Stats();
  EXPECT_EQ(stats.timers_fired, 1);
  EXPECT_EQ(stats.timers_pending, 0);
}

TEST(TimeSemaphoreTest, DimensionsScaleTheValue) {
  for (const auto& [dimension, seconds] : std::vector<std::pair<std::string, int64_t>>{
           {"sec", 45}, {"min", 45 * 60}, {"hour", 45 * 3600}}) {
    VirtualClock clock(kStart);
    auto engine = OpenEngine(&clock);
    MustDeploy(*engine, DelayScheme(TimeJson("45", dimension, "done")));
    absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    EXPECT_EQ(Show(*engine, *id).change_time, kStart + absl::Seconds(seconds)) << dimension;
  }
}

TEST(TimeSemaphoreTest, AbsoluteTimeFromATemplate) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, DelayScheme(TimeJson("\"{{wake_at}}\"", "sec", "done")));
  const int64_t wake_at = absl::ToUnixSeconds(kStart) + 3600;
  // Both start at kStart: time may not jump between the two creates.
  engine->HoldTime(true);
  absl::StatusOr<std::string> later =
      engine->CreateTask(kConv, "", absl::StrCat("{\"wake_at\":", wake_at, "}"));
  // Already past: fires at once.
  absl::StatusOr<std::string> past = engine->CreateTask(kConv, "", "{\"wake_at\":1000}");
  ASSERT_TRUE(later.ok() && past.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(clock.Now(), kStart);  // held: the later timer waits
  EXPECT_EQ(Show(*engine, *later).node_id, "wait");
  engine->HoldTime(false);
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, *past).change_time, kStart);
  EXPECT_EQ(Show(*engine, *later).change_time, absl::FromUnixSeconds(wake_at));
  EXPECT_EQ(Show(*engine, *later).node_id, "done");
}

TEST(TimeSemaphoreTest, UnixtimeFunctionGivesAnAbsoluteTime) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, DelayScheme(TimeJson("\"$.math($.unixtime()+90)\"", "sec", "done")));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, *id).change_time, kStart + absl::Seconds(90));
}

TEST(TimeSemaphoreTest, HugeAbsoluteTimeIsClampedNotFiredNow) {
  ManualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, DelayScheme(TimeJson("\"{{wake_at}}\"", "sec", "done")));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{\"wake_at\":1e18}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  clock.Advance(absl::Hours(24 * 365 * 50));
  absl::SleepFor(absl::Milliseconds(20));
  TaskSnapshot task = Show(*engine, *id);
  EXPECT_EQ(task.node_id, "wait");
  EXPECT_EQ(task.park_reason, ParkReason::kTimer);
  // At the clamp (100 years) it fires.
  clock.Advance(absl::Hours(24 * 365 * 51));
  EXPECT_TRUE(Eventually([&] { return Show(*engine, *id).node_id == "done"; }));
}

TEST(TimeSemaphoreTest, HugeRelativeDelayDoesNotOverflow) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, DelayScheme(TimeJson("172800", "day", "done")));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = Show(*engine, *id);
  EXPECT_EQ(task.node_id, "done");
  EXPECT_GT(task.change_time, kStart + absl::Hours(24 * 365 * 99));
}

TEST(TimeSemaphoreTest, NonNumericAbsoluteTimeLeavesTheTaskWithoutTimer) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, DelayScheme(TimeJson("\"{{wake_at}}\"", "sec", "done")));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{\"wake_at\":\"soon\"}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = Show(*engine, *id);
  EXPECT_EQ(task.node_id, "wait");
  EXPECT_EQ(task.park_reason, ParkReason::kNoExit);
  EXPECT_EQ(engine->Stats().timers_pending, 0);
}

TEST(TimeSemaphoreTest, ParkReasonsAreCountedPerNode) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  // Without a semaphore a delay node holds its tasks for good.
  MustDeploy(
      *engine,
      ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("stuck"), "]")),
                          NodeJson("stuck", Kind::kNormal, "[]")}));
  ASSERT_TRUE(engine->CreateTask(kConv, "", "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->nodes[1].no_exit, 1);
  EXPECT_EQ(stats->nodes[1].timer, 0);
}

// api_callback parks its task until a modify, which merges its data.
TEST(ApiCallbackTest, WaitsForAModify) {
  auto engine = OpenEngine(nullptr);  // the real clock
  std::string wait = R"j([{"type":"api_callback","is_sync":false,"obj_id_path":""},
                          {"type":"go","to_node_id":"end"}])j";
  MustDeploy(
      *engine,
      ProcessJson(kConv,
                  {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                   NodeJson("wait", Kind::kNormal, wait), NodeJson("end", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "order-1", R"j({"a":1})j");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.node_id, "wait");
  EXPECT_EQ(task.park_reason, ParkReason::kCallback);
  // A show does not release it; a modify does, with its data merged.
  ASSERT_TRUE(
      engine->ModifyTask(TaskKey::ByRef(kConv, "order-1"), R"j({"paid":true,"a":2})j").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.node_id, "end");
  EXPECT_EQ(task.data, R"j({"a":2,"paid":true})j");
}

// start -> hold [api_callback, go -> released]; time 100 s -> timeout.
std::string CallbackWithTimeoutScheme() {
  return ProcessJson(
      kConv,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("hold"), "]")),
       SemaphoreNodeJson("hold", Kind::kNormal,
                         absl::StrCat("[{\"type\":\"api_callback\"},", GoJson("released"), "]"),
                         absl::StrCat("[", TimeJson("100", "sec", "timeout"), "]")),
       NodeJson("released", Kind::kFinal, "[]"), NodeJson("timeout", Kind::kFinal, "[]")});
}

TEST(FirstTransitionWinsTest, ModifyBeforeTheTimerCancelsIt) {
  ManualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, CallbackWithTimeoutScheme());
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "r1", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, *id).park_reason, ParkReason::kCallback);
  EXPECT_EQ(engine->Stats().timers_pending, 1);
  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByRef(kConv, "r1"), "{\"ok\":1}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(engine->Stats().timers_pending, 0);
  clock.Advance(absl::Seconds(500));
  absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, *id).node_id, "released");
  EXPECT_EQ(engine->Stats().timers_fired, 0);
}

TEST(FirstTransitionWinsTest, TimerBeforeTheModifyWins) {
  ManualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, CallbackWithTimeoutScheme());
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "r1", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  clock.Advance(absl::Seconds(99));
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(Show(*engine, *id).node_id, "hold");  // never early
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return Show(*engine, *id).node_id == "timeout"; }));
  // The task has left: the modify finds it finished.
  absl::Status late = engine->ModifyTask(TaskKey::ByObjId(*id), "{\"ok\":1}");
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition) << late;
  EXPECT_EQ(Show(*engine, *id).node_id, "timeout");
}

TEST(FirstTransitionWinsTest, ModifyRacingTimerMovesEachTaskExactlyOnce) {
  ManualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, CallbackWithTimeoutScheme());
  constexpr int kTasks = 2000;
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(engine->CreateTask(kConv, absl::StrCat("r", i), "{}").ok());
  }
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(30)).ok());
  std::thread modifier([&] {
    for (int i = 0; i < kTasks; ++i) {
      // Either it still waits (the modify releases it) or the timer moved it.
      absl::Status status =
          engine->ModifyTask(TaskKey::ByRef(kConv, absl::StrCat("r", i)), "{\"m\":1}");
      EXPECT_TRUE(status.ok() || absl::IsNotFound(status) || absl::IsFailedPrecondition(status))
          << status;
    }
  });
  clock.Advance(absl::Seconds(100));
  modifier.join();
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
    return stats.ok() && stats->nodes[2].finished + stats->nodes[3].finished == kTasks;
  }));
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(30)).ok());
  absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
  EXPECT_EQ(stats->nodes[1].tasks, 0);
  EXPECT_EQ(stats->nodes[1].callback, 0);
  EXPECT_EQ(engine->Stats().tasks_finished, kTasks);
  EXPECT_EQ(engine->Stats().timers_fired, stats->nodes[3].finished);
}

TEST(FirstTransitionWinsTest, ReEntryRestartsTheTimer) {
  ManualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  // hold: [api_callback, if again == 1 -> hold (itself), go -> released]; time 100 s.
  MustDeploy(
      *engine,
      ProcessJson(
          kConv,
          {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("hold"), "]")),
           SemaphoreNodeJson("hold", Kind::kNormal,
                             absl::StrCat("[{\"type\":\"api_callback\"},",
                                          IfJson("again", "eq", "1", "number", "hold"), ",",
                                          GoJson("released"), "]"),
                             absl::StrCat("[", TimeJson("100", "sec", "timeout"), "]")),
           NodeJson("released", Kind::kFinal, "[]"), NodeJson("timeout", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "r1", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  clock.Advance(absl::Seconds(60));
  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByRef(kConv, "r1"), "{\"again\":1}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  // The first entry's timer (due at +100 s) is gone; the new one is due at +160 s.
  clock.Advance(absl::Seconds(50));
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(Show(*engine, *id).node_id, "hold");
  clock.Advance(absl::Seconds(50));
  ASSERT_TRUE(Eventually([&] { return Show(*engine, *id).node_id == "timeout"; }));
  EXPECT_EQ(Show(*engine, *id).change_time, kStart + absl::Seconds(160));
}

TEST(FirstTransitionWinsTest, DeleteCancelsTheTimer) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, CallbackWithTimeoutScheme());
  engine->HoldTime(true);  // else time jumps to the timer as soon as the task parks
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "r1", "{}");
  ASSERT_TRUE(id.ok());
  // Deleted before it parks or after: either way nothing fires later.
  ASSERT_TRUE(engine->DeleteTask(TaskKey::ByObjId(*id)).ok());
  engine->HoldTime(false);
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, *id).status, TaskStatus::kDeleted);
  EXPECT_EQ(engine->Stats().timers_fired, 0);
  EXPECT_EQ(engine->Stats().timers_pending, 0);
}

// A logic that fails with a hardware error the first `failures` times it
// runs, recording the clock each time.
class FlakyLogic : public Logic {
 public:
  FlakyLogic(NodeHandle err, int failures, std::vector<absl::Time>* calls)
      : err_(err), failures_(failures), calls_(calls) {}
  LogicResult Run(TaskContext& task) const override {
    calls_->push_back(task.now());
    if (static_cast<int>(calls_->size()) <= failures_) {
      return LogicResult::Fail(err_, true, "flaky_timeout", "the far end did not answer");
    }
    return LogicResult::Next();
  }
  absl::string_view error_family() const override { return "api"; }

 private:
  NodeHandle err_;
  int failures_;
  std::vector<absl::Time>* calls_;
};

class FlakyFactory : public LogicFactory {
 public:
  FlakyFactory(int failures, std::vector<absl::Time>* calls) : failures_(failures), calls_(calls) {}
  absl::string_view type() const override { return "flaky"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    absl::StatusOr<NodeHandle> err = builder.Node("escalation");
    if (!err.ok()) return err.status();
    return std::unique_ptr<Logic>(new FlakyLogic(*err, failures_, calls_));
  }

 private:
  int failures_;
  std::vector<absl::Time>* calls_;
};

// Part B §7.2: the logic node, an escalation node sorting errors, a 30 s
// delay back to the logic node, and a final error node.
TEST(RetryPatternTest, RetriesHappenAtTheRightVirtualTimes) {
  std::vector<absl::Time> calls;  // one task, so one writer at a time
  LogicRegistry registry;
  ASSERT_TRUE(RegisterBuiltinLogics(registry).ok());
  ASSERT_TRUE(registry.Register(std::make_unique<FlakyFactory>(2, &calls)).ok());
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock, &registry);
  MustDeploy(
      *engine,
      ProcessJson(kConv,
                  {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("call"), "]")),
                   NodeJson("call", Kind::kNormal,
                            absl::StrCat("[{\"type\":\"flaky\"},", GoJson("ok"), "]")),
                   NodeJson("escalation", Kind::kEscalation,
                            absl::StrCat("[",
                                         IfJson("__conveyor_api_return_type_error__", "eq",
                                                "hardware", "string", "delay"),
                                         ",", GoJson("failed"), "]")),
                   SemaphoreNodeJson("delay", Kind::kNormal, "[]",
                                     absl::StrCat("[", TimeJson("30", "sec", "call"), "]")),
                   NodeJson("ok", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = Show(*engine, *id);
  EXPECT_EQ(task.node_id, "ok");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0], kStart);
  EXPECT_EQ(calls[1], kStart + absl::Seconds(30));
  EXPECT_EQ(calls[2], kStart + absl::Seconds(60));
  EXPECT_EQ(Field(task.data, "__conveyor_api_return_type_tag__"), "\"flaky_timeout\"");
}

// start -> hold [api_callback, go -> out] with count semaphore 3 -> alert
// (escalation) -> alerts (final).
TEST(CountSemaphoreTest, SignalsWhenTheCountReachesAndLeavesTheThreshold) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(
      *engine,
      ProcessJson(
          kConv,
          {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("hold"), "]")),
           SemaphoreNodeJson("hold", Kind::kNormal,
                             absl::StrCat("[{\"type\":\"api_callback\"},", GoJson("out"), "]"),
                             absl::StrCat("[", CountJson("\"3\"", "alert"), "]")),
           NodeJson("alert", Kind::kEscalation, absl::StrCat("[", GoJson("alerts"), "]")),
           NodeJson("out", Kind::kFinal, "[]"), NodeJson("alerts", Kind::kFinal, "[]")}));
  auto signals = [&] {
    std::vector<std::string> seen;
    engine->ForEachTask([&](const TaskSnapshot& task) {
      if (task.node_id == "alerts") seen.push_back(Field(task.data, "start"));
    });
    std::sort(seen.begin(), seen.end());
    return seen;
  };
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(engine->CreateTask(kConv, absl::StrCat("r", i), "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_TRUE(signals().empty());
  for (int i = 2; i < 5; ++i)
    ASSERT_TRUE(engine->CreateTask(kConv, absl::StrCat("r", i), "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_THAT(signals(), ::testing::ElementsAre("\"true\""));  // edge-triggered: once
  // 5 -> 2 tasks: one "false" signal; the tasks in the node were never moved.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(engine->ModifyTask(TaskKey::ByRef(kConv, absl::StrCat("r", i)), "{}").ok());
  }
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_THAT(signals(), ::testing::ElementsAre("\"false\"", "\"true\""));
  absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
  EXPECT_EQ(stats->nodes[1].tasks, 2);
  EXPECT_EQ(stats->nodes[3].finished, 3);
}

TEST(CountSemaphoreTest, BadValuesAreLoadErrors) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  for (const std::string value : {"0", "\"abc\"", "-2"}) {
    absl::StatusOr<DeployResult> deployed = engine->Deploy(
        "count.json",
        ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("hold"), "]")),
                            SemaphoreNodeJson("hold", Kind::kNormal, "[]",
                                              absl::StrCat("[", CountJson(value, "start"), "]"))}));
    ASSERT_FALSE(deployed.ok()) << value;
    EXPECT_THAT(deployed.status().message(), ::testing::HasSubstr("semaphors[0].value")) << value;
  }
}

constexpr int64_t kStateConv = 300;

// A state diagram: start -> state [api_callback, if status == "closed" ->
// closed, go -> state (itself)].
std::string StateDiagram() {
  return ProcessJson(kStateConv,
                     {NodeJson("s_start", Kind::kStart, absl::StrCat("[", GoJson("state"), "]")),
                      NodeJson("state", Kind::kNormal,
                               absl::StrCat("[{\"type\":\"api_callback\"},",
                                            IfJson("status", "eq", "closed", "string", "closed"),
                                            ",", GoJson("state"), "]")),
                      NodeJson("closed", Kind::kFinal, "[]")},
                     "store", "state");
}

// A process that copies the state task's `status` (ref from the task's
// `key`) into `seen`, and the whole record, as JSON text, into `record`.
std::string Reader() {
  return ProcessJson(
      kConv,
      {NodeJson(
           "start", Kind::kStart,
           absl::StrCat(
               "[{\"type\":\"set_param\",\"extra\":{\"seen\":\"{{conv[300].ref[{{key}}].status}}\","
               "\"record\":\"{{conv[300].ref[{{key}}]}}\"},\"extra_type\":{\"seen\":\"string\","
               "\"record\":\"string\"}},",
               GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]")});
}

TEST(StateDiagramTest, ModifyReevaluatesAndOtherProcessesReadTheState) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine, StateDiagram());
  MustDeploy(*engine, Reader());
  absl::StatusOr<std::string> state =
      engine->CreateTask(kStateConv, "acct-1", "{\"status\":\"open\"}");
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  // Entering does not evaluate the conditions: it waits.
  EXPECT_EQ(Show(*engine, *state).park_reason, ParkReason::kCallback);

  auto read = [&](const std::string& key) {
    absl::StatusOr<std::string> reader =
        engine->CreateTask(kConv, "", absl::StrCat("{\"key\":\"", key, "\"}"));
    EXPECT_TRUE(reader.ok());
    EXPECT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    return Show(*engine, *reader).data;
  };
  std::string seen = read("acct-1");
  EXPECT_EQ(Field(seen, "seen"), "\"open\"");
  EXPECT_EQ(Field(seen, "record"), R"("{\"status\":\"open\"}")");

  // A modify that matches no condition: back to the same state, new data readable.
  ASSERT_TRUE(
      engine->ModifyTask(TaskKey::ByRef(kStateConv, "acct-1"), "{\"status\":\"frozen\"}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, *state).node_id, "state");
  EXPECT_EQ(Field(read("acct-1"), "seen"), "\"frozen\"");

  ASSERT_TRUE(
      engine->ModifyTask(TaskKey::ByRef(kStateConv, "acct-1"), "{\"status\":\"closed\"}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, *state).node_id, "closed");
  // Finished: no longer a state to read; an unknown ref reads as missing too.
  EXPECT_EQ(Field(read("acct-1"), "seen"), "\"\"");
  EXPECT_EQ(Field(read("nobody"), "seen"), "\"\"");
}

TEST(StateDiagramTest, TasksOfOrdinaryProcessesAreNotReadable) {
  VirtualClock clock(kStart);
  auto engine = OpenEngine(&clock);
  MustDeploy(*engine,
             ProcessJson(kStateConv,
                         {NodeJson("s_start", Kind::kStart, absl::StrCat("[", GoJson("hold"), "]")),
                          NodeJson("hold", Kind::kNormal, "[{\"type\":\"api_callback\"}]")}));
  MustDeploy(*engine, Reader());
  ASSERT_TRUE(engine->CreateTask(kStateConv, "acct-1", "{\"status\":\"open\"}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  absl::StatusOr<std::string> reader = engine->CreateTask(kConv, "", "{\"key\":\"acct-1\"}");
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Field(Show(*engine, *reader).data, "seen"), "\"\"");
}

}  // namespace
}  // namespace convey
