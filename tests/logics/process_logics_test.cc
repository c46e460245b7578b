// The logics that reach other tasks and processes: api_copy (create and
// modify), api_rpc (and its stub mode), api_rpc_reply, api_queue and
// api_get_task, against a fake task whose services record every call and
// answer with scripted results.
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/logics/fakes.h"

namespace convey {
namespace {

using testing::Build;
using ::testing::ElementsAre;
using testing::FakeBuilder;
using testing::FakeTask;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using ::testing::StartsWith;

// key, value, type name.
using Items = std::vector<std::tuple<std::string, std::string, std::string>>;
constexpr char kString[] = "string";
constexpr char kNumber[] = "number";
constexpr char kObject[] = "object";
constexpr char kBoolean[] = "boolean";

// `text` as a JSON string.
std::string Json(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The members `"<values_key>":{...},"<types_key>":{...}` of a typed map.
std::string Typed(const std::string& values_key, const std::string& types_key, const Items& items) {
  std::string values;
  std::string types;
  for (const auto& [key, value, type] : items) {
    absl::StrAppend(&values, values.empty() ? "" : ",", Json(key), ":", Json(value));
    absl::StrAppend(&types, types.empty() ? "" : ",", Json(key), ":", Json(type));
  }
  return absl::StrCat(Json(values_key), ":{", values, "},", Json(types_key), ":{", types, "}");
}

using Stub = std::vector<std::vector<std::string>>;

// Builds `config`, failing the test when it does not compile.
std::unique_ptr<Logic> MustBuild(const std::string& config, FakeBuilder& builder,
                                 NodeKind kind = NodeKind::kNormal, const Stub& stub = {}) {
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder, kind, stub);
  EXPECT_TRUE(logic.ok()) << logic.status();
  return logic.ok() ? *std::move(logic) : nullptr;
}

// The deploy error: "LOCATION: MESSAGE" per reported error.
std::string DeployError(const std::string& config, NodeKind kind = NodeKind::kNormal,
                        const Stub& stub = {}) {
  FakeBuilder builder;
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder, kind, stub);
  EXPECT_FALSE(logic.ok()) << config;
  return logic.ok() ? "" : std::string(logic.status().message());
}

void ExpectFail(const LogicResult& result, bool hardware, const std::string& tag,
                const std::string& description_part, uint32_t node = 2) {
  EXPECT_EQ(result.kind, LogicResult::Kind::kFail);
  EXPECT_EQ(result.hardware, hardware);
  EXPECT_EQ(result.tag, tag);
  EXPECT_THAT(result.description, HasSubstr(description_part));
  EXPECT_EQ(result.node.index, node);
}

// ---------------------------------------------------------------------------
// api_copy, mode create

std::string CopyLogic(const std::string& conv_id, const std::string& ref, const Items& data,
                      const std::string& group = "", const std::string& mode = "create",
                      const std::string& more = "") {
  return absl::StrCat(R"j({"type":"api_copy","mode":)j", Json(mode), R"j(,"conv_id":)j",
                      Json(conv_id), R"j(,"ref":)j", Json(ref), R"j(,"group":)j", Json(group),
                      R"j(,"err_node_id":"err",)j", Typed("data", "data_type", data), more, "}");
}

TEST(ApiCopyTest, CreateSendsDataAndWhereItCameFrom) {
  FakeBuilder builder;
  auto logic = MustBuild(
      CopyLogic(
          "42", "{{id}}",
          {{"amount", "{{n}}", kNumber}, {"who.name", "x", kString}, {"{{k}}", "{{n}}", kString}}),
      builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_THAT(builder.referenced, ElementsAre(42));
  EXPECT_EQ(logic->error_family(), "copy_task");
  EXPECT_EQ(logic->error_node().index, 2u);
  FakeTask task(R"j({"id":"r1","n":"5","k":"dyn","other":1})j");
  task.conv_id_value = 7;
  task.ref_value = "my-ref";
  task.node_id_value = "b";
  LogicResult result = logic->Run(task);
  EXPECT_EQ(result.kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.started.size(), 1u);
  EXPECT_EQ(task.started[0].conv_id, 42);
  EXPECT_EQ(task.started[0].ref, "r1");
  EXPECT_EQ(task.started[0].json, R"j({"amount":5,"who":{"name":"x"},"dyn":"5","copy_conv_id":7,)j"
                                  R"j("copy_node_id":"b","copy_ref_id":"my-ref"})j");
  // The original task gets only the result.
  EXPECT_THAT(task.writes, ElementsAre(R"j(__conveyor_copy_task_result__="ok")j"));
}

TEST(ApiCopyTest, GroupAllCopiesTheTaskDataFirst) {
  FakeBuilder builder;
  auto logic = MustBuild(CopyLogic("42", "", {{"n", "{{n}}", kNumber}}, "all"), builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"n":"5","keep":[1,{"a":null}]})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.started.size(), 1u);
  EXPECT_EQ(task.started[0].ref, "");
  // No ref: the copy is told the obj_id.
  EXPECT_EQ(task.started[0].json,
            R"j({"n":5,"keep":[1,{"a":null}],"copy_conv_id":1,"copy_node_id":"a",)j"
            R"j("copy_ref_id":"000000000000000000000001"})j");
}

TEST(ApiCopyTest, CopyFieldsWinOverDataOfTheSameName) {
  FakeBuilder builder;
  auto logic = MustBuild(CopyLogic("42", "", {{"copy_node_id", "mine", kString}}), builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task("{}");
  logic->Run(task);
  ASSERT_EQ(task.started.size(), 1u);
  EXPECT_THAT(task.started[0].json, HasSubstr(R"j("copy_node_id":"a")j"));
  EXPECT_THAT(task.started[0].json, ::testing::Not(HasSubstr("mine")));
}

TEST(ApiCopyTest, ConvIdFromATemplate) {
  FakeBuilder builder;
  auto logic = MustBuild(CopyLogic("{{target}}", "", {}), builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_THAT(builder.referenced, IsEmpty());  // not known at deploy
  for (const char* data : {R"j({"target":43})j", R"j({"target":"43"})j", R"j({"target":43.0})j"}) {
    FakeTask task(data);
    EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext) << data;
    ASSERT_EQ(task.started.size(), 1u) << data;
    EXPECT_EQ(task.started[0].conv_id, 43) << data;
  }
  for (const char* data : {R"j({"target":"abc"})j", R"j({"target":4.5})j", R"j({"target":-1})j",
                           R"j({"target":" 43"})j", "{}"}) {
    FakeTask task(data);
    LogicResult result = logic->Run(task);
    ExpectFail(result, false, "copy_task_wrong_convert_param", "Param: conv_id, Value: ");
    EXPECT_THAT(result.description, HasSubstr("Try convert to: number")) << data;
    EXPECT_THAT(task.started, IsEmpty());
    EXPECT_THAT(task.writes, IsEmpty());
  }
}

TEST(ApiCopyTest, AnAliasIsNotActive) {
  for (const char* conv_id : {"@billing", "@{{alias}}"}) {
    FakeBuilder builder;
    auto logic = MustBuild(CopyLogic(conv_id, "", {}), builder);
    ASSERT_NE(logic, nullptr);
    FakeTask task(R"j({"alias":"billing"})j");
    ExpectFail(logic->Run(task), false, "conveyor_is_not_active", "\"@billing\"");
    EXPECT_THAT(task.started, IsEmpty());
  }
}

TEST(ApiCopyTest, StartTaskErrors) {
  FakeBuilder builder;
  auto logic = MustBuild(CopyLogic("42", "r", {}), builder);
  ASSERT_NE(logic, nullptr);
  struct Case {
    absl::Status status;
    bool hardware;
    std::string tag;
    std::string description;
  };
  for (const Case& c : std::vector<Case>{
           {absl::NotFoundError("no process"), false, "conveyor_is_not_active",
            "process 42 is not deployed"},
           {absl::AlreadyExistsError("ref r is taken"), false, "not_unical_ref", "ref r is taken"},
           {absl::InvalidArgumentError("200000 bytes"), false, "copy_task_size_overflow_limit",
            "200000 bytes"},
           {absl::ResourceExhaustedError("queue full"), true, "copy_task_fatal_error",
            "queue full"}}) {
    FakeTask task("{}");
    task.start_result = c.status;
    LogicResult result = logic->Run(task);
    ExpectFail(result, c.hardware, c.tag, c.description);
    EXPECT_TRUE(result.family.empty());  // the logic's own family
    EXPECT_THAT(task.writes, IsEmpty());
  }
}

TEST(ApiCopyTest, ConversionFailureSendsNothing) {
  FakeBuilder builder;
  auto logic =
      MustBuild(CopyLogic("42", "", {{"ok", "1", kNumber}, {"bad", "{{s}}", kObject}}), builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"s":"not json"})j");
  ExpectFail(logic->Run(task), false, "copy_task_wrong_convert_param",
             "Param: bad, Value: not json, Try convert to: object");
  EXPECT_THAT(task.started, IsEmpty());
}

TEST(ApiCopyTest, BadKeysAndHugeData) {
  FakeBuilder builder;
  auto logic = MustBuild(CopyLogic("42", "", {{"{{k}}", "1", kString}}), builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"k":"a..b"})j");
  ExpectFail(logic->Run(task), false, "copy_task_wrong_convert_param", "Param: a..b: ");
  // A path that pads an array past any task size.
  auto huge = MustBuild(CopyLogic("42", "", {{"a[2000000000]", "1", kString}}), builder);
  ASSERT_NE(huge, nullptr);
  FakeTask big("{}");
  ExpectFail(huge->Run(big), false, "copy_task_size_overflow_limit", "bytes");
  EXPECT_THAT(big.started, IsEmpty());
}

TEST(ApiCopyTest, RefLongerThanTheEngineAllows) {
  FakeBuilder builder;
  auto logic = MustBuild(CopyLogic("42", "{{r}}", {}), builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(absl::StrCat(R"j({"r":")j", std::string(256, 'x'), R"j("})j"));
  ExpectFail(logic->Run(task), false, "wrong_validate_params", "256 bytes");
  EXPECT_THAT(task.started, IsEmpty());
}

TEST(ApiCopyTest, DeployErrorsNameTheField) {
  EXPECT_EQ(DeployError(CopyLogic("42", "", {}, "", "move")),
            "logic.mode: api_copy mode \"move\" is not \"create\" or \"modify\"");
  for (const char* bad : {"abc", "-5", "0", "1.5", "", "12ab"}) {
    EXPECT_THAT(DeployError(CopyLogic(bad, "", {})),
                StartsWith(absl::StrCat("logic.conv_id: conv_id \"", bad, "\": ")))
        << bad;
  }
  EXPECT_THAT(DeployError(CopyLogic("{{}}", "", {})), StartsWith("logic.conv_id: conv_id"));
  EXPECT_THAT(DeployError(CopyLogic("42", "{{}}", {})), StartsWith("logic.ref: ref \"{{}}\": "));
  EXPECT_THAT(DeployError(CopyLogic("42", "", {{"a..b", "1", kString}})),
              StartsWith("logic.data: data key \"a..b\": "));
  EXPECT_THAT(DeployError(CopyLogic("42", "", {{"x", "$.nosuch(1)", kString}})),
              StartsWith("logic.data: data.x: "));
  EXPECT_THAT(DeployError(R"j({"type":"api_copy","conv_id":42,"err_node_id":"nowhere"})j"),
              StartsWith("logic: api_copy.err_node_id \"nowhere\" names no node"));
  EXPECT_EQ(DeployError(R"j({"type":"api_copy","mode":"modify","ref":"r"})j"),
            "logic: api_copy has no conv_id");
  EXPECT_EQ(DeployError(R"j({"type":"api_copy","conv_id":42,"is_sync":"yes","group":1})j"),
            "logic.group: group must be a string, not a number\n"
            "logic.is_sync: is_sync must be a boolean, not a string");
}

TEST(ApiCopyTest, DefaultsAndNumbers) {
  // No mode: create; conv_id as a JSON number; untyped data are strings.
  FakeBuilder builder;
  auto logic = MustBuild(R"j({"type":"api_copy","conv_id":42,"data":{"n":5}})j", builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_THAT(builder.referenced, ElementsAre(42));
  EXPECT_EQ(logic->error_family(), "copy_task");
  EXPECT_FALSE(logic->error_node().valid());
  EXPECT_THAT(testing::Warnings(builder),
              ElementsAre("logic.data.n: data_type has no entry for \"n\"; it is written as a "
                          "string"));
  FakeTask task("{}");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.started.size(), 1u);
  EXPECT_THAT(task.started[0].json, StartsWith(R"j({"n":"5","copy_conv_id":)j"));
}

// ---------------------------------------------------------------------------
// api_copy, mode modify

TEST(ApiCopyModifyTest, MergesDataIntoTheTaskByRef) {
  FakeBuilder builder;
  auto logic = MustBuild(CopyLogic("42", "{{r}}", {{"answer", "{{a}}", kBoolean}}, "", "modify",
                                   R"j(,"is_sync":true)j"),
                         builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(logic->error_family(), "modify_task");
  FakeTask task(R"j({"r":"order-1","a":"true"})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(task.started, IsEmpty());
  ASSERT_EQ(task.modified.size(), 1u);
  EXPECT_EQ(task.modified[0].conv_id, 42);
  EXPECT_EQ(task.modified[0].ref, "order-1");
  EXPECT_EQ(task.modified[0].json, R"j({"answer":true})j");  // no copy_* fields
  EXPECT_TRUE(task.modified[0].flag);                        // is_sync
  EXPECT_THAT(task.writes, ElementsAre(R"j(__conveyor_copy_task_result__="ok")j"));

  // group all sends the whole task too; is_sync false checks only existence.
  auto all_logic = MustBuild(
      CopyLogic("42", "{{r}}", {{"answer", "{{a}}", kBoolean}}, "all", "modify"), builder);
  FakeTask all_task(R"j({"r":"order-1","a":"true"})j");
  all_logic->Run(all_task);
  ASSERT_EQ(all_task.modified.size(), 1u);
  EXPECT_EQ(all_task.modified[0].json, R"j({"r":"order-1","a":"true","answer":true})j");
  EXPECT_FALSE(all_task.modified[0].flag);
}

TEST(ApiCopyModifyTest, Errors) {
  FakeBuilder builder;
  auto logic =
      MustBuild(CopyLogic("{{c}}", "{{r}}", {{"n", "{{n}}", kNumber}}, "", "modify"), builder);
  ASSERT_NE(logic, nullptr);
  struct Case {
    absl::Status status;
    bool hardware;
    std::string tag;
  };
  for (const Case& c : std::vector<Case>{
           {absl::NotFoundError("no task r"), false, "not_found_task"},
           {absl::FailedPreconditionError("not waiting"), false,
            "no_api_callback_in_node_with_task"},
           {absl::AbortedError("claimed"), false, "duplicate_callback"},
           {absl::InvalidArgumentError("too large"), false, "modify_task_size_overflow_limit"},
           {absl::ResourceExhaustedError("full"), true, "modify_task_fatal_error"}}) {
    FakeTask task(R"j({"c":42,"r":"x","n":1})j");
    task.modify_result = c.status;
    ExpectFail(logic->Run(task), c.hardware, c.tag, std::string(c.status.message()));
    EXPECT_EQ(task.modified.size(), 1u);
    EXPECT_THAT(task.writes, IsEmpty());
  }
  FakeTask no_ref(R"j({"c":42,"n":1})j");
  ExpectFail(logic->Run(no_ref), false, "wrong_validate_params", "ref is empty");
  EXPECT_THAT(no_ref.modified, IsEmpty());
  FakeTask bad_number(R"j({"c":42,"r":"x","n":"many"})j");
  ExpectFail(logic->Run(bad_number), false, "modify_task_wrong_convert_param",
             "Param: n, Value: many, Try convert to: number");
  FakeTask bad_conv(R"j({"c":"x","r":"x","n":1})j");
  ExpectFail(logic->Run(bad_conv), false, "modify_task_wrong_convert_param", "Param: conv_id");
  FakeTask alias(R"j({"c":"@orders","r":"x","n":1})j");
  ExpectFail(logic->Run(alias), false, "conveyor_is_not_active", "@orders");
  EXPECT_THAT(alias.modified, IsEmpty());
}

// ---------------------------------------------------------------------------
// api_rpc

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

// ---------------------------------------------------------------------------
// api_rpc_reply

// An api_rpc_reply with `mode` (none when empty), `res_data` +
// `res_data_type` and more members.
std::string ReplyLogic(const std::string& mode, const Items& res_data,
                       const std::string& more = "") {
  return absl::StrCat(R"j({"type":"api_rpc_reply",)j",
                      mode.empty() ? "" : absl::StrCat(R"j("mode":)j", Json(mode), ","),
                      Typed("res_data", "res_data_type", res_data), more, "}");
}

TEST(ApiRpcReplyTest, KeyValueRepliesTypedValues) {
  FakeBuilder builder;
  auto logic = MustBuild(ReplyLogic("key_value", {{"result", "ok", kString},
                                                  {"payload", "{{response}}", kObject},
                                                  {"n", "{{count}}", kNumber},
                                                  {"deep.er", "{{count}}", kString}}),
                         builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(logic->error_family(), "rpc_reply");
  EXPECT_FALSE(logic->error_node().valid());
  FakeTask task(R"j({"response":"{\"a\":1}","count":"3","secret":1})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  EXPECT_EQ(task.replies[0].json, R"j({"result":"ok","payload":{"a":1},"n":3,"deep":{"er":"3"}})j");
  EXPECT_FALSE(task.replies[0].flag);
  EXPECT_THAT(task.writes, IsEmpty());
}

TEST(ApiRpcReplyTest, KeysReplyTheirCurrentValues) {
  FakeBuilder builder;
  auto logic = MustBuild(R"j({"type":"api_rpc_reply","mode":"keys",
      "res_data":["a","missing","b.c","s"],"res_data_type":{"a":"number","s":"string"}})j",
                         builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"a":"7","b":{"c":[1]},"s":5,"other":true})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  // `a` converted to its declared type; `s` (string: the default) as it is.
  EXPECT_EQ(task.replies[0].json, R"j({"a":7,"b":{"c":[1]},"s":5})j");
  FakeTask bad(R"j({"a":"seven"})j");
  LogicResult result = logic->Run(bad);
  EXPECT_EQ(result.tag, "rpc_reply_wrong_convert_param");
  EXPECT_EQ(result.description, "Param: a, Value: seven, Try convert to: number");
  EXPECT_THAT(bad.replies, IsEmpty());

  // The keys of a map serve as well (their values are not read).
  auto map =
      MustBuild(ReplyLogic("keys", {{"a", "", kNumber}, {"s", "ignored", kString}}), builder);
  ASSERT_NE(map, nullptr);
  FakeTask again(R"j({"a":"7","s":5})j");
  map->Run(again);
  ASSERT_EQ(again.replies.size(), 1u);
  EXPECT_EQ(again.replies[0].json, R"j({"a":7,"s":5})j");
}

TEST(ApiRpcReplyTest, ExtraWhenThereIsNoResData) {
  FakeBuilder builder;
  auto logic = MustBuild(absl::StrCat(R"j({"type":"api_rpc_reply",)j",
                                      Typed("extra", "extra_type", {{"x", "{{v}}", kNumber}}), "}"),
                         builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"v":"4"})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  EXPECT_EQ(task.replies[0].json, R"j({"x":4})j");
  EXPECT_THAT(
      DeployError(absl::StrCat(R"j({"type":"api_rpc_reply",)j",
                               Typed("extra", "extra_type", {{"a..b", "1", kString}}), "}")),
      StartsWith("logic.extra: extra key \"a..b\": "));
}

TEST(ApiRpcReplyTest, ThrowsWithItsReasonAndGoesOnWhenNotCalled) {
  FakeBuilder builder;
  auto logic =
      MustBuild(ReplyLogic("key_value", {{"status", "error", kString}},
                           R"j(,"throw_exception":true,"exception_reason":"bad card {{card}}",)j"
                           R"j("err_node_id":"err")j"),
                builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(logic->error_node().index, 2u);
  FakeTask task(R"j({"card":"4149"})j");
  task.reply_result = false;  // this process was not called
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  EXPECT_EQ(task.replies[0].json, R"j({"status":"error"})j");
  EXPECT_TRUE(task.replies[0].flag);
  EXPECT_EQ(task.replies[0].reason, "bad card 4149");

  auto fail_logic = MustBuild(
      ReplyLogic("key_value", {{"n", "{{x}}", kNumber}}, R"j(,"err_node_id":"err")j"), builder);
  ASSERT_NE(fail_logic, nullptr);
  FakeTask bad(R"j({"x":"y"})j");
  ExpectFail(fail_logic->Run(bad), false, "rpc_reply_wrong_convert_param",
             "Param: n, Value: y, Try convert to: number");
  EXPECT_THAT(bad.replies, IsEmpty());
}

TEST(ApiRpcReplyTest, DeployErrors) {
  EXPECT_EQ(DeployError(ReplyLogic("values", {})),
            "logic.mode: api_rpc_reply mode \"values\" is not \"key_value\" or \"keys\"");
  EXPECT_THAT(DeployError(R"j({"type":"api_rpc_reply","mode":"keys","res_data":["a]"]})j"),
              StartsWith("logic.res_data: res_data key \"a]\": "));
  EXPECT_THAT(DeployError(ReplyLogic("key_value", {{"a..b", "1", kString}})),
              StartsWith("logic.res_data: res_data key \"a..b\": "));
  EXPECT_THAT(DeployError(ReplyLogic("", {}, R"j(,"exception_reason":"{{}}")j")),
              StartsWith("logic.exception_reason: exception_reason: "));
  EXPECT_EQ(DeployError(R"j({"type":"api_rpc_reply","mode":"keys","res_data":["a"],
                             "res_data_type":{"a":"int"}})j"),
            "logic.res_data_type: type \"int\" is not string, number, boolean, object or array");
  EXPECT_THAT(DeployError(ReplyLogic("", {}, R"j(,"throw_exception":"often","err_node_id":"x")j")),
              StartsWith("logic.throw_exception: throw_exception must be a boolean, not a string\n"
                         "logic: api_rpc_reply.err_node_id \"x\" names no node"));
}

// ---------------------------------------------------------------------------
// api_queue

std::string QueueLogic(const Items& data) {
  return absl::StrCat(R"j({"type":"api_queue",)j", Typed("data", "data_type", data), "}");
}

TEST(ApiQueueTest, EntersTheQueueWithItsData) {
  FakeBuilder builder;
  auto logic = MustBuild(QueueLogic({{"prio", "{{p}}", kNumber}, {"tag", "q", kString}}), builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(builder.queues, 1);  // tasks wait in this node
  EXPECT_EQ(logic->error_family(), "queue");
  FakeTask task(R"j({"p":"2"})j");
  LogicResult result = logic->Run(task);
  EXPECT_EQ(result.kind, LogicResult::Kind::kPark);
  EXPECT_EQ(result.park, ParkReason::kQueue);
  EXPECT_THAT(task.queued, ElementsAre(R"j({"prio":2,"tag":"q"})j"));
  EXPECT_THAT(task.writes, IsEmpty());

  auto empty = MustBuild(R"j({"type":"api_queue"})j", builder);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(builder.queues, 2);
  FakeTask plain("{}");
  EXPECT_EQ(empty->Run(plain).park, ParkReason::kQueue);
  EXPECT_THAT(plain.queued, ElementsAre("{}"));
}

TEST(ApiQueueTest, ConversionFailureStopsTheTask) {
  FakeBuilder builder;
  auto logic =
      MustBuild(QueueLogic({{"prio", "{{p}}", kNumber}, {"{{k}}", "1", kString}}), builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"p":"high","k":"x"})j");
  LogicResult result = logic->Run(task);
  ExpectFail(result, false, "queue_wrong_convert_param",
             "Param: prio, Value: high, Try convert to: number", NodeHandle::kNone);
  EXPECT_THAT(task.queued, IsEmpty());
  FakeTask bad_key(R"j({"p":1,"k":"a["})j");
  ExpectFail(logic->Run(bad_key), false, "queue_wrong_convert_param",
             "Param: a[: ", NodeHandle::kNone);
  FakeBuilder failing;
  EXPECT_FALSE(Build(QueueLogic({{"", "1", kString}}), failing).ok());
  EXPECT_EQ(failing.queues, 0);  // declared only by a logic that deploys
  EXPECT_EQ(DeployError(QueueLogic({{"", "1", kString}})),
            "logic.data: data: a parameter has an empty name");
}

// ---------------------------------------------------------------------------
// api_get_task

// `order_by` is left out when empty.
std::string GetTaskLogic(const std::string& conv_id, const std::string& node_id,
                         const std::string& order_by) {
  return absl::StrCat(R"j({"type":"api_get_task","conv_id":)j", Json(conv_id), R"j(,"node_id":)j",
                      Json(node_id),
                      order_by.empty() ? "" : absl::StrCat(R"j(,"order_by":)j", Json(order_by)),
                      R"j(,"err_node_id":"err"})j");
}

TEST(ApiGetTaskTest, TakesATaskWithTheQueueData) {
  FakeBuilder builder;
  auto logic = MustBuild(GetTaskLogic("5", "{{qnode}}", "DESC"), builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_THAT(builder.referenced, ElementsAre(5));
  EXPECT_EQ(logic->error_family(), "get_task");
  FakeTask task(R"j({"qnode":"n1"})j");
  task.take_result = QueuedTask{"abc", R"j({"x":1,"k":"old"})j", R"j({"k":"new","e":true})j"};
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.taken.size(), 1u);
  EXPECT_EQ(task.taken[0].conv_id, 5);
  EXPECT_EQ(task.taken[0].node_id, "n1");
  EXPECT_TRUE(task.taken[0].flag);  // newest
  EXPECT_THAT(task.writes, ElementsAre(R"j(__queue_task_id__="abc")j",
                                       R"j(__queue_task_data__={"x":1,"k":"new","e":true})j"));

  // ASC is the default; order_by is upper-cased.
  for (const char* order : {"ASC", "", "asc"}) {
    auto oldest = MustBuild(GetTaskLogic("{{c}}", "n2", order), builder);
    ASSERT_NE(oldest, nullptr);
    FakeTask t(R"j({"c":"6"})j");
    t.take_result = QueuedTask{"def", "{}", "{}"};
    EXPECT_EQ(oldest->Run(t).kind, LogicResult::Kind::kNext);
    ASSERT_EQ(t.taken.size(), 1u);
    EXPECT_EQ(t.taken[0].conv_id, 6);
    EXPECT_FALSE(t.taken[0].flag);
    EXPECT_THAT(t.writes, ElementsAre(R"j(__queue_task_id__="def")j", "__queue_task_data__={}"));
  }
  auto newest = MustBuild(GetTaskLogic("5", "q", "desc"), builder);
  ASSERT_NE(newest, nullptr);
  FakeTask t("{}");
  newest->Run(t);
  ASSERT_EQ(t.taken.size(), 1u);
  EXPECT_TRUE(t.taken[0].flag);
}

TEST(ApiGetTaskTest, Errors) {
  FakeBuilder builder;
  auto logic = MustBuild(GetTaskLogic("{{c}}", "q", "ASC"), builder);
  ASSERT_NE(logic, nullptr);
  FakeTask empty(R"j({"c":5})j");
  ExpectFail(logic->Run(empty), false, "get_task_executing_error", "not_found_task");
  EXPECT_EQ(logic->Run(empty).description, "not_found_task");

  FakeTask missing(R"j({"c":5})j");
  missing.take_result = absl::NotFoundError("process 5 has no node q");
  ExpectFail(logic->Run(missing), false, "get_task_executing_error",
             "access_denied: process 5 has no node q");

  FakeTask not_queue(R"j({"c":5})j");
  not_queue.take_result = absl::FailedPreconditionError("node q is not a queue");
  LogicResult result = logic->Run(not_queue);
  ExpectFail(result, false, "queue_wrong_logic", "node q is not a queue");
  EXPECT_EQ(result.family, "queue");

  FakeTask broken(R"j({"c":5})j");
  broken.take_result = absl::InternalError("lost");
  ExpectFail(logic->Run(broken), true, "get_task_fatal_error", "lost");

  FakeTask bad_conv(R"j({"c":"five"})j");
  ExpectFail(logic->Run(bad_conv), false, "get_task_wrong_convert_param",
             "Param: conv_id, Value: five, Try convert to: number");
  EXPECT_THAT(bad_conv.taken, IsEmpty());

  FakeTask alias(R"j({"c":"@queue"})j");
  ExpectFail(logic->Run(alias), false, "get_task_executing_error", "access_denied: ");
  EXPECT_THAT(alias.taken, IsEmpty());
  for (const FakeTask* task : {&empty, &missing, &not_queue, &broken}) {
    EXPECT_THAT(task->writes, IsEmpty());
  }
}

TEST(ApiGetTaskTest, DeployErrors) {
  EXPECT_EQ(DeployError(GetTaskLogic("5", "q", "SIDEWAYS")),
            "logic.order_by: order_by \"SIDEWAYS\" is not ASC or DESC");
  EXPECT_EQ(DeployError(GetTaskLogic("5", "q", " ")),
            "logic.order_by: order_by \" \" is not ASC or DESC");
  EXPECT_THAT(DeployError(GetTaskLogic("1.5", "q", "ASC")),
              StartsWith("logic.conv_id: conv_id \"1.5\": "));
  EXPECT_EQ(DeployError(GetTaskLogic("5", "", "ASC")),
            "logic.node_id: node_id is empty; name the queue node");
  EXPECT_THAT(DeployError(GetTaskLogic("5", "{{}}", "ASC")),
              StartsWith("logic.node_id: node_id \"{{}}\": "));
  EXPECT_EQ(DeployError(R"j({"type":"api_get_task","order_by":1})j"),
            "logic: api_get_task has no conv_id\n"
            "logic: api_get_task has no node_id\n"
            "logic.order_by: order_by must be a string, not a number");
  EXPECT_THAT(DeployError(R"j({"type":"api_get_task","conv_id":5,"node_id":"q",
                               "err_node_id":"zz"})j"),
              StartsWith("logic: api_get_task.err_node_id \"zz\" names no node"));
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
