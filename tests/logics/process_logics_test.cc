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
#include "schema/process.pb.h"
#include "tests/logics/fakes.h"

namespace convey {
namespace {

using testing::Build;
using ::testing::ElementsAre;
using testing::FakeBuilder;
using testing::FakeTask;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Items = std::vector<std::tuple<std::string, std::string, schema::ValueType>>;
constexpr auto kString = schema::VALUE_TYPE_STRING;
constexpr auto kNumber = schema::VALUE_TYPE_NUMBER;
constexpr auto kObject = schema::VALUE_TYPE_OBJECT;
constexpr auto kBoolean = schema::VALUE_TYPE_BOOLEAN;

void AddItems(const Items& items, google::protobuf::RepeatedPtrField<schema::TypedValue>* out) {
  for (const auto& [key, value, type] : items) {
    schema::TypedValue* item = out->Add();
    item->set_key(key);
    item->set_value(value);
    item->set_type(type);
  }
}

// Builds `config`, failing the test when it does not compile.
std::unique_ptr<Logic> MustBuild(const schema::Logic& config, FakeBuilder& builder,
                                 const schema::Node* node = nullptr) {
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder, node);
  EXPECT_TRUE(logic.ok()) << logic.status();
  return logic.ok() ? *std::move(logic) : nullptr;
}

std::string DeployError(const schema::Logic& config, const schema::Node* node = nullptr) {
  FakeBuilder builder;
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder, node);
  EXPECT_FALSE(logic.ok());
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

schema::Logic CopyLogic(const std::string& conv_id, const std::string& ref, const Items& data,
                        const std::string& group = "", const std::string& mode = "create") {
  schema::Logic logic;
  schema::ApiCopy* copy = logic.mutable_api_copy();
  copy->set_mode(mode);
  copy->set_conv_id(conv_id);
  copy->set_ref(ref);
  copy->set_group(group);
  copy->set_err_node_id("err");
  AddItems(data, copy->mutable_data());
  return logic;
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
  EXPECT_THAT(DeployError(CopyLogic("42", "", {}, "", "move")), HasSubstr("mode \"move\""));
  for (const char* bad : {"abc", "-5", "0", "1.5", "", "12ab"}) {
    EXPECT_THAT(DeployError(CopyLogic(bad, "", {})), HasSubstr("conv_id \"")) << bad;
  }
  EXPECT_THAT(DeployError(CopyLogic("{{}}", "", {})), HasSubstr("conv_id"));
  EXPECT_THAT(DeployError(CopyLogic("42", "{{}}", {})), HasSubstr("ref \"{{}}\""));
  EXPECT_THAT(DeployError(CopyLogic("42", "", {{"a..b", "1", kString}})),
              HasSubstr("data key \"a..b\""));
  EXPECT_THAT(DeployError(CopyLogic("42", "", {{"x", "$.nosuch(1)", kString}})),
              HasSubstr("data.x"));
  schema::Logic bad_err = CopyLogic("42", "", {});
  bad_err.mutable_api_copy()->set_err_node_id("nowhere");
  EXPECT_THAT(DeployError(bad_err), HasSubstr("nowhere"));
}

// ---------------------------------------------------------------------------
// api_copy, mode modify

TEST(ApiCopyModifyTest, MergesDataIntoTheTaskByRef) {
  FakeBuilder builder;
  schema::Logic config = CopyLogic("42", "{{r}}", {{"answer", "{{a}}", kBoolean}}, "", "modify");
  config.mutable_api_copy()->set_is_sync(true);
  auto logic = MustBuild(config, builder);
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
  schema::Logic all = CopyLogic("42", "{{r}}", {{"answer", "{{a}}", kBoolean}}, "all", "modify");
  auto all_logic = MustBuild(all, builder);
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

schema::Logic RpcLogic(const std::string& conv_id, const Items& extra,
                       const std::string& group = "", const std::string& err = "err") {
  schema::Logic logic;
  schema::ApiRpc* rpc = logic.mutable_api_rpc();
  rpc->set_conv_id(conv_id);
  rpc->set_group(group);
  rpc->set_is_sync(true);
  rpc->set_err_node_id(err);
  AddItems(extra, rpc->mutable_extra());
  return logic;
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
  EXPECT_THAT(DeployError(RpcLogic("x1", {})), HasSubstr("conv_id \"x1\""));
  EXPECT_THAT(DeployError(RpcLogic("1", {{"a[", "1", kString}})), HasSubstr("extra key \"a[\""));
  EXPECT_THAT(DeployError(RpcLogic("1", {}, "", "nowhere")), HasSubstr("nowhere"));
}

// ---------------------------------------------------------------------------
// api_rpc in stub mode (the shapes of corpus file 036: a go_if_const branch
// that throws, then a `keys` branch)

schema::ApiRpcReply* AddBranch(schema::Node* node, const std::string& param,
                               const std::string& value) {
  schema::StubBranch* branch = node->add_stub();
  if (!param.empty()) {
    schema::Condition* condition = branch->add_conditions();
    condition->set_param(param);
    condition->set_fun(schema::CONDITION_FUN_EQ);
    condition->set_value(value);
    condition->set_cast(schema::VALUE_TYPE_STRING);
  }
  return branch->mutable_reply();
}

schema::Node CorpusStubNode() {
  schema::Node node;
  node.set_id("b");
  node.set_kind(schema::NODE_KIND_STUB);
  schema::ApiRpcReply* error = AddBranch(&node, "{{mode}}", "error");
  error->set_mode("key_value");
  AddItems({{"status", "error", kString}}, error->mutable_res_data());
  error->set_throw_exception(true);
  error->set_exception_reason("stub error");
  schema::ApiRpcReply* keys = AddBranch(&node, "", "");
  keys->set_mode("keys");
  keys->add_res_data()->set_key("stub_node_response");
  return node;
}

TEST(ApiRpcStubTest, FirstMatchingBranchReplies) {
  schema::Node node = CorpusStubNode();
  FakeBuilder builder;
  auto logic =
      MustBuild(RpcLogic("123456", {{"objId", "{{objId}}", kString}}, "all"), builder, &node);
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
  schema::Node node;
  node.set_kind(schema::NODE_KIND_STUB);
  schema::ApiRpcReply* echo = AddBranch(&node, "mode", "error");
  AddItems({{"echo", "{{mode}}-{{id}}", kString}, {"a\\.b", "{{id}}", kNumber}},
           echo->mutable_res_data());
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("1", {{"mode", "{{m}}", kString}, {"id", "{{n}}", kNumber}}),
                         builder, &node);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"m":"error","mode":"ok","n":"7","id":"task's own"})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  EXPECT_THAT(task.writes,
              ElementsAre(R"j(echo="error-7")j", "a\\.b=7", "__logic_stub_mode__=true"));
  FakeTask other(R"j({"m":"fine","mode":"error","n":"7"})j");
  ExpectFail(logic->Run(other), false, "rpc_task_fatal_error", "no stub branch matched");
  EXPECT_THAT(other.writes, IsEmpty());
}

TEST(ApiRpcStubTest, ThrowingWithoutAnErrorNodeStopsTheTask) {
  schema::Node node = CorpusStubNode();
  // The reason is a template over the data that would have been sent.
  node.mutable_stub(0)->mutable_reply()->set_exception_reason("failed: {{objId}}");
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("1", {{"objId", "{{id}}", kString}}, "all", ""), builder, &node);
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
  schema::Node node;
  node.set_kind(schema::NODE_KIND_STUB);
  schema::ApiRpcReply* keys = AddBranch(&node, "", "");
  keys->set_mode("keys");
  schema::TypedValue* n = keys->add_res_data();
  n->set_key("n");
  n->set_type(kNumber);
  FakeBuilder builder;
  auto logic = MustBuild(RpcLogic("1", {}, "all"), builder, &node);
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
  schema::Node node = CorpusStubNode();
  FakeBuilder builder;
  // Never called: an alias or even garbage is not an error in stub mode.
  EXPECT_NE(MustBuild(RpcLogic("@svc", {}), builder, &node), nullptr);
  EXPECT_NE(MustBuild(RpcLogic("not a number", {}), builder, &node), nullptr);
  node.mutable_stub(1)->mutable_conditions()->Add()->set_param("{{}}");
  EXPECT_THAT(DeployError(RpcLogic("1", {}), &node), HasSubstr("stub[1].conditions[0].param"));
  schema::Node bad_key = CorpusStubNode();
  bad_key.mutable_stub(1)->mutable_reply()->mutable_res_data(0)->set_key("a..b");
  EXPECT_THAT(DeployError(RpcLogic("1", {}), &bad_key), HasSubstr("stub[1].res_data key"));
  schema::Node bad_mode = CorpusStubNode();
  bad_mode.mutable_stub(0)->mutable_reply()->set_mode("values");
  EXPECT_THAT(DeployError(RpcLogic("1", {}), &bad_mode), HasSubstr("stub[0].mode \"values\""));
  // The same logic in a normal node is a real call.
  schema::Node normal = CorpusStubNode();
  normal.set_kind(schema::NODE_KIND_NORMAL);
  FakeBuilder normal_builder;
  auto call = MustBuild(RpcLogic("5", {}), normal_builder, &normal);
  ASSERT_NE(call, nullptr);
  FakeTask task(R"j({"mode":"error"})j");
  EXPECT_EQ(call->Run(task).park, ParkReason::kReply);
  EXPECT_EQ(task.called.size(), 1u);
}

// ---------------------------------------------------------------------------
// api_rpc_reply

schema::Logic ReplyLogic(const std::string& mode, const Items& res_data) {
  schema::Logic logic;
  schema::ApiRpcReply* reply = logic.mutable_api_rpc_reply();
  reply->set_mode(mode);
  AddItems(res_data, reply->mutable_res_data());
  return logic;
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
  FakeTask task(R"j({"response":"{\"a\":1}","count":"3","secret":1})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  EXPECT_EQ(task.replies[0].json, R"j({"result":"ok","payload":{"a":1},"n":3,"deep":{"er":"3"}})j");
  EXPECT_FALSE(task.replies[0].flag);
  EXPECT_THAT(task.writes, IsEmpty());
}

TEST(ApiRpcReplyTest, KeysReplyTheirCurrentValues) {
  schema::Logic config = ReplyLogic(
      "keys",
      {{"a", "", kNumber}, {"missing", "", kString}, {"b.c", "", kString}, {"s", "", kString}});
  FakeBuilder builder;
  auto logic = MustBuild(config, builder);
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
}

TEST(ApiRpcReplyTest, ThrowsWithItsReasonAndGoesOnWhenNotCalled) {
  schema::Logic config = ReplyLogic("key_value", {{"status", "error", kString}});
  config.mutable_api_rpc_reply()->set_throw_exception(true);
  config.mutable_api_rpc_reply()->set_exception_reason("bad card {{card}}");
  config.mutable_api_rpc_reply()->set_err_node_id("err");
  FakeBuilder builder;
  auto logic = MustBuild(config, builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"card":"4149"})j");
  task.reply_result = false;  // this process was not called
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  EXPECT_EQ(task.replies[0].json, R"j({"status":"error"})j");
  EXPECT_TRUE(task.replies[0].flag);
  EXPECT_EQ(task.replies[0].reason, "bad card 4149");

  schema::Logic failing = ReplyLogic("key_value", {{"n", "{{x}}", kNumber}});
  failing.mutable_api_rpc_reply()->set_err_node_id("err");
  auto fail_logic = MustBuild(failing, builder);
  FakeTask bad(R"j({"x":"y"})j");
  ExpectFail(fail_logic->Run(bad), false, "rpc_reply_wrong_convert_param",
             "Param: n, Value: y, Try convert to: number");
  EXPECT_THAT(bad.replies, IsEmpty());
}

TEST(ApiRpcReplyTest, DeployErrors) {
  EXPECT_THAT(DeployError(ReplyLogic("values", {})), HasSubstr("mode \"values\""));
  EXPECT_THAT(DeployError(ReplyLogic("keys", {{"a]", "", kString}})),
              HasSubstr("res_data key \"a]\""));
  EXPECT_THAT(DeployError(ReplyLogic("key_value", {{"a..b", "1", kString}})),
              HasSubstr("res_data key \"a..b\""));
  schema::Logic reason = ReplyLogic("key_value", {});
  reason.mutable_api_rpc_reply()->set_exception_reason("{{}}");
  EXPECT_THAT(DeployError(reason), HasSubstr("exception_reason"));
}

// ---------------------------------------------------------------------------
// api_queue

schema::Logic QueueLogic(const Items& data) {
  schema::Logic logic;
  AddItems(data, logic.mutable_api_queue()->mutable_data());
  return logic;
}

TEST(ApiQueueTest, EntersTheQueueWithItsData) {
  FakeBuilder builder;
  auto logic = MustBuild(QueueLogic({{"prio", "{{p}}", kNumber}, {"tag", "q", kString}}), builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(logic->error_family(), "queue");
  FakeTask task(R"j({"p":"2"})j");
  LogicResult result = logic->Run(task);
  EXPECT_EQ(result.kind, LogicResult::Kind::kPark);
  EXPECT_EQ(result.park, ParkReason::kQueue);
  EXPECT_THAT(task.queued, ElementsAre(R"j({"prio":2,"tag":"q"})j"));
  EXPECT_THAT(task.writes, IsEmpty());

  auto empty = MustBuild(QueueLogic({}), builder);
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
  EXPECT_THAT(DeployError(QueueLogic({{"", "1", kString}})), HasSubstr("data: "));
}

// ---------------------------------------------------------------------------
// api_get_task

schema::Logic GetTaskLogic(const std::string& conv_id, const std::string& node_id,
                           const std::string& order_by) {
  schema::Logic logic;
  schema::ApiGetTask* get = logic.mutable_api_get_task();
  get->set_conv_id(conv_id);
  get->set_node_id(node_id);
  get->set_order_by(order_by);
  get->set_err_node_id("err");
  return logic;
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

  for (const char* order : {"ASC", ""}) {
    auto oldest = MustBuild(GetTaskLogic("{{c}}", "n2", order), builder);
    FakeTask t(R"j({"c":"6"})j");
    t.take_result = QueuedTask{"def", "{}", "{}"};
    EXPECT_EQ(oldest->Run(t).kind, LogicResult::Kind::kNext);
    ASSERT_EQ(t.taken.size(), 1u);
    EXPECT_EQ(t.taken[0].conv_id, 6);
    EXPECT_FALSE(t.taken[0].flag);
    EXPECT_THAT(t.writes, ElementsAre(R"j(__queue_task_id__="def")j", "__queue_task_data__={}"));
  }
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
  EXPECT_THAT(DeployError(GetTaskLogic("5", "q", "SIDEWAYS")), HasSubstr("order_by \"SIDEWAYS\""));
  EXPECT_THAT(DeployError(GetTaskLogic("1.5", "q", "ASC")), HasSubstr("conv_id \"1.5\""));
  EXPECT_THAT(DeployError(GetTaskLogic("5", "", "ASC")), HasSubstr("node_id"));
  EXPECT_THAT(DeployError(GetTaskLogic("5", "{{}}", "ASC")), HasSubstr("node_id \"{{}}\""));
}

// Logics are shared by the engine's workers: one compiled logic, many tasks
// at once (run under TSan too).
TEST(ConcurrencyTest, SharedLogicsRunOnManyThreads) {
  FakeBuilder builder;
  auto queue = MustBuild(QueueLogic({{"n", "{{n}}", kNumber}}), builder);
  schema::Node node = CorpusStubNode();
  auto stub = MustBuild(RpcLogic("1", {{"objId", "{{n}}", kString}}, "all"), builder, &node);
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
