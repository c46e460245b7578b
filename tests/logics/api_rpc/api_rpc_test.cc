// The api_rpc logic: a call that waits for the reply, and its stub mode
// (branches of go_if_const conditions and api_rpc_reply replies, run in
// place of the call); one compiled logic on several threads (run under TSan
// and ASan too).
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/logics/fakes.h"
#include "tests/logics/logic_testing.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

using testing::Build;
using testing::DeployError;
using testing::ExpectFail;
using testing::FakeBuilder;
using testing::FakeTask;
using testing::Items;
using testing::Json;
using testing::kBoolean;
using testing::kNumber;
using testing::kObject;
using testing::kString;
using testing::MustBuild;
using testing::Stub;
using testing::Typed;

std::string RpcLogic(const std::string& conv_id, const Items& extra, const std::string& group = "",
                     const std::string& err = "err") {
  return absl::StrCat(R"j({"type":"api_rpc","conv_id":)j", Json(conv_id), R"j(,"group":)j",
                      Json(group), R"j(,"is_sync":true,"err_node_id":)j", Json(err), ",",
                      Typed("extra", "extra_type", extra), "}");
}

TEST(ApiRpcTest, CallsAndWaitsForTheReply) {
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("99", {{"objId", "{{objId}}", kString}}), builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_THAT(builder.referenced, ElementsAre(99));
  EXPECT_EQ(logic->error_family(), "rpc");
  EXPECT_EQ(logic->error_node().index, 2u);
  FakeTask task(R"j({"objId":12,"mode":"x"})j");
  LogicResult result = logic->Run(task);
  EXPECT_EQ(result.kind, LogicResult::Kind::kPark);
  EXPECT_EQ(result.park, ParkReason::kReply);
  ASSERT_EQ(task.called.size(), 1u);
  EXPECT_EQ(task.called[0].conv_id, 99);
  EXPECT_EQ(task.called[0].json, R"j({"objId":"12"})j");
  EXPECT_THAT(task.writes, IsEmpty());

  auto all = MustBuild(RpcLogic("99", {{"objId", "{{objId}}", kString}}, "all"), builder);
  FakeTask all_task(R"j({"objId":12,"mode":"x"})j");
  EXPECT_EQ(all->Run(all_task).park, ParkReason::kReply);
  ASSERT_EQ(all_task.called.size(), 1u);
  EXPECT_EQ(all_task.called[0].json, R"j({"objId":"12","mode":"x"})j");
}

TEST(ApiRpcTest, Errors) {
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("{{c}}", {{"n", "{{n}}", kNumber}}), builder);
  ASSERT_NE(logic, nullptr);
  struct Case {
    absl::Status status;
    bool hardware;
    std::string tag;
    std::string description;
  };
  for (const Case& c :
       std::vector<Case>{{absl::NotFoundError("no process"), false, "rpc_task_fatal_error",
                          "process 99 is not deployed"},
                         {absl::ResourceExhaustedError("calls nested deeper than 32"), false,
                          "rpc_task_fatal_error", "calls nested deeper than 32"},
                         {absl::InvalidArgumentError("200000 bytes"), false,
                          "rpc_task_size_overflow", "200000 bytes"},
                         {absl::OutOfRangeError("(max_tasks_per_tree)"), false, "rpc_task_limit",
                          "(max_tasks_per_tree)"},
                         {absl::InternalError("broken"), true, "rpc_task_fatal_error", "broken"}}) {
    FakeTask task(R"j({"c":99,"n":1})j");
    task.call_result = c.status;
    ExpectFail(logic->Run(task), c.hardware, c.tag, c.description);
  }
  FakeTask bad(R"j({"c":99,"n":"x"})j");
  ExpectFail(logic->Run(bad), false, "rpc_task_wrong_convert_param",
             "Param: n, Value: x, Try convert to: number");
  EXPECT_THAT(bad.called, IsEmpty());
  FakeTask bad_conv(R"j({"c":"nine","n":1})j");
  ExpectFail(logic->Run(bad_conv), false, "rpc_task_wrong_convert_param", "Param: conv_id");
  FakeTask alias(R"j({"c":"@svc","n":1})j");
  ExpectFail(logic->Run(alias), false, "rpc_task_fatal_error", "@svc");
  EXPECT_THAT(alias.called, IsEmpty());
}

TEST(ApiRpcTest, DeployErrors) {
  EXPECT_THAT(DeployError(RpcLogic("x1", {})), StartsWith("logic.conv_id: conv_id \"x1\": "));
  EXPECT_THAT(DeployError(RpcLogic("1", {{"a[", "1", kString}})),
              StartsWith("logic.extra: extra key \"a[\": "));
  EXPECT_THAT(DeployError(RpcLogic("1", {}, "", "nowhere")),
              StartsWith("logic: api_rpc.err_node_id \"nowhere\" names no node"));
  EXPECT_EQ(DeployError(R"j({"type":"api_rpc","is_sync":2})j"),
            "logic: api_rpc has no conv_id\n"
            "logic.is_sync: is_sync must be a boolean, not a number");
  // No is_sync: the call waits (the default, true).
  FakeBuilder builder;
  auto logic = MustBuild(R"j({"type":"api_rpc","conv_id":"7"})j", builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task("{}");
  EXPECT_EQ(logic->Run(task).park, ParkReason::kReply);
}

// ---------------------------------------------------------------------------
// api_rpc in stub mode (the shapes of corpus file 036: a go_if_const branch
// that throws, then a `keys` branch)

// A go_if_const step of a stub branch: `param` == `value` (string).
std::string IfStep(const std::string& param, const std::string& value) {
  return absl::StrCat(R"j({"type":"go_if_const","to_node_id":"a","conditions":[{"param":)j",
                      Json(param), R"j(,"fun":"eq","const":)j", Json(value),
                      R"j(,"cast":"string"}]})j");
}

// An api_rpc_reply object with `fields` (JSON members, without braces).
std::string ReplyStep(const std::string& fields) {
  return absl::StrCat(R"j({"type":"api_rpc_reply",)j", fields, "}");
}

Stub CorpusStub(const std::string& reason = "stub error") {
  return {
      {IfStep("{{mode}}", "error"),
       ReplyStep(absl::StrCat(R"j("mode":"key_value",)j",
                              Typed("res_data", "res_data_type", {{"status", "error", kString}}),
                              R"j(,"throw_exception":true,"exception_reason":)j", Json(reason)))},
      {ReplyStep(R"j("mode":"keys","res_data":["stub_node_response"])j")}};
}

constexpr NodeKind kStub = NodeKind::kStub;

TEST(ApiRpcStubTest, FirstMatchingBranchReplies) {
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("123456", {{"objId", "{{objId}}", kString}}, "all"), builder,
                         kStub, CorpusStub());
  ASSERT_NE(logic, nullptr);
  EXPECT_THAT(builder.referenced, IsEmpty());  // a stub calls nothing

  FakeTask ok(R"j({"mode":"ok","objId":1,"stub_node_response":{"x":[1]}})j");
  EXPECT_EQ(logic->Run(ok).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(ok.called, IsEmpty());
  EXPECT_THAT(ok.writes,
              ElementsAre(R"j(stub_node_response={"x":[1]})j", "__logic_stub_mode__=true"));

  FakeTask missing(R"j({"mode":"ok","objId":1})j");
  EXPECT_EQ(logic->Run(missing).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(missing.writes, ElementsAre("__logic_stub_mode__=true"));

  FakeTask error(R"j({"mode":"error","objId":1})j");
  LogicResult result = logic->Run(error);
  EXPECT_EQ(result.kind, LogicResult::Kind::kGoTo);
  EXPECT_EQ(result.node.index, 2u);
  EXPECT_THAT(error.writes,
              ElementsAre(R"j(status="error")j", "__logic_stub_mode__=true",
                          R"j(__conveyor_rpc_reply_return_type_error__="software")j",
                          R"j(__conveyor_rpc_reply_return_type_tag__="rpc_reply_exception")j",
                          R"j(__conveyor_rpc_reply_return_description__="stub error")j"));
  EXPECT_THAT(error.called, IsEmpty());
}

TEST(ApiRpcStubTest, ConditionsAndRepliesReadTheDataThatWouldBeSent) {
  // Only `extra` is sent: the branch sees mode = the task's `m`, not its `mode`.
  const Stub stub = {
      {IfStep("mode", "error"),
       ReplyStep(Typed("res_data", "res_data_type",
                       {{"echo", "{{mode}}-{{id}}", kString}, {"a\\.b", "{{id}}", kNumber}}))}};
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("1", {{"mode", "{{m}}", kString}, {"id", "{{n}}", kNumber}}),
                         builder, kStub, stub);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"m":"error","mode":"ok","n":"7","id":"task's own"})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(task.writes,
              ElementsAre(R"j(echo="error-7")j", "a\\.b=7", "__logic_stub_mode__=true"));
  FakeTask other(R"j({"m":"fine","mode":"error","n":"7"})j");
  ExpectFail(logic->Run(other), false, "rpc_task_fatal_error", "no stub branch matched");
  EXPECT_THAT(other.writes, IsEmpty());
}

TEST(ApiRpcStubTest, EveryGoIfConstOfABranchMustHold) {
  const Stub stub = {
      {IfStep("a", "1"), IfStep("b", "2"), ReplyStep(R"j("res_data":{"r":"both"})j")},
      {ReplyStep(R"j("res_data":{"r":"other"})j")}};
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("1", {}, "all"), builder, kStub, stub);
  ASSERT_NE(logic, nullptr);
  FakeTask both(R"j({"a":"1","b":"2"})j");
  EXPECT_EQ(logic->Run(both).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(both.writes, ElementsAre(R"j(r="both")j", "__logic_stub_mode__=true"));
  FakeTask one(R"j({"a":"1","b":"3"})j");
  EXPECT_EQ(logic->Run(one).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(one.writes, ElementsAre(R"j(r="other")j", "__logic_stub_mode__=true"));
}

TEST(ApiRpcStubTest, ABranchWithoutAReplyIsSkipped) {
  // The importer reports it; the factory must not trip over it.
  const Stub stub = {{IfStep("a", "1")}, {}, {ReplyStep(R"j("res_data":{"r":"last"})j")}};
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("1", {}, "all"), builder, kStub, stub);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"a":"1"})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(task.writes, ElementsAre(R"j(r="last")j", "__logic_stub_mode__=true"));
  // No branch at all: no reply for anyone.
  auto none = MustBuild(RpcLogic("1", {}), builder, kStub, {});
  ASSERT_NE(none, nullptr);
  FakeTask alone("{}");
  ExpectFail(none->Run(alone), false, "rpc_task_fatal_error", "no stub branch matched");
}

TEST(ApiRpcStubTest, ThrowingWithoutAnErrorNodeStopsTheTask) {
  // The reason is a template over the data that would have been sent.
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("1", {{"objId", "{{id}}", kString}}, "all", ""), builder, kStub,
                         CorpusStub("failed: {{objId}}"));
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"mode":"error","id":5})j");
  LogicResult result = logic->Run(task);
  EXPECT_EQ(result.kind, LogicResult::Kind::kFail);
  EXPECT_FALSE(result.node.valid());
  EXPECT_EQ(result.family, "rpc_reply");
  EXPECT_FALSE(result.hardware);
  EXPECT_EQ(result.tag, "rpc_reply_exception");
  EXPECT_EQ(result.description, "failed: 5");
}

TEST(ApiRpcStubTest, ReplyConversionsFailInFamilyRpcReply) {
  const Stub stub = {
      {ReplyStep(R"j("mode":"keys","res_data":["n"],"res_data_type":{"n":"number"})j")}};
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("1", {}, "all"), builder, kStub, stub);
  ASSERT_NE(logic, nullptr);
  FakeTask number(R"j({"n":"5"})j");
  EXPECT_EQ(logic->Run(number).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(number.writes, ElementsAre("n=5", "__logic_stub_mode__=true"));
  FakeTask bad(R"j({"n":"five"})j");
  LogicResult result = logic->Run(bad);
  ExpectFail(result, false, "rpc_reply_wrong_convert_param",
             "Param: n, Value: five, Try convert to: number");
  EXPECT_EQ(result.family, "rpc_reply");
}

TEST(ApiRpcStubTest, DeployIgnoresConvIdAndChecksBranches) {
  FakeBuilder builder;
  // Never called: an alias or even garbage is not an error in stub mode.
  EXPECT_NE(MustBuild(RpcLogic("@svc", {}), builder, kStub, CorpusStub()), nullptr);
  EXPECT_NE(MustBuild(RpcLogic("not a number", {}), builder, kStub, CorpusStub()), nullptr);
  // Problems of a branch are located at its step.
  Stub bad_param = CorpusStub();
  bad_param[1].insert(bad_param[1].begin(), IfStep("{{}}", ""));
  EXPECT_THAT(DeployError(RpcLogic("1", {}), kStub, bad_param),
              StartsWith("stub[1][0].conditions[0].param: "));
  Stub bad_fun = CorpusStub();
  bad_fun[0][0] = R"j({"type":"go_if_const","conditions":[{"param":"a","fun":"like"}]})j";
  EXPECT_EQ(DeployError(RpcLogic("1", {}), kStub, bad_fun),
            "stub[0][0].conditions[0].fun: go_if_const fun \"like\" is not one of eq, not_eq, "
            "more, less, more_or_eq, less_or_eq, regexp");
  Stub bad_key = CorpusStub();
  bad_key[1][0] = ReplyStep(R"j("mode":"keys","res_data":["a..b"])j");
  EXPECT_THAT(DeployError(RpcLogic("1", {}), kStub, bad_key),
              StartsWith("stub[1][0].res_data: res_data key \"a..b\": "));
  Stub bad_mode = CorpusStub();
  bad_mode[0][1] = ReplyStep(R"j("mode":"values")j");
  EXPECT_EQ(DeployError(RpcLogic("1", {}), kStub, bad_mode),
            "stub[0][1].mode: api_rpc_reply mode \"values\" is not \"key_value\" or \"keys\"");
  // One deploy lists the logic's problems and its branches'.
  EXPECT_EQ(DeployError(R"j({"type":"api_rpc","conv_id":"1","is_sync":"x"})j", kStub, bad_mode),
            "logic.is_sync: is_sync must be a boolean, not a string\n"
            "stub[0][1].mode: api_rpc_reply mode \"values\" is not \"key_value\" or \"keys\"");
  // The same logic in a normal node is a real call.
  FakeBuilder normal_builder;
  auto call = MustBuild(RpcLogic("5", {}), normal_builder, NodeKind::kNormal, CorpusStub());
  ASSERT_NE(call, nullptr);
  FakeTask task(R"j({"mode":"error"})j");
  EXPECT_EQ(call->Run(task).park, ParkReason::kReply);
  EXPECT_EQ(task.called.size(), 1u);
}

// An api_queue with `data` + `data_type`.
std::string QueueLogic(const Items& data) {
  return absl::StrCat(R"j({"type":"api_queue",)j", Typed("data", "data_type", data), "}");
}

// Logics are shared by the engine's workers: one compiled logic, many tasks
// at once (run under TSan too).
TEST(ConcurrencyTest, SharedLogicsRunOnManyThreads) {
  FakeBuilder builder;
  auto queue = MustBuild(QueueLogic({{"n", "{{n}}", kNumber}}), builder);
  auto stub =
      MustBuild(RpcLogic("1", {{"objId", "{{n}}", kString}}, "all"), builder, kStub, CorpusStub());
  ASSERT_NE(queue, nullptr);
  ASSERT_NE(stub, nullptr);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string n = absl::StrCat(t * 1000 + i);
        FakeTask task(absl::StrCat(R"j({"n":")j", n, R"j(","mode":"error"})j"));
        queue->Run(task);
        if (task.queued.size() != 1 || task.queued[0] != absl::StrCat(R"j({"n":)j", n, "}")) {
          ++mismatches[t];
        }
        if (stub->Run(task).kind != LogicResult::Kind::kGoTo) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

}  // namespace
}  // namespace convey
