// Each built-in logic on its own: factory validation (located, as the
// configuration reader reports it), run-time results and writes, against a
// fake task and builder.
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/process.h"
#include "tests/logics/fakes.h"

namespace convey {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

using testing::Build;
using testing::FakeBuilder;
using testing::FakeTask;
using testing::Warnings;

// `text` as a JSON string.
std::string Json(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

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
  EXPECT_TRUE(logic.ok()) << logic.status();
  if (!logic.ok()) return LogicResult::Kind::kFail;
  FakeTask task(data);
  return (*logic)->Run(task).kind;
}

// The deploy error: "LOCATION: MESSAGE" per reported error.
std::string DeployError(const std::string& config) {
  FakeBuilder builder;
  absl::StatusOr<std::unique_ptr<Logic>> logic = Build(config, builder);
  EXPECT_FALSE(logic.ok()) << config;
  return logic.ok() ? "" : std::string(logic.status().message());
}

constexpr auto kGo = LogicResult::Kind::kGoTo;
constexpr auto kNext = LogicResult::Kind::kNext;

TEST(GoTest, ResolvesItsTarget) {
  FakeBuilder builder;
  auto logic = Build(R"j({"type":"go","to_node_id":"b"})j", builder);
  ASSERT_TRUE(logic.ok()) << logic.status();
  FakeTask task("{}");
  LogicResult result = (*logic)->Run(task);
  EXPECT_EQ(result.kind, kGo);
  EXPECT_EQ(result.node.index, 1u);
  EXPECT_THAT(Warnings(builder), IsEmpty());
  EXPECT_THAT(DeployError(R"j({"type":"go","to_node_id":"nowhere"})j"),
              StartsWith("logic: go.to_node_id \"nowhere\" names no node"));
}

TEST(GoTest, LinkProblemsAreLocated) {
  EXPECT_EQ(DeployError(R"j({"type":"go"})j"), "logic: go has no to_node_id");
  EXPECT_EQ(DeployError(R"j({"type":"go","to_node_id":7})j"),
            "logic.to_node_id: to_node_id must be a string, not a number");
  // Empty: loads with a warning; a task reaching it stops (no node).
  FakeBuilder builder;
  auto logic = Build(R"j({"type":"go","to_node_id":""})j", builder);
  ASSERT_TRUE(logic.ok()) << logic.status();
  EXPECT_THAT(Warnings(builder),
              ElementsAre("logic.to_node_id: go.to_node_id is empty: a task reaching it stops "
                          "there"));
  FakeTask task("{}");
  LogicResult result = (*logic)->Run(task);
  EXPECT_EQ(result.kind, kGo);
  EXPECT_FALSE(result.node.valid());
}

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
    ASSERT_TRUE(Build(config, builder).ok());
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

TEST(GoIfConstTest, LegacyFlatShape) {
  const std::string config = R"j({"type":"go_if_const","to_node_id":"b",
                                   "param":"n","fun":"more","const":"5","cast":"number"})j";
  EXPECT_EQ(RunOn(config, R"j({"n":6})j"), kGo);
  EXPECT_EQ(RunOn(config, R"j({"n":5})j"), kNext);
  FakeBuilder builder;
  ASSERT_TRUE(Build(config, builder).ok());
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
    ASSERT_TRUE(logic.ok()) << logic.status();
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
  ASSERT_TRUE(logic.ok()) << logic.status();
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
  ASSERT_TRUE(logic.ok());
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
    ASSERT_TRUE(typed.ok()) << typed.status();
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
  ASSERT_TRUE(logic.ok()) << logic.status();
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
  ASSERT_TRUE(logic.ok()) << logic.status();
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

TEST(ApiSumTest, AddsEveryItemOrNone) {
  FakeBuilder builder;
  auto logic = Build(R"j({"type":"api_sum","err_node_id":"err","extra":[
      {"id":"count","value":1},{"name":"total","value":"{{amount}}"}]})j",
                     builder);
  ASSERT_TRUE(logic.ok()) << logic.status();
  EXPECT_THAT(builder.sums, ElementsAre("count/", "/total"));
  EXPECT_EQ((*logic)->error_node().index, 2u);
  FakeTask task(R"j({"amount":"2.5"})j");
  EXPECT_EQ((*logic)->Run(task).kind, kNext);
  EXPECT_THAT(task.adds, ElementsAre("0+1", "1+2.5"));
  FakeTask bad(R"j({"amount":"lots"})j");
  LogicResult result = (*logic)->Run(bad);
  EXPECT_EQ(result.tag, "api_sum_wrong_convert_param");
  EXPECT_EQ(result.description, "Param: total, Value: lots, Try convert to: number");
  EXPECT_TRUE(bad.adds.empty());
  FakeTask missing("{}");
  EXPECT_EQ((*logic)->Run(missing).kind, LogicResult::Kind::kFail);
}

TEST(ApiSumTest, DeployErrorsAreLocated) {
  EXPECT_EQ(DeployError(R"j({"type":"api_sum"})j"), "logic: api_sum has no extra list");
  EXPECT_THAT(DeployError(R"j({"type":"api_sum","extra":[{"value":1},{"id":"a"},{"id":"b",
                               "value":"{{}}"}]})j"),
              StartsWith("logic.extra[0]: the sum item has neither id nor name\n"
                         "logic.extra[1]: the sum item has no value\n"
                         "logic.extra[2].value: "));
  // Nothing is declared for a logic that does not deploy.
  FakeBuilder builder;
  EXPECT_FALSE(
      Build(R"j({"type":"api_sum","extra":[{"id":"a","value":1},{"value":2}]})j", builder).ok());
  EXPECT_THAT(builder.sums, IsEmpty());
}

TEST(ApiCallbackTest, ParksAndChecksItsFields) {
  FakeBuilder builder;
  auto logic =
      Build(R"j({"type":"api_callback","is_sync":true,"obj_id_path":"data.id"})j", builder);
  ASSERT_TRUE(logic.ok()) << logic.status();
  EXPECT_EQ((*logic)->error_family(), "callback");
  FakeTask task("{}");
  LogicResult result = (*logic)->Run(task);
  EXPECT_EQ(result.kind, LogicResult::Kind::kPark);
  EXPECT_EQ(result.park, ParkReason::kCallback);
  EXPECT_TRUE(Build(R"j({"type":"api_callback"})j", builder).ok());
  EXPECT_EQ(DeployError(R"j({"type":"api_callback","is_sync":"maybe","obj_id_path":1})j"),
            "logic.is_sync: is_sync must be a boolean, not a string\n"
            "logic.obj_id_path: obj_id_path must be a string, not a number");
}

TEST(SumAccumulatorTest, ConcurrentAddsAndReset) {
  internal::SumAccumulator sum("id", "name", 3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&sum, t] {
      for (int i = 0; i < 100000; ++i) sum.Add(0.5, t);  // stripe t % 3: shared by two
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(sum.Read(), 4 * 100000 * 0.5);
  sum.Reset();
  EXPECT_EQ(sum.Read(), 0);
  sum.Add(-3, 1);
  EXPECT_EQ(sum.Read(), -3);
}

}  // namespace
}  // namespace convey
