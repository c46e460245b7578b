// The durable store: what an engine reopened on the same directory brings
// back (tasks, timers, refs, sums, callbacks, rpc calls, queues, requests in
// flight, process versions), the archive, the durability modes and the
// directories it refuses.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;
using ::testing::HasSubstr;

constexpr int64_t kConv = 100;
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// A transport that holds every request until the test answers it.
class HeldTransport : public HttpTransport {
 public:
  void Send(HttpRequest request, HttpDone done) override {
    std::lock_guard<std::mutex> lock(mu_);
    urls_.push_back(request.url);
    pending_.push_back(std::move(done));
  }
  std::vector<std::string> urls() {
    std::lock_guard<std::mutex> lock(mu_);
    return urls_;
  }
  bool AnswerOldest(const std::string& body) {
    HttpDone done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty()) return false;
      done = std::move(pending_.front());
      pending_.pop_front();
    }
    HttpResponse response;
    response.status = 200;
    response.body = body;
    response.content_type = "application/json";
    done(response);
    return true;
  }
  // Requests still held are failed, so the engine can close.
  ~HeldTransport() override {
    while (AnswerOldest("{}")) {
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::string> urls_;
  std::deque<HttpDone> pending_;
};

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = absl::StrCat(::testing::TempDir(), "/store_",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::system(absl::StrCat("rm -rf '", directory_, "'").c_str());
  }

  EngineOptions Options() {
    EngineOptions options;
    options.worker_threads = 2;
    options.clock = &clock_;
    options.store_directory = directory_;
    options.http_transport = &transport_;
    // Time moves when a test lets it: recovered timers would otherwise
    // fire before the test looks.
    options.hold_time = true;
    return options;
  }

  std::unique_ptr<Engine> Open(EngineOptions options) {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? *std::move(engine) : nullptr;
  }
  std::unique_ptr<Engine> Open() { return Open(Options()); }

  static void Deploy(Engine& engine, const std::string& json, const std::string& name = "t.json") {
    absl::StatusOr<DeployResult> deployed = engine.Deploy(name, json);
    ASSERT_TRUE(deployed.ok()) << deployed.status();
  }

  static std::string Create(Engine& engine, const std::string& ref, const std::string& data,
                            int64_t conv_id = kConv) {
    absl::StatusOr<std::string> id = engine.CreateTask(conv_id, ref, data);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  static TaskSnapshot Show(Engine& engine, const TaskKey& key) {
    absl::StatusOr<TaskSnapshot> shown = engine.ShowTask(key);
    EXPECT_TRUE(shown.ok()) << shown.status();
    return shown.ok() ? *shown : TaskSnapshot{};
  }

  VirtualClock clock_{kStart};
  HeldTransport transport_;
  std::string directory_;
};

// start -> wait (time semaphore 60 s -> done) -> done.
std::string DelayScheme(const std::string& done = "done") {
  return ProcessJson(kConv,
                     {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                      SemaphoreNodeJson("wait", Kind::kNormal, "[]",
                                        absl::StrCat("[", TimeJson("60", "sec", done), "]")),
                      NodeJson(done, Kind::kFinal, "[]")});
}

// start -> wait (api_callback, then -> done; 1 hour -> late) -> done.
std::string CallbackScheme() {
  return ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
              SemaphoreNodeJson("wait", Kind::kNormal,
                                absl::StrCat(R"([{"type":"api_callback"},)", GoJson("done"), "]"),
                                absl::StrCat("[", TimeJson("1", "hour", "late"), "]")),
              NodeJson("done", Kind::kFinal, "[]"), NodeJson("late", Kind::kFinal, "[]")});
}

TEST_F(DurabilityTest, ParkedTasksComeBackWithTheirDataAndTimers) {
  std::string id;
  {
    auto engine = Open();
    Deploy(*engine, DelayScheme());
    id = Create(*engine, "r1", R"({"amount":5,"name":"a"})");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    EXPECT_EQ(Show(*engine, TaskKey::ByObjId(id)).node_id, "wait");
  }
  // Reopened on a clock the test moves: nothing fires while we look.
  ManualClock manual(clock_.Now());
  EngineOptions options = Options();
  options.clock = &manual;
  auto engine = Open(options);
  TaskSnapshot task = Show(*engine, TaskKey::ByRef(kConv, "r1"));
  EXPECT_EQ(task.obj_id, id);
  EXPECT_EQ(task.node_id, "wait");
  EXPECT_EQ(task.park_reason, ParkReason::kTimer);
  EXPECT_EQ(task.data, R"({"amount":5,"name":"a"})");
  EXPECT_EQ(engine->Stats().timers_pending, 1);
  EXPECT_EQ(engine->Stats().tasks_recovered, 1);
  // Refs stay unique across the restart.
  EXPECT_EQ(engine->CreateTask(kConv, "r1", "{}").status().code(),
            absl::StatusCode::kAlreadyExists);
  // The timer fires at its original deadline, 60 s after entry.
  manual.Advance(absl::Seconds(59));
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(Show(*engine, TaskKey::ByObjId(id)).node_id, "wait");
  manual.Advance(absl::Seconds(1));
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (Show(*engine, TaskKey::ByObjId(id)).node_id != "done" && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  task = Show(*engine, TaskKey::ByRef(kConv, "r1"));  // archived: found by its ref
  EXPECT_EQ(task.obj_id, id);
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(task.status, TaskStatus::kProcessed);
}

TEST_F(DurabilityTest, ADeadlinePassedWhileDownFiresAtOnceAndNeverEarly) {
  ManualClock manual(kStart);
  EngineOptions options = Options();
  options.clock = &manual;
  std::string early, late;
  {
    auto engine = Open(options);
    Deploy(*engine, DelayScheme());
    early = Create(*engine, "", "{}");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());  // parked at +0: due at +60
    manual.Advance(absl::Seconds(30));
    late = Create(*engine, "", "{}");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  }
  manual.Advance(absl::Seconds(40));  // the first deadline passed while down
  auto engine = Open(options);
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (Show(*engine, TaskKey::ByObjId(early)).node_id != "done" && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_EQ(Show(*engine, TaskKey::ByObjId(early)).node_id, "done");
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Show(*engine, TaskKey::ByObjId(late)).node_id, "wait");  // due at +90 s
  manual.Advance(absl::Seconds(20));
  while (Show(*engine, TaskKey::ByObjId(late)).node_id != "done" && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_EQ(Show(*engine, TaskKey::ByObjId(late)).node_id, "done");
}

TEST_F(DurabilityTest, ACallbackStillWaitsAndAModifyResumesIt) {
  {
    auto engine = Open();
    Deploy(*engine, CallbackScheme());
    Create(*engine, "pay-1", R"({"amount":10})");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  }
  auto engine = Open();
  EXPECT_EQ(Show(*engine, TaskKey::ByRef(kConv, "pay-1")).park_reason, ParkReason::kCallback);
  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByRef(kConv, "pay-1"), R"({"paid":true})").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  // Finished: found by its ref in the archive.
  TaskSnapshot task = Show(*engine, TaskKey::ByRef(kConv, "pay-1"));
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(task.status, TaskStatus::kProcessed);
  EXPECT_EQ(task.data, R"({"amount":10,"paid":true})");
  // A modify of a finished task says so, as before the restart.
  EXPECT_EQ(engine->ModifyTask(TaskKey::ByRef(kConv, "pay-1"), "{}").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(DurabilityTest, AModifyCommittedBeforeTheCrashIsKept) {
  {
    auto engine = Open();
    Deploy(*engine, DelayScheme());
    Create(*engine, "m", R"({"a":1})");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    ASSERT_TRUE(engine->ModifyTask(TaskKey::ByRef(kConv, "m"), R"({"b":2})").ok());
  }
  auto engine = Open();
  EXPECT_EQ(Show(*engine, TaskKey::ByRef(kConv, "m")).data, R"({"a":1,"b":2})");
}

TEST_F(DurabilityTest, PatchesAndHistoryAreKeptAndArchived) {
  {
    auto engine = Open();
    Deploy(*engine, CallbackScheme());
    Create(*engine, "h", R"({"a":{"b":1}})");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    ASSERT_TRUE(engine->AppendTaskHistory(TaskKey::ByRef(kConv, "h"), "before the crash").ok());
  }
  const auto kinds = [](Engine& engine) {
    absl::StatusOr<TaskHistory> history = engine.GetTaskHistory(TaskKey::ByRef(kConv, "h"));
    EXPECT_TRUE(history.ok()) << history.status();
    std::vector<std::string> out;
    if (history.ok()) {
      for (const TaskHistoryEntry& entry : history->entries) {
        out.push_back(absl::StrCat(entry.kind, "@", entry.node_id, ":", entry.text));
      }
    }
    return out;
  };
  auto engine = Open();
  EXPECT_THAT(kinds(*engine),
              ::testing::ElementsAre("created@start:", "node_entered@wait:", "parked@wait:callback",
                                     "host@wait:before the crash"));
  ASSERT_TRUE(
      engine->PatchTask(TaskKey::ByRef(kConv, "h"), R"([{"op":"move","from":"/a/b","path":"/c"}])")
          .ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  engine.reset();
  engine = Open();
  // Finished before this Open: both come from the archive.
  TaskSnapshot task = Show(*engine, TaskKey::ByRef(kConv, "h"));
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(task.data, R"({"a":{},"c":1})");
  EXPECT_THAT(
      kinds(*engine),
      ::testing::ElementsAre("created@start:", "node_entered@wait:", "parked@wait:callback",
                             "host@wait:before the crash", "patched@wait:", "resumed@wait:callback",
                             "node_entered@done:", "finished@done:"));
}

TEST_F(DurabilityTest, IdempotencyKeysOutliveARestartAndTheTasksEnd) {
  std::string active, finished;
  {
    auto engine = Open();
    Deploy(*engine, CallbackScheme());
    absl::StatusOr<std::string> id = engine->CreateTask(kConv, NewTask("a", "{}", "key-active"));
    ASSERT_TRUE(id.ok()) << id.status();
    active = *id;
    id = engine->CreateTask(kConv, NewTask("", R"({"n":1})", "key-finished"));
    ASSERT_TRUE(id.ok()) << id.status();
    finished = *id;
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    ASSERT_TRUE(engine->ModifyTask(TaskKey::ByObjId(finished), "{}").ok());
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    // Archived: out of memory, answered through the store.
    absl::StatusOr<std::string> again =
        engine->CreateTask(kConv, NewTask("", R"({"n":1})", "key-finished"));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, finished);
  }
  auto engine = Open();
  absl::StatusOr<std::string> again = engine->CreateTask(kConv, NewTask("a", "{}", "key-active"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, active);
  again = engine->CreateTask(kConv, NewTask("", R"({"n":1})", "key-finished"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, finished);
  again = engine->CreateTask(kConv, NewTask("", R"({"n":2})", "key-finished"));
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_EQ(engine->Stats().tasks_created, 0);
}

TEST_F(DurabilityTest, SumsAreRestored) {
  const std::string scheme = ProcessJson(
      kConv,
      {NodeJson(
           "start", Kind::kStart,
           absl::StrCat(
               R"j([{"type":"api_sum","extra":[{"id":"total","name":"total","value":"{{amount}}"}]},)j",
               GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]")});
  {
    auto engine = Open();
    Deploy(*engine, scheme);
    for (int amount : {5, 7, 30}) Create(*engine, "", absl::StrCat(R"({"amount":)", amount, "}"));
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  }
  auto engine = Open();
  absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->nodes[0].sums.size(), 1u);
  EXPECT_EQ(stats->nodes[0].sums[0].value, 42);
  ASSERT_TRUE(engine->ResetSum(kConv, "start", "total").ok());
  engine.reset();
  engine = Open();
  EXPECT_EQ(engine->StatsFor(kConv)->nodes[0].sums[0].value, 0);
}

TEST_F(DurabilityTest, AnRpcCallerGetsItsReplyAfterTheRestart) {
  // The callee waits for a callback before it replies.
  const std::string callee = ProcessJson(
      2,
      {NodeJson("c_start", Kind::kStart, absl::StrCat("[", GoJson("hold"), "]")),
       NodeJson("hold", Kind::kNormal,
                absl::StrCat(R"j([{"type":"api_callback"},)j", GoJson("reply"), "]")),
       NodeJson(
           "reply", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api_rpc_reply","mode":"key_value","res_data":{"y":"$.math({{x}}*2)"},"res_data_type":{"y":"number"}},)j",
               GoJson("end"), "]")),
       NodeJson("end", Kind::kFinal, "[]")});
  const std::string caller = ProcessJson(
      1,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("call"), "]")),
       NodeJson(
           "call", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api_rpc","conv_id":2,"extra":{"x":"{{x}}"},"extra_type":{"x":"number"},"err_node_id":"failed"},)j",
               GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]")});
  std::string caller_id;
  {
    auto engine = Open();
    Deploy(*engine, callee, "callee.json");
    Deploy(*engine, caller, "caller.json");
    caller_id = Create(*engine, "", R"({"x":21})", 1);
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    EXPECT_EQ(Show(*engine, TaskKey::ByObjId(caller_id)).park_reason, ParkReason::kReply);
  }
  auto engine = Open();
  std::string callee_id;
  engine->ForEachTask([&](const TaskSnapshot& task) {
    if (task.conv_id == 2) callee_id = task.obj_id;
  });
  ASSERT_FALSE(callee_id.empty());
  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByObjId(callee_id), "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = Show(*engine, TaskKey::ByObjId(caller_id));
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(Field(task.data, "y"), "42");
}

TEST_F(DurabilityTest, QueuedTasksAreTakenInTheirOrderAfterTheRestart) {
  const std::string queue =
      ProcessJson(5, {NodeJson("q_start", Kind::kStart, absl::StrCat("[", GoJson("queue"), "]")),
                      NodeJson("queue", Kind::kNormal,
                               absl::StrCat(R"j([{"type":"api_queue"},)j", GoJson("pulled"), "]")),
                      NodeJson("pulled", Kind::kFinal, "[]")});
  const std::string puller = ProcessJson(
      6,
      {NodeJson(
           "start", Kind::kStart,
           absl::StrCat(
               R"j([{"type":"api_get_task","conv_id":5,"node_id":"queue","err_node_id":"empty"},)j",
               GoJson("got"), "]")),
       NodeJson("got", Kind::kFinal, "[]"), NodeJson("empty", Kind::kFinal, "[]")});
  std::vector<std::string> queued;
  {
    auto engine = Open();
    Deploy(*engine, queue, "queue.json");
    Deploy(*engine, puller, "puller.json");
    // At one instant: the order is the queue's own, not the clock's.
    for (int i = 0; i < 3; ++i) {
      queued.push_back(Create(*engine, "", absl::StrCat(R"({"n":)", i, "}"), 5));
      ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    }
  }
  auto engine = Open();
  for (int i = 0; i < 3; ++i) {
    Create(*engine, "", "{}", 6);
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    EXPECT_EQ(Show(*engine, TaskKey::ByObjId(queued[i])).node_id, "pulled") << i;
    if (i + 1 < 3) {
      EXPECT_EQ(Show(*engine, TaskKey::ByObjId(queued[i + 1])).node_id, "queue") << i;
    }
  }
}

TEST_F(DurabilityTest, ACopyIsMadeOnceAndAnApiCallInFlightIsSentAgain) {
  const std::string target =
      ProcessJson(2, {NodeJson("c_start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                      NodeJson("wait", Kind::kNormal, R"([{"type":"api_callback"}])")});
  const std::string copier = ProcessJson(
      kConv,
      {NodeJson(
           "start", Kind::kStart,
           absl::StrCat(
               R"j([{"type":"api_copy","mode":"create","conv_id":2,"ref":"copy-{{n}}","data":{"origin":"copy"},"data_type":{"origin":"string"},"err_node_id":"failed"},)j",
               GoJson("call"), "]")),
       NodeJson(
           "call", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api","method":"GET","url":"http://example.test/{{n}}","extra":{},"extra_type":{},"err_node_id":"failed"},)j",
               GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]")});
  std::string id;
  {
    auto engine = Open();
    Deploy(*engine, target, "target.json");
    Deploy(*engine, copier, "copier.json");
    id = Create(*engine, "", R"({"n":7})");
    const absl::Time give_up = absl::Now() + absl::Seconds(5);
    while (transport_.urls().empty() && absl::Now() < give_up)
      absl::SleepFor(absl::Milliseconds(1));
    ASSERT_EQ(transport_.urls().size(), 1u);
    // The answer comes only once the engine is closing: it applies nothing
    // then, as if the process had died waiting.
    std::thread late([this] {
      absl::SleepFor(absl::Milliseconds(100));
      transport_.AnswerOldest("{}");
    });
    engine->Close().IgnoreError();  // at once: the answer comes after
    late.join();
  }
  auto engine = Open();
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (transport_.urls().size() < 2 && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(transport_.urls().size(), 2u);  // sent again: at least once
  EXPECT_EQ(transport_.urls()[1], "http://example.test/7");
  ASSERT_TRUE(transport_.AnswerOldest(R"({"ok":1})"));
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, TaskKey::ByObjId(id)).node_id, "done");
  int copies = 0;
  engine->ForEachTask([&](const TaskSnapshot& task) { copies += task.conv_id == 2; });
  EXPECT_EQ(copies, 1);
  EXPECT_EQ(Show(*engine, TaskKey::ByRef(2, "copy-7")).park_reason, ParkReason::kCallback);
}

TEST_F(DurabilityTest, TasksKeepTheVersionTheyStartedOnWhenTheFileChanges) {
  {
    auto engine = Open();
    Deploy(*engine, DelayScheme("old_end"));
    Create(*engine, "old", "{}");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  }
  auto engine = Open();
  absl::StatusOr<DeployResult> deployed = engine->Deploy("t.json", DelayScheme("new_end"));
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  ASSERT_FALSE(deployed->warnings.empty());
  EXPECT_THAT(deployed->warnings.back().message, HasSubstr("the file changed since the store"));
  Create(*engine, "new", "{}");
  engine->HoldTime(false);
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(*engine, TaskKey::ByRef(kConv, "old")).node_id, "old_end");
  EXPECT_EQ(Show(*engine, TaskKey::ByRef(kConv, "new")).node_id, "new_end");
  // Deploying the same bytes again adds no version and warns of nothing.
  engine.reset();
  engine = Open();
  deployed = engine->Deploy("t.json", DelayScheme("new_end"));
  ASSERT_TRUE(deployed.ok());
  EXPECT_TRUE(deployed->warnings.empty());
}

TEST_F(DurabilityTest, TheArchiveIsPurgedAfterItsRetention) {
  ManualClock manual(kStart);
  EngineOptions options = Options();
  options.clock = &manual;
  options.archive_retention = absl::Hours(1);
  const std::string scheme =
      ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("end"), "]")),
                          NodeJson("end", Kind::kFinal, "[]")});
  {
    auto engine = Open(options);
    Deploy(*engine, scheme);
    Create(*engine, "done-1", "{}");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    EXPECT_EQ(Show(*engine, TaskKey::ByRef(kConv, "done-1")).status, TaskStatus::kProcessed);
  }
  manual.Advance(absl::Minutes(30));
  {
    auto engine = Open(options);
    EXPECT_EQ(Show(*engine, TaskKey::ByRef(kConv, "done-1")).node_id, "end");
  }
  manual.Advance(absl::Minutes(31));
  auto engine = Open(options);
  EXPECT_EQ(engine->ShowTask(TaskKey::ByRef(kConv, "done-1")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DurabilityTest, AsyncModeKeepsTasksToo) {
  EngineOptions options = Options();
  options.durability = Durability::kAsync;
  {
    auto engine = Open(options);
    Deploy(*engine, CallbackScheme());
    Create(*engine, "a", "{}");
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  }
  auto engine = Open(options);
  EXPECT_EQ(Show(*engine, TaskKey::ByRef(kConv, "a")).park_reason, ParkReason::kCallback);
}

TEST_F(DurabilityTest, NoneWithADirectoryIsRefused) {
  EngineOptions options = Options();
  options.durability = Durability::kNone;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(engine.status().message(), HasSubstr("EngineOptions::durability"));
}

TEST_F(DurabilityTest, AForeignDirectoryIsRefused) {
  ASSERT_EQ(::mkdir(directory_.c_str(), 0755), 0);
  std::ofstream(directory_ + "/notes.txt") << "mine";
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(engine.status().message(), HasSubstr("holds no convey store"));
}

TEST_F(DurabilityTest, AFileIsRefused) {
  std::ofstream(directory_) << "a file";
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(engine.status().message(), HasSubstr("is not a directory"));
}

TEST_F(DurabilityTest, AnotherRocksDbDatabaseIsRefused) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, directory_, &db).ok());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", "v").ok());
  delete db;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(engine.status().message(), HasSubstr("not a convey store"));
}

TEST_F(DurabilityTest, AStoreOfAnotherFormatIsRefused) {
  Open().reset();
  {
    std::vector<std::string> families;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), directory_, &families).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : families)
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::DBOptions(), directory_, descriptors, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[0], "format", "convey-store-0").ok());
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    delete db;
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(engine.status().message(), HasSubstr("incompatible version"));
}

TEST_F(DurabilityTest, ADamagedStoreIsRefusedWithRocksDbsReason) {
  Open().reset();
  std::ofstream(directory_ + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(Options());
  EXPECT_FALSE(engine.ok());
  EXPECT_THAT(engine.status().message(), HasSubstr(absl::StrCat("cannot open store ", directory_)));
}

}  // namespace
}  // namespace convey

namespace convey {
namespace {

TEST_F(DurabilityTest, ABatchIsAcknowledgedTogetherAndARefusalStopsNoOther) {
  {
    auto engine = Open();
    Deploy(*engine, CallbackScheme());
    std::vector<NewTask> batch = {
        {"b1", R"({"n":1})"}, {"b2", "not json"}, {"b1", "{}"}, {"b3", R"({"n":3})"}};
    std::vector<absl::StatusOr<std::string>> ids = engine->CreateTasks(kConv, batch);
    ASSERT_EQ(ids.size(), 4u);
    EXPECT_TRUE(ids[0].ok()) << ids[0].status();
    EXPECT_EQ(ids[1].status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ids[2].status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_TRUE(ids[3].ok()) << ids[3].status();
    EXPECT_EQ(engine->CreateTasks(999, batch)[0].status().code(), absl::StatusCode::kNotFound);
  }
  auto engine = Open();
  EXPECT_EQ(engine->Stats().tasks_recovered, 2);
  EXPECT_EQ(Show(*engine, TaskKey::ByRef(kConv, "b3")).data, R"({"n":3})");
}

}  // namespace
}  // namespace convey
