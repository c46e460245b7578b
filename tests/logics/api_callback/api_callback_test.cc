// The api_callback logic: it parks the task; its fields are checked.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/logics/fakes.h"
#include "tests/logics/logic_testing.h"
#include "tests/support/status_matchers.h"

namespace convey {
namespace {

using testing::Build;
using testing::DeployError;
using testing::FakeBuilder;
using testing::FakeTask;
using testing::IsOk;

TEST(ApiCallbackTest, ParksAndChecksItsFields) {
  FakeBuilder builder;
  auto logic =
      Build(R"j({"type":"api_callback","is_sync":true,"obj_id_path":"data.id"})j", builder);
  ASSERT_THAT(logic, IsOk());
  EXPECT_EQ((*logic)->error_family(), "callback");
  FakeTask task("{}");
  LogicResult result = (*logic)->Run(task);
  EXPECT_EQ(result.kind, LogicResult::Kind::kPark);
  EXPECT_EQ(result.park, ParkReason::kCallback);
  EXPECT_THAT(Build(R"j({"type":"api_callback"})j", builder), IsOk());
  EXPECT_EQ(DeployError(R"j({"type":"api_callback","is_sync":"maybe","obj_id_path":1})j"),
            "logic.is_sync: is_sync must be a boolean, not a string\n"
            "logic.obj_id_path: obj_id_path must be a string, not a number");
}

}  // namespace
}  // namespace convey
