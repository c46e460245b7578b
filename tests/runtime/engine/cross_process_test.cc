// Tasks that talk to other processes through the engine: api_rpc and
// api_rpc_reply, api_copy (create and modify), api_queue / api_get_task,
// stub mode, and references to processes that are not deployed.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
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

constexpr int64_t kCaller = 1;
constexpr int64_t kCallee = 2;
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

class CrossProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.worker_threads = 2;
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  DeployResult Deploy(const std::string& json) {
    absl::StatusOr<DeployResult> deployed = engine_->Deploy("test.json", json);
    EXPECT_TRUE(deployed.ok()) << deployed.status();
    return deployed.ok() ? *deployed : DeployResult{};
  }

  // Creates a task, runs everything to the end (virtual time) and shows it.
  TaskSnapshot Run(int64_t conv_id, const std::string& data, const std::string& ref = "") {
    absl::StatusOr<std::string> id = engine_->CreateTask(conv_id, ref, data);
    EXPECT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
    return id.ok() ? Show(*id) : TaskSnapshot{};
  }

  TaskSnapshot Show(const std::string& obj_id) {
    absl::StatusOr<TaskSnapshot> shown = engine_->ShowTask(TaskKey::ByObjId(obj_id));
    EXPECT_TRUE(shown.ok()) << shown.status();
    return shown.ok() ? *shown : TaskSnapshot{};
  }

  // Tasks of `conv_id` in node `node_id`.
  std::vector<TaskSnapshot> TasksIn(int64_t conv_id, const std::string& node_id) {
    std::vector<TaskSnapshot> found;
    engine_->ForEachTask([&](const TaskSnapshot& task) {
      if (task.conv_id == conv_id && task.node_id == node_id) found.push_back(task);
    });
    return found;
  }

  VirtualClock clock_{kStart};
  std::unique_ptr<Engine> engine_;
};

// Caller: start -> call [api_rpc to `callee` with extra x, go -> done];
// errors -> failed. `semaphores`: of the call node.
std::string Caller(int64_t callee, const std::string& semaphores = "[]") {
  return ProcessJson(
      kCaller,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("call"), "]")),
       SemaphoreNodeJson(
           "call", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api_rpc","conv_id":)j", callee,
               R"j(,"extra":{"x":"{{x}}"},"extra_type":{"x":"number"},"err_node_id":"failed"},)j",
               GoJson("done"), "]"),
           semaphores),
       NodeJson("done", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]"),
       NodeJson("timeout", Kind::kFinal, "[]")},
      "caller");
}

// Callee: start -> `logics` (a reply, usually) -> end.
std::string Callee(const std::string& logics) {
  return ProcessJson(
      kCallee,
      {NodeJson("c_start", Kind::kStart, absl::StrCat("[", GoJson("work"), "]")),
       NodeJson("work", Kind::kNormal, absl::StrCat("[", logics, ",", GoJson("end"), "]")),
       NodeJson("end", Kind::kFinal, "[]")},
      "callee");
}

const char kDoubleReply[] =
    R"j({"type":"api_rpc_reply","mode":"key_value","res_data":{"y":"$.math({{x}}*2)","from":"callee"},"res_data_type":{"y":"number","from":"string"}})j";

TEST_F(CrossProcessTest, RpcRoundTripMergesTheReply) {
  Deploy(Callee(kDoubleReply));
  Deploy(Caller(kCallee));
  TaskSnapshot task = Run(kCaller, R"({"x":21,"keep":true})");
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(Field(task.data, "y"), "42");
  EXPECT_EQ(Field(task.data, "from"), "\"callee\"");
  EXPECT_EQ(Field(task.data, "keep"), "true");
  // The callee got only `extra` (group is not "all").
  std::vector<TaskSnapshot> callees = TasksIn(kCallee, "end");
  ASSERT_EQ(callees.size(), 1u);
  EXPECT_EQ(Field(callees[0].data, "x"), "21");
  EXPECT_EQ(Field(callees[0].data, "keep"), "<missing>");
}

TEST_F(CrossProcessTest, RpcReplyWithExceptionSendsTheCallerToItsErrorNode) {
  Deploy(Callee(
      R"j({"type":"api_rpc_reply","mode":"key_value","res_data":{"why":"no funds"},"res_data_type":{"why":"string"},"throw_exception":true,"exception_reason":"declined"})j"));
  Deploy(Caller(kCallee));
  TaskSnapshot task = Run(kCaller, R"({"x":1})");
  EXPECT_EQ(task.node_id, "failed");
  EXPECT_EQ(Field(task.data, "why"), "\"no funds\"");  // reply data still attached
  EXPECT_EQ(Field(task.data, "__conveyor_rpc_reply_return_type_error__"), "\"software\"");
  EXPECT_EQ(Field(task.data, "__conveyor_rpc_reply_return_description__"), "\"declined\"");
}

TEST_F(CrossProcessTest, CalleeThatNeverRepliesLeavesTheCallerWaiting) {
  Deploy(Callee(R"j({"type":"set_param","extra":{"a":"1"},"extra_type":{"a":"string"}})j"));
  Deploy(Caller(kCallee));
  TaskSnapshot task = Run(kCaller, R"({"x":1})");
  EXPECT_EQ(task.node_id, "call");
  EXPECT_EQ(task.park_reason, ParkReason::kReply);
  absl::StatusOr<ProcessStats> stats = engine_->StatsFor(kCaller);
  EXPECT_EQ(stats->nodes[1].reply, 1);
}

TEST_F(CrossProcessTest, CallerTimeSemaphoreFiresWhenTheCalleeNeverReplies) {
  Deploy(Callee(R"j({"type":"set_param","extra":{"a":"1"},"extra_type":{"a":"string"}})j"));
  Deploy(Caller(kCallee, absl::StrCat("[", TimeJson("60", "sec", "timeout"), "]")));
  TaskSnapshot task = Run(kCaller, R"({"x":1})");
  EXPECT_EQ(task.node_id, "timeout");
  EXPECT_EQ(task.change_time, kStart + absl::Seconds(60));
}

TEST_F(CrossProcessTest, LateReplyAfterTheTimerIsDropped) {
  // The callee waits for a callback before it replies.
  Deploy(Callee(absl::StrCat(R"j({"type":"api_callback"},)j", kDoubleReply)));
  Deploy(Caller(kCallee, absl::StrCat("[", TimeJson("60", "sec", "timeout"), "]")));
  TaskSnapshot task = Run(kCaller, R"({"x":1})");
  EXPECT_EQ(task.node_id, "timeout");
  std::vector<TaskSnapshot> callees = TasksIn(kCallee, "work");
  ASSERT_EQ(callees.size(), 1u);
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByObjId(callees[0].obj_id), "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot after = Show(task.obj_id);
  EXPECT_EQ(after.node_id, "timeout");
  EXPECT_EQ(Field(after.data, "y"), "<missing>");
}

TEST_F(CrossProcessTest, ReplyToACallerThatWasDeletedIsDropped) {
  Deploy(Callee(absl::StrCat(R"j({"type":"api_callback"},)j", kDoubleReply)));
  Deploy(Caller(kCallee));
  TaskSnapshot task = Run(kCaller, R"({"x":1})");
  ASSERT_TRUE(engine_->DeleteTask(TaskKey::ByObjId(task.obj_id)).ok());
  std::vector<TaskSnapshot> callees = TasksIn(kCallee, "work");
  ASSERT_EQ(callees.size(), 1u);
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByObjId(callees[0].obj_id), "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(Show(task.obj_id).status, TaskStatus::kDeleted);
  EXPECT_EQ(TasksIn(kCallee, "end").size(), 1u);
}

TEST_F(CrossProcessTest, CycleOfCallsEndsAtTheDepthLimit) {
  // 600 calls 601 calls 600 ... (corpus files 043 and 044).
  Deploy(
      ProcessJson(600, {NodeJson("a1", Kind::kStart, absl::StrCat("[", GoJson("a2"), "]")),
                        NodeJson("a2", Kind::kNormal, R"j([{"type":"api_rpc","conv_id":601}])j")}));
  Deploy(
      ProcessJson(601, {NodeJson("b1", Kind::kStart, absl::StrCat("[", GoJson("b2"), "]")),
                        NodeJson("b2", Kind::kNormal, R"j([{"type":"api_rpc","conv_id":600}])j")}));
  Run(600, "{}");
  EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.tasks_created, EngineOptions{}.max_rpc_depth + 1);
  EXPECT_EQ(stats.tasks_errored, 1);
  std::vector<TaskSnapshot> stopped;
  engine_->ForEachTask([&](const TaskSnapshot& task) {
    if (task.status == TaskStatus::kError) stopped.push_back(task);
  });
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(Field(stopped[0].data, "__conveyor_rpc_return_type_tag__"), "\"rpc_task_fatal_error\"");
  EXPECT_THAT(Field(stopped[0].data, "__conveyor_rpc_return_description__"),
              HasSubstr("max_rpc_depth"));
}

TEST_F(CrossProcessTest, CallToAProcessThatIsNotDeployed) {
  DeployResult deployed = Deploy(Caller(999));
  ASSERT_EQ(deployed.unresolved_references.size(), 1u);
  EXPECT_THAT(deployed.unresolved_references[0].message, HasSubstr("999"));
  EXPECT_EQ(engine_->UnresolvedReferences().size(), 1u);
  TaskSnapshot task = Run(kCaller, R"({"x":1})");
  EXPECT_EQ(task.node_id, "failed");
  EXPECT_EQ(Field(task.data, "__conveyor_rpc_return_type_tag__"), "\"rpc_task_fatal_error\"");
  // Deploying the callee resolves it.
  Deploy(ProcessJson(999, {NodeJson("s", Kind::kStart, "[]")}));
  EXPECT_TRUE(engine_->UnresolvedReferences().empty());
}

// Copier: start -> copy [api_copy `mode` into conv 2 with ref {{target}},
// go -> done]; errors -> failed.
std::string Copier(const std::string& mode, const std::string& extra_fields = "") {
  return ProcessJson(
      kCaller,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("copy"), "]")),
       NodeJson(
           "copy", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api_copy","mode":")j", mode,
               R"j(","conv_id":2,"ref":"{{target}}","group":"all","data":{"origin":"copy"},"data_type":{"origin":"string"},"err_node_id":"failed")j",
               extra_fields, "},", GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]")});
}

TEST_F(CrossProcessTest, CopyCreatesATaskAndTheOriginalGoesOn) {
  Deploy(ProcessJson(kCallee,
                     {NodeJson("c_start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                      NodeJson("wait", Kind::kNormal, R"([{"type":"api_callback"}])")}));
  Deploy(Copier("create"));
  TaskSnapshot task = Run(kCaller, R"({"target":"t-1","amount":5})", "orig");
  EXPECT_EQ(task.node_id, "done");
  EXPECT_EQ(Field(task.data, "__conveyor_copy_task_result__"), "\"ok\"");
  EXPECT_EQ(Field(task.data, "origin"), "<missing>");  // the node's data goes to the copy only
  absl::StatusOr<TaskSnapshot> copy = engine_->ShowTask(TaskKey::ByRef(kCallee, "t-1"));
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(Field(copy->data, "amount"), "5");
  EXPECT_EQ(Field(copy->data, "origin"), "\"copy\"");
  EXPECT_EQ(Field(copy->data, "copy_conv_id"), "1");
  EXPECT_EQ(Field(copy->data, "copy_node_id"), "\"copy\"");

  // The same ref again: not_unical_ref.
  TaskSnapshot again = Run(kCaller, R"({"target":"t-1"})");
  EXPECT_EQ(again.node_id, "failed");
  EXPECT_EQ(Field(again.data, "__conveyor_copy_task_return_type_tag__"), "\"not_unical_ref\"");
}

TEST_F(CrossProcessTest, TaskCopyingItselfStopsAtTheLoopLimit) {
  // Corpus file 027: every task copies itself into its own process.
  absl::StatusOr<DeployResult> deployed = engine_->DeployFile(
      "external/shared_corpus/valid/027_corezoid_corezoid-ai-plugin_api_copy_to_itself.json");
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  Run(123, "{}");
  EngineStats stats = engine_->Stats();
  const int64_t limit = EngineOptions{}.loop_limit;
  EXPECT_EQ(stats.tasks_created, limit + 1);
  EXPECT_EQ(stats.tasks_finished, limit);
  EXPECT_EQ(stats.tasks_errored, 1);
}

TEST_F(CrossProcessTest, CopyChainWithWaitingInBetweenIsNoLoop) {
  // Each task waits 1 s, then copies itself with a counter, 60 times.
  Deploy(ProcessJson(
      kCaller,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
       SemaphoreNodeJson("wait", Kind::kNormal, "[]",
                         absl::StrCat("[", TimeJson("1", "sec", "copy"), "]")),
       NodeJson(
           "copy", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"go_if_const","to_node_id":"done","conditions":[{"param":"n","fun":"more_or_eq","const":"60","cast":"number"}]},)j",
               R"j({"type":"api_copy","mode":"create","conv_id":1,"ref":"","group":"","data":{"n":"$.math({{n}}+1)"},"data_type":{"n":"number"},"err_node_id":"failed"},)j",
               GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]")}));
  Run(kCaller, R"({"n":0})");
  EngineStats stats = engine_->Stats();
  EXPECT_EQ(stats.tasks_created, 61);
  EXPECT_EQ(stats.tasks_finished, 61);
  EXPECT_EQ(engine_->StatsFor(kCaller)->nodes[4].finished, 0);  // none failed
  EXPECT_EQ(clock_.Now(), kStart + absl::Seconds(61));
}

TEST_F(CrossProcessTest, CopyIntoAProcessThatIsNotDeployedFails) {
  Deploy(Copier("create"));
  TaskSnapshot task = Run(kCaller, R"({"target":"t-1"})");
  EXPECT_EQ(task.node_id, "failed");
  EXPECT_EQ(Field(task.data, "__conveyor_copy_task_return_type_tag__"),
            "\"conveyor_is_not_active\"");
}

TEST_F(CrossProcessTest, ModifyModeReleasesATaskWaitingInACallback) {
  Deploy(ProcessJson(
      kCallee, {NodeJson("c_start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                NodeJson("wait", Kind::kNormal,
                         absl::StrCat(R"([{"type":"api_callback"},)", GoJson("released"), "]")),
                NodeJson("released", Kind::kFinal, "[]")}));
  Deploy(Copier("modify", R"j(,"is_sync":true)j"));
  absl::StatusOr<std::string> target = engine_->CreateTask(kCallee, "t-1", R"({"a":1})");
  ASSERT_TRUE(target.ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot modifier = Run(kCaller, R"({"target":"t-1","b":2})");
  EXPECT_EQ(modifier.node_id, "done");
  TaskSnapshot released = Show(*target);
  EXPECT_EQ(released.node_id, "released");
  EXPECT_EQ(Field(released.data, "a"), "1");
  EXPECT_EQ(Field(released.data, "b"), "2");
  EXPECT_EQ(Field(released.data, "origin"), "\"copy\"");

  // Synchronous modify of a task that no longer waits, and of no task.
  absl::StatusOr<std::string> busy = engine_->CreateTask(kCallee, "t-2", "{}");
  ASSERT_TRUE(busy.ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByRef(kCallee, "t-2"), "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot missing = Run(kCaller, R"({"target":"t-2"})");
  EXPECT_EQ(missing.node_id, "failed");
  EXPECT_EQ(Field(missing.data, "__conveyor_modify_task_return_type_tag__"), "\"not_found_task\"");
}

TEST_F(CrossProcessTest, SyncModifyOfATaskNotInACallbackFails) {
  // The target waits in a delay node, not in a callback.
  Deploy(ProcessJson(kCallee,
                     {NodeJson("c_start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                      NodeJson("wait", Kind::kNormal, "[]")}));
  Deploy(Copier("modify", R"j(,"is_sync":true)j"));
  ASSERT_TRUE(engine_->CreateTask(kCallee, "t-1", "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = Run(kCaller, R"({"target":"t-1"})");
  EXPECT_EQ(task.node_id, "failed");
  EXPECT_EQ(Field(task.data, "__conveyor_modify_task_return_type_tag__"),
            "\"no_api_callback_in_node_with_task\"");
  // Without is_sync only the task's existence is checked: the data merges.
  Deploy(Copier("modify", R"j(,"is_sync":false)j"));
  TaskSnapshot lenient = Run(kCaller, R"({"target":"t-1"})");
  EXPECT_EQ(lenient.node_id, "done");
  absl::StatusOr<TaskSnapshot> target = engine_->ShowTask(TaskKey::ByRef(kCallee, "t-1"));
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(Field(target->data, "origin"), "\"copy\"");
  EXPECT_EQ(target->node_id, "wait");
}

constexpr int64_t kQueueConv = 5;

TEST_F(CrossProcessTest, QueuePullsOldestFirstAndReportsAnEmptyQueue) {
  Deploy(ProcessJson(
      kQueueConv,
      {NodeJson("q_start", Kind::kStart, absl::StrCat("[", GoJson("queue"), "]")),
       NodeJson(
           "queue", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api_queue","data":{"queued_by":"q"},"data_type":{"queued_by":"string"}},)j",
               GoJson("pulled"), "]")),
       NodeJson("pulled", Kind::kFinal, "[]")}));
  Deploy(ProcessJson(
      kCaller,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("get"), "]")),
       NodeJson(
           "get", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api_get_task","conv_id":5,"node_id":"queue","order_by":"ASC","err_node_id":"empty"},)j",
               GoJson("got"), "]")),
       NodeJson("got", Kind::kFinal, "[]"), NodeJson("empty", Kind::kFinal, "[]")}));
  TaskSnapshot first = Run(kQueueConv, R"({"n":1})");
  TaskSnapshot second = Run(kQueueConv, R"({"n":2})");
  EXPECT_EQ(first.park_reason, ParkReason::kQueue);
  EXPECT_EQ(engine_->StatsFor(kQueueConv)->nodes[1].queue, 2);

  TaskSnapshot puller = Run(kCaller, "{}");
  EXPECT_EQ(puller.node_id, "got");
  EXPECT_EQ(Field(puller.data, "__queue_task_id__"), absl::StrCat("\"", first.obj_id, "\""));
  EXPECT_EQ(Field(puller.data, "__queue_task_data__"), R"({"n":1,"queued_by":"q"})");
  EXPECT_EQ(Show(first.obj_id).node_id, "pulled");
  EXPECT_EQ(Show(second.obj_id).node_id, "queue");

  EXPECT_EQ(Field(Run(kCaller, "{}").data, "__queue_task_id__"),
            absl::StrCat("\"", second.obj_id, "\""));
  TaskSnapshot empty = Run(kCaller, "{}");
  EXPECT_EQ(empty.node_id, "empty");
  EXPECT_EQ(Field(empty.data, "__conveyor_get_task_return_type_tag__"),
            "\"get_task_executing_error\"");
  EXPECT_EQ(Field(empty.data, "__conveyor_get_task_return_description__"), "\"not_found_task\"");
}

TEST_F(CrossProcessTest, QueuedTaskThatLeftByItsTimerIsNotPulled) {
  Deploy(ProcessJson(
      kQueueConv,
      {NodeJson("q_start", Kind::kStart, absl::StrCat("[", GoJson("queue"), "]")),
       SemaphoreNodeJson("queue", Kind::kNormal,
                         absl::StrCat(R"j([{"type":"api_queue"},)j", GoJson("pulled"), "]"),
                         absl::StrCat("[", TimeJson("30", "sec", "expired"), "]")),
       NodeJson("pulled", Kind::kFinal, "[]"), NodeJson("expired", Kind::kFinal, "[]")}));
  Deploy(ProcessJson(
      kCaller,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("get"), "]")),
       NodeJson(
           "get", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api_get_task","conv_id":5,"node_id":"queue","err_node_id":"empty"},)j",
               GoJson("got"), "]")),
       NodeJson("got", Kind::kFinal, "[]"), NodeJson("empty", Kind::kFinal, "[]")}));
  TaskSnapshot queued = Run(kQueueConv, "{}");
  EXPECT_EQ(queued.node_id, "expired");  // virtual time ran its timer
  EXPECT_EQ(Run(kCaller, "{}").node_id, "empty");
}

TEST_F(CrossProcessTest, GetTaskFromANodeThatIsNoQueue) {
  Deploy(ProcessJson(kQueueConv,
                     {NodeJson("q_start", Kind::kStart, absl::StrCat("[", GoJson("plain"), "]")),
                      NodeJson("plain", Kind::kNormal, "[]")}));
  Deploy(ProcessJson(
      kCaller,
      {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("get"), "]")),
       NodeJson(
           "get", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api_get_task","conv_id":5,"node_id":"plain","err_node_id":"empty"},)j",
               GoJson("got"), "]")),
       NodeJson("got", Kind::kFinal, "[]"), NodeJson("empty", Kind::kFinal, "[]")}));
  TaskSnapshot task = Run(kCaller, "{}");
  EXPECT_EQ(task.node_id, "empty");
  EXPECT_EQ(Field(task.data, "__conveyor_queue_return_type_tag__"), "\"queue_wrong_logic\"");
}

TEST_F(CrossProcessTest, StubModeRepliesWithoutCallingAnyone) {
  absl::StatusOr<DeployResult> deployed = engine_->DeployFile(
      "external/shared_corpus/valid/036_corezoid_corezoid-ai-plugin_stubbed_api_rpc.json");
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  TaskSnapshot thrown = Run(1, R"({"mode":"error","objId":"o1"})");
  EXPECT_EQ(thrown.node_id, "dddddddddddddddddddddddd");
  EXPECT_EQ(Field(thrown.data, "__logic_stub_mode__"), "true");
  EXPECT_EQ(Field(thrown.data, "status"), "\"error\"");
  EXPECT_EQ(Field(thrown.data, "__conveyor_rpc_reply_return_description__"), "\"stub error\"");
  TaskSnapshot replied = Run(1, R"({"mode":"ok","objId":"o1","stub_node_response":"fine"})");
  EXPECT_EQ(replied.node_id, "cccccccccccccccccccccccc");
  EXPECT_EQ(Field(replied.data, "__logic_stub_mode__"), "true");
  EXPECT_EQ(Field(replied.data, "stub_node_response"), "\"fine\"");
  EXPECT_EQ(engine_->Stats().tasks_created, 2);  // nothing was called
}

}  // namespace
}  // namespace convey
