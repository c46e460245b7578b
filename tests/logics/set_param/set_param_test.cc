// The set_param logic: typed writes, all or nothing, and its deploy errors.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/logics/fakes.h"
#include "tests/logics/logic_testing.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using testing::Build;
using testing::DeployError;
using testing::FakeBuilder;
using testing::FakeTask;
using testing::IsOk;
using testing::Warnings;

constexpr auto kNext = LogicResult::Kind::kNext;

// A set_param to err with `extra` and `extra_type` (JSON members).
std::string SetParamLogic(const std::string& extra, const std::string& extra_type) {
  return absl::StrCat(R"j({"type":"set_param","err_node_id":"err","extra":)j", extra,
                      R"j(,"extra_type":)j", extra_type, "}");
}

TEST(SetParamTest, WritesConvertedValues) {
  FakeBuilder builder;
  auto logic = Build(
      SetParamLogic(R"j({"total":"$.math({{p}}*2)","{{k}}":"x{{p}}","on":"true","list":"[1,2]"})j",
                    R"j({"total":"number","{{k}}":"string","on":"boolean","list":"array"})j"),
      builder);
  ASSERT_THAT(logic, IsOk());
  EXPECT_EQ((*logic)->error_node().index, 2u);
  FakeTask task(R"j({"p":21,"k":"dyn"})j");
  EXPECT_EQ((*logic)->Run(task).kind, kNext);
  EXPECT_THAT(task.writes, ElementsAre("total=42", "dyn=\"x21\"", "on=true", "list=[1,2]"));
}

TEST(SetParamTest, AConversionFailureWritesNothing) {
  FakeBuilder builder;
  auto logic =
      Build(SetParamLogic(R"j({"ok":"1","bad":"{{s}}"})j", R"j({"ok":"number","bad":"number"})j"),
            builder);
  ASSERT_THAT(logic, IsOk());
  FakeTask task(R"j({"s":"abc"})j");
  LogicResult result = (*logic)->Run(task);
  EXPECT_EQ(result.kind, LogicResult::Kind::kFail);
  EXPECT_EQ(result.node.index, 2u);
  EXPECT_FALSE(result.hardware);
  EXPECT_EQ(result.tag, "set_param_wrong_convert_param");
  EXPECT_EQ(result.description, "Param: bad, Value: abc, Try convert to: number");
  EXPECT_TRUE(task.writes.empty());
  for (const char* type : {"object", "array", "boolean"}) {
    auto typed = Build(
        SetParamLogic(R"j({"x":"{{s}}"})j", absl::StrCat(R"j({"x":")j", type, "\"}")), builder);
    ASSERT_THAT(typed, IsOk());
    EXPECT_EQ((*typed)->Run(task).tag, "set_param_wrong_convert_param");
  }
}

TEST(SetParamTest, RejectsEmptyNamesAndBadTemplates) {
  EXPECT_EQ(DeployError(SetParamLogic(R"j({"":"1"})j", R"j({"":"string"})j")),
            "logic.extra: extra: a parameter has an empty name");
  EXPECT_THAT(DeployError(SetParamLogic(R"j({"x":"$.nosuch(1)"})j", R"j({"x":"string"})j")),
              HasSubstr("logic.extra: extra.x: "));
  EXPECT_EQ(DeployError(SetParamLogic(R"j({"x":"1"})j", R"j({"x":"int"})j")),
            "logic.extra_type.x: type \"int\" is not string, number, boolean, object or array");
  EXPECT_THAT(DeployError(R"j({"type":"set_param","extra":{},"err_node_id":"gone"})j"),
              StartsWith("logic: set_param.err_node_id \"gone\" names no node"));
}

TEST(SetParamTest, UntypedValuesAreStringsWithAWarning) {
  FakeBuilder builder;
  auto logic = Build(R"j({"type":"set_param","extra":{"n":5,"o":{"a":1}}})j", builder);
  ASSERT_THAT(logic, IsOk());
  EXPECT_FALSE((*logic)->error_node().valid());  // no err_node_id
  EXPECT_THAT(Warnings(builder),
              ElementsAre("logic.extra.n: extra_type has no entry for \"n\"; it is written as a "
                          "string",
                          "logic.extra.o: extra_type has no entry for \"o\"; it is written as a "
                          "string"));
  FakeTask task("{}");
  EXPECT_EQ((*logic)->Run(task).kind, kNext);
  EXPECT_THAT(task.writes, ElementsAre("n=\"5\"", R"j(o="{\"a\":1}")j"));
}

TEST(SetParamTest, VendorParamsList) {
  FakeBuilder builder;
  auto logic = Build(R"j({"type":"set_param","params":[
      {"name":"n","value":"{{x}}","type":"number"},{"name":"s","value":7}]})j",
                     builder);
  ASSERT_THAT(logic, IsOk());
  EXPECT_THAT(Warnings(builder),
              ElementsAre("logic.params: set_param with a params list: read as extra/extra_type"));
  FakeTask task(R"j({"x":"3"})j");
  EXPECT_EQ((*logic)->Run(task).kind, kNext);
  EXPECT_THAT(task.writes, ElementsAre("n=3", "s=\"7\""));
  EXPECT_EQ(DeployError(R"j({"type":"set_param",
                             "params":[{"value":1},{"name":"x","type":"int"}]})j"),
            "logic.params[0]: the parameter has no name\n"
            "logic.params[1].type: type \"int\" is not string, number, boolean, object or array");
}

}  // namespace
}  // namespace convey
