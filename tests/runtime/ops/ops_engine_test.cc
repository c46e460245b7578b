// The ops protocol through the real engine: HandleOps round trips.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/ops.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/ops_processes.h"

namespace convey {
namespace {

namespace dom = simdjson::dom;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kPassConvId = 1001;  // start -> final (save_task)
constexpr int64_t kHoldConvId = 1002;  // start -> hold (parks) -> final
constexpr char kHoldNode[] = "b00000000000000000000002";

const std::string kScheme =
    absl::StrCat("[", convey::testing::kOpsPassProcess, ",", convey::testing::kOpsHoldProcess, "]");

class OpsEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.worker_threads = 1;
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    absl::StatusOr<DeployResult> deployed = engine_->Deploy("ops.json", kScheme);
    ASSERT_TRUE(deployed.ok()) << deployed.status();
    ASSERT_EQ(deployed->conv_ids.size(), 2u);
    EXPECT_EQ(deployed->conv_ids[0], kPassConvId);
    EXPECT_EQ(deployed->conv_ids[1], kHoldConvId);
  }

  // Runs one op through HandleOps, waits for the engine to settle,
  // and returns the op's result (valid until the next call).
  dom::element RunOne(const std::string& op) {
    reply_ = HandleOps(*engine_, absl::StrCat("{\"ops\":[", op, "]}"));
    EXPECT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
    dom::element root;
    EXPECT_EQ(parser_.parse(reply_).get(root), simdjson::SUCCESS) << reply_;
    EXPECT_EQ(Str(root["request_proc"]), "ok") << reply_;
    dom::array ops;
    EXPECT_EQ(root["ops"].get(ops), simdjson::SUCCESS) << reply_;
    if (ops.size() != 1) {
      ADD_FAILURE() << "expected one result: " << reply_;
      return root;
    }
    return ops.at(0).value_unsafe();
  }

  std::string Create(int64_t conv_id, const std::string& ref, const std::string& data) {
    dom::element result =
        RunOne(absl::StrCat(R"({"type":"create","obj":"task","conv_id":)", conv_id, R"(,"ref":")",
                            ref, R"(","data":)", data, R"(,"id":"c"})"));
    EXPECT_EQ(Str(result["proc"]), "ok") << reply_;
    EXPECT_EQ(Str(result["ref"]), ref) << reply_;
    return Str(result["obj_id"]);
  }

  static std::string Str(simdjson::simdjson_result<dom::element> field) {
    std::string_view text;
    if (field.get(text) != simdjson::SUCCESS) return "<not a string>";
    return std::string(text);
  }
  static bool IsNullField(simdjson::simdjson_result<dom::element> field) {
    dom::element value;
    return field.get(value) == simdjson::SUCCESS && value.is_null();
  }
  static int64_t Int(simdjson::simdjson_result<dom::element> field) {
    int64_t value = 0;
    EXPECT_EQ(field.get(value), simdjson::SUCCESS);
    return value;
  }

  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<Engine> engine_;
  std::string reply_;
  dom::parser parser_;
};

TEST_F(OpsEngineTest, CreateRunsToTheFinalNodeAndShowSeesIt) {
  const std::string obj_id = Create(kPassConvId, "p1", R"({"amount":5,"who":"ann"})");
  ASSERT_EQ(obj_id.size(), 24u) << reply_;

  dom::element shown =
      RunOne(absl::StrCat(R"({"type":"show","obj":"task","obj_id":")", obj_id, R"(","id":9})"));
  EXPECT_EQ(Int(shown["id"]), 9);
  EXPECT_EQ(Str(shown["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(shown["obj_id"]), obj_id);
  EXPECT_EQ(Str(shown["task_id"]), obj_id);
  EXPECT_EQ(Str(shown["ref"]), "p1");
  EXPECT_EQ(Str(shown["status"]), "processed");
  EXPECT_EQ(Int(shown["conv_id"]), kPassConvId);
  EXPECT_EQ(Str(shown["node_id"]), "a00000000000000000000002");
  EXPECT_EQ(Str(shown["node_prev_id"]), "a00000000000000000000001");
  EXPECT_EQ(Int(shown["create_time"]), 1700000000);
  EXPECT_EQ(Int(shown["change_time"]), 1700000000);
  EXPECT_EQ(Int(shown["data"]["amount"]), 5);
  EXPECT_EQ(Str(shown["data"]["who"]), "ann");

  // The task is archived: its ref is free for a new task.
  const std::string second = Create(kPassConvId, "p1", "{}");
  EXPECT_NE(second, obj_id);
}

TEST_F(OpsEngineTest, ModifyMergesIntoAParkedTask) {
  const std::string obj_id = Create(kHoldConvId, "h1", R"({"a":1,"b":1})");
  clock_.Advance(absl::Seconds(30));

  dom::element modified =
      RunOne(R"({"type":"modify","obj":"task","conv_id":1002,"ref":"h1","data":{"b":2,"c":3}})");
  EXPECT_EQ(Str(modified["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(modified["obj_id"]), obj_id);
  EXPECT_EQ(Str(modified["ref"]), "h1");

  dom::element shown = RunOne(R"({"type":"show","obj":"task","conv_id":"1002","ref":"h1"})");
  EXPECT_EQ(Str(shown["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(shown["status"]), "processing");
  EXPECT_EQ(Str(shown["node_id"]), kHoldNode);
  EXPECT_EQ(Int(shown["data"]["a"]), 1);
  EXPECT_EQ(Int(shown["data"]["b"]), 2);
  EXPECT_EQ(Int(shown["data"]["c"]), 3);
  EXPECT_EQ(Int(shown["create_time"]), 1700000000);
  EXPECT_EQ(Int(shown["change_time"]), 1700000030);
}

TEST_F(OpsEngineTest, PatchAndHistoryRoundTrip) {
  const std::string obj_id = Create(kHoldConvId, "p1", R"({"a":{"b":[1,2]},"c":1})");
  dom::element patched =
      RunOne(R"({"type":"patch","obj":"task","conv_id":1002,"ref":"p1","patch":[)"
             R"({"op":"remove","path":"/a/b/0"},{"op":"replace","path":"/c","value":"x"}]})");
  EXPECT_EQ(Str(patched["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(patched["obj_id"]), obj_id);
  dom::element failed = RunOne(R"({"type":"patch","obj":"task","obj_id":")" + obj_id +
                               R"(","patch":[{"op":"test","path":"/c","value":"y"}]})");
  EXPECT_EQ(Str(failed["proc"]), "error") << reply_;
  EXPECT_THAT(Str(failed["description"]),
              HasSubstr("invalid operation: JSON Patch operation 0 (test \"/c\") failed"));
  dom::element noted = RunOne(
      R"({"type":"append_history","obj":"task","conv_id":1002,"ref":"p1","text":"checked"})");
  EXPECT_EQ(Str(noted["proc"]), "ok") << reply_;
  dom::element shown = RunOne(R"({"type":"show","obj":"task","conv_id":1002,"ref":"p1"})");
  EXPECT_EQ(Str(shown["data"]["a"]["b"].at(0)), "<not a string>");
  EXPECT_EQ(Int(shown["data"]["a"]["b"].at(0)), 2);
  EXPECT_EQ(Str(shown["data"]["c"]), "x");
  dom::element history = RunOne(R"({"type":"history","obj":"task","conv_id":1002,"ref":"p1"})");
  EXPECT_EQ(Str(history["proc"]), "ok") << reply_;
  dom::array entries;
  ASSERT_EQ(history["history"].get(entries), simdjson::SUCCESS) << reply_;
  std::vector<std::string> kinds;
  for (dom::element entry : entries) kinds.push_back(Str(entry["kind"]));
  EXPECT_THAT(kinds, ::testing::ElementsAre("created", "node_entered", "parked", "patched", "host"))
      << reply_;
  EXPECT_EQ(Str(entries.at(0)["time"]), "2023-11-14T22:13:20.000000Z");
}

TEST_F(OpsEngineTest, ListPagesThroughAProcess) {
  for (int i = 0; i < 5; ++i)
    Create(kHoldConvId, absl::StrCat("l", i), absl::StrCat(R"({"i":)", i, "}"));
  dom::element first =
      RunOne(R"({"type":"list","obj":"task","conv_id":1002,"limit":2,"order":"desc"})");
  EXPECT_EQ(Str(first["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(first["tasks"].at(0)["ref"]), "l4");
  EXPECT_EQ(Str(first["tasks"].at(1)["ref"]), "l3");
  EXPECT_EQ(Str(first["tasks"].at(1)["park_reason"]), "no_exit");  // hold has no exit
  const std::string cursor = Str(first["next_cursor"]);
  dom::element second = RunOne(absl::StrCat(
      R"({"type":"list","obj":"task","conv_id":1002,"limit":2,"order":"desc","cursor":")", cursor,
      R"("})"));
  EXPECT_EQ(Str(second["tasks"].at(0)["ref"]), "l2") << reply_;
  dom::element other = RunOne(absl::StrCat(
      R"({"type":"list","obj":"task","conv_id":1002,"limit":2,"cursor":")", cursor, R"("})"));
  EXPECT_EQ(Str(other["proc"]), "error") << reply_;
  EXPECT_THAT(Str(other["description"]), HasSubstr("made for another query"));
  dom::element found =
      RunOne(R"({"type":"list","obj":"task","conv_id":1002,"data_path":"i","data_value":3})");
  EXPECT_EQ(Str(found["tasks"].at(0)["ref"]), "l3") << reply_;
  EXPECT_TRUE(IsNullField(found["next_cursor"])) << reply_;
  dom::element unknown = RunOne(R"({"type":"list","obj":"task","conv_id":4242})");
  EXPECT_THAT(Str(unknown["description"]), HasSubstr("process not found")) << reply_;
}

TEST_F(OpsEngineTest, DuplicateRefOfAParkedTaskIsRefused) {
  Create(kHoldConvId, "dup", "{}");
  dom::element result =
      RunOne(R"({"type":"create","obj":"task","conv_id":1002,"ref":"dup","id":"again"})");
  EXPECT_EQ(Str(result["id"]), "again");
  EXPECT_EQ(Str(result["proc"]), "error") << reply_;
  EXPECT_THAT(Str(result["description"]), StartsWith("not unical reference")) << reply_;
  EXPECT_EQ(Str(result["key"]), "ref");
}

TEST_F(OpsEngineTest, DeleteOnlyFromTheNamedNode) {
  const std::string obj_id = Create(kHoldConvId, "d1", "{}");

  dom::element refused =
      RunOne(absl::StrCat(R"({"type":"delete","obj":"task","conv_id":1002,)", R"("obj_id":")",
                          obj_id, R"(","node_id":"b00000000000000000000001"})"));
  EXPECT_EQ(Str(refused["proc"]), "error") << reply_;
  EXPECT_THAT(Str(refused["description"]), StartsWith("operation refused")) << reply_;

  dom::element deleted =
      RunOne(absl::StrCat(R"({"type":"delete","obj":"task","conv_id":1002,)", R"("obj_id":")",
                          obj_id, R"(","node_id":")", kHoldNode, R"("})"));
  EXPECT_EQ(Str(deleted["proc"]), "ok") << reply_;
  EXPECT_EQ(Str(deleted["obj_id"]), obj_id);

  // The ref no longer names a live task: a show finds the deleted one (as
  // the archive does with a store), and the ref is free for a new task.
  dom::element shown = RunOne(R"({"type":"show","obj":"task","conv_id":1002,"ref":"d1"})");
  EXPECT_EQ(Str(shown["status"]), "deleted") << reply_;
  const std::string again = Create(kHoldConvId, "d1", "{}");
  EXPECT_NE(again, obj_id);
  shown = RunOne(R"({"type":"show","obj":"task","conv_id":1002,"ref":"d1"})");
  EXPECT_EQ(Str(shown["obj_id"]), again) << reply_;
}

TEST_F(OpsEngineTest, UnknownTasksAndProcesses) {
  dom::element result =
      RunOne(R"({"type":"show","obj":"task","obj_id":"0123456789abcdef01234567"})");
  EXPECT_EQ(Str(result["proc"]), "obj_id_not_found") << reply_;
  result = RunOne(R"({"type":"modify","obj":"task","conv_id":1001,"ref":"none","data":{}})");
  EXPECT_EQ(Str(result["proc"]), "obj_id_not_found") << reply_;
  result = RunOne(R"({"type":"delete","obj":"task","conv_id":1002,"ref":"none"})");
  EXPECT_EQ(Str(result["proc"]), "obj_id_not_found") << reply_;
  result = RunOne(R"({"type":"create","obj":"task","conv_id":4242})");
  EXPECT_EQ(Str(result["proc"]), "error") << reply_;
  EXPECT_THAT(Str(result["description"]), StartsWith("process not found")) << reply_;
}

TEST_F(OpsEngineTest, ATaskOfAnotherProcessIsNotFoundByObjId) {
  const std::string obj_id = Create(kHoldConvId, "x1", "{}");
  dom::element result = RunOne(absl::StrCat(R"({"type":"show","obj":"task","conv_id":1001,)",
                                            R"("obj_id":")", obj_id, R"("})"));
  EXPECT_EQ(Str(result["proc"]), "obj_id_not_found") << reply_;
}

TEST_F(OpsEngineTest, ManyOpsInOneRequest) {
  std::string body = R"({"ops":[)";
  for (int i = 0; i < 50; ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "",
                    R"({"type":"create","obj":"task","conv_id":1002,"ref":"m)", i,
                    R"(","data":{"i":)", i, R"(},"id":)", i, "}");
  }
  absl::StrAppend(&body, R"(,{"type":"create","obj":"task","conv_id":1002,"ref":"m7"}]})");
  reply_ = HandleOps(*engine_, body);
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  dom::element root;
  ASSERT_EQ(parser_.parse(reply_).get(root), simdjson::SUCCESS) << reply_;
  dom::array ops;
  ASSERT_EQ(root["ops"].get(ops), simdjson::SUCCESS) << reply_;
  ASSERT_EQ(ops.size(), 51u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Int(ops.at(i)["id"]), i);
    EXPECT_EQ(Str(ops.at(i)["proc"]), "ok") << i;
  }
  EXPECT_EQ(Str(ops.at(50)["proc"]), "error");

  dom::element shown = RunOne(R"({"type":"show","obj":"task","conv_id":1002,"ref":"m33"})");
  EXPECT_EQ(Int(shown["data"]["i"]), 33) << reply_;
}

TEST_F(OpsEngineTest, FormatErrorThroughTheEngine) {
  reply_ = HandleOps(*engine_, R"({"ops":[]})");
  EXPECT_THAT(reply_, StartsWith(R"({"request_proc":"format_error","description":)"));
  EXPECT_THAT(reply_, HasSubstr(R"("ops":[])"));
}

}  // namespace
}  // namespace convey
