// The go logic: its one link, resolved at deploy.
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
using ::testing::StartsWith;

using testing::Build;
using testing::DeployError;
using testing::FakeBuilder;
using testing::FakeTask;
using testing::IsOk;
using testing::Warnings;

constexpr auto kGo = LogicResult::Kind::kGoTo;

TEST(GoTest, ResolvesItsTarget) {
  FakeBuilder builder;
  auto logic = Build(R"j({"type":"go","to_node_id":"b"})j", builder);
  ASSERT_THAT(logic, IsOk());
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
  ASSERT_THAT(logic, IsOk());
  EXPECT_THAT(Warnings(builder),
              ElementsAre("logic.to_node_id: go.to_node_id is empty: a task reaching it stops "
                          "there"));
  FakeTask task("{}");
  LogicResult result = (*logic)->Run(task);
  EXPECT_EQ(result.kind, kGo);
  EXPECT_FALSE(result.node.valid());
}

}  // namespace
}  // namespace convey
