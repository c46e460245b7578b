// The api_sum logic: the sums it declares, what it adds, its deploy errors.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/logics/fakes.h"
#include "tests/logics/logic_testing.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

using testing::Build;
using testing::DeployError;
using testing::FakeBuilder;
using testing::FakeTask;
using testing::IsOk;

constexpr auto kNext = LogicResult::Kind::kNext;

TEST(ApiSumTest, AddsEveryItemOrNone) {
  FakeBuilder builder;
  auto logic = Build(R"j({"type":"api_sum","err_node_id":"err","extra":[
      {"id":"count","value":1},{"name":"total","value":"{{amount}}"}]})j",
                     builder);
  ASSERT_THAT(logic, IsOk());
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
  EXPECT_THAT(Build(R"j({"type":"api_sum","extra":[{"id":"a","value":1},{"value":2}]})j", builder),
              Not(IsOk()));
  EXPECT_THAT(builder.sums, IsEmpty());
}

}  // namespace
}  // namespace convey
