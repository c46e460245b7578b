// Engine::SearchTasks (issue 16): filters, order, pages and cursors, the
// bounded work per call, and bad queries.
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kConv = 7;
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// start -> (big == true ? hold_big : hold) [api_callback, go -> done].
std::string Scheme() {
  const std::string hold = absl::StrCat(R"([{"type":"api_callback"},)", GoJson("done"), "]");
  return ProcessJson(
      kConv, {NodeJson("start", Kind::kStart,
                       absl::StrCat("[", IfJson("big", "eq", "true", "boolean", "hold_big"), ",",
                                    GoJson("hold"), "]")),
              NodeJson("hold", Kind::kNormal, hold), NodeJson("hold_big", Kind::kNormal, hold),
              NodeJson("done", Kind::kFinal, "[]")});
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.worker_threads = 2;
    options.clock = &clock_;
    options.hold_time = true;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->Deploy("t.json", Scheme()).ok());
  }
  // `count` tasks "r<i>", one second apart; every third is big.
  void Create(int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(engine_
                      ->CreateTask(kConv, absl::StrCat("r", i),
                                   absl::StrCat(R"({"n":)", i, R"(,"big":)",
                                                i % 3 == 0 ? "true" : "false", "}"))
                      .ok());
      clock_.Advance(absl::Seconds(1));
    }
    ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(30)).ok());
  }
  static std::vector<std::string> Refs(const TaskPage& page) {
    std::vector<std::string> refs;
    for (const TaskSnapshot& task : page.tasks) refs.push_back(task.ref);
    return refs;
  }
  TaskPage Search(const TaskQuery& query) {
    absl::StatusOr<TaskPage> page = engine_->SearchTasks(query);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? *page : TaskPage{};
  }
  // Every page of `query`, following the cursors.
  std::vector<std::string> All(TaskQuery query) {
    std::vector<std::string> refs;
    for (int pages = 0; pages < 1000; ++pages) {
      TaskPage page = Search(query);
      for (const TaskSnapshot& task : page.tasks) refs.push_back(task.ref);
      if (page.next_cursor.empty()) return refs;
      query.cursor = page.next_cursor;
    }
    ADD_FAILURE() << "no end of pages";
    return refs;
  }

  VirtualClock clock_{kStart};
  std::unique_ptr<Engine> engine_;
};

TEST_F(SearchTest, PagesInCreationOrderBothWays) {
  Create(7);
  TaskQuery query;
  query.conv_id = kConv;
  query.limit = 3;
  TaskPage first = Search(query);
  EXPECT_THAT(Refs(first), ElementsAre("r0", "r1", "r2"));
  ASSERT_FALSE(first.next_cursor.empty());
  query.cursor = first.next_cursor;
  EXPECT_THAT(Refs(Search(query)), ElementsAre("r3", "r4", "r5"));
  query.cursor.clear();
  EXPECT_THAT(All(query), ElementsAre("r0", "r1", "r2", "r3", "r4", "r5", "r6"));
  query.descending = true;
  EXPECT_THAT(All(query), ElementsAre("r6", "r5", "r4", "r3", "r2", "r1", "r0"));
  // The last page says there is no more.
  query.limit = 7;
  TaskPage all = Search(query);
  EXPECT_EQ(all.tasks.size(), 7u);
  EXPECT_TRUE(all.next_cursor.empty());
}

TEST_F(SearchTest, FiltersCombine) {
  Create(9);
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByRef(kConv, "r4"), R"({"paid":true})").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  TaskQuery query;
  query.conv_id = kConv;
  query.node_id = "hold_big";
  EXPECT_THAT(All(query), ElementsAre("r0", "r3", "r6"));
  query.node_id.clear();
  query.status = TaskStatus::kProcessed;
  EXPECT_THAT(All(query), ElementsAre("r4"));
  query.status.reset();
  query.park_reason = ParkReason::kCallback;
  query.ref_prefix = "r";
  EXPECT_EQ(All(query).size(), 8u);
  query.park_reason.reset();
  query.created_from = kStart + absl::Seconds(2);
  query.created_to = kStart + absl::Seconds(5);
  EXPECT_THAT(All(query), ElementsAre("r2", "r3", "r4"));
  query.created_from = absl::InfinitePast();
  query.created_to = absl::InfiniteFuture();
  query.data_path = "n";
  query.data_value_json = "5";
  EXPECT_THAT(All(query), ElementsAre("r5"));
  query.data_path = "big";
  query.data_value_json = " true ";
  query.node_id = "hold_big";
  EXPECT_THAT(All(query), ElementsAre("r0", "r3", "r6"));
  query.data_path = "paid";
  query.node_id.clear();
  EXPECT_THAT(All(query), ElementsAre("r4"));
}

TEST_F(SearchTest, EachCallExaminesAtMostItsBudget) {
  Create(50);
  TaskQuery query;
  query.conv_id = kConv;
  query.data_path = "n";
  query.data_value_json = "42";  // one match, deep in the log
  query.max_scanned = 10;
  int calls = 0;
  std::vector<std::string> found;
  for (;;) {
    TaskPage page = Search(query);
    ++calls;
    EXPECT_LE(page.scanned, 10u);
    for (const TaskSnapshot& task : page.tasks) found.push_back(task.ref);
    if (page.next_cursor.empty()) break;
    query.cursor = page.next_cursor;
  }
  EXPECT_THAT(found, ElementsAre("r42"));
  EXPECT_EQ(calls, 5);  // 50 entries, 10 a call
}

TEST_F(SearchTest, TasksThatLeaveMemoryAreSkippedAndSwept) {
  // A process whose final node does not keep tasks.
  ASSERT_TRUE(
      engine_
          ->Deploy("drop.json",
                   ProcessJson(
                       8, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("end"), "]")),
                           NodeJson("end", Kind::kFinal, "[]", R"({"save_task":false})")}))
          .ok());
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(engine_->CreateTask(8, "", "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(30)).ok());
  TaskQuery query;
  query.conv_id = 8;
  query.max_scanned = 1000000;
  TaskPage page = Search(query);
  EXPECT_TRUE(page.tasks.empty());
  EXPECT_TRUE(page.next_cursor.empty());
  // The log sweeps dead entries as it grows: it never holds them all.
  EXPECT_LT(page.scanned, 10000u);
}

TEST_F(SearchTest, BadQueriesAndForeignCursors) {
  Create(5);
  TaskQuery query;
  query.conv_id = kConv;
  query.limit = 2;
  TaskPage first = Search(query);
  ASSERT_FALSE(first.next_cursor.empty());
  // The same cursor with another filter, or another order, is refused.
  TaskQuery other = query;
  other.cursor = first.next_cursor;
  other.node_id = "hold";
  absl::StatusOr<TaskPage> refused = engine_->SearchTasks(other);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("made for another query"));
  other = query;
  other.cursor = first.next_cursor;
  other.descending = true;
  EXPECT_TRUE(absl::IsInvalidArgument(engine_->SearchTasks(other).status()));
  // A page size may change between pages.
  other = query;
  other.cursor = first.next_cursor;
  other.limit = 10;
  EXPECT_THAT(Refs(Search(other)), ElementsAre("r2", "r3", "r4"));
  const auto refused_with = [&](const TaskQuery& bad, const std::string& why) {
    absl::StatusOr<TaskPage> page = engine_->SearchTasks(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(page.status())) << page.status();
    EXPECT_THAT(std::string(page.status().message()), HasSubstr(why));
  };
  other = query;
  other.cursor = "garbage";
  refused_with(other, "not one SearchTasks made");
  other.cursor = "s1.0.0000000000000000";
  refused_with(other, "not one SearchTasks made");
  other = query;
  other.limit = 0;
  refused_with(other, "limit is 0");
  other.limit = 1001;
  refused_with(other, "limit is 1001");
  other = query;
  other.max_scanned = 0;
  refused_with(other, "max_scanned is 0");
  other = query;
  other.data_path = "n";
  refused_with(other, "go together");
  other.data_value_json = "{";
  refused_with(other, "not JSON");
  other.data_path = "a..b";
  other.data_value_json = "1";
  refused_with(other, "data_path");
  other = query;
  other.created_from = kStart + absl::Seconds(10);
  other.created_to = kStart;
  refused_with(other, "created_from is after created_to");
  other = query;
  other.conv_id = 999;
  EXPECT_TRUE(absl::IsNotFound(engine_->SearchTasks(other).status()));
}

}  // namespace
}  // namespace convey
