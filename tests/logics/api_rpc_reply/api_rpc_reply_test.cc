// The api_rpc_reply logic: key_value and keys replies, exceptions, and
// its deploy errors.
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

// An api_rpc_reply with `mode` (none when empty), `res_data` +
// `res_data_type` and more members.
std::string ReplyLogic(const std::string& mode, const Items& res_data,
                       const std::string& more = "") {
  return absl::StrCat(R"j({"type":"api_rpc_reply",)j",
                      mode.empty() ? "" : absl::StrCat(R"j("mode":)j", Json(mode), ","),
                      Typed("res_data", "res_data_type", res_data), more, "}");
}

TEST(ApiRpcReplyTest, KeyValueRepliesTypedValues) {
  FakeBuilder builder;
  auto logic = MustBuild(ReplyLogic("key_value", {{"result", "ok", kString},
                                                  {"payload", "{{response}}", kObject},
                                                  {"n", "{{count}}", kNumber},
                                                  {"deep.er", "{{count}}", kString}}),
                         builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(logic->error_family(), "rpc_reply");
  EXPECT_FALSE(logic->error_node().valid());
  FakeTask task(R"j({"response":"{\"a\":1}","count":"3","secret":1})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  EXPECT_EQ(task.replies[0].json, R"j({"result":"ok","payload":{"a":1},"n":3,"deep":{"er":"3"}})j");
  EXPECT_FALSE(task.replies[0].flag);
  EXPECT_THAT(task.writes, IsEmpty());
}

TEST(ApiRpcReplyTest, KeysReplyTheirCurrentValues) {
  FakeBuilder builder;
  auto logic = MustBuild(R"j({"type":"api_rpc_reply","mode":"keys",
      "res_data":["a","missing","b.c","s"],"res_data_type":{"a":"number","s":"string"}})j",
                         builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"a":"7","b":{"c":[1]},"s":5,"other":true})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  // `a` converted to its declared type; `s` (string: the default) as it is.
  EXPECT_EQ(task.replies[0].json, R"j({"a":7,"b":{"c":[1]},"s":5})j");
  FakeTask bad(R"j({"a":"seven"})j");
  LogicResult result = logic->Run(bad);
  EXPECT_EQ(result.tag, "rpc_reply_wrong_convert_param");
  EXPECT_EQ(result.description, "Param: a, Value: seven, Try convert to: number");
  EXPECT_THAT(bad.replies, IsEmpty());

  // The keys of a map serve as well (their values are not read).
  auto map =
      MustBuild(ReplyLogic("keys", {{"a", "", kNumber}, {"s", "ignored", kString}}), builder);
  ASSERT_NE(map, nullptr);
  FakeTask again(R"j({"a":"7","s":5})j");
  map->Run(again);
  ASSERT_EQ(again.replies.size(), 1u);
  EXPECT_EQ(again.replies[0].json, R"j({"a":7,"s":5})j");
}

TEST(ApiRpcReplyTest, ExtraWhenThereIsNoResData) {
  FakeBuilder builder;
  auto logic = MustBuild(absl::StrCat(R"j({"type":"api_rpc_reply",)j",
                                      Typed("extra", "extra_type", {{"x", "{{v}}", kNumber}}), "}"),
                         builder);
  ASSERT_NE(logic, nullptr);
  FakeTask task(R"j({"v":"4"})j");
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  EXPECT_EQ(task.replies[0].json, R"j({"x":4})j");
  EXPECT_THAT(
      DeployError(absl::StrCat(R"j({"type":"api_rpc_reply",)j",
                               Typed("extra", "extra_type", {{"a..b", "1", kString}}), "}")),
      StartsWith("logic.extra: extra key \"a..b\": "));
}

TEST(ApiRpcReplyTest, ThrowsWithItsReasonAndGoesOnWhenNotCalled) {
  FakeBuilder builder;
  auto logic =
      MustBuild(ReplyLogic("key_value", {{"status", "error", kString}},
                           R"j(,"throw_exception":true,"exception_reason":"bad card {{card}}",)j"
                           R"j("err_node_id":"err")j"),
                builder);
  ASSERT_NE(logic, nullptr);
  EXPECT_EQ(logic->error_node().index, 2u);
  FakeTask task(R"j({"card":"4149"})j");
  task.reply_result = false;  // this process was not called
  EXPECT_EQ(logic->Run(task).kind, LogicResult::Kind::kNext);
  ASSERT_EQ(task.replies.size(), 1u);
  EXPECT_EQ(task.replies[0].json, R"j({"status":"error"})j");
  EXPECT_TRUE(task.replies[0].flag);
  EXPECT_EQ(task.replies[0].reason, "bad card 4149");

  auto fail_logic = MustBuild(
      ReplyLogic("key_value", {{"n", "{{x}}", kNumber}}, R"j(,"err_node_id":"err")j"), builder);
  ASSERT_NE(fail_logic, nullptr);
  FakeTask bad(R"j({"x":"y"})j");
  ExpectFail(fail_logic->Run(bad), false, "rpc_reply_wrong_convert_param",
             "Param: n, Value: y, Try convert to: number");
  EXPECT_THAT(bad.replies, IsEmpty());
}

TEST(ApiRpcReplyTest, DeployErrors) {
  EXPECT_EQ(DeployError(ReplyLogic("values", {})),
            "logic.mode: api_rpc_reply mode \"values\" is not \"key_value\" or \"keys\"");
  EXPECT_THAT(DeployError(R"j({"type":"api_rpc_reply","mode":"keys","res_data":["a]"]})j"),
              StartsWith("logic.res_data: res_data key \"a]\": "));
  EXPECT_THAT(DeployError(ReplyLogic("key_value", {{"a..b", "1", kString}})),
              StartsWith("logic.res_data: res_data key \"a..b\": "));
  EXPECT_THAT(DeployError(ReplyLogic("", {}, R"j(,"exception_reason":"{{}}")j")),
              StartsWith("logic.exception_reason: exception_reason: "));
  EXPECT_EQ(DeployError(R"j({"type":"api_rpc_reply","mode":"keys","res_data":["a"],
                             "res_data_type":{"a":"int"}})j"),
            "logic.res_data_type: type \"int\" is not string, number, boolean, object or array");
  EXPECT_THAT(DeployError(ReplyLogic("", {}, R"j(,"throw_exception":"often","err_node_id":"x")j")),
              StartsWith("logic.throw_exception: throw_exception must be a boolean, not a string\n"
                         "logic: api_rpc_reply.err_node_id \"x\" names no node"));
}

}  // namespace
}  // namespace convey
