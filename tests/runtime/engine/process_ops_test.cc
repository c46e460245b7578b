// Issue 16's process operations: pause and resume a process (under load:
// nothing lost), a file that says paused, scheduled creates, and moving a
// task to a node of another process.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kConv = 7;
constexpr int64_t kOther = 8;
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// start -> step -> delay (time 60 s -> done) -> done; plus hold
// [api_callback, go -> done], entered by moves only.
std::string Scheme(const std::string& status = "active") {
  std::string process = ProcessJson(
      kConv,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("step"), "]")),
       NodeJson("step", Kind::kNormal,
                R"([{"type":"set_param","extra":{"seen":"1"},"extra_type":{"seen":"string"}},)" +
                    GoJson("delay") + "]"),
       SemaphoreNodeJson("delay", Kind::kNormal, "[]",
                         absl::StrCat("[", TimeJson("60", "sec", "done"), "]")),
       NodeJson("hold", Kind::kNormal,
                absl::StrCat(R"([{"type":"api_callback"},)", GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]")});
  const std::string active = "\"status\":\"active\"";
  process.replace(process.find(active), active.size(), absl::StrCat("\"status\":\"", status, "\""));
  return process;
}

// start -> wait [api_callback, go -> end] -> end.
std::string OtherScheme() {
  return ProcessJson(kOther,
                     {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                      NodeJson("wait", Kind::kNormal,
                               absl::StrCat(R"([{"type":"api_callback"},)", GoJson("end"), "]")),
                      NodeJson("end", Kind::kFinal, "[]")});
}

class ProcessOpsTest : public ::testing::Test {
 protected:
  void Open(const std::string& scheme = Scheme()) {
    EngineOptions options;
    options.worker_threads = 2;
    options.clock = &clock_;
    options.hold_time = true;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    auto deployed = engine_->Deploy("t.json", absl::StrCat("[", scheme, ",", OtherScheme(), "]"));
    ASSERT_TRUE(deployed.ok()) << deployed.status();
  }
  TaskSnapshot Show(const std::string& obj_id) {
    absl::StatusOr<TaskSnapshot> task = engine_->ShowTask(TaskKey::ByObjId(obj_id));
    EXPECT_TRUE(task.ok()) << task.status();
    return task.ok() ? *task : TaskSnapshot{};
  }
  NodeStats Node(int64_t conv_id, const std::string& id) {
    absl::StatusOr<ProcessStats> stats = engine_->StatsFor(conv_id);
    EXPECT_TRUE(stats.ok());
    for (const NodeStats& node : stats->nodes)
      if (node.node_id == id) return node;
    ADD_FAILURE() << "no node " << id;
    return {};
  }
  void Idle() { ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(30)).ok()); }

  VirtualClock clock_{kStart};
  std::unique_ptr<Engine> engine_;
};

TEST_F(ProcessOpsTest, APausedProcessHoldsItsTasksAndResumeLetsThemGo) {
  Open();
  ASSERT_TRUE(engine_->PauseProcess(kConv).ok());
  absl::StatusOr<std::string> id = engine_->CreateTask(kConv, "p1", "{}");
  ASSERT_TRUE(id.ok()) << id.status();
  Idle();
  TaskSnapshot task = Show(*id);
  EXPECT_EQ(task.node_id, "start");  // accepted, held at its node
  EXPECT_EQ(task.park_reason, ParkReason::kPaused);
  EXPECT_EQ(Node(kConv, "start").paused, 1);
  EXPECT_TRUE(engine_->StatsFor(kConv)->paused);
  EXPECT_FALSE(engine_->StatsFor(kOther)->paused);
  // Other processes run on.
  absl::StatusOr<std::string> other = engine_->CreateTask(kOther, "", "{}");
  Idle();
  EXPECT_EQ(Show(*other).node_id, "wait");
  ASSERT_TRUE(engine_->ResumeProcess(kConv).ok());
  Idle();
  task = Show(*id);
  EXPECT_EQ(task.node_id, "delay");
  EXPECT_EQ(task.park_reason, ParkReason::kTimer);
  EXPECT_EQ(Node(kConv, "start").paused, 0);
  EXPECT_FALSE(engine_->StatsFor(kConv)->paused);
  EXPECT_EQ(task.data, R"({"seen":"1"})");
}

TEST_F(ProcessOpsTest, TimersComeDueWhilePausedAndActOnResume) {
  Open();
  absl::StatusOr<std::string> id = engine_->CreateTask(kConv, "", "{}");
  Idle();
  ASSERT_EQ(Show(*id).node_id, "delay");
  ASSERT_TRUE(engine_->PauseProcess(kConv).ok());
  engine_->HoldTime(false);
  Idle();  // virtual time jumps past the 60 s: the timer fires, the task is held
  EXPECT_EQ(engine_->Stats().timers_fired, 1);
  TaskSnapshot task = Show(*id);
  EXPECT_EQ(task.node_id, "delay");
  EXPECT_EQ(task.park_reason, ParkReason::kPaused);
  ASSERT_TRUE(engine_->ResumeProcess(kConv).ok());
  Idle();
  EXPECT_EQ(Show(*id).node_id, "done");
  absl::StatusOr<TaskHistory> history = engine_->GetTaskHistory(TaskKey::ByObjId(*id));
  ASSERT_TRUE(history.ok());
  std::vector<std::string> kinds;
  for (const TaskHistoryEntry& entry : history->entries)
    kinds.push_back(absl::StrCat(entry.kind, ":", entry.text));
  // The timer released it, the paused process held it, the resume let it
  // run: then it says what it had waited for and goes on.
  EXPECT_THAT(kinds, ElementsAre("created:", "node_entered:", "node_entered:", "parked:timer",
                                 "parked:paused", "resumed:paused", "resumed:timer",
                                 "timer_fired:", "node_entered:", "finished:"));
}

TEST_F(ProcessOpsTest, NothingIsLostWhenPausedUnderLoad) {
  Open();
  constexpr int kTasks = 4000;
  std::atomic<bool> stop{false};
  // Pause and resume while two threads create.
  std::thread toggler([&] {
    while (!stop.load()) {
      EXPECT_TRUE(engine_->PauseProcess(kConv).ok());
      absl::SleepFor(absl::Microseconds(200));
      EXPECT_TRUE(engine_->ResumeProcess(kConv).ok());
      absl::SleepFor(absl::Microseconds(200));
    }
  });
  std::vector<std::thread> creators;
  for (int t = 0; t < 2; ++t) {
    creators.emplace_back([&] {
      for (int i = 0; i < kTasks / 2; ++i) {
        absl::StatusOr<std::string> id = engine_->CreateTask(kConv, "", "{}");
        ASSERT_TRUE(id.ok()) << id.status();
      }
    });
  }
  for (std::thread& creator : creators) creator.join();
  stop = true;
  toggler.join();
  ASSERT_TRUE(engine_->ResumeProcess(kConv).ok());
  Idle();
  // Every task reached the delay node; none is held, none lost.
  EXPECT_EQ(Node(kConv, "delay").timer, kTasks);
  EXPECT_EQ(Node(kConv, "start").paused + Node(kConv, "step").paused, 0);
  engine_->HoldTime(false);
  Idle();
  EXPECT_EQ(Node(kConv, "done").finished, kTasks);
}

TEST_F(ProcessOpsTest, AFileThatSaysPausedIsDeployedPaused) {
  Open(Scheme("paused"));
  absl::StatusOr<std::string> id = engine_->CreateTask(kConv, "", "{}");
  Idle();
  EXPECT_EQ(Show(*id).park_reason, ParkReason::kPaused);
  ASSERT_TRUE(engine_->ResumeProcess(kConv).ok());
  Idle();
  EXPECT_EQ(Show(*id).node_id, "delay");
  EXPECT_TRUE(absl::IsNotFound(engine_->PauseProcess(999)));
  EXPECT_TRUE(absl::IsNotFound(engine_->ResumeProcess(999)));
}

TEST_F(ProcessOpsTest, AScheduledCreateStartsAtItsTime) {
  Open();
  NewTask later("s1", "{}");
  later.start_at = kStart + absl::Minutes(10);
  absl::StatusOr<std::string> id = engine_->CreateTask(kConv, later);
  ASSERT_TRUE(id.ok()) << id.status();
  Idle();
  TaskSnapshot task = Show(*id);
  EXPECT_EQ(task.node_id, "start");
  EXPECT_EQ(task.park_reason, ParkReason::kScheduled);
  EXPECT_EQ(Node(kConv, "start").scheduled, 1);
  // Found by ref, modifiable meanwhile.
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByRef(kConv, "s1"), R"({"x":1})").ok());
  // A past start time is now.
  NewTask now("", "{}");
  now.start_at = kStart - absl::Hours(1);
  absl::StatusOr<std::string> at_once = engine_->CreateTask(kConv, now);
  ASSERT_TRUE(at_once.ok());
  Idle();
  EXPECT_EQ(Show(*at_once).node_id, "delay");
  EXPECT_EQ(Show(*id).park_reason, ParkReason::kScheduled);
  // Virtual time jumps to each timer: the start at 10 min, the delays.
  engine_->HoldTime(false);
  Idle();
  task = Show(*id);
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(task.data, R"({"x":1,"seen":"1"})");
  EXPECT_EQ(task.change_time, kStart + absl::Minutes(11));  // started at 10 min, then 60 s
  EXPECT_EQ(Node(kConv, "start").scheduled, 0);
}

TEST_F(ProcessOpsTest, MoveToANodeOfAnotherProcess) {
  Open();
  absl::StatusOr<std::string> id = engine_->CreateTask(kConv, "m1", R"({"a":1})");
  Idle();
  ASSERT_EQ(Show(*id).node_id, "delay");
  ASSERT_TRUE(engine_->MoveTask(TaskKey::ByRef(kConv, "m1"), kOther, "wait").ok());
  Idle();
  TaskSnapshot task = Show(*id);
  EXPECT_EQ(task.conv_id, kOther);
  EXPECT_EQ(task.node_id, "wait");
  EXPECT_EQ(task.park_reason, ParkReason::kCallback);
  EXPECT_EQ(engine_->Stats().timers_pending, 0);  // the delay's timer went with the old node
  EXPECT_EQ(Node(kConv, "delay").tasks, 0);
  EXPECT_EQ(Node(kConv, "delay").timer, 0);
  EXPECT_EQ(Node(kOther, "wait").tasks, 1);
  // Its ref moved with it.
  EXPECT_TRUE(engine_->ShowTask(TaskKey::ByRef(kOther, "m1")).ok());
  EXPECT_TRUE(absl::IsNotFound(engine_->ShowTask(TaskKey::ByRef(kConv, "m1")).status()));
  ASSERT_TRUE(engine_->CreateTask(kConv, "m1", "{}").ok());  // the ref is free there again
  // A search of its new process finds it; of the old one, not.
  TaskQuery query;
  query.conv_id = kOther;
  query.ref_prefix = "m1";
  absl::StatusOr<TaskPage> page = engine_->SearchTasks(query);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->tasks.size(), 1u);
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByObjId(*id), "{}").ok());
  Idle();
  EXPECT_EQ(Show(*id).node_id, "end");
  absl::StatusOr<TaskHistory> history = engine_->GetTaskHistory(TaskKey::ByObjId(*id));
  ASSERT_TRUE(history.ok());
  bool moved = false;
  for (const TaskHistoryEntry& entry : history->entries) {
    if (entry.kind == "moved") {
      moved = true;
      EXPECT_EQ(entry.node_id, "wait");
      EXPECT_EQ(entry.text, absl::StrCat("from node delay of process ", kConv));
    }
  }
  EXPECT_TRUE(moved);
}

TEST_F(ProcessOpsTest, MovesThatAreRefused) {
  Open();
  absl::StatusOr<std::string> id = engine_->CreateTask(kConv, "r", "{}");
  absl::StatusOr<std::string> taken = engine_->CreateTask(kOther, "r", "{}");
  Idle();
  const TaskKey key = TaskKey::ByObjId(*id);
  absl::Status status = engine_->MoveTask(key, kOther, "nowhere");
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("has no node \"nowhere\""));
  status = engine_->MoveTask(key, kOther, "end");
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("final node"));
  EXPECT_TRUE(absl::IsNotFound(engine_->MoveTask(key, 999, "wait")));
  EXPECT_TRUE(absl::IsNotFound(engine_->MoveTask(TaskKey::ByRef(kConv, "nobody"), kOther, "wait")));
  status = engine_->MoveTask(key, kOther, "wait");
  EXPECT_TRUE(absl::IsAlreadyExists(status)) << status;
  // Refused moves changed nothing.
  EXPECT_EQ(Show(*id).node_id, "delay");
  EXPECT_EQ(Show(*id).park_reason, ParkReason::kTimer);
  EXPECT_EQ(engine_->Stats().timers_pending, 1);
  // Within its own process: the callback node, entered by a move only.
  ASSERT_TRUE(engine_->MoveTask(key, kConv, "hold").ok());
  Idle();
  EXPECT_EQ(Show(*id).park_reason, ParkReason::kCallback);
  ASSERT_TRUE(engine_->ModifyTask(key, "{}").ok());
  Idle();
  EXPECT_TRUE(absl::IsFailedPrecondition(engine_->MoveTask(key, kConv, "step")));
}

}  // namespace
}  // namespace convey
