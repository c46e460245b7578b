// The api_copy logic, modes create and modify, against a fake task whose
// StartTask and ModifyTask record every call and answer with scripted
// results.
#include <string>
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
            "queue full"},
           {absl::OutOfRangeError("(max_tasks_per_tree)"), false, "copy_task_limit",
            "(max_tasks_per_tree)"}}) {
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

}  // namespace
}  // namespace convey
