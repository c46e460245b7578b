// The api_queue logic: a task enters the queue with its data.
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
using ::testing::Not;
using ::testing::StartsWith;

using testing::Build;
using testing::DeployError;
using testing::ExpectFail;
using testing::FakeBuilder;
using testing::FakeTask;
using testing::IsOk;
using testing::Items;
using testing::Json;
using testing::kBoolean;
using testing::kNumber;
using testing::kObject;
using testing::kString;
using testing::MustBuild;
using testing::Stub;
using testing::Typed;

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
  EXPECT_THAT(Build(QueueLogic({{"", "1", kString}}), failing), Not(IsOk()));
  EXPECT_EQ(failing.queues, 0);  // declared only by a logic that deploys
  EXPECT_EQ(DeployError(QueueLogic({{"", "1", kString}})),
            "logic.data: data: a parameter has an empty name");
}

}  // namespace
}  // namespace convey
