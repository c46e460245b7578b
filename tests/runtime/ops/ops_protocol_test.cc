// HandleOps against a fake engine: an in-memory task table that
// records every call and can be told to fail the next one.
#include "runtime/ops/ops_protocol.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

namespace dom = simdjson::dom;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kConvId = 100;

struct Call {
  std::string method;  // "create", "modify", "show", "delete"
  int64_t conv_id = 0;
  std::string ref;
  std::string obj_id;
  std::string data;
  std::string node_id;
};

class FakeEngine : public Engine {
 public:
  FakeEngine() { processes_.insert(kConvId); }

  std::vector<Call> calls;
  // When set, the next call of that kind returns it (and is still recorded).
  std::optional<absl::Status> fail_create, fail_modify, fail_show, fail_delete;

  // Adds a task directly, as if created and moved to `node_id`.
  std::string AddTask(int64_t conv_id, std::string ref, std::string data,
                      std::string node_id = "n00000000000000000000002") {
    TaskSnapshot task;
    task.obj_id = absl::StrFormat("%024x", ++next_obj_id_);
    task.ref = std::move(ref);
    task.conv_id = conv_id;
    task.node_id = std::move(node_id);
    task.create_time = absl::FromUnixSeconds(1700000000);
    task.change_time = absl::FromUnixSeconds(1700000005);
    task.data = std::move(data);
    tasks_[task.obj_id] = task;
    return task.obj_id;
  }
  TaskSnapshot& task(const std::string& obj_id) { return tasks_.at(obj_id); }
  size_t task_count() const { return tasks_.size(); }

  absl::StatusOr<DeployResult> Deploy(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("not used by the ops protocol");
  }
  absl::StatusOr<DeployResult> DeployFile(const std::string&) override {
    return absl::UnimplementedError("not used by the ops protocol");
  }

  // As the engine's: each task as CreateTask would, in order.
  std::vector<absl::StatusOr<std::string>> CreateTasks(int64_t conv_id,
                                                       const std::vector<NewTask>& tasks) override {
    ++batches;
    std::vector<absl::StatusOr<std::string>> results;
    for (const NewTask& task : tasks)
      results.push_back(CreateTask(conv_id, task.ref, task.data_json));
    return results;
  }
  int batches = 0;

  absl::StatusOr<std::string> CreateTask(int64_t conv_id, const NewTask& task) override {
    last_idempotency_key = task.idempotency_key;
    last_start_at = task.start_at;
    return CreateTask(conv_id, task.ref, task.data_json);
  }
  std::string last_idempotency_key;
  absl::Time last_start_at;

  absl::StatusOr<std::string> CreateTask(int64_t conv_id, absl::string_view ref,
                                         absl::string_view data_json) override {
    calls.push_back({"create", conv_id, std::string(ref), "", std::string(data_json), ""});
    if (auto status = Take(fail_create)) return *status;
    if (processes_.count(conv_id) == 0) {
      return absl::NotFoundError(absl::StrCat("process ", conv_id, " is not deployed"));
    }
    if (!ref.empty() && Find(TaskKey::ByRef(conv_id, std::string(ref)))) {
      return absl::AlreadyExistsError(
          absl::StrCat("ref \"", ref, "\" is taken in process ", conv_id));
    }
    return AddTask(conv_id, std::string(ref), std::string(data_json), "n00000000000000000000001");
  }

  absl::Status ModifyTask(const TaskKey& key, absl::string_view data_json) override {
    calls.push_back({"modify", key.conv_id, key.ref, key.obj_id, std::string(data_json), ""});
    if (auto status = Take(fail_modify)) return *status;
    TaskSnapshot* task = Find(key);
    if (task == nullptr) return absl::NotFoundError("no such task");
    task->data = std::string(data_json);
    return absl::OkStatus();
  }

  absl::Status PatchTask(const TaskKey& key, absl::string_view patch_json) override {
    calls.push_back({"patch", key.conv_id, key.ref, key.obj_id, std::string(patch_json), ""});
    if (auto status = Take(fail_modify)) return *status;
    if (Find(key) == nullptr) return absl::NotFoundError("no such task");
    return absl::OkStatus();
  }
  absl::StatusOr<TaskHistory> GetTaskHistory(const TaskKey& key) override {
    calls.push_back({"history", key.conv_id, key.ref, key.obj_id, "", ""});
    TaskSnapshot* task = Find(key);
    if (task == nullptr) return absl::NotFoundError("no such task");
    TaskHistory history;
    history.obj_id = task->obj_id;
    history.dropped = 2;
    history.entries.push_back({absl::FromUnixMicros(1700000000123456), "created", "n1", ""});
    history.entries.push_back({absl::FromUnixSeconds(1700000001), "host", "", "said \"hi\""});
    return history;
  }
  absl::Status AppendTaskHistory(const TaskKey& key, absl::string_view text) override {
    calls.push_back({"append_history", key.conv_id, key.ref, key.obj_id, std::string(text), ""});
    if (Find(key) == nullptr) return absl::NotFoundError("no such task");
    return absl::OkStatus();
  }

  absl::StatusOr<TaskSnapshot> ShowTask(const TaskKey& key) override {
    calls.push_back({"show", key.conv_id, key.ref, key.obj_id, "", ""});
    if (auto status = Take(fail_show)) return *status;
    TaskSnapshot* task = Find(key);
    if (task == nullptr) return absl::NotFoundError("no such task");
    return *task;
  }

  absl::Status DeleteTask(const TaskKey& key, absl::string_view node_id) override {
    calls.push_back({"delete", key.conv_id, key.ref, key.obj_id, "", std::string(node_id)});
    if (auto status = Take(fail_delete)) return *status;
    TaskSnapshot* task = Find(key);
    if (task == nullptr) return absl::NotFoundError("no such task");
    if (!node_id.empty() && node_id != task->node_id) {
      return absl::FailedPreconditionError(
          absl::StrCat("task is in node ", task->node_id, ", not ", node_id));
    }
    tasks_.erase(task->obj_id);
    return absl::OkStatus();
  }

  std::vector<Diagnostic> UnresolvedReferences() const override { return {}; }
  void HoldTime(bool) override {}
  absl::Status WaitIdle(absl::Duration) override { return absl::OkStatus(); }
  EngineStats Stats() const override { return {}; }
  absl::StatusOr<ProcessStats> StatsFor(int64_t) const override {
    return absl::UnimplementedError("not used by the ops protocol");
  }
  absl::Status ResetSum(int64_t, absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("not used by the ops protocol");
  }
  void ForEachTask(const std::function<void(const TaskSnapshot&)>&) override {}
  absl::StatusOr<TaskPage> SearchTasks(const TaskQuery& query) override {
    last_query = query;
    TaskPage page;
    for (const auto& [obj_id, task] : tasks_) {
      if (task.conv_id == query.conv_id) page.tasks.push_back(task);
    }
    page.next_cursor = "next-page";
    page.scanned = 42;
    return page;
  }
  TaskQuery last_query;
  absl::Status PauseProcess(int64_t conv_id) override {
    calls.push_back({"pause", conv_id, "", "", "", ""});
    return processes_.count(conv_id) ? absl::OkStatus() : absl::NotFoundError("no such process");
  }
  absl::Status ResumeProcess(int64_t conv_id) override {
    calls.push_back({"resume", conv_id, "", "", "", ""});
    return processes_.count(conv_id) ? absl::OkStatus() : absl::NotFoundError("no such process");
  }
  absl::Status MoveTask(const TaskKey& key, int64_t conv_id, absl::string_view node_id) override {
    calls.push_back({"move", conv_id, key.ref, key.obj_id, "", std::string(node_id)});
    if (Find(key) == nullptr) return absl::NotFoundError("no such task");
    return absl::OkStatus();
  }
  absl::Status Close(absl::Duration) override { return absl::OkStatus(); }
  absl::StatusOr<TaskHandle> Submit(int64_t, absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("not used by the ops protocol");
  }

 private:
  static std::optional<absl::Status> Take(std::optional<absl::Status>& slot) {
    std::optional<absl::Status> status = std::move(slot);
    slot.reset();
    return status;
  }
  TaskSnapshot* Find(const TaskKey& key) {
    if (!key.obj_id.empty()) {
      auto it = tasks_.find(key.obj_id);
      return it == tasks_.end() ? nullptr : &it->second;
    }
    for (auto& [obj_id, task] : tasks_) {
      if (task.conv_id == key.conv_id && task.ref == key.ref) return &task;
    }
    return nullptr;
  }

  std::set<int64_t> processes_;
  std::map<std::string, TaskSnapshot> tasks_;
  int next_obj_id_ = 0;
};

class OpsProtocolTest : public ::testing::Test {
 protected:
  // Runs `body`; returns the reply parsed (valid until the next call).
  dom::element Run(absl::string_view body) {
    reply_ = HandleOps(engine_, body);
    dom::element root;
    simdjson::error_code error = parser_.parse(reply_).get(root);
    EXPECT_EQ(error, simdjson::SUCCESS) << "reply is not JSON: " << reply_;
    return root;
  }
  // Runs a body of one op; returns that op's result.
  dom::element RunOne(absl::string_view op) {
    dom::element root = Run(absl::StrCat("{\"ops\":[", op, "]}"));
    EXPECT_EQ(Str(root["request_proc"]), "ok") << reply_;
    dom::array ops;
    EXPECT_EQ(root["ops"].get(ops), simdjson::SUCCESS) << reply_;
    if (ops.size() != 1) {
      ADD_FAILURE() << "expected one result: " << reply_;
      return root;
    }
    return ops.at(0).value_unsafe();
  }
  // Expects a format_error whose description contains `why`, and no engine call.
  void ExpectFormatError(absl::string_view body, absl::string_view why) {
    dom::element root = Run(body);
    EXPECT_EQ(Str(root["request_proc"]), "format_error") << reply_;
    EXPECT_THAT(Str(root["description"]), HasSubstr(std::string(why))) << reply_;
    dom::array ops;
    ASSERT_EQ(root["ops"].get(ops), simdjson::SUCCESS) << reply_;
    EXPECT_EQ(ops.size(), 0u);
    EXPECT_TRUE(engine_.calls.empty());
  }
  // Expects an op result with `proc` whose description contains `why`.
  void ExpectOpFailure(absl::string_view op, absl::string_view proc, absl::string_view why) {
    dom::element result = RunOne(op);
    EXPECT_EQ(Str(result["proc"]), proc) << op << " -> " << reply_;
    EXPECT_THAT(Str(result["description"]), HasSubstr(std::string(why))) << op << " -> " << reply_;
    EXPECT_TRUE(result["obj_id"].error() == simdjson::NO_SUCH_FIELD) << reply_;
  }

  static std::string Str(simdjson::simdjson_result<dom::element> field) {
    std::string_view text;
    if (field.get(text) != simdjson::SUCCESS) return "<not a string>";
    return std::string(text);
  }
  static int64_t Int(simdjson::simdjson_result<dom::element> field) {
    int64_t value = 0;
    EXPECT_EQ(field.get(value), simdjson::SUCCESS);
    return value;
  }
  static bool IsNull(simdjson::simdjson_result<dom::element> field) {
    dom::element value;
    return field.get(value) == simdjson::SUCCESS && value.is_null();
  }

  FakeEngine engine_;
  std::string reply_;
  dom::parser parser_;
};

// --- round trips ----------------------------------------------------------

TEST_F(OpsProtocolTest, CreateReplyHasTheDocumentedShape) {
  Run(R"({"ops":[{"type":"create","obj":"task","conv_id":100,"ref":"r1",)"
      R"("data":{"a":1,"b":[true,null]},"id":"op1"}]})");
  EXPECT_EQ(reply_, R"({"request_proc":"ok","ops":[{"id":"op1","proc":"ok","obj":"task",)"
                    R"("ref":"r1","obj_id":"000000000000000000000001"}]})");
  ASSERT_EQ(engine_.calls.size(), 1u);
  EXPECT_EQ(engine_.calls[0].method, "create");
  EXPECT_EQ(engine_.calls[0].conv_id, kConvId);
  EXPECT_EQ(engine_.calls[0].ref, "r1");
  EXPECT_EQ(engine_.calls[0].data, R"({"a":1,"b":[true,null]})");
}

TEST_F(OpsProtocolTest, CreateWithoutRefOrDataGivesNullRefAndEmptyData) {
  dom::element result = RunOne(R"({"type":"create","obj":"task","conv_id":100})");
  EXPECT_EQ(Str(result["proc"]), "ok");
  EXPECT_TRUE(IsNull(result["ref"])) << reply_;
  EXPECT_EQ(Str(result["obj_id"]), "000000000000000000000001");
  ASSERT_EQ(engine_.calls.size(), 1u);
  EXPECT_EQ(engine_.calls[0].ref, "");
  EXPECT_EQ(engine_.calls[0].data, "{}");
}

TEST_F(OpsProtocolTest, CreateTakesEmptyArrayAndNullAsEmptyData) {
  Run(R"({"ops":[{"type":"create","obj":"task","conv_id":100,"data":[]},)"
      R"({"type":"create","obj":"task","conv_id":100,"data":null,"ref":null}]})");
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[0].data, "{}");
  EXPECT_EQ(engine_.calls[1].data, "{}");
  EXPECT_EQ(engine_.calls[1].ref, "");
}

TEST_F(OpsProtocolTest, ConvIdMayBeANumericString) {
  dom::element result = RunOne(R"({"type":"create","obj":"task","conv_id":"100"})");
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
  ASSERT_EQ(engine_.calls.size(), 1u);
  EXPECT_EQ(engine_.calls[0].conv_id, kConvId);
}

TEST_F(OpsProtocolTest, NumericRefBecomesItsText) {
  Run(R"({"ops":[{"type":"create","obj":"task","conv_id":100,"ref":42},)"
      R"({"type":"create","obj":"task","conv_id":100,"ref":1.5}]})");
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[0].ref, "42");
  EXPECT_EQ(engine_.calls[1].ref, "1.5");
  EXPECT_THAT(reply_, HasSubstr(R"("ref":"42")"));
}

// Docs: ops.md, "Limits": numbers in `data` reach the engine re-serialised
// (`1.50` is 1.5, `1e2` is 100.0), at every depth and in modify too; an `id`
// is echoed the same way; integers keep their digits up to 64 bits, and one
// beyond makes the body invalid JSON.
TEST_F(OpsProtocolTest, NumbersAreRewrittenAsTheyAreRead) {
  Run(R"({"ops":[{"type":"create","obj":"task","conv_id":100,"id":1.50,)"
      R"("data":{"a":1.50,"b":1e2,"c":-0.0,"d":[2.50E1,{"e":0.10}],"f":7.5e-1,)"
      R"("i":-9223372036854775808,"u":18446744073709551615,"s":"1.50"}}]})");
  ASSERT_EQ(engine_.calls.size(), 1u) << reply_;
  EXPECT_EQ(engine_.calls[0].data,
            R"({"a":1.5,"b":100.0,"c":-0.0,"d":[25.0,{"e":0.1}],"f":0.75,)"
            R"("i":-9223372036854775808,"u":18446744073709551615,"s":"1.50"})");
  EXPECT_THAT(reply_, HasSubstr(R"({"id":1.5,"proc":"ok")"));

  const std::string obj_id = engine_.AddTask(kConvId, "r", "{}");
  Run(absl::StrCat(R"({"ops":[{"type":"modify","obj":"task","obj_id":")", obj_id,
                   R"(","data":{"x":1E+2,"y":12}}]})"));
  ASSERT_EQ(engine_.calls.size(), 3u) << reply_;  // show (look-up), modify
  EXPECT_EQ(engine_.calls[2].method, "modify");
  EXPECT_EQ(engine_.calls[2].data, R"({"x":100.0,"y":12})");

  engine_.calls.clear();
  ExpectFormatError(R"({"ops":[{"type":"create","obj":"task","conv_id":100,)"
                    R"("data":{"n":123456789012345678901234}}]})",
                    "the body is not valid JSON");
}

TEST_F(OpsProtocolTest, ModifyByObjIdResolvesTheRef) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", R"({"a":1})");
  RunOne(absl::StrCat(R"({"type":"modify","obj":"task","conv_id":100,"obj_id":")", obj_id,
                      R"(","data":{"b":2},"id":7})"));
  EXPECT_EQ(reply_, absl::StrCat(R"({"request_proc":"ok","ops":[{"id":7,"proc":"ok",)",
                                 R"("obj":"task","ref":"r1","obj_id":")", obj_id, R"("}]})"));
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[0].method, "show");
  EXPECT_EQ(engine_.calls[1].method, "modify");
  EXPECT_EQ(engine_.calls[1].obj_id, obj_id);
  EXPECT_EQ(engine_.calls[1].data, R"({"b":2})");
}

TEST_F(OpsProtocolTest, PatchSendsTheOperationsAsTheyCame) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", R"({"a":1})");
  RunOne(R"({"type":"patch","obj":"task","conv_id":100,"ref":"r1",)"
         R"("patch":[{"op":"remove","path":"/a"},{"op":"add","path":"/b","value":[1]}]})");
  EXPECT_EQ(reply_, absl::StrCat(R"({"request_proc":"ok","ops":[{"proc":"ok",)",
                                 R"("obj":"task","ref":"r1","obj_id":")", obj_id, R"("}]})"));
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[1].method, "patch");
  EXPECT_EQ(engine_.calls[1].obj_id, obj_id);
  EXPECT_EQ(engine_.calls[1].data,
            R"([{"op":"remove","path":"/a"},{"op":"add","path":"/b","value":[1]}])");
}

TEST_F(OpsProtocolTest, CreateCarriesTheIdempotencyKey) {
  dom::element result =
      RunOne(R"({"type":"create","obj":"task","conv_id":100,"idempotency_key":"k-7"})");
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
  EXPECT_EQ(engine_.last_idempotency_key, "k-7");
  ExpectOpFailure(R"({"type":"create","obj":"task","conv_id":100,"idempotency_key":7})", "error",
                  "idempotency_key must be a non-empty string");
  ExpectOpFailure(R"({"type":"create","obj":"task","conv_id":100,"idempotency_key":""})", "error",
                  "idempotency_key must be a non-empty string");
}

TEST_F(OpsProtocolTest, ListReadsEveryFilter) {
  engine_.AddTask(kConvId, "r1", R"({"a":1})");
  dom::element result =
      RunOne(R"({"type":"list","obj":"task","conv_id":"100","node_id":"n1","status":"processing",)"
             R"("park_reason":"callback","ref_prefix":"r","created_from":10,"created_to":20,)"
             R"("data_path":"a.b","data_value":{"x":[1, 2]},"order":"desc","limit":5,"cursor":"c",)"
             R"("max_scanned":77})");
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
  const TaskQuery& query = engine_.last_query;
  EXPECT_EQ(query.conv_id, kConvId);
  EXPECT_EQ(query.node_id, "n1");
  EXPECT_EQ(query.status, TaskStatus::kProcessing);
  EXPECT_EQ(query.park_reason, ParkReason::kCallback);
  EXPECT_EQ(query.ref_prefix, "r");
  EXPECT_EQ(query.created_from, absl::FromUnixSeconds(10));
  EXPECT_EQ(query.created_to, absl::FromUnixSeconds(20));
  EXPECT_EQ(query.data_path, "a.b");
  EXPECT_EQ(query.data_value_json, R"({"x":[1,2]})");
  EXPECT_TRUE(query.descending);
  EXPECT_EQ(query.limit, 5u);
  EXPECT_EQ(query.cursor, "c");
  EXPECT_EQ(query.max_scanned, 77u);
  EXPECT_EQ(Str(result["next_cursor"]), "next-page");
  EXPECT_EQ(Int(result["scanned"]), 42);
  EXPECT_EQ(Str(result["tasks"].at(0)["ref"]), "r1");
  EXPECT_EQ(Int(result["tasks"].at(0)["data"]["a"]), 1);
  ExpectOpFailure(R"({"type":"list","obj":"task"})", "error", "list needs conv_id");
  ExpectOpFailure(R"({"type":"list","obj":"task","conv_id":100,"status":"done"})", "error",
                  "unknown status \"done\"");
  ExpectOpFailure(R"({"type":"list","obj":"task","conv_id":100,"park_reason":"nap"})", "error",
                  "unknown park_reason \"nap\"");
  ExpectOpFailure(R"({"type":"list","obj":"task","conv_id":100,"park_reason":"unknown"})", "error",
                  "unknown park_reason \"unknown\"");
  // The last reasons too (the filter once stopped at "final").
  for (const ParkReason reason :
       {ParkReason::kFinal, ParkReason::kPaused, ParkReason::kScheduled}) {
    const std::string name(ParkReasonName(reason));
    RunOne(absl::StrCat(R"({"type":"list","obj":"task","conv_id":100,"park_reason":")", name,
                        R"("})"));
    EXPECT_EQ(engine_.last_query.park_reason, reason) << name << ": " << reply_;
  }
  ExpectOpFailure(R"({"type":"list","obj":"task","conv_id":100,"order":"up"})", "error",
                  "order must be \"asc\" or \"desc\"");
  ExpectOpFailure(R"({"type":"list","obj":"task","conv_id":100,"limit":-1})", "error",
                  "limit must be a non-negative integer, got -1");
  ExpectOpFailure(R"({"type":"list","obj":"task","conv_id":100,"cursor":5})", "error",
                  "cursor must be a string, got a number");
}

TEST_F(OpsProtocolTest, MovePauseResumeAndScheduledCreates) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", "{}");
  RunOne(R"({"type":"move","obj":"task","conv_id":100,"ref":"r1","to_conv_id":100,)"
         R"("to_node_id":"n2"})");
  EXPECT_EQ(reply_, absl::StrCat(R"({"request_proc":"ok","ops":[{"proc":"ok","obj":"task",)",
                                 R"("ref":"r1","obj_id":")", obj_id, R"("}]})"));
  ASSERT_EQ(engine_.calls.back().method, "move");
  EXPECT_EQ(engine_.calls.back().node_id, "n2");
  RunOne(R"({"type":"pause","obj":"conv","conv_id":100})");
  EXPECT_EQ(reply_, R"({"request_proc":"ok","ops":[{"proc":"ok","obj":"conv","conv_id":100}]})");
  dom::element resumed = RunOne(R"({"type":"resume","obj":"conv","conv_id":555})");
  EXPECT_EQ(Str(resumed["proc"]), "error");
  EXPECT_THAT(Str(resumed["description"]), HasSubstr("process not found"));
  RunOne(R"({"type":"create","obj":"task","conv_id":100,"start_at":1700000600})");
  EXPECT_EQ(engine_.last_start_at, absl::FromUnixSeconds(1700000600));
}

TEST_F(OpsProtocolTest, PatchNeedsAnArray) {
  engine_.AddTask(kConvId, "r1", R"({"a":1})");
  ExpectOpFailure(R"({"type":"patch","obj":"task","conv_id":100,"ref":"r1"})", "error",
                  "patch needs \"patch\"");
  ExpectOpFailure(R"({"type":"patch","obj":"task","conv_id":100,"ref":"r1","patch":{"op":"add"}})",
                  "error", "patch must be an array of JSON Patch operations, got an object");
  engine_.fail_modify = absl::InvalidArgumentError("JSON Patch operation 0 (test \"/a\") failed");
  ExpectOpFailure(R"({"type":"patch","obj":"task","conv_id":100,"ref":"r1","patch":[]})", "error",
                  "invalid operation: JSON Patch operation 0 (test \"/a\") failed");
}

TEST_F(OpsProtocolTest, HistoryListsEntriesWithRfc3339Times) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", R"({"a":1})");
  RunOne(R"({"type":"history","obj":"task","conv_id":100,"ref":"r1"})");
  EXPECT_EQ(
      reply_,
      absl::StrCat(
          R"({"request_proc":"ok","ops":[{"proc":"ok","obj":"task","obj_id":")", obj_id,
          R"(","ref":"r1","dropped":2,"history":[)",
          R"({"time":"2023-11-14T22:13:20.123456Z","kind":"created","node_id":"n1"},)",
          R"({"time":"2023-11-14T22:13:21.000000Z","kind":"host","text":"said \"hi\""}]}]})"));
}

TEST_F(OpsProtocolTest, AppendHistoryNeedsText) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", R"({"a":1})");
  ExpectOpFailure(R"({"type":"append_history","obj":"task","conv_id":100,"ref":"r1"})", "error",
                  "append_history needs \"text\": a string");
  ExpectOpFailure(R"({"type":"append_history","obj":"task","conv_id":100,"ref":"r1","text":5})",
                  "error", "append_history needs \"text\": a string");
  engine_.calls.clear();
  RunOne(R"({"type":"append_history","obj":"task","conv_id":100,"ref":"r1","text":"called"})");
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[1].method, "append_history");
  EXPECT_EQ(engine_.calls[1].obj_id, obj_id);
  EXPECT_EQ(engine_.calls[1].data, "called");
}

TEST_F(OpsProtocolTest, ModifyByRefResolvesTheObjId) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", R"({"a":1})");
  dom::element result =
      RunOne(R"({"type":"modify","obj":"task","conv_id":"100","ref":"r1","data":{"b":2}})");
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(result["obj_id"]), obj_id);
  EXPECT_EQ(Str(result["ref"]), "r1");
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[0].conv_id, kConvId);
  EXPECT_EQ(engine_.calls[0].ref, "r1");
  EXPECT_EQ(engine_.calls[1].obj_id, obj_id);
  EXPECT_EQ(engine_.task(obj_id).data, R"({"b":2})");
}

TEST_F(OpsProtocolTest, ModifyWithoutDataSendsAnEmptyObject) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", R"({"a":1})");
  dom::element result = RunOne(R"({"type":"modify","obj":"task","conv_id":100,"ref":"r1"})");
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[1].data, "{}");
}

TEST_F(OpsProtocolTest, ShowGivesEveryFieldAndDataAsAnObject) {
  const std::string obj_id =
      engine_.AddTask(kConvId, "r1", R"({"a":1,"s":"x\"y","o":{"k":[1,2]}})");
  engine_.task(obj_id).node_prev_id = "n00000000000000000000001";
  engine_.task(obj_id).status = TaskStatus::kProcessed;
  dom::element result =
      RunOne(absl::StrCat(R"({"type":"show","obj":"task","obj_id":")", obj_id, R"(","id":"s"})"));
  EXPECT_EQ(Str(result["id"]), "s");
  EXPECT_EQ(Str(result["proc"]), "ok");
  EXPECT_EQ(Str(result["obj"]), "task");
  EXPECT_EQ(Str(result["obj_id"]), obj_id);
  EXPECT_EQ(Str(result["task_id"]), obj_id);
  EXPECT_EQ(Str(result["ref"]), "r1");
  EXPECT_EQ(Str(result["status"]), "processed");
  EXPECT_EQ(Int(result["conv_id"]), kConvId);
  EXPECT_EQ(Str(result["node_id"]), "n00000000000000000000002");
  EXPECT_EQ(Str(result["node_prev_id"]), "n00000000000000000000001");
  EXPECT_EQ(Int(result["create_time"]), 1700000000);
  EXPECT_EQ(Int(result["change_time"]), 1700000005);
  dom::object data;
  ASSERT_EQ(result["data"].get(data), simdjson::SUCCESS) << reply_;
  EXPECT_EQ(Int(data["a"]), 1);
  EXPECT_EQ(Str(data["s"]), "x\"y");
  EXPECT_EQ(Int(data["o"]["k"].at(1)), 2);
}

TEST_F(OpsProtocolTest, ShowOfATaskWithoutRefOrPreviousNodeGivesNulls) {
  const std::string obj_id = engine_.AddTask(kConvId, "", "");
  dom::element result =
      RunOne(absl::StrCat(R"({"type":"show","obj":"task","obj_id":")", obj_id, R"("})"));
  EXPECT_TRUE(IsNull(result["ref"])) << reply_;
  EXPECT_TRUE(IsNull(result["node_prev_id"])) << reply_;
  EXPECT_EQ(Str(result["status"]), "processing");
  dom::object data;
  ASSERT_EQ(result["data"].get(data), simdjson::SUCCESS) << reply_;
  EXPECT_EQ(data.size(), 0u);
}

TEST_F(OpsProtocolTest, ShowByRef) {
  const std::string obj_id = engine_.AddTask(kConvId, "order-7", R"({})");
  dom::element result = RunOne(R"({"type":"show","obj":"task","conv_id":100,"ref":"order-7"})");
  EXPECT_EQ(Str(result["obj_id"]), obj_id) << reply_;
}

TEST_F(OpsProtocolTest, ConsecutiveCreatesRunAsOneBatchInRequestOrder) {
  const std::string reply = HandleOps(engine_, R"({"ops":[
      {"type":"create","obj":"task","conv_id":100,"ref":"b1"},
      {"type":"create","obj":"task","conv_id":100,"ref":"b1"},
      {"type":"create","obj":"task","conv_id":100,"ref":"b2"},
      {"type":"show","obj":"task","conv_id":100,"ref":"b2"},
      {"type":"create","obj":"task","conv_id":100,"ref":"b3"}]})");
  dom::element root;
  ASSERT_EQ(parser_.parse(reply).get(root), simdjson::SUCCESS) << reply;
  EXPECT_EQ(Str(root["ops"].at(0)["proc"]), "ok") << reply;
  EXPECT_EQ(Str(root["ops"].at(1)["proc"]), "error") << reply;
  EXPECT_EQ(Str(root["ops"].at(1)["key"]), "ref") << reply;
  EXPECT_EQ(Str(root["ops"].at(2)["proc"]), "ok") << reply;
  // The show comes after the creates before it have run.
  EXPECT_EQ(Str(root["ops"].at(3)["proc"]), "ok") << reply;
  EXPECT_EQ(Str(root["ops"].at(3)["obj_id"]), Str(root["ops"].at(2)["obj_id"])) << reply;
  EXPECT_EQ(Str(root["ops"].at(4)["proc"]), "ok") << reply;
  EXPECT_EQ(engine_.batches, 1);  // b1, b1, b2; b3 alone
}

TEST_F(OpsProtocolTest, GetIsShow) {
  const std::string obj_id = engine_.AddTask(kConvId, "order-8", R"({"a":1})");
  dom::element result = RunOne(R"({"type":"get","obj":"task","conv_id":100,"ref":"order-8"})");
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(result["obj_id"]), obj_id) << reply_;
  EXPECT_EQ(Str(result["status"]), "processing") << reply_;
}

TEST_F(OpsProtocolTest, StatusNamesMatchTheEngineWords) {
  EXPECT_EQ(TaskStatusName(TaskStatus::kProcessing), "processing");
  EXPECT_EQ(TaskStatusName(TaskStatus::kProcessed), "processed");
  EXPECT_EQ(TaskStatusName(TaskStatus::kError), "error");
  EXPECT_EQ(TaskStatusName(TaskStatus::kLoopStopped), "loop_stopped");
  EXPECT_EQ(TaskStatusName(TaskStatus::kDeleted), "deleted");
}

TEST_F(OpsProtocolTest, DeleteByObjIdAndNode) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", "{}");
  Run(absl::StrCat(R"({"ops":[{"type":"delete","obj":"task","conv_id":100,"obj_id":")", obj_id,
                   R"(","node_id":"n00000000000000000000002","id":"d"}]})"));
  EXPECT_EQ(reply_, absl::StrCat(R"({"request_proc":"ok","ops":[{"id":"d","proc":"ok",)",
                                 R"("obj":"task","obj_id":")", obj_id, R"("}]})"));
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[1].method, "delete");
  EXPECT_EQ(engine_.calls[1].obj_id, obj_id);
  EXPECT_EQ(engine_.calls[1].node_id, "n00000000000000000000002");
  EXPECT_EQ(engine_.task_count(), 0u);
}

TEST_F(OpsProtocolTest, DeleteByRefWithoutNode) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", "{}");
  dom::element result = RunOne(R"({"type":"delete","obj":"task","conv_id":100,"ref":"r1"})");
  EXPECT_EQ(Str(result["obj_id"]), obj_id) << reply_;
  ASSERT_EQ(engine_.calls.size(), 2u);
  EXPECT_EQ(engine_.calls[1].node_id, "");
  EXPECT_EQ(engine_.task_count(), 0u);
}

TEST_F(OpsProtocolTest, DeleteInAnotherNodeIsAnError) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", "{}");
  dom::element result = RunOne(absl::StrCat(R"({"type":"delete","obj":"task","obj_id":")", obj_id,
                                            R"(","node_id":"n00000000000000000000009"})"));
  EXPECT_EQ(Str(result["proc"]), "error");
  EXPECT_EQ(Str(result["description"]),
            "operation refused: task is in node n00000000000000000000002, "
            "not n00000000000000000000009");
  EXPECT_EQ(engine_.task_count(), 1u);
}

// --- not found -------------------------------------------------------------

TEST_F(OpsProtocolTest, UnknownTaskIsObjIdNotFound) {
  const std::string unknown = "0123456789abcdef01234567";
  for (const char* type : {"modify", "show", "delete"}) {
    SCOPED_TRACE(type);
    ExpectOpFailure(absl::StrCat(R"({"type":")", type, R"(","obj":"task","obj_id":")", unknown,
                                 R"(","data":{}})"),
                    "obj_id_not_found", "task not found: no such task");
    ExpectOpFailure(
        absl::StrCat(R"({"type":")", type, R"(","obj":"task","conv_id":100,"ref":"nope"})"),
        "obj_id_not_found", "task not found");
  }
  // Nothing but lookups reached the engine.
  for (const Call& call : engine_.calls) EXPECT_EQ(call.method, "show");
}

TEST_F(OpsProtocolTest, ObjIdOfAnotherProcessIsNotFound) {
  const std::string obj_id = engine_.AddTask(200, "r1", "{}");
  for (const char* type : {"modify", "show", "delete"}) {
    SCOPED_TRACE(type);
    ExpectOpFailure(absl::StrCat(R"({"type":")", type, R"(","obj":"task","conv_id":100,)",
                                 R"("obj_id":")", obj_id, R"("})"),
                    "obj_id_not_found", absl::StrCat("task ", obj_id, " is not in process 100"));
  }
  EXPECT_EQ(engine_.task_count(), 1u);
}

TEST_F(OpsProtocolTest, CreateInAnUnknownProcessIsAnError) {
  dom::element result = RunOne(R"({"type":"create","obj":"task","conv_id":555})");
  EXPECT_EQ(Str(result["proc"]), "error");
  EXPECT_EQ(Str(result["description"]), "process not found: process 555 is not deployed");
  EXPECT_EQ(Str(result["key"]), "conv_id");
}

TEST_F(OpsProtocolTest, DuplicateRefIsAnErrorNamingTheRef) {
  engine_.AddTask(kConvId, "dup", "{}");
  dom::element result =
      RunOne(R"({"type":"create","obj":"task","conv_id":100,"ref":"dup","id":"x"})");
  EXPECT_EQ(Str(result["id"]), "x");
  EXPECT_EQ(Str(result["proc"]), "error");
  EXPECT_EQ(Str(result["description"]),
            "not unical reference: ref \"dup\" is taken in process 100");
  EXPECT_EQ(Str(result["key"]), "ref");
}

// --- engine status mapping -------------------------------------------------

TEST_F(OpsProtocolTest, EngineCodesMapToDescriptions) {
  struct Case {
    absl::Status status;
    std::string description;
  };
  const Case cases[] = {
      {absl::InvalidArgumentError("data is 200000 bytes"),
       "invalid operation: data is 200000 bytes"},
      {absl::FailedPreconditionError("engine closed"), "operation refused: engine closed"},
      {absl::ResourceExhaustedError("queue full"), "engine overloaded, retry later: queue full"},
      {absl::UnavailableError("disk"), "engine unavailable, retry later: disk"},
      {absl::DeadlineExceededError("slow"), "timed out: slow"},
      {absl::InternalError("bug"), "internal error (INTERNAL): bug"},
      {absl::DataLossError(""), "internal error (DATA_LOSS)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status.ToString());
    engine_.fail_create = c.status;
    dom::element result = RunOne(R"({"type":"create","obj":"task","conv_id":100})");
    EXPECT_EQ(Str(result["proc"]), "error");
    EXPECT_EQ(Str(result["description"]), c.description);
  }
}

TEST_F(OpsProtocolTest, EngineErrorsOfModifyAndShowAreReported) {
  const std::string obj_id = engine_.AddTask(kConvId, "r1", "{}");
  engine_.fail_modify = absl::InvalidArgumentError("data too large");
  ExpectOpFailure(absl::StrCat(R"({"type":"modify","obj":"task","obj_id":")", obj_id, R"("})"),
                  "error", "invalid operation: data too large");
  engine_.fail_show = absl::ResourceExhaustedError("busy");
  ExpectOpFailure(absl::StrCat(R"({"type":"show","obj":"task","obj_id":")", obj_id, R"("})"),
                  "error", "engine overloaded, retry later: busy");
  engine_.fail_delete = absl::FailedPreconditionError("closed");
  ExpectOpFailure(absl::StrCat(R"({"type":"delete","obj":"task","obj_id":")", obj_id, R"("})"),
                  "error", "operation refused: closed");
}

// --- id echo ---------------------------------------------------------------

TEST_F(OpsProtocolTest, IdIsEchoedAsGiven) {
  Run(R"({"ops":[)"
      R"({"id":"s\n\"1","type":"show","obj":"task","obj_id":"0123456789abcdef01234567"},)"
      R"({"id":12,"type":"show","obj":"task","obj_id":"0123456789abcdef01234567"},)"
      R"({"id":-3,"type":"show","obj":"task","obj_id":"0123456789abcdef01234567"},)"
      R"({"id":2.5,"type":"show","obj":"task","obj_id":"0123456789abcdef01234567"},)"
      R"({"id":18446744073709551615,"type":"show","obj":"task","obj_id":"0123456789abcdef01234567"},)"
      R"({"id":true,"type":"show","obj":"task","obj_id":"0123456789abcdef01234567"},)"
      R"({"id":null,"type":"show","obj":"task","obj_id":"0123456789abcdef01234567"},)"
      R"({"type":"show","obj":"task","obj_id":"0123456789abcdef01234567"})"
      R"(]})");
  EXPECT_THAT(reply_, HasSubstr(R"({"id":"s\n\"1","proc":"obj_id_not_found")"));
  EXPECT_THAT(reply_, HasSubstr(R"({"id":12,"proc")"));
  EXPECT_THAT(reply_, HasSubstr(R"({"id":-3,"proc")"));
  EXPECT_THAT(reply_, HasSubstr(R"({"id":2.5,"proc")"));
  EXPECT_THAT(reply_, HasSubstr(R"({"id":18446744073709551615,"proc")"));
  EXPECT_THAT(reply_, HasSubstr(R"({"id":true,"proc")"));
  EXPECT_THAT(reply_, HasSubstr(R"({"id":null,"proc")"));
  EXPECT_THAT(reply_, HasSubstr(R"({"proc":"obj_id_not_found","obj":"task")"));
}

TEST_F(OpsProtocolTest, StructuredIdIsEchoedButRefused) {
  dom::element result = RunOne(R"({"id":{"a":[1]},"type":"create","obj":"task","conv_id":100})");
  EXPECT_THAT(reply_, HasSubstr(R"("id":{"a":[1]})"));
  EXPECT_EQ(Str(result["proc"]), "error");
  EXPECT_EQ(Str(result["key"]), "id");
  EXPECT_THAT(Str(result["description"]), HasSubstr("id must be a string, a number"));
  EXPECT_TRUE(engine_.calls.empty());
}

// --- format errors ---------------------------------------------------------

TEST_F(OpsProtocolTest, FormatErrorReplyShape) {
  Run("[]");
  EXPECT_EQ(reply_,
            R"({"request_proc":"format_error","description":"the body must be a JSON object, )"
            R"(got an array; expected {\"ops\":[...]}","ops":[]})");
}

TEST_F(OpsProtocolTest, BodiesThatAreNotRequests) {
  ExpectFormatError("", "the body is empty");
  ExpectFormatError(" \n\t", "the body is empty");
  ExpectFormatError(R"({"ops":[)", "the body is not valid JSON");
  ExpectFormatError("{\"ops\":[{\"type\":tru}]}", "the body is not valid JSON at byte");
  ExpectFormatError("{\"ops\":[]}\n x", "line 2, column 2");
  ExpectFormatError("{\"ops\":\"abc", "a string is opened but never closed");
  ExpectFormatError("{\"ops\":[\"\xff\"]}", "invalid UTF-8");
  ExpectFormatError("{\"ops\":[{\"conv_id\":123456789012345678901234567890}]}",
                    "the body is not valid JSON");
  ExpectFormatError("42", "the body must be a JSON object, got a number");
  ExpectFormatError(R"("ops")", "got a string");
  ExpectFormatError("null", "got null");
  ExpectFormatError("{}", "the body has no \"ops\"");
  ExpectFormatError(R"({"op":[]})", "the body has no \"ops\"");
  ExpectFormatError(R"({"ops":{}})", "\"ops\" must be an array, got an object");
  ExpectFormatError(R"({"ops":null})", "\"ops\" must be an array, got null");
  ExpectFormatError(R"({"ops":[]})", "\"ops\" is empty");
  ExpectFormatError(R"({"ops":[{"type":"show"}],"ops":[]})",
                    "the body repeats the key \"ops\" with different values (at ops, bytes 1 "
                    "and 25)");
}

// Semantics A1: a key repeated with the same value, anywhere in the body,
// counts once; with different values the request is ambiguous.
TEST_F(OpsProtocolTest, RepeatedKeysWithTheSameValueCollapse) {
  // The body's "ops", an op's own keys, and its data at every depth.
  const std::string deep_same = R"({"l1":{"l2":{"l3":{"l4":{"l5":{"l6":{"l7":{"l8":{"l9":)"
                                R"({"k":1,"k":1}}}}}}}}}})";
  const std::string deep = R"({"l1":{"l2":{"l3":{"l4":{"l5":{"l6":{"l7":{"l8":{"l9":)"
                           R"({"k":1}}}}}}}}}})";
  const std::string op =
      absl::StrCat(R"({"type":"create","obj":"task","conv_id":100,"type":"create","ref":"r",)",
                   R"("data":{"a":1,"a":1,"o":{"k":[1],"k":[1]},"arr":[{"k":"x","k":"x"}],"deep":)",
                   deep_same, "}}");
  dom::element root = Run(absl::StrCat(R"({"ops":[)", op, R"(],"ops":[)", op, "]}"));
  EXPECT_EQ(Str(root["request_proc"]), "ok") << reply_;
  ASSERT_EQ(engine_.calls.size(), 1u) << reply_;  // one op: "ops" counted once
  EXPECT_EQ(engine_.calls[0].data,
            absl::StrCat(R"({"a":1,"o":{"k":[1]},"arr":[{"k":"x"}],"deep":)", deep, "}"));
}

TEST_F(OpsProtocolTest, RepeatedKeysWithDifferentValuesAreAFormatError) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"create","obj":"task","conv_id":100,"ref":"a","ref":"b"})", "ref"},
      {R"({"type":"create","obj":"task","conv_id":100,"data":{"k":1,"k":2}})", "data.k"},
      {R"({"type":"create","obj":"task","conv_id":100,"data":{"o":{"k":1,"k":"1"}}})", "data.o.k"},
      {R"({"type":"create","obj":"task","conv_id":100,"data":{"arr":[0,{"k":1,"k":[1]}]}})",
       "data.arr[1].k"},
      {R"({"type":"create","obj":"task","conv_id":100,"data":{"l1":{"l2":{"l3":{"l4":{"l5":)"
       R"({"l6":{"l7":{"l8":{"k":1,"k":2}}}}}}}}}})",
       "data.l1.l2.l3.l4.l5.l6.l7.l8.k"},
  };
  for (const auto& [op, path] : cases) {
    SCOPED_TRACE(op);
    const std::string body = absl::StrCat(R"({"ops":[)", op, "]}");
    const std::string key = path.substr(path.find_last_of('.') + 1);
    const std::string quoted = absl::StrCat("\"", key, "\"");
    ExpectFormatError(body, absl::StrCat("the body repeats the key ", quoted,
                                         " with different values (at ops[0].", path, ", bytes ",
                                         body.find(quoted), " and ", body.rfind(quoted), ")"));
  }
}

std::string Nested(int depth) {
  // {"ops":[{"type":"create","obj":"task","conv_id":100,"data":{"x":[[...]]}}]}
  // The body, ops, op and data are four levels; the rest are arrays.
  std::string inner;
  for (int i = 4; i < depth; ++i) inner += "[";
  for (int i = 4; i < depth; ++i) inner += "]";
  if (inner.empty()) inner = "0";
  return absl::StrCat(R"({"ops":[{"type":"create","obj":"task","conv_id":100,"data":{"x":)", inner,
                      "}}]}");
}

TEST_F(OpsProtocolTest, NestingUpToTheLimitIsAccepted) {
  dom::element root = Run(Nested(kOpsMaxDepth));
  EXPECT_EQ(Str(root["request_proc"]), "ok") << reply_;
  EXPECT_EQ(Str(root["ops"].at(0)["proc"]), "ok") << reply_;
  ASSERT_EQ(engine_.calls.size(), 1u);
  EXPECT_EQ(std::count(engine_.calls[0].data.begin(), engine_.calls[0].data.end(), '['),
            kOpsMaxDepth - 4);
}

TEST_F(OpsProtocolTest, NestingBeyondTheLimitIsAFormatError) {
  ExpectFormatError(Nested(kOpsMaxDepth + 1), "nested deeper than 64 levels");
}

std::string ManyOps(size_t count) {
  std::string body = R"({"ops":[)";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) body += ",";
    absl::StrAppend(&body, R"({"type":"show","obj":"task","conv_id":100,"ref":"r)", i, R"("})");
  }
  return body + "]}";
}

TEST_F(OpsProtocolTest, OpsUpToTheLimitAreRun) {
  dom::element root = Run(ManyOps(kOpsMaxOps));
  EXPECT_EQ(Str(root["request_proc"]), "ok");
  dom::array ops;
  ASSERT_EQ(root["ops"].get(ops), simdjson::SUCCESS);
  EXPECT_EQ(ops.size(), kOpsMaxOps);
  EXPECT_EQ(engine_.calls.size(), kOpsMaxOps);
}

TEST_F(OpsProtocolTest, MoreOpsThanTheLimitIsAFormatError) {
  ExpectFormatError(ManyOps(kOpsMaxOps + 1), "\"ops\" holds 10001 ops; at most 10000");
}

// --- bad ops ---------------------------------------------------------------

TEST_F(OpsProtocolTest, BadOpsAreErrors) {
  struct Case {
    std::string op;
    std::string key;  // expected "key", "" for none
    std::string description;
  };
  const std::string kObjId = "0123456789abcdef01234567";
  const Case cases[] = {
      {"[1]", "", "an op must be a JSON object, got an array"},
      {"\"create\"", "", "an op must be a JSON object, got a string"},
      {R"({"obj":"task","conv_id":100})", "type", "the op has no type"},
      {R"({"type":1,"obj":"task"})", "type", "type must be a string, got a number"},
      {R"({"type":"step_next","obj":"task"})", "type",
       "unknown type \"step_next\"; expected create, modify, patch, move, show (or get), list, "
       "history, append_history, delete, pause or resume"},
      {R"({"type":"create","conv_id":100})", "obj", "the op has no obj (expected \"task\")"},
      {R"({"type":"create","obj":["task"],"conv_id":100})", "obj",
       "obj must be a string, got an array"},
      {R"({"type":"create","obj":"conv","conv_id":100})", "obj",
       "create acts on obj \"task\", not \"conv\""},
      {R"({"type":"pause","obj":"task","conv_id":100})", "obj",
       "pause acts on obj \"conv\", not \"task\""},
      {R"({"type":"create","obj":"folder","conv_id":100})", "obj",
       "unknown obj \"folder\"; expected \"task\" (or \"conv\" for pause and resume)"},
      {R"({"type":"move","obj":"task","conv_id":100,"ref":"x"})", "to_node_id",
       "move needs to_node_id"},
      {R"({"type":"pause","obj":"conv"})", "conv_id", "pause needs conv_id"},
      {R"({"type":"create","obj":"task","conv_id":100,"start_at":"soon"})", "start_at",
       "start_at must be unix seconds (a non-negative integer), got \"soon\""},
      {R"({"type":"create","obj":"task"})", "conv_id", "create needs conv_id"},
      {R"({"type":"create","obj":"task","conv_id":null})", "conv_id", "create needs conv_id"},
      {R"({"type":"create","obj":"task","obj_alias":"a"})", "conv_id",
       "obj_alias is not supported: give conv_id"},
      {R"({"type":"create","obj":"task","conv_id":true})", "conv_id",
       "conv_id must be a number or a numeric string, got a boolean"},
      {R"({"type":"create","obj":"task","conv_id":-5})", "conv_id",
       "conv_id must be a positive integer, got -5"},
      {R"({"type":"create","obj":"task","conv_id":0})", "conv_id",
       "conv_id must be a positive integer, got 0"},
      {R"({"type":"create","obj":"task","conv_id":"0"})", "conv_id",
       "conv_id must be a positive integer, got \"0\""},
      {R"({"type":"create","obj":"task","conv_id":"000"})", "conv_id",
       "conv_id must be a positive integer, got \"000\""},
      {R"({"type":"create","obj":"task","conv_id":1.5})", "conv_id",
       "conv_id must be an integer, got 1.5"},
      {R"({"type":"create","obj":"task","conv_id":18446744073709551615})", "conv_id",
       "conv_id 18446744073709551615 is out of range"},
      {R"({"type":"create","obj":"task","conv_id":"99999999999999999999"})", "conv_id",
       "conv_id \"99999999999999999999\" is out of range"},
      {R"({"type":"create","obj":"task","conv_id":"12a"})", "conv_id",
       "conv_id must be a number or a string of decimal digits, got \"12a\""},
      {R"({"type":"create","obj":"task","conv_id":" 12"})", "conv_id", "got \" 12\""},
      {R"({"type":"create","obj":"task","conv_id":""})", "conv_id", "got \"\""},
      {R"({"type":"create","obj":"task","conv_id":100,"ref":""})", "ref",
       "ref must not be empty (leave it out for a task without a ref)"},
      {absl::StrCat(R"({"type":"create","obj":"task","conv_id":100,"ref":")", std::string(256, 'r'),
                    R"("})"),
       "ref", "ref is 256 bytes long; at most 255 are allowed"},
      {R"({"type":"create","obj":"task","conv_id":100,"ref":{}})", "ref",
       "ref must be a string or a number, got an object"},
      {R"({"type":"create","obj":"task","conv_id":100,"data":"{}"})", "data",
       "data must be a JSON object, got a string"},
      {R"({"type":"create","obj":"task","conv_id":100,"data":[1]})", "data",
       "data must be a JSON object, got a non-empty array"},
      {R"({"type":"create","obj":"task","conv_id":100,"data":7})", "data",
       "data must be a JSON object, got a number"},
      {R"({"type":"modify","obj":"task","conv_id":100,"ref":"r1","data":false})", "data",
       "data must be a JSON object, got a boolean"},
      {R"({"type":"show","obj":"task","obj_id":12345})", "obj_id",
       "obj_id must be a string, got a number"},
      {R"({"type":"show","obj":"task","obj_id":"0123456789abcdef0123456g"})", "obj_id",
       "obj_id must be 24 hex digits, got \"0123456789abcdef0123456g\""},
      {R"({"type":"show","obj":"task","obj_id":"abc"})", "obj_id",
       "obj_id must be 24 hex digits, got \"abc\""},
      {R"({"type":"show","obj":"task"})", "obj_id",
       "the op names no task: give obj_id, or conv_id and ref"},
      {R"({"type":"show","obj":"task","conv_id":100})", "obj_id", "the op names no task"},
      {R"({"type":"show","obj":"task","ref":"r1"})", "conv_id",
       "a task named by ref needs conv_id"},
      {R"({"type":"show","obj":"task","ref":"r1","obj_alias":"x"})", "conv_id",
       "obj_alias is not supported: give conv_id with ref"},
      {R"({"type":"show","obj":"task","conv_id":"x","ref":"r1"})", "conv_id",
       "conv_id must be a number or a string of decimal digits"},
      {R"({"type":"show","obj":"task","conv_id":100,"ref":true})", "ref",
       "ref must be a string or a number, got a boolean"},
      {absl::StrCat(R"({"type":"delete","obj":"task","obj_id":")", kObjId, R"(","node_id":5})"),
       "node_id", "node_id must be a string, got a number"},
      {absl::StrCat(R"({"type":"delete","obj":"task","obj_id":")", kObjId, R"(","node_id":""})"),
       "node_id", "node_id must not be empty"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    dom::element result = RunOne(c.op);
    EXPECT_EQ(Str(result["proc"]), "error") << reply_;
    EXPECT_THAT(Str(result["description"]), HasSubstr(c.description)) << reply_;
    if (c.key.empty()) {
      EXPECT_EQ(result["key"].error(), simdjson::NO_SUCH_FIELD) << reply_;
    } else {
      EXPECT_EQ(Str(result["key"]), c.key) << reply_;
    }
  }
  // None of them reached the engine.
  EXPECT_TRUE(engine_.calls.empty());
}

TEST_F(OpsProtocolTest, UnknownObjIsEchoed) {
  dom::element result = RunOne(R"({"type":"create","obj":"conv","conv_id":100,"id":1})");
  EXPECT_EQ(Str(result["obj"]), "conv");
  EXPECT_EQ(Int(result["id"]), 1);
}

TEST_F(OpsProtocolTest, UnknownKeysAreIgnored) {
  dom::element result =
      RunOne(R"({"type":"create","obj":"task","conv_id":100,"company_id":"i1","extra":[1]})");
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
}

TEST_F(OpsProtocolTest, ObjIdWinsOverRef) {
  const std::string obj_id = engine_.AddTask(kConvId, "real", "{}");
  dom::element result = RunOne(absl::StrCat(R"({"type":"show","obj":"task","conv_id":100,)",
                                            R"("ref":"other","obj_id":")", obj_id, R"("})"));
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(result["ref"]), "real");
}

// --- mixed requests and escaping ------------------------------------------

TEST_F(OpsProtocolTest, OneBadOpDoesNotAffectTheOthers) {
  const std::string obj_id = engine_.AddTask(kConvId, "old", R"({"n":1})");
  dom::element root = Run(absl::StrCat(
      R"({"ops":[)",
      R"({"id":1,"type":"create","obj":"task","conv_id":100,"ref":"a","data":{"v":1}},)",
      R"({"id":2,"type":"create","obj":"task","conv_id":"bad"},)", R"(17,)",
      R"({"id":3,"type":"modify","obj":"task","obj_id":")", obj_id, R"(","data":{"n":2}},)",
      R"({"id":4,"type":"show","obj":"task","conv_id":100,"ref":"missing"},)",
      R"({"id":5,"type":"create","obj":"task","conv_id":100,"ref":"a"},)",
      R"({"id":6,"type":"show","obj":"task","conv_id":100,"ref":"a"})", R"(]})"));
  EXPECT_EQ(Str(root["request_proc"]), "ok");
  dom::array ops;
  ASSERT_EQ(root["ops"].get(ops), simdjson::SUCCESS);
  ASSERT_EQ(ops.size(), 7u) << reply_;
  const char* expected_proc[] = {"ok", "error", "error", "ok", "obj_id_not_found", "error", "ok"};
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(Str(ops.at(i)["proc"]), expected_proc[i]) << i << ": " << reply_;
  }
  EXPECT_EQ(Int(ops.at(0)["id"]), 1);
  EXPECT_EQ(ops.at(2)["id"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(Int(ops.at(6)["id"]), 6);
  EXPECT_EQ(Int(ops.at(6)["data"]["v"]), 1);
  EXPECT_EQ(engine_.task(obj_id).data, R"({"n":2})");
  EXPECT_THAT(Str(ops.at(5)["description"]), StartsWith("not unical reference"));
}

TEST_F(OpsProtocolTest, RefsAndDescriptionsAreEscaped) {
  // A ref with quotes, a backslash, a control character and non-ASCII text.
  const std::string ref = "q\"b\\c\x01 é€";
  dom::element result =
      RunOne(R"({"type":"create","obj":"task","conv_id":100,"ref":"q\"b\\c\u0001 é€"})");
  EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(result["ref"]), ref);
  ASSERT_EQ(engine_.calls.size(), 1u);
  EXPECT_EQ(engine_.calls[0].ref, ref);

  // The duplicate's description quotes the ref back through the engine message.
  result = RunOne(R"({"type":"create","obj":"task","conv_id":100,"ref":"q\"b\\c\u0001 é€"})");
  EXPECT_EQ(Str(result["description"]),
            absl::StrCat("not unical reference: ref \"", ref, "\" is taken in process 100"));

  // User text quoted in a description.
  result = RunOne(R"({"type":"show","obj":"task","obj_id":"a\"\n\\"})");
  EXPECT_EQ(Str(result["description"]), "obj_id must be 24 hex digits, got \"a\\\"\\n\\\\\"");
}

TEST_F(OpsProtocolTest, LongValuesInDescriptionsAreCutOnACharacterBoundary) {
  // 63 ASCII bytes then two-byte characters: the cut at byte 64 falls inside one.
  std::string value(63, 'x');
  for (int i = 0; i < 20; ++i) value += "é";
  dom::element result =
      RunOne(absl::StrCat(R"({"type":"show","obj":"task","obj_id":")", value, R"("})"));
  EXPECT_EQ(Str(result["description"]),
            absl::StrCat("obj_id must be 24 hex digits, got \"", std::string(63, 'x'), "...\""));
}

}  // namespace
}  // namespace internal
}  // namespace convey
