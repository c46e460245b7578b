// The go_if_const logic: its conditions at run time (casts, functions,
// templates) and their deploy errors, located as the configuration reader
// reports them.
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
using ::testing::IsEmpty;
using ::testing::StartsWith;

using testing::Build;
using testing::DeployError;
using testing::FakeBuilder;
using testing::FakeTask;
using testing::IsOk;
using testing::Json;
using testing::Warnings;

// A go_if_const to "b" with one condition.
std::string IfLogic(const std::string& param, const std::string& fun, const std::string& value,
                    const std::string& cast) {
  return absl::StrCat(R"j({"type":"go_if_const","to_node_id":"b","conditions":[{"param":)j",
                      Json(param), R"j(,"fun":)j", Json(fun), R"j(,"const":)j", Json(value),
                      R"j(,"cast":)j", Json(cast), "}]}");
}

LogicResult::Kind RunOn(const std::string& config, const std::string& data) {
  FakeBuilder builder;
  auto logic = Build(config, builder);
  EXPECT_THAT(logic, IsOk());
  if (!logic.ok()) return LogicResult::Kind::kFail;
  FakeTask task(data);
  return (*logic)->Run(task).kind;
}

constexpr auto kGo = LogicResult::Kind::kGoTo;
constexpr auto kNext = LogicResult::Kind::kNext;

TEST(GoIfConstTest, AllConditionsMustHold) {
  const std::string config = R"j({"type":"go_if_const","to_node_id":"b","conditions":[
      {"param":"amount","fun":"more","const":"100","cast":"number"},
      {"param":"card","fun":"not_eq","const":"","cast":"string"}]})j";
  EXPECT_EQ(RunOn(config, R"j({"amount":150,"card":"4149"})j"), kGo);
  EXPECT_EQ(RunOn(config, R"j({"amount":150,"card":""})j"), kNext);
  EXPECT_EQ(RunOn(config, R"j({"amount":150})j"), kNext);  // missing: false
  EXPECT_EQ(RunOn(config, R"j({"amount":50,"card":"4149"})j"), kNext);
}

TEST(GoIfConstTest, NoConditionsAlwaysRoutes) {
  for (const char* config : {R"j({"type":"go_if_const","to_node_id":"b"})j",
                             R"j({"type":"go_if_const","to_node_id":"b","conditions":[]})j"}) {
    EXPECT_EQ(RunOn(config, "{}"), kGo) << config;
    FakeBuilder builder;
    ASSERT_THAT(Build(config, builder), IsOk());
    EXPECT_THAT(Warnings(builder),
                ElementsAre("logic: go_if_const has no conditions: it always matches"));
  }
}

TEST(GoIfConstTest, CastDecidesTheComparison) {
  // The task's JSON type must match the cast.
  EXPECT_EQ(RunOn(IfLogic("n", "eq", "10", "number"), R"j({"n":10})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("n", "eq", "10", "number"), R"j({"n":"10"})j"), kNext);
  EXPECT_EQ(RunOn(IfLogic("n", "eq", "10", "string"), R"j({"n":10})j"), kNext);
  EXPECT_EQ(RunOn(IfLogic("n", "not_eq", "10", "string"), R"j({"n":10})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("b", "eq", "true", "boolean"), R"j({"b":true})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("o", "eq", R"j({"y":2,"x":1})j", "object"), R"j({"o":{"x":1,"y":2}})j"),
            kGo);
  EXPECT_EQ(RunOn(IfLogic("a", "eq", "[1,2]", "array"), R"j({"a":[2,1]})j"), kNext);
  EXPECT_EQ(RunOn(IfLogic("s", "regexp", "^ab+c", "string"), R"j({"s":"abbbc!"})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("a.b[1]", "less_or_eq", "{{limit}}", "number"),
                  R"j({"a":{"b":[0,5]},"limit":5})j"),
            kGo);
  // No cast: string. A const written as a JSON number is its text.
  EXPECT_EQ(RunOn(R"j({"type":"go_if_const","to_node_id":"b",
                       "conditions":[{"param":"n","fun":"eq","const":10}]})j",
                  R"j({"n":"10"})j"),
            kGo);
}

TEST(GoIfConstTest, NumbersAtFixedPaths) {
  // Another JSON type is "not equal"; a missing value fails every function.
  EXPECT_EQ(RunOn(IfLogic("n", "not_eq", "10", "number"), R"j({"n":"10"})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("n", "not_eq", "10", "number"), R"j({"n":null})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("n", "not_eq", "10", "number"), "{}"), kNext);
  EXPECT_EQ(RunOn(IfLogic("n", "more", "1", "number"), R"j({"n":18446744073709551615})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("{{a[1]}}", "less", "-2.5", "number"), R"j({"a":[0,-3]})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("n", "more_or_eq", "10", "number"), R"j({"n":10})j"), kGo);
  // A const that is not a number: only not_eq holds.
  EXPECT_EQ(RunOn(IfLogic("n", "not_eq", "ten", "number"), R"j({"n":10})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("n", "eq", "ten", "number"), R"j({"n":10})j"), kNext);
}

TEST(GoIfConstTest, SeveralNumericConditionsMustAllHold) {
  // Numbers at fixed paths only: evaluated on the document directly.
  const std::string config = R"j({"type":"go_if_const","to_node_id":"b","conditions":[
      {"param":"amount","fun":"more","const":"100","cast":"number"},
      {"param":"amount","fun":"less","const":200,"cast":"number"},
      {"param":"fee.value","fun":"eq","const":"0","cast":"number"}]})j";
  EXPECT_EQ(RunOn(config, R"j({"amount":150,"fee":{"value":0}})j"), kGo);
  EXPECT_EQ(RunOn(config, R"j({"amount":250,"fee":{"value":0}})j"), kNext);
  EXPECT_EQ(RunOn(config, R"j({"amount":50,"fee":{"value":0}})j"), kNext);
  EXPECT_EQ(RunOn(config, R"j({"amount":150,"fee":{"value":"0"}})j"), kNext);
  EXPECT_EQ(RunOn(config, R"j({"amount":150,"fee":0})j"), kNext);
  EXPECT_EQ(RunOn(config, R"j({"amount":150})j"), kNext);
}

TEST(GoIfConstTest, LegacyFlatShape) {
  const std::string config = R"j({"type":"go_if_const","to_node_id":"b",
                                   "param":"n","fun":"more","const":"5","cast":"number"})j";
  EXPECT_EQ(RunOn(config, R"j({"n":6})j"), kGo);
  EXPECT_EQ(RunOn(config, R"j({"n":5})j"), kNext);
  FakeBuilder builder;
  ASSERT_THAT(Build(config, builder), IsOk());
  EXPECT_THAT(Warnings(builder), IsEmpty());
  // Its problems are located at the logic itself.
  EXPECT_EQ(DeployError(R"j({"type":"go_if_const","to_node_id":"b","fun":"eq"})j"),
            "logic: the condition has no param");
  EXPECT_EQ(DeployError(R"j({"type":"go_if_const","to_node_id":"b","param":"n"})j"),
            "logic: the condition has no fun");
}

TEST(GoIfConstTest, SymbolicFunsAreReadWithAWarning) {
  struct Case {
    const char* fun;
    const char* read_as;
    const char* data;
  };
  for (const Case& c :
       {Case{"==", "eq", R"j({"n":5})j"}, Case{"!=", "not_eq", R"j({"n":4})j"},
        Case{">", "more", R"j({"n":6})j"}, Case{"<", "less", R"j({"n":4})j"},
        Case{">=", "more_or_eq", R"j({"n":5})j"}, Case{"<=", "less_or_eq", R"j({"n":5})j"}}) {
    FakeBuilder builder;
    auto logic = Build(IfLogic("n", c.fun, "5", "number"), builder);
    ASSERT_THAT(logic, IsOk());
    EXPECT_THAT(Warnings(builder),
                ElementsAre(absl::StrCat("logic.conditions[0].fun: go_if_const fun \"", c.fun,
                                         "\" read as ", c.read_as)));
    FakeTask task(c.data);
    EXPECT_EQ((*logic)->Run(task).kind, kGo) << c.fun;
  }
}

TEST(GoIfConstTest, RejectsBadRegexpAndTemplates) {
  EXPECT_THAT(DeployError(IfLogic("s", "regexp", "(", "string")),
              StartsWith("logic.conditions[0].fun: regexp \"(\" does not compile: "));
  // A template is compiled per task, not checked at deploy.
  EXPECT_EQ(RunOn(IfLogic("s", "regexp", "{{p}}", "string"), R"j({"s":"abc","p":"b+"})j"), kGo);
  EXPECT_THAT(DeployError(IfLogic("{{}}", "eq", "1", "string")),
              HasSubstr("logic.conditions[0].param: "));
  EXPECT_THAT(DeployError(IfLogic("x", "eq", "$.nosuch(1)", "string")),
              HasSubstr("logic.conditions[0].const: "));
}

TEST(GoIfConstTest, ProblemsAreLocatedAndAllReported) {
  EXPECT_EQ(DeployError(IfLogic("n", "like", "1", "string")),
            "logic.conditions[0].fun: go_if_const fun \"like\" is not one of eq, not_eq, more, "
            "less, more_or_eq, less_or_eq, regexp");
  EXPECT_EQ(DeployError(IfLogic("n", "eq", "1", "integer")),
            "logic.conditions[0].cast: type \"integer\" is not string, number, boolean, object "
            "or array");
  EXPECT_EQ(DeployError(R"j({"type":"go_if_const","to_node_id":"b",
                             "conditions":[{"param":"n","fun":"eq"},{"fun":"eq"},
                                           {"param":"x"}]})j"),
            "logic.conditions[1]: the condition has no param\n"
            "logic.conditions[2]: the condition has no fun");
  EXPECT_EQ(DeployError(R"j({"type":"go_if_const","conditions":[{"param":"n","fun":1}]})j"),
            "logic: go_if_const has no to_node_id\n"
            "logic.conditions[0].fun: fun must be a string, not a number");
  const std::string both =
      DeployError(R"j({"type":"go_if_const","to_node_id":"zz","conditions":{}})j");
  EXPECT_THAT(both, StartsWith("logic: go_if_const.to_node_id \"zz\" names no node"));
  EXPECT_THAT(both, HasSubstr("\nlogic.conditions: conditions must be an array, not an object"));
}

}  // namespace
}  // namespace convey
