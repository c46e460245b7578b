// The api_get_task logic: it takes a queued task from another process's
// queue node, and its errors.
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

// `order_by` is left out when empty.
std::string GetTaskLogic(const std::string& conv_id, const std::string& node_id,
                         const std::string& order_by) {
  return absl::StrCat(R"j({"type":"api_get_task","conv_id":)j", Json(conv_id), R"j(,"node_id":)j",
                      Json(node_id),
                      order_by.empty() ? "" : absl::StrCat(R"j(,"order_by":)j", Json(order_by)),
                      R"j(,"err_node_id":"err"})j");
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

  // ASC is the default; order_by is upper-cased.
  for (const char* order : {"ASC", "", "asc"}) {
    auto oldest = MustBuild(GetTaskLogic("{{c}}", "n2", order), builder);
    ASSERT_NE(oldest, nullptr);
    FakeTask t(R"j({"c":"6"})j");
    t.take_result = QueuedTask{"def", "{}", "{}"};
    EXPECT_EQ(oldest->Run(t).kind, LogicResult::Kind::kNext);
    ASSERT_EQ(t.taken.size(), 1u);
    EXPECT_EQ(t.taken[0].conv_id, 6);
    EXPECT_FALSE(t.taken[0].flag);
    EXPECT_THAT(t.writes, ElementsAre(R"j(__queue_task_id__="def")j", "__queue_task_data__={}"));
  }
  auto newest = MustBuild(GetTaskLogic("5", "q", "desc"), builder);
  ASSERT_NE(newest, nullptr);
  FakeTask t("{}");
  newest->Run(t);
  ASSERT_EQ(t.taken.size(), 1u);
  EXPECT_TRUE(t.taken[0].flag);
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
  EXPECT_EQ(DeployError(GetTaskLogic("5", "q", "SIDEWAYS")),
            "logic.order_by: order_by \"SIDEWAYS\" is not ASC or DESC");
  EXPECT_EQ(DeployError(GetTaskLogic("5", "q", " ")),
            "logic.order_by: order_by \" \" is not ASC or DESC");
  EXPECT_THAT(DeployError(GetTaskLogic("1.5", "q", "ASC")),
              StartsWith("logic.conv_id: conv_id \"1.5\": "));
  EXPECT_EQ(DeployError(GetTaskLogic("5", "", "ASC")),
            "logic.node_id: node_id is empty; name the queue node");
  EXPECT_THAT(DeployError(GetTaskLogic("5", "{{}}", "ASC")),
              StartsWith("logic.node_id: node_id \"{{}}\": "));
  EXPECT_EQ(DeployError(R"j({"type":"api_get_task","order_by":1})j"),
            "logic: api_get_task has no conv_id\n"
            "logic: api_get_task has no node_id\n"
            "logic.order_by: order_by must be a string, not a number");
  EXPECT_THAT(DeployError(R"j({"type":"api_get_task","conv_id":5,"node_id":"q",
                               "err_node_id":"zz"})j"),
              StartsWith("logic: api_get_task.err_node_id \"zz\" names no node"));
}

}  // namespace
}  // namespace convey
