// Each built-in logic on its own: factory validation, run-time results and
// writes, against a fake task and builder.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/process.h"
#include "schema/process.pb.h"
#include "tests/logics/fakes.h"

namespace convey {
namespace {

using ::testing::HasSubstr;

using testing::Build;
using testing::FakeBuilder;
using testing::FakeTask;

schema::Logic IfLogic(const std::string& param, schema::ConditionFun fun, const std::string& value,
                      schema::ValueType cast) {
  schema::Logic logic;
  logic.mutable_go_if_const()->set_to_node_id("b");
  schema::Condition* condition = logic.mutable_go_if_const()->add_conditions();
  condition->set_param(param);
  condition->set_fun(fun);
  condition->set_value(value);
  condition->set_cast(cast);
  return logic;
}

LogicResult::Kind RunOn(const schema::Logic& config, const std::string& data) {
  FakeBuilder builder;
  auto logic = Build(config, builder);
  EXPECT_TRUE(logic.ok()) << logic.status();
  FakeTask task(data);
  return (*logic)->Run(task).kind;
}

constexpr auto kGo = LogicResult::Kind::kGoTo;
constexpr auto kNext = LogicResult::Kind::kNext;

TEST(GoTest, ResolvesItsTarget) {
  schema::Logic config;
  config.mutable_go()->set_to_node_id("b");
  FakeBuilder builder;
  auto logic = Build(config, builder);
  ASSERT_TRUE(logic.ok());
  FakeTask task("{}");
  LogicResult result = (*logic)->Run(task);
  EXPECT_EQ(result.kind, kGo);
  EXPECT_EQ(result.node.index, 1u);
  config.mutable_go()->set_to_node_id("nowhere");
  EXPECT_THAT(Build(config, builder).status().message(), HasSubstr("nowhere"));
}

TEST(GoIfConstTest, AllConditionsMustHold) {
  schema::Logic config =
      IfLogic("amount", schema::CONDITION_FUN_MORE, "100", schema::VALUE_TYPE_NUMBER);
  schema::Condition* second = config.mutable_go_if_const()->add_conditions();
  second->set_param("card");
  second->set_fun(schema::CONDITION_FUN_NOT_EQ);
  second->set_value("");
  second->set_cast(schema::VALUE_TYPE_STRING);
  EXPECT_EQ(RunOn(config, R"j({"amount":150,"card":"4149"})j"), kGo);
  EXPECT_EQ(RunOn(config, R"j({"amount":150,"card":""})j"), kNext);
  EXPECT_EQ(RunOn(config, R"j({"amount":150})j"), kNext);  // missing: false
  EXPECT_EQ(RunOn(config, R"j({"amount":50,"card":"4149"})j"), kNext);
}

TEST(GoIfConstTest, NoConditionsAlwaysRoutes) {
  schema::Logic config;
  config.mutable_go_if_const()->set_to_node_id("b");
  EXPECT_EQ(RunOn(config, "{}"), kGo);
}

TEST(GoIfConstTest, CastDecidesTheComparison) {
  using schema::CONDITION_FUN_EQ;
  using schema::CONDITION_FUN_NOT_EQ;
  // The task's JSON type must match the cast.
  EXPECT_EQ(RunOn(IfLogic("n", CONDITION_FUN_EQ, "10", schema::VALUE_TYPE_NUMBER), R"j({"n":10})j"),
            kGo);
  EXPECT_EQ(
      RunOn(IfLogic("n", CONDITION_FUN_EQ, "10", schema::VALUE_TYPE_NUMBER), R"j({"n":"10"})j"),
      kNext);
  EXPECT_EQ(RunOn(IfLogic("n", CONDITION_FUN_EQ, "10", schema::VALUE_TYPE_STRING), R"j({"n":10})j"),
            kNext);
  EXPECT_EQ(
      RunOn(IfLogic("n", CONDITION_FUN_NOT_EQ, "10", schema::VALUE_TYPE_STRING), R"j({"n":10})j"),
      kGo);
  EXPECT_EQ(
      RunOn(IfLogic("b", CONDITION_FUN_EQ, "true", schema::VALUE_TYPE_BOOLEAN), R"j({"b":true})j"),
      kGo);
  EXPECT_EQ(RunOn(IfLogic("o", CONDITION_FUN_EQ, R"j({"y":2,"x":1})j", schema::VALUE_TYPE_OBJECT),
                  R"j({"o":{"x":1,"y":2}})j"),
            kGo);
  EXPECT_EQ(
      RunOn(IfLogic("a", CONDITION_FUN_EQ, "[1,2]", schema::VALUE_TYPE_ARRAY), R"j({"a":[2,1]})j"),
      kNext);
  EXPECT_EQ(RunOn(IfLogic("s", schema::CONDITION_FUN_REGEXP, "^ab+c", schema::VALUE_TYPE_STRING),
                  R"j({"s":"abbbc!"})j"),
            kGo);
  EXPECT_EQ(RunOn(IfLogic("a.b[1]", schema::CONDITION_FUN_LESS_OR_EQ, "{{limit}}",
                          schema::VALUE_TYPE_NUMBER),
                  R"j({"a":{"b":[0,5]},"limit":5})j"),
            kGo);
}

TEST(GoIfConstTest, NumbersAtFixedPaths) {
  using schema::CONDITION_FUN_NOT_EQ;
  const auto number = schema::VALUE_TYPE_NUMBER;
  // Another JSON type is "not equal"; a missing value fails every function.
  EXPECT_EQ(RunOn(IfLogic("n", CONDITION_FUN_NOT_EQ, "10", number), R"j({"n":"10"})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("n", CONDITION_FUN_NOT_EQ, "10", number), R"j({"n":null})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("n", CONDITION_FUN_NOT_EQ, "10", number), "{}"), kNext);
  EXPECT_EQ(RunOn(IfLogic("n", schema::CONDITION_FUN_MORE, "1", number),
                  R"j({"n":18446744073709551615})j"),
            kGo);
  EXPECT_EQ(
      RunOn(IfLogic("{{a[1]}}", schema::CONDITION_FUN_LESS, "-2.5", number), R"j({"a":[0,-3]})j"),
      kGo);
  EXPECT_EQ(RunOn(IfLogic("n", schema::CONDITION_FUN_MORE_OR_EQ, "10", number), R"j({"n":10})j"),
            kGo);
  // A const that is not a number: only not_eq holds.
  EXPECT_EQ(RunOn(IfLogic("n", CONDITION_FUN_NOT_EQ, "ten", number), R"j({"n":10})j"), kGo);
  EXPECT_EQ(RunOn(IfLogic("n", schema::CONDITION_FUN_EQ, "ten", number), R"j({"n":10})j"), kNext);
}

TEST(GoIfConstTest, RejectsBadRegexpAndTemplates) {
  FakeBuilder builder;
  EXPECT_THAT(
      Build(IfLogic("s", schema::CONDITION_FUN_REGEXP, "(", schema::VALUE_TYPE_STRING), builder)
          .status()
          .message(),
      HasSubstr("regexp"));
  EXPECT_THAT(
      Build(IfLogic("{{}}", schema::CONDITION_FUN_EQ, "1", schema::VALUE_TYPE_STRING), builder)
          .status()
          .message(),
      HasSubstr("conditions[0].param"));
}

schema::Logic SetParamLogic(
    std::vector<std::tuple<std::string, std::string, schema::ValueType>> items) {
  schema::Logic logic;
  logic.mutable_set_param()->set_err_node_id("err");
  for (auto& [key, value, type] : items) {
    schema::TypedValue* item = logic.mutable_set_param()->add_values();
    item->set_key(key);
    item->set_value(value);
    item->set_type(type);
  }
  return logic;
}

TEST(SetParamTest, WritesConvertedValues) {
  FakeBuilder builder;
  auto logic = Build(SetParamLogic({{"total", "$.math({{p}}*2)", schema::VALUE_TYPE_NUMBER},
                                    {"{{k}}", "x{{p}}", schema::VALUE_TYPE_STRING},
                                    {"on", "true", schema::VALUE_TYPE_BOOLEAN},
                                    {"list", "[1,2]", schema::VALUE_TYPE_ARRAY}}),
                     builder);
  ASSERT_TRUE(logic.ok()) << logic.status();
  FakeTask task(R"j({"p":21,"k":"dyn"})j");
  EXPECT_EQ((*logic)->Run(task).kind, kNext);
  EXPECT_THAT(task.writes,
              ::testing::ElementsAre("total=42", "dyn=\"x21\"", "on=true", "list=[1,2]"));
}

TEST(SetParamTest, AConversionFailureWritesNothing) {
  FakeBuilder builder;
  auto logic = Build(SetParamLogic({{"ok", "1", schema::VALUE_TYPE_NUMBER},
                                    {"bad", "{{s}}", schema::VALUE_TYPE_NUMBER}}),
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
  for (auto type :
       {schema::VALUE_TYPE_OBJECT, schema::VALUE_TYPE_ARRAY, schema::VALUE_TYPE_BOOLEAN}) {
    auto typed = Build(SetParamLogic({{"x", "{{s}}", type}}), builder);
    EXPECT_EQ((*typed)->Run(task).tag, "set_param_wrong_convert_param");
  }
}

TEST(SetParamTest, RejectsEmptyNamesAndBadTemplates) {
  FakeBuilder builder;
  EXPECT_THAT(
      Build(SetParamLogic({{"", "1", schema::VALUE_TYPE_STRING}}), builder).status().message(),
      HasSubstr("empty name"));
  EXPECT_THAT(Build(SetParamLogic({{"x", "$.nosuch(1)", schema::VALUE_TYPE_STRING}}), builder)
                  .status()
                  .message(),
              HasSubstr("extra.x"));
}

TEST(ApiSumTest, AddsEveryItemOrNone) {
  schema::Logic config;
  auto* one = config.mutable_api_sum()->add_items();
  one->set_id("count");
  one->set_value("1");
  auto* two = config.mutable_api_sum()->add_items();
  two->set_name("total");
  two->set_value("{{amount}}");
  FakeBuilder builder;
  auto logic = Build(config, builder);
  ASSERT_TRUE(logic.ok());
  EXPECT_THAT(builder.sums, ::testing::ElementsAre("count/", "/total"));
  FakeTask task(R"j({"amount":"2.5"})j");
  EXPECT_EQ((*logic)->Run(task).kind, kNext);
  EXPECT_THAT(task.adds, ::testing::ElementsAre("0+1", "1+2.5"));
  FakeTask bad(R"j({"amount":"lots"})j");
  LogicResult result = (*logic)->Run(bad);
  EXPECT_EQ(result.tag, "api_sum_wrong_convert_param");
  EXPECT_TRUE(bad.adds.empty());
  FakeTask missing("{}");
  EXPECT_EQ((*logic)->Run(missing).kind, LogicResult::Kind::kFail);
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
