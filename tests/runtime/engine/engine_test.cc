#include "convey/engine.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
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
using ::convey::testing::MustDeploy;
using ::convey::testing::NodeJson;
using ::convey::testing::NodeNamed;
using ::convey::testing::OpenEngine;
using ::convey::testing::ProcessJson;
using ::testing::HasSubstr;

constexpr int64_t kConv = 100;

// start -> check (amount > 100, number) -> big | small (finals).
std::string RoutingScheme() {
  return ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("check"), "]")),
              NodeJson("check", Kind::kNormal,
                       absl::StrCat("[", IfJson("amount", "more", "100", "number", "big"), ",",
                                    GoJson("small"), "]")),
              NodeJson("big", Kind::kFinal, "[]", "", "Big"),
              NodeJson("small", Kind::kFinal, "[]", "", "Small")});
}

TEST(EngineTest, RoutesTasksToFinalNodes) {
  auto engine = OpenEngine();
  MustDeploy(*engine, RoutingScheme());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        engine->CreateTask(kConv, absl::StrCat("r", i), absl::StrCat("{\"amount\":", i * 3, "}"))
            .ok());
  }
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(30)).ok());
  absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(NodeNamed(*stats, "big").finished, 66);    // 102..297
  EXPECT_EQ(NodeNamed(*stats, "small").finished, 34);  // 0..99
  EXPECT_EQ(NodeNamed(*stats, "check").tasks, 0);

  absl::StatusOr<TaskSnapshot> shown =
      engine->ShowTask(TaskKey::ByObjId(*engine->CreateTask(kConv, "", R"j({"amount":"500"})j")));
  ASSERT_TRUE(shown.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(30)).ok());
  shown = engine->ShowTask(TaskKey::ByObjId(shown->obj_id));
  ASSERT_TRUE(shown.ok());
  // A string "500" against cast number is not a number: not more.
  EXPECT_EQ(shown->node_id, "small");
  EXPECT_EQ(shown->status, TaskStatus::kProcessed);
  EXPECT_EQ(shown->node_prev_id, "check");
  EXPECT_EQ(shown->data, R"j({"amount":"500"})j");

  EngineStats all = engine->Stats();
  EXPECT_EQ(all.tasks_created, 101);
  EXPECT_EQ(all.tasks_finished, 101);
  EXPECT_EQ(all.node_transitions, 101 * 2);
}

TEST(EngineTest, ObjIdsAreUniqueHex) {
  auto engine = OpenEngine();
  MustDeploy(*engine, RoutingScheme());
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
    ASSERT_TRUE(id.ok());
    ASSERT_EQ(id->size(), 24u);
    EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos) << *id;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(EngineTest, RefIsUniqueAmongActiveTasksAndFreedByFinal) {
  auto engine = OpenEngine();
  // start -> wait (no exit: the task stays).
  MustDeploy(
      *engine,
      ProcessJson(kConv,
                  {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                   NodeJson("wait", Kind::kNormal, "[]"), NodeJson("end", Kind::kFinal, "[]")}));
  ASSERT_TRUE(engine->CreateTask(kConv, "r1", "{}").ok());
  absl::StatusOr<std::string> duplicate = engine->CreateTask(kConv, "r1", "{}");
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(duplicate.status().message(), HasSubstr("r1"));
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  absl::StatusOr<TaskSnapshot> shown = engine->ShowTask(TaskKey::ByRef(kConv, "r1"));
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->node_id, "wait");
  EXPECT_EQ(shown->park_reason, ParkReason::kNoExit);
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "wait").no_exit, 1);

  // Once the first task is deleted its ref is free again.
  ASSERT_TRUE(engine->DeleteTask(TaskKey::ByRef(kConv, "r1")).ok());
  EXPECT_TRUE(engine->CreateTask(kConv, "r1", "{}").ok());
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId(shown->obj_id))->status, TaskStatus::kDeleted);
}

TEST(EngineTest, RefsAreFreedWhenTasksFinish) {
  auto engine = OpenEngine();
  MustDeploy(*engine, RoutingScheme());
  ASSERT_TRUE(engine->CreateTask(kConv, "same", "{}").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_TRUE(engine->CreateTask(kConv, "same", "{}").ok());
}

TEST(EngineTest, RejectsBadTaskInput) {
  EngineOptions options;
  auto engine = OpenEngine(options);
  MustDeploy(*engine, RoutingScheme());
  EXPECT_EQ(engine->CreateTask(999, "", "{}").status().code(), absl::StatusCode::kNotFound);
  for (const char* bad : {"", "{", "[1]", "42", "\"text\"", "null", R"j({"a":1,})j"}) {
    absl::StatusOr<std::string> created = engine->CreateTask(kConv, "", bad);
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(engine->CreateTask(kConv, "", "[1]").status().message(),
              HasSubstr("must be a JSON object"));
  EXPECT_THAT(engine->CreateTask(kConv, "", "{").status().message(), HasSubstr("not valid JSON"));
  EXPECT_TRUE(engine->CreateTask(kConv, "", "[]").ok());  // empty array: {}
  std::string ten_mb = absl::StrCat("{\"blob\":\"", std::string(10 << 20, 'x'), "\"}");
  absl::StatusOr<std::string> big = engine->CreateTask(kConv, "", ten_mb);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(big.status().message(), HasSubstr("max_task_size"));
  EXPECT_EQ(engine->CreateTask(kConv, std::string(256, 'r'), "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->ModifyTask(TaskKey::ByRef(kConv, "nope"), "{}").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId("0123456789abcdef01234567")).status().code(),
            absl::StatusCode::kNotFound);
  // The engine still works.
  ASSERT_TRUE(engine->CreateTask(kConv, "ok", R"j({"amount":500})j").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "big").finished, 1);
}

TEST(EngineTest, SetParamWritesTypedValues) {
  auto engine = OpenEngine();
  std::string set = R"j([{"type":"set_param",
      "extra":{"total":"$.math({{price}}*{{qty}})","who":"{{first}}_{{last}}","cfg":"{\"a\":1}","nested.x[1]":"7"},
      "extra_type":{"total":"number","who":"string","cfg":"object","nested.x[1]":"number"},
      "err_node_id":"err"},{"type":"go","to_node_id":"end"}])j";
  MustDeploy(
      *engine,
      ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("set"), "]")),
                          NodeJson("set", Kind::kNormal, set), NodeJson("err", Kind::kFinal, "[]"),
                          NodeJson("end", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> id =
      engine->CreateTask(kConv, "", R"j({"price":2.5,"qty":4,"first":"Ann","last":"Lee"})j");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.node_id, "end");
  EXPECT_EQ(Field(task.data, "total"), "10");
  EXPECT_EQ(Field(task.data, "who"), "\"Ann_Lee\"");
  EXPECT_EQ(Field(task.data, "cfg"), R"j({"a":1})j");
  EXPECT_EQ(Field(task.data, "nested"), R"j({"x":[null,7]})j");

  // price missing: $.math gives nothing, "number" fails; nothing is written.
  id = engine->CreateTask(kConv, "", R"j({"qty":4,"first":"Ann","last":"Lee"})j");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.node_id, "err");
  EXPECT_EQ(Field(task.data, "__conveyor_set_param_return_type_error__"), "\"software\"");
  EXPECT_EQ(Field(task.data, "__conveyor_set_param_return_type_tag__"),
            "\"set_param_wrong_convert_param\"");
  EXPECT_THAT(Field(task.data, "__conveyor_set_param_return_description__"),
              HasSubstr("Param: total"));
  EXPECT_EQ(Field(task.data, "who"), "<missing>");
}

// Docs: engine.md, "set_param key that is not a valid path". The key is
// only a path at run time (it may be a template), so the logic fails there,
// leaving by its err_node_id, and writes none of its values.
TEST(EngineTest, SetParamKeyThatIsNotAPathFailsWithWrongKey) {
  auto engine = OpenEngine();
  const std::string set = R"j([{"type":"set_param","extra":{"ok":"1","{{key}}":"2"},
      "extra_type":{"ok":"number","{{key}}":"number"},"err_node_id":"err"},
      {"type":"go","to_node_id":"end"}])j";
  const std::string constant = R"j([{"type":"set_param","extra":{"a..b":"2"},
      "extra_type":{"a..b":"number"},"err_node_id":"err"},{"type":"go","to_node_id":"end"}])j";
  MustDeploy(*engine, ProcessJson(kConv, {NodeJson("start", Kind::kStart, set),
                                          NodeJson("err", Kind::kFinal, "[]"),
                                          NodeJson("end", Kind::kFinal, "[]")}));
  MustDeploy(*engine, ProcessJson(kConv + 1, {NodeJson("start", Kind::kStart, constant),
                                              NodeJson("err", Kind::kFinal, "[]"),
                                              NodeJson("end", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> bad = engine->CreateTask(kConv, "", R"j({"key":"a..b"})j");
  absl::StatusOr<std::string> good = engine->CreateTask(kConv, "", R"j({"key":"a.b"})j");
  absl::StatusOr<std::string> written = engine->CreateTask(kConv + 1, "", "{}");
  ASSERT_TRUE(bad.ok() && good.ok() && written.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  for (const std::string& id : {*bad, *written}) {
    TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(id));
    EXPECT_EQ(task.node_id, "err") << task.data;
    EXPECT_EQ(Field(task.data, "__conveyor_set_param_return_type_tag__"),
              "\"set_param_wrong_key\"");
    EXPECT_EQ(Field(task.data, "__conveyor_set_param_return_type_error__"), "\"software\"");
    EXPECT_THAT(Field(task.data, "__conveyor_set_param_return_description__"), HasSubstr("a..b"));
    EXPECT_EQ(Field(task.data, "ok"), "<missing>");
    EXPECT_EQ(Field(task.data, "a"), "<missing>");
  }
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*good));
  EXPECT_EQ(task.node_id, "end");
  EXPECT_EQ(Field(task.data, "a"), R"j({"b":2})j");
}

// Docs: engine.md, "A route along an empty link": a go whose to_node_id is
// empty in the file (it loads with a warning) stops the task where it is.
TEST(EngineTest, EmptyLinkStopsTheTaskAsUnroutable) {
  auto engine = OpenEngine();
  absl::StatusOr<DeployResult> deployed = engine->Deploy(
      "t.json",
      ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("next"), "]")),
                          NodeJson("next", Kind::kNormal, absl::StrCat("[", GoJson(""), "]")),
                          NodeJson("end", Kind::kFinal, "[]")}));
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  EXPECT_FALSE(deployed->warnings.empty());
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "r", R"j({"a":1})j");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.status, TaskStatus::kError);
  EXPECT_EQ(task.park_reason, ParkReason::kUnroutable);
  EXPECT_EQ(ParkReasonName(task.park_reason), "unroutable");
  EXPECT_EQ(task.node_id, "next");
  EXPECT_EQ(Field(task.data, "a"), "1");
  EXPECT_EQ(engine->Stats().tasks_errored, 1);
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "end").finished, 0);
}

// Docs: engine.md and templates.md, `node[ID].count` on a final node: the
// tasks that finished there, ever (not the ones in it now, which is none).
TEST(EngineTest, NodeCountOfAFinalNodeIsTheTasksThatFinishedThere) {
  auto engine = OpenEngine();
  const std::string read = R"j([{"type":"set_param",
      "extra":{"done":"{{node[end].count}}","dropped":"{{node[gone].count}}",
               "text":"{{node[end].count}} done"},
      "extra_type":{"done":"number","dropped":"number","text":"string"}},
      {"type":"go_if_const","to_node_id":"gone",
       "conditions":[{"param":"drop","const":"true","fun":"eq","cast":"boolean"}]},
      {"type":"go","to_node_id":"end"}])j";
  MustDeploy(*engine,
             ProcessJson(
                 kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("read"), "]")),
                         NodeJson("read", Kind::kNormal, read), NodeJson("end", Kind::kFinal, "[]"),
                         NodeJson("gone", Kind::kFinal, "[]", R"j({"save_task":false})j")}));
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {  // one at a time: each sees the ones before
    absl::StatusOr<std::string> id =
        engine->CreateTask(kConv, "", i % 2 == 0 ? "{}" : R"j({"drop":true})j");
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    ids.push_back(*id);
  }
  absl::StatusOr<std::string> last = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*last));
  EXPECT_EQ(task.node_id, "end");
  EXPECT_EQ(Field(task.data, "done"), "2");
  EXPECT_EQ(Field(task.data, "dropped"), "2");  // save_task false: counted all the same
  EXPECT_EQ(Field(task.data, "text"), "\"2 done\"");
  EXPECT_EQ(Field(engine->ShowTask(TaskKey::ByObjId(ids[0]))->data, "done"), "0");
  EXPECT_EQ(Field(engine->ShowTask(TaskKey::ByObjId(ids[2]))->data, "done"), "1");
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "end").finished, 3);
}

// A task passing through nodes is counted in each while it is there (a
// logic reading `node[ID].count` of its own node counts it) and, once it
// waits, only in the node it waits in.
TEST(EngineTest, NodeCountsHoldEachTaskWhereItIs) {
  auto engine = OpenEngine();
  const std::string read_a = R"j([{"type":"set_param",
      "extra":{"in_a":"{{node[a].count}}","in_start":"{{node[start].count}}"},
      "extra_type":{"in_a":"number","in_start":"number"}},{"type":"go","to_node_id":"b"}])j";
  const std::string read_b = R"j([{"type":"set_param",
      "extra":{"in_b":"{{node[b].count}}","in_a_then":"{{node[a].count}}"},
      "extra_type":{"in_b":"number","in_a_then":"number"}},{"type":"go","to_node_id":"wait"}])j";
  MustDeploy(*engine,
             ProcessJson(
                 kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("a"), "]")),
                         NodeJson("a", Kind::kNormal, read_a), NodeJson("b", Kind::kNormal, read_b),
                         NodeJson("wait", Kind::kNormal, "[]")}));
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
    EXPECT_EQ(task.node_id, "wait");
    EXPECT_EQ(Field(task.data, "in_a"), "1");
    EXPECT_EQ(Field(task.data, "in_start"), "0");
    EXPECT_EQ(Field(task.data, "in_b"), "1");
    EXPECT_EQ(Field(task.data, "in_a_then"), "0");
    absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(NodeNamed(*stats, "start").tasks, 0);
    EXPECT_EQ(NodeNamed(*stats, "a").tasks, 0);
    EXPECT_EQ(NodeNamed(*stats, "b").tasks, 0);
    EXPECT_EQ(NodeNamed(*stats, "wait").tasks, i + 1);
  }
}

class RecordingObserver : public Observer {
 public:
  void OnTaskFinished(const TaskEvent&) override { finished++; }
  void OnTaskError(const TaskEvent& event) override {
    errors++;
    absl::MutexLock lock(&mu);
    last_tag = std::string(event.error_tag);
  }
  void OnTaskLoopStopped(const TaskEvent&) override { loops++; }
  std::atomic<int> finished{0};
  std::atomic<int> errors{0};
  std::atomic<int> loops{0};
  absl::Mutex mu;
  std::string last_tag;
};

TEST(EngineTest, ErrorWithoutErrNodeStopsTheTask) {
  RecordingObserver observer;
  EngineOptions options;
  options.observer = &observer;
  auto engine = OpenEngine(options);
  std::string set = R"j([{"type":"set_param","extra":{"n":"{{x}}"},"extra_type":{"n":"number"}},
                        {"type":"go","to_node_id":"end"}])j";
  MustDeploy(
      *engine,
      ProcessJson(kConv,
                  {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("set"), "]")),
                   NodeJson("set", Kind::kNormal, set), NodeJson("end", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> bad = engine->CreateTask(kConv, "bad", R"j({"x":"abc"})j");
  absl::StatusOr<std::string> good = engine->CreateTask(kConv, "good", R"j({"x":"12"})j");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*bad));
  EXPECT_EQ(task.status, TaskStatus::kError);
  EXPECT_EQ(task.node_id, "set");
  EXPECT_EQ(Field(task.data, "__conveyor_set_param_return_type_tag__"),
            "\"set_param_wrong_convert_param\"");
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId(*good))->status, TaskStatus::kProcessed);
  EXPECT_EQ(observer.errors.load(), 1);
  EXPECT_EQ(observer.finished.load(), 1);
  EXPECT_EQ(observer.last_tag, "set_param_wrong_convert_param");
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "set").error, 1);
  EXPECT_EQ(engine->Stats().tasks_errored, 1);
}

TEST(EngineTest, LoopGuardStopsAndModifyResumes) {
  RecordingObserver observer;
  EngineOptions options;
  options.observer = &observer;
  options.loop_limit = 5;
  auto engine = OpenEngine(options);
  // spin -> spin until "done" is set.
  MustDeploy(
      *engine,
      ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("spin"), "]")),
                          NodeJson("spin", Kind::kNormal,
                                   absl::StrCat("[", IfJson("done", "eq", "yes", "string", "end"),
                                                ",", GoJson("spin"), "]")),
                          NodeJson("end", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "loop", "{}");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.status, TaskStatus::kLoopStopped);
  EXPECT_EQ(task.node_id, "spin");
  EXPECT_EQ(observer.loops.load(), 1);
  EXPECT_EQ(engine->Stats().node_transitions, 6);  // start->spin, then 5 more entries
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "spin").loop_stopped, 1);

  ASSERT_TRUE(engine->ModifyTask(TaskKey::ByRef(kConv, "loop"), R"j({"done":"yes"})j").ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.status, TaskStatus::kProcessed);
  EXPECT_EQ(task.node_id, "end");
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "spin").loop_stopped, 0);
}

TEST(EngineTest, TaskSizeLimitFailsTheWritingLogic) {
  EngineOptions options;
  options.max_task_size = 200;
  auto engine = OpenEngine(options);
  std::string set = R"j([{"type":"set_param","extra":{"copy":"{{blob}}{{blob}}"},
                         "extra_type":{"copy":"string"},"err_node_id":"err"},
                        {"type":"go","to_node_id":"end"}])j";
  MustDeploy(
      *engine,
      ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("set"), "]")),
                          NodeJson("set", Kind::kNormal, set), NodeJson("err", Kind::kFinal, "[]"),
                          NodeJson("end", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> id =
      engine->CreateTask(kConv, "", absl::StrCat("{\"blob\":\"", std::string(80, 'b'), "\"}"));
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.node_id, "err");
  EXPECT_EQ(Field(task.data, "__conveyor_set_param_return_type_tag__"),
            "\"set_param_task_size_overflow_limit\"");
  EXPECT_EQ(Field(task.data, "copy"), "<missing>");
  // A far index would pad the array with nulls: refused by the limit.
  std::string far = R"j([{"type":"set_param","extra":{"a[2000000000]":"1"},
                         "extra_type":{"a[2000000000]":"number"},"err_node_id":"err"},
                        {"type":"go","to_node_id":"end"}])j";
  MustDeploy(*engine, ProcessJson(kConv + 1, {NodeJson("start", Kind::kStart, far),
                                              NodeJson("err", Kind::kFinal, "[]"),
                                              NodeJson("end", Kind::kFinal, "[]")}));
  id = engine->CreateTask(kConv + 1, "", "{}");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.node_id, "err");
  EXPECT_EQ(Field(task.data, "__conveyor_set_param_return_type_tag__"),
            "\"set_param_task_size_overflow_limit\"");
  // Over the limit at create time.
  EXPECT_EQ(engine->CreateTask(kConv, "", absl::StrCat("{\"b\":\"", std::string(300, 'x'), "\"}"))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EngineTest, SumsAccumulateAndReset) {
  auto engine = OpenEngine();
  std::string sum = R"j([{"type":"api_sum","extra":[{"id":"n","name":"orders","value":"1"},
                                                   {"id":"total","name":"amount","value":"{{amount}}"}]},
                        {"type":"go","to_node_id":"read"}])j";
  std::string read = R"j([{"type":"set_param","extra":{"seen":"{{node[sum].n}}"},
                          "extra_type":{"seen":"number"}},{"type":"go","to_node_id":"end"}])j";
  MustDeploy(*engine,
             ProcessJson(
                 kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("sum"), "]")),
                         NodeJson("sum", Kind::kNormal, sum), NodeJson("read", Kind::kNormal, read),
                         NodeJson("end", Kind::kFinal, "[]")}));
  for (int i = 1; i <= 200; ++i) {
    ASSERT_TRUE(engine->CreateTask(kConv, "", absl::StrCat("{\"amount\":", i, "}")).ok());
  }
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  const NodeStats node = NodeNamed(*engine->StatsFor(kConv), "sum");
  ASSERT_EQ(node.sums.size(), 2u);
  EXPECT_EQ(node.sums[0].value, 200);
  EXPECT_EQ(node.sums[1].value, 200 * 201 / 2);
  ASSERT_TRUE(engine->ResetSum(kConv, "sum", "amount").ok());  // by name
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "sum").sums[1].value, 0);
  EXPECT_EQ(engine->ResetSum(kConv, "sum", "nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->ResetSum(kConv, "nope", "n").code(), absl::StatusCode::kNotFound);

  // A value that is not a number fails the logic (no err_node_id: stops).
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", R"j({"amount":"many"})j");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.status, TaskStatus::kError);
  EXPECT_EQ(Field(task.data, "__conveyor_api_sum_return_type_tag__"),
            "\"api_sum_wrong_convert_param\"");
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "sum").sums[0].value, 200);  // nothing added
}

TEST(EngineTest, UnsupportedLogicLeavesByErrNode) {
  auto engine = OpenEngine();
  std::string db = R"j([{"type":"db_call","err_node_id":"err"},{"type":"go","to_node_id":"end"}])j";
  absl::StatusOr<DeployResult> deployed = engine->Deploy(
      "t.json",
      ProcessJson(kConv,
                  {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("db"), "]")),
                   NodeJson("db", Kind::kNormal, db),
                   NodeJson("err", Kind::kEscalation, absl::StrCat("[", GoJson("fail"), "]")),
                   NodeJson("fail", Kind::kFinal, "[]"), NodeJson("end", Kind::kFinal, "[]")}));
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  bool warned = false;
  for (const Diagnostic& warning : deployed->warnings) {
    if (warning.message.find("db_call") != std::string::npos) warned = true;
  }
  EXPECT_TRUE(warned);
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "", "{}");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.node_id, "fail");
  EXPECT_EQ(Field(task.data, "__conveyor_db_call_return_type_tag__"), "\"logic_not_supported\"");
  EXPECT_EQ(Field(task.data, "__conveyor_db_call_return_type_error__"), "\"software\"");
}

TEST(EngineTest, FinalNodeDropsTaskWhenSaveTaskIsFalse) {
  auto engine = OpenEngine();
  MustDeploy(
      *engine,
      ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("end"), "]")),
                          NodeJson("end", Kind::kFinal, "[]", R"j({"save_task":false})j")}));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "x", "{}");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId(*id)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "end").finished, 1);
}

TEST(EngineTest, DeleteChecksTheNode) {
  auto engine = OpenEngine();
  MustDeploy(
      *engine,
      ProcessJson(kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                          NodeJson("wait", Kind::kNormal, "[]")}));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "d", "{}");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(engine->DeleteTask(TaskKey::ByObjId(*id), "start").code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(engine->DeleteTask(TaskKey::ByObjId(*id), "wait").ok());
  EXPECT_EQ(engine->DeleteTask(TaskKey::ByObjId(*id)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(NodeNamed(*engine->StatsFor(kConv), "wait").tasks, 0);
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId(*id))->status, TaskStatus::kDeleted);
}

TEST(EngineTest, DeployErrorsAreLocated) {
  auto engine = OpenEngine();
  absl::StatusOr<DeployResult> bad = engine->Deploy("bad.json", "{\"obj_type\":1,");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("bad.json"));
  std::string bad_template = R"j([{"type":"set_param","extra":{"a":"{{}}"},
                                  "extra_type":{"a":"string"}},{"type":"go","to_node_id":"end"}])j";
  bad =
      engine->Deploy("tpl.json", ProcessJson(kConv, {NodeJson("start", Kind::kStart, bad_template),
                                                     NodeJson("end", Kind::kFinal, "[]")}));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("node \"start\""));
  EXPECT_EQ(engine->CreateTask(kConv, "", "{}").status().code(), absl::StatusCode::kNotFound);
}

TEST(EngineTest, ClosedEngineRefusesCalls) {
  auto engine = OpenEngine();
  MustDeploy(*engine, RoutingScheme());
  EXPECT_TRUE(engine->Close().ok());
  EXPECT_TRUE(engine->Close().ok());
  EXPECT_EQ(engine->CreateTask(kConv, "", "{}").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Every option that makes no sense, or would hang the engine (no api slot:
// every call waits forever and WaitIdle never returns), is refused at Open
// with InvalidArgument naming the field (the rules: convey/engine.h).
TEST(EngineTest, OpenRefusesBadOptionsNamingTheField) {
  struct BadOption {
    std::string field;
    std::function<void(EngineOptions&)> set;
  };
  const std::vector<BadOption> cases = {
      {"worker_threads", [](EngineOptions& o) { o.worker_threads = -1; }},
      {"worker_threads", [](EngineOptions& o) { o.worker_threads = 1025; }},
      {"max_task_size", [](EngineOptions& o) { o.max_task_size = 0; }},
      {"max_task_size", [](EngineOptions& o) { o.max_task_size = 1; }},
      {"max_task_size", [](EngineOptions& o) { o.max_task_size = size_t{1} << 32; }},
      {"code_limits.time_limit",
       [](EngineOptions& o) { o.code_limits.time_limit = absl::ZeroDuration(); }},
      {"code_limits.time_limit",
       [](EngineOptions& o) { o.code_limits.time_limit = -absl::Seconds(1); }},
      {"code_limits.time_limit",
       [](EngineOptions& o) { o.code_limits.time_limit = absl::InfiniteDuration(); }},
      {"code_limits.time_limit",
       [](EngineOptions& o) { o.code_limits.time_limit = absl::Hours(25); }},
      {"code_limits.heap_limit_bytes",
       [](EngineOptions& o) { o.code_limits.heap_limit_bytes = 0; }},
      {"code_limits.heap_limit_bytes",
       [](EngineOptions& o) { o.code_limits.heap_limit_bytes = (size_t{1} << 20) - 1; }},
      {"code_limits.heap_limit_bytes",
       [](EngineOptions& o) { o.code_limits.heap_limit_bytes = size_t{1} << 32; }},
      {"loop_limit", [](EngineOptions& o) { o.loop_limit = 0; }},
      {"loop_limit", [](EngineOptions& o) { o.loop_limit = -5; }},
      {"max_queued_tasks", [](EngineOptions& o) { o.max_queued_tasks = 0; }},
      {"max_queued_tasks", [](EngineOptions& o) { o.max_queued_tasks = SIZE_MAX; }},
      {"import_limits.max_file_size", [](EngineOptions& o) { o.import_limits.max_file_size = 0; }},
      {"import_limits.max_file_size",
       [](EngineOptions& o) { o.import_limits.max_file_size = size_t{1} << 32; }},
      {"import_limits.max_depth", [](EngineOptions& o) { o.import_limits.max_depth = 0; }},
      {"import_limits.max_depth", [](EngineOptions& o) { o.import_limits.max_depth = -1; }},
      {"import_limits.max_depth", [](EngineOptions& o) { o.import_limits.max_depth = 1025; }},
      {"import_limits.max_diagnostics",
       [](EngineOptions& o) { o.import_limits.max_diagnostics = 0; }},
      {"max_rpc_depth", [](EngineOptions& o) { o.max_rpc_depth = 0; }},
      {"max_rpc_depth", [](EngineOptions& o) { o.max_rpc_depth = -1; }},
      {"max_tasks_per_tree", [](EngineOptions& o) { o.max_tasks_per_tree = 0; }},
      {"max_caused_tasks_per_process",
       [](EngineOptions& o) { o.max_caused_tasks_per_process = size_t{1} << 63; }},
      {"api_timeout", [](EngineOptions& o) { o.api_timeout = absl::ZeroDuration(); }},
      {"api_timeout", [](EngineOptions& o) { o.api_timeout = -absl::Seconds(1); }},
      {"api_timeout", [](EngineOptions& o) { o.api_timeout = -absl::InfiniteDuration(); }},
      {"api_max_response_bytes", [](EngineOptions& o) { o.api_max_response_bytes = 0; }},
      {"api_default_max_threads", [](EngineOptions& o) { o.api_default_max_threads = 0; }},
      {"api_default_max_threads", [](EngineOptions& o) { o.api_default_max_threads = -2; }},
      {"api_max_in_flight", [](EngineOptions& o) { o.api_max_in_flight = 0; }},
      {"api_max_in_flight", [](EngineOptions& o) { o.api_max_in_flight = -200; }},
      {"variables",
       [](EngineOptions& o) {
         o.variables = {{"", "1"}};
       }},
      {"variables",
       [](EngineOptions& o) {
         o.variables = {{"A", "1"}, {"@A", "2"}};
       }},
  };
  for (const BadOption& bad : cases) {
    EngineOptions options;
    bad.set(options);
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    ASSERT_FALSE(engine.ok()) << bad.field;
    EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument) << engine.status();
    // "EngineOptions::FIELD is VALUE: why" (variables: "EngineOptions::variables: why").
    const std::string message(engine.status().message());
    EXPECT_THAT(message,
                ::testing::StartsWith(absl::StrCat("EngineOptions::", bad.field,
                                                   bad.field == "variables" ? ": " : " is ")));
    if (bad.field != "variables") {
      EXPECT_THAT(message, HasSubstr(": must be"));
    }
  }
}

// The defaults open, and so does every option at the edge of its rule.
TEST(EngineTest, DefaultOptionsAndOptionsAtTheEdgeOfTheirRulesOpen) {
  absl::StatusOr<std::unique_ptr<Engine>> defaults = Engine::Open(EngineOptions{});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_TRUE((*defaults)->Close().ok());

  EngineOptions low;
  low.worker_threads = 1;
  low.max_task_size = 2;
  low.code_limits.time_limit = absl::Nanoseconds(1);
  low.code_limits.heap_limit_bytes = size_t{1} << 20;
  low.loop_limit = 1;
  low.max_queued_tasks = 1;
  low.import_limits.max_file_size = 1;
  low.import_limits.max_depth = 1;
  low.import_limits.max_diagnostics = 1;
  low.max_rpc_depth = 1;
  low.max_tasks_per_tree = 1;
  low.max_caused_tasks_per_process = 1;
  low.api_timeout = absl::Nanoseconds(1);
  low.api_max_response_bytes = 1;
  low.api_default_max_threads = 1;
  low.api_max_in_flight = 1;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(low);
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_TRUE((*engine)->Close().ok());

  EngineOptions high;
  high.worker_threads = 2;  // 1024 is allowed too; not started here
  high.max_task_size = 0xFFFFFFFFu;
  high.code_limits.time_limit = absl::Hours(24);
  high.code_limits.heap_limit_bytes = 0xFFFFFFFFu;
  high.max_queued_tasks = static_cast<size_t>(INT64_MAX);
  high.max_tasks_per_tree = static_cast<size_t>(INT64_MAX);
  high.max_caused_tasks_per_process = static_cast<size_t>(INT64_MAX);
  high.import_limits.max_file_size = 0xFFFFFFFFu;
  high.import_limits.max_depth = 1024;
  high.api_timeout = absl::InfiniteDuration();
  engine = Engine::Open(high);
  ASSERT_TRUE(engine.ok()) << engine.status();
  // Still an engine that runs tasks.
  MustDeploy(**engine, RoutingScheme());
  ASSERT_TRUE((*engine)->CreateTask(kConv, "", R"j({"amount":500})j").ok());
  ASSERT_TRUE((*engine)->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(NodeNamed(*(*engine)->StatsFor(kConv), "big").finished, 1);
}

TEST(EngineTest, TemplatesReadTaskMetadataAndTheClock) {
  ManualClock clock(absl::FromUnixSeconds(1700000000));
  EngineOptions options;
  options.clock = &clock;
  auto engine = OpenEngine(options);
  std::string set = R"j([{"type":"set_param",
      "extra":{"ref":"{{root.ref}}","now":"$.unixtime()","node":"{{root.node_id}}"},
      "extra_type":{"ref":"string","now":"number","node":"string"}},
      {"type":"go","to_node_id":"end"}])j";
  MustDeploy(*engine, ProcessJson(kConv, {NodeJson("start", Kind::kStart, set),
                                          NodeJson("end", Kind::kFinal, "[]")}));
  absl::StatusOr<std::string> id = engine->CreateTask(kConv, "meta", "{}");
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(Field(task.data, "ref"), "\"meta\"");
  EXPECT_EQ(Field(task.data, "now"), "1700000000");
  EXPECT_EQ(Field(task.data, "node"), "\"start\"");
  EXPECT_EQ(task.create_time, absl::FromUnixSeconds(1700000000));
}

}  // namespace
}  // namespace convey
