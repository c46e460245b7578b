// Issue 16's task operations on the engine: JSON Patch of a task's data
// (with modify's wake-up rules) and task history (recorded entries, the
// bound, host entries, after the end).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
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
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::convey::testing::SemaphoreNodeJson;
using ::convey::testing::TimeJson;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kConv = 7;
const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// start -> hold [api_callback, go -> done]; time 100 s -> late.
std::string CallbackScheme() {
  return ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("hold"), "]")),
              SemaphoreNodeJson("hold", Kind::kNormal,
                                absl::StrCat(R"([{"type":"api_callback"},)", GoJson("done"), "]"),
                                absl::StrCat("[", TimeJson("100", "sec", "late"), "]")),
              NodeJson("done", Kind::kFinal, "[]"), NodeJson("late", Kind::kFinal, "[]")});
}

class TaskOpsTest : public ::testing::Test {
 protected:
  void Open(size_t history_limit = 32) {
    EngineOptions options;
    options.worker_threads = 2;
    options.clock = &clock_;
    options.task_history_limit = history_limit;
    options.hold_time = true;  // the 100 s timer fires only when a test lets time jump
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    auto deployed = engine_->Deploy("t.json", CallbackScheme());
    ASSERT_TRUE(deployed.ok()) << deployed.status();
  }
  // A task parked in `hold`, waiting for a modify.
  std::string Parked(const std::string& ref, const std::string& data) {
    absl::StatusOr<std::string> id = engine_->CreateTask(kConv, ref, data);
    EXPECT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
    return id.ok() ? *id : "";
  }
  TaskSnapshot Show(const std::string& obj_id) {
    absl::StatusOr<TaskSnapshot> task = engine_->ShowTask(TaskKey::ByObjId(obj_id));
    EXPECT_TRUE(task.ok()) << task.status();
    return task.ok() ? *task : TaskSnapshot{};
  }
  std::vector<std::string> Kinds(const TaskKey& key) {
    absl::StatusOr<TaskHistory> history = engine_->GetTaskHistory(key);
    EXPECT_TRUE(history.ok()) << history.status();
    std::vector<std::string> kinds;
    if (history.ok()) {
      for (const TaskHistoryEntry& entry : history->entries) {
        kinds.push_back(entry.node_id.empty() ? entry.kind
                                              : absl::StrCat(entry.kind, "@", entry.node_id));
      }
    }
    return kinds;
  }

  VirtualClock clock_{kStart};
  std::unique_ptr<Engine> engine_;
};

TEST_F(TaskOpsTest, PatchChangesNestedDataAndResumesACallbackWait) {
  Open();
  const std::string id = Parked("r1", R"({"order":{"items":[1,2],"note":"x"},"keep":true})");
  ASSERT_EQ(Show(id).park_reason, ParkReason::kCallback);
  ASSERT_TRUE(engine_
                  ->PatchTask(TaskKey::ByRef(kConv, "r1"),
                              R"([{"op":"test","path":"/order/note","value":"x"},)"
                              R"({"op":"remove","path":"/order/note"},)"
                              R"({"op":"add","path":"/order/items/-","value":3}])")
                  .ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  const TaskSnapshot task = Show(id);
  EXPECT_EQ(task.node_id, "done");  // woken as a modify wakes it
  EXPECT_EQ(task.data, R"({"order":{"items":[1,2,3]},"keep":true})");
}

TEST_F(TaskOpsTest, AFailedPatchChangesNothingAndDoesNotWake) {
  Open();
  const std::string id = Parked("r1", R"({"a":1,"b":2})");
  const TaskKey key = TaskKey::ByObjId(id);
  absl::Status status = engine_->PatchTask(
      key, R"([{"op":"replace","path":"/a","value":5},{"op":"test","path":"/b","value":3}])");
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("operation 1 (test \"/b\") failed"));
  status = engine_->PatchTask(key, R"([{"op":"remove","path":"/missing/x"}])");
  EXPECT_THAT(std::string(status.message()), HasSubstr("operation 0 (remove \"/missing/x\")"));
  status = engine_->PatchTask(key, R"([{"op":"replace","path":"","value":[]}])");
  EXPECT_THAT(std::string(status.message()), HasSubstr("must be a JSON object"));
  status = engine_->PatchTask(key, "not json");
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  const TaskSnapshot task = Show(id);
  EXPECT_EQ(task.data, R"({"a":1,"b":2})");
  EXPECT_EQ(task.node_id, "hold");
  EXPECT_EQ(task.park_reason, ParkReason::kCallback);
  // No entry for a refused patch.
  EXPECT_THAT(Kinds(key), ElementsAre("created@start", "node_entered@hold", "parked@hold"));
}

TEST_F(TaskOpsTest, PatchRefusals) {
  Open();
  EXPECT_TRUE(absl::IsNotFound(engine_->PatchTask(TaskKey::ByRef(kConv, "nobody"), "[]")));
  const std::string id = Parked("r1", "{}");
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByObjId(id), "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  absl::Status finished = engine_->PatchTask(TaskKey::ByObjId(id), "[]");
  EXPECT_TRUE(absl::IsFailedPrecondition(finished)) << finished;
  EXPECT_THAT(std::string(finished.message()), HasSubstr("has finished"));
  // Larger than max_task_size (128000 by default).
  const std::string other = Parked("r2", "{}");
  const std::string big(130000, 'x');
  absl::Status large =
      engine_->PatchTask(TaskKey::ByObjId(other),
                         absl::StrCat(R"([{"op":"add","path":"/big","value":")", big, "\"}]"));
  EXPECT_TRUE(absl::IsInvalidArgument(large)) << large;
  EXPECT_EQ(Show(other).data, "{}");
}

TEST_F(TaskOpsTest, HistoryRecordsWhatHappenedInOrder) {
  Open();
  const std::string id = Parked("r1", "{}");
  ASSERT_TRUE(engine_->AppendTaskHistory(TaskKey::ByRef(kConv, "r1"), "called the customer").ok());
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByObjId(id), R"({"ok":1})").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_THAT(Kinds(TaskKey::ByObjId(id)),
              ElementsAre("created@start", "node_entered@hold", "parked@hold", "host@hold",
                          "modified@hold", "resumed@hold", "node_entered@done", "finished@done"));
  // Readable by ref after the task finished, with times and texts.
  absl::StatusOr<TaskHistory> history = engine_->GetTaskHistory(TaskKey::ByRef(kConv, "r1"));
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->obj_id, id);
  EXPECT_EQ(history->dropped, 0u);
  EXPECT_EQ(history->entries[0].time, kStart);
  EXPECT_EQ(history->entries[2].text, "callback");
  EXPECT_EQ(history->entries[3].text, "called the customer");
  EXPECT_EQ(history->entries[4].time, kStart + absl::Seconds(5));
  EXPECT_EQ(history->entries[5].text, "callback");
  // A finished task takes no more entries.
  EXPECT_TRUE(
      absl::IsFailedPrecondition(engine_->AppendTaskHistory(TaskKey::ByObjId(id), "too late")));
}

TEST_F(TaskOpsTest, ATimerAndADeleteAreRecorded) {
  Open();
  const std::string late = Parked("r1", "{}");
  const std::string deleted = Parked("r2", "{}");
  ASSERT_TRUE(engine_->DeleteTask(TaskKey::ByObjId(deleted)).ok());
  engine_->HoldTime(false);
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());  // the virtual clock jumps 100 s
  EXPECT_THAT(Kinds(TaskKey::ByObjId(late)),
              ElementsAre("created@start", "node_entered@hold", "parked@hold", "resumed@hold",
                          "timer_fired@hold", "node_entered@late", "finished@late"));
  EXPECT_THAT(Kinds(TaskKey::ByObjId(deleted)),
              ElementsAre("created@start", "node_entered@hold", "parked@hold", "deleted@hold"));
}

TEST_F(TaskOpsTest, TheLogKeepsTheCreateAndTheLatestEntries) {
  Open(/*history_limit=*/4);
  const std::string id = Parked("r1", "{}");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(engine_->AppendTaskHistory(TaskKey::ByObjId(id), absl::StrCat("note ", i)).ok());
  }
  absl::StatusOr<TaskHistory> history = engine_->GetTaskHistory(TaskKey::ByObjId(id));
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->entries.size(), 4u);
  EXPECT_EQ(history->dropped, 4u);  // node_entered, parked, note 0, note 1
  EXPECT_EQ(history->entries[0].kind, "created");
  EXPECT_EQ(history->entries[1].text, "note 2");
  EXPECT_EQ(history->entries[2].text, "note 3");
  EXPECT_EQ(history->entries[3].text, "note 4");
}

// A task that runs through many nodes in one step: its node entries are
// written to the history when the step ends (StepMachine::FlushEntered),
// and the log must read as if each had been added on entry: the create,
// then the latest limit-1 entries, in order, the rest counted as dropped.
TEST_F(TaskOpsTest, ALongRunInOneStepKeepsTheCreateAndTheLatestEntries) {
  constexpr int64_t kChain = 8;
  constexpr int kNodes = 40;
  // start -> n0 -> ... -> n39 -> wait [api_callback, go -> done].
  std::vector<std::string> nodes = {NodeJson("start", Kind::kStart, "[" + GoJson("n0") + "]")};
  for (int i = 0; i < kNodes; ++i) {
    const std::string next = i + 1 < kNodes ? absl::StrCat("n", i + 1) : "wait";
    nodes.push_back(NodeJson(absl::StrCat("n", i), Kind::kNormal, "[" + GoJson(next) + "]"));
  }
  nodes.push_back(NodeJson("wait", Kind::kNormal,
                           absl::StrCat(R"([{"type":"api_callback"},)", GoJson("done"), "]")));
  nodes.push_back(NodeJson("done", Kind::kFinal, "[]"));
  // Every entry the task makes, in order.
  std::vector<std::string> all = {"created@start"};
  for (int i = 0; i < kNodes; ++i) all.push_back(absl::StrCat("node_entered@n", i));
  for (const char* entry : {"node_entered@wait", "parked@wait", "modified@wait", "resumed@wait",
                            "node_entered@done", "finished@done"}) {
    all.push_back(entry);
  }
  for (size_t limit : {size_t{1}, size_t{2}, size_t{4}, size_t{32}, size_t{64}}) {
    SCOPED_TRACE(absl::StrCat("limit ", limit));
    Open(limit);
    ASSERT_TRUE(engine_->Deploy("chain.json", ProcessJson(kChain, nodes)).ok());
    absl::StatusOr<std::string> id = engine_->CreateTask(kChain, "", "{}");
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
    // Parked after the run: the create and the latest limit-1 entries.
    const size_t parked_count = 2 + kNodes + 1;  // created, n0..n39, wait, parked
    std::vector<std::string> expected = {all[0]};
    const size_t kept = std::min(limit, parked_count) - 1;
    expected.insert(expected.end(), all.begin() + (parked_count - kept),
                    all.begin() + parked_count);
    EXPECT_EQ(Kinds(TaskKey::ByObjId(*id)), expected);
    ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByObjId(*id), "{}").ok());
    ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
    expected = {all[0]};
    const size_t kept_at_end = std::min(limit, all.size()) - 1;
    expected.insert(expected.end(), all.end() - kept_at_end, all.end());
    EXPECT_EQ(Kinds(TaskKey::ByObjId(*id)), expected);
    absl::StatusOr<TaskHistory> history = engine_->GetTaskHistory(TaskKey::ByObjId(*id));
    ASSERT_TRUE(history.ok());
    EXPECT_EQ(history->dropped, all.size() - expected.size());
  }
}

TEST_F(TaskOpsTest, NoHistoryWhenTheLimitIsZero) {
  Open(/*history_limit=*/0);
  const std::string id = Parked("r1", "{}");
  absl::StatusOr<TaskHistory> history = engine_->GetTaskHistory(TaskKey::ByObjId(id));
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->entries.empty());
  EXPECT_EQ(history->obj_id, id);
  EXPECT_TRUE(absl::IsFailedPrecondition(engine_->AppendTaskHistory(TaskKey::ByObjId(id), "x")));
}

TEST_F(TaskOpsTest, HostEntriesAreCheckedAndDoNotWake) {
  Open();
  const std::string id = Parked("r1", "{}");
  const TaskKey key = TaskKey::ByObjId(id);
  EXPECT_TRUE(absl::IsInvalidArgument(engine_->AppendTaskHistory(key, "")));
  EXPECT_TRUE(absl::IsInvalidArgument(engine_->AppendTaskHistory(key, std::string(1025, 'a'))));
  EXPECT_TRUE(absl::IsInvalidArgument(engine_->AppendTaskHistory(key, "bad \xff utf-8")));
  EXPECT_TRUE(absl::IsNotFound(engine_->AppendTaskHistory(TaskKey::ByRef(kConv, "nobody"), "x")));
  ASSERT_TRUE(engine_->AppendTaskHistory(key, std::string(1024, 'a')).ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(1)).ok());
  EXPECT_EQ(Show(id).park_reason, ParkReason::kCallback);  // still waiting
  EXPECT_EQ(Show(id).change_time, kStart);                 // a note is no change
}

TEST_F(TaskOpsTest, ACreateWithAKeyUsedBeforeReturnsTheSameTask) {
  Open();
  absl::StatusOr<std::string> first =
      engine_->CreateTask(kConv, NewTask("r1", R"({"a":1})", "k-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  // Same process, ref and data (written differently: compared as stored).
  absl::StatusOr<std::string> again =
      engine_->CreateTask(kConv, NewTask("r1", R"({ "a" : 1 })", "k-1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(engine_->Stats().tasks_created, 1);
  // Another request under the same key is refused, naming the task.
  absl::StatusOr<std::string> other =
      engine_->CreateTask(kConv, NewTask("r1", R"({"a":2})", "k-1"));
  EXPECT_TRUE(absl::IsAlreadyExists(other.status())) << other.status();
  EXPECT_THAT(
      std::string(other.status().message()),
      HasSubstr(absl::StrCat("idempotency key \"k-1\" was used by a create of task ", *first)));
  EXPECT_TRUE(absl::IsAlreadyExists(
      engine_->CreateTask(kConv, NewTask("r2", R"({"a":1})", "k-1")).status()));
  // A key is not a ref: another key with the same ref is the usual duplicate.
  absl::StatusOr<std::string> dup = engine_->CreateTask(kConv, NewTask("r1", "{}", "k-2"));
  EXPECT_TRUE(absl::IsAlreadyExists(dup.status())) << dup.status();
  EXPECT_THAT(std::string(dup.status().message()), HasSubstr("ref \"r1\""));
  // ... and that refused create did not take k-2.
  absl::StatusOr<std::string> fresh = engine_->CreateTask(kConv, NewTask("r3", "{}", "k-2"));
  EXPECT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE(absl::IsInvalidArgument(
      engine_->CreateTask(kConv, NewTask("", "{}", std::string(256, 'k'))).status()));
  // After the task finished (kept in memory), the key still answers.
  ASSERT_TRUE(engine_->ModifyTask(TaskKey::ByObjId(*first), "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  ASSERT_EQ(Show(*first).status, TaskStatus::kProcessed);
  again = engine_->CreateTask(kConv, NewTask("r1", R"({"a":1})", "k-1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);
}

TEST_F(TaskOpsTest, KeysInABatchAndFromManyThreads) {
  Open();
  std::vector<absl::StatusOr<std::string>> ids = engine_->CreateTasks(
      kConv, {NewTask("", "{}", "b"), NewTask("", "{}", "b"), NewTask("", R"({"x":1})", "b")});
  ASSERT_TRUE(ids[0].ok() && ids[1].ok()) << ids[0].status() << ids[1].status();
  EXPECT_EQ(*ids[1], *ids[0]);
  EXPECT_TRUE(absl::IsAlreadyExists(ids[2].status()));
  // Concurrent creates with one key make one task.
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([this, t, &got] {
      absl::StatusOr<std::string> id = engine_->CreateTask(kConv, NewTask("", "{}", "race"));
      got[t] = id.ok() ? *id : id.status().ToString();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& id : got) EXPECT_EQ(id, got[0]);
  EXPECT_EQ(engine_->Stats().tasks_created, 2);
}

// CreateTasks queues its tasks in bulk, 64 at a time, the rest at the end:
// every task of a batch longer than that runs, a refused one in the middle
// included in nothing.
TEST_F(TaskOpsTest, EveryTaskOfALongBatchRuns) {
  Open();
  std::vector<NewTask> batch;
  for (int i = 0; i < 200; ++i) {
    batch.emplace_back(absl::StrCat("r", i),
                       i == 70 ? "not json" : absl::StrCat(R"({"i":)", i, "}"));
  }
  std::vector<absl::StatusOr<std::string>> ids = engine_->CreateTasks(kConv, batch);
  ASSERT_EQ(ids.size(), 200u);
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  for (int i = 0; i < 200; ++i) {
    if (i == 70) {
      EXPECT_TRUE(absl::IsInvalidArgument(ids[i].status())) << ids[i].status();
      continue;
    }
    ASSERT_TRUE(ids[i].ok()) << i << ": " << ids[i].status();
    const TaskSnapshot task = Show(*ids[i]);
    EXPECT_EQ(task.node_id, "hold") << i;
    EXPECT_EQ(task.data, absl::StrCat(R"({"i":)", i, "}"));
  }
  EXPECT_EQ(engine_->Stats().tasks_created, 199);
}

// CreateTasks parses and checks a long batch's data on the workers as well
// as the calling thread (chunks of 32): each task's result is the one
// CreateTask gives, in the batch's order, with two batches at once, and a
// ref repeated in a batch is refused for the later task only.
TEST_F(TaskOpsTest, ABatchPreparedOnTheWorkersGivesEachTaskItsOwnResult) {
  Open(0);
  enum class Kind { kOk, kCollapsed, kNotJson, kNotObject, kConflict, kTooLarge, kRefTaken };
  const auto kind_of = [](int i) {
    if (i % 7 == 3) return Kind::kNotJson;
    if (i % 11 == 5) return Kind::kNotObject;
    if (i % 13 == 6) return Kind::kConflict;
    if (i % 17 == 8) return Kind::kCollapsed;
    if (i % 101 == 50) return Kind::kTooLarge;
    return Kind::kOk;
  };
  constexpr int kTasks = 1000;
  const auto batch_of = [&](const std::string& prefix, std::vector<Kind>* kinds) {
    std::vector<NewTask> batch;
    for (int i = 0; i < kTasks; ++i) {
      Kind kind = kind_of(i);
      std::string ref = absl::StrCat(prefix, i);
      // A task whose ref the task before it (created) holds.
      if (i % 19 == 9 && (*kinds)[i - 1] == Kind::kOk) {
        ref = absl::StrCat(prefix, i - 1);
        kind = Kind::kRefTaken;
      }
      std::string data;
      switch (kind) {
        case Kind::kOk:
        case Kind::kRefTaken:
          data = absl::StrCat(R"( { "i" : )", i, " } ");
          break;
        case Kind::kCollapsed:
          data = absl::StrCat(R"({"i":)", i, R"(,"i":)", i, "}");
          break;
        case Kind::kNotJson:
          data = absl::StrCat(R"({"i":)", i);
          break;
        case Kind::kNotObject:
          data = absl::StrCat("[", i, "]");
          break;
        case Kind::kConflict:
          data = absl::StrCat(R"({"i":)", i, R"(,"i":-1})");
          break;
        case Kind::kTooLarge:
          data = absl::StrCat(R"({"i":)", i, R"(,"pad":")", std::string(130000, 'x'), R"("})");
          break;
      }
      kinds->push_back(kind);
      batch.emplace_back(ref, data);
    }
    return batch;
  };
  std::vector<Kind> kinds[2];
  const std::vector<NewTask> batches[2] = {batch_of("a", &kinds[0]), batch_of("b", &kinds[1])};
  std::vector<absl::StatusOr<std::string>> ids[2];
  std::thread other([&] { ids[1] = engine_->CreateTasks(kConv, batches[1]); });
  ids[0] = engine_->CreateTasks(kConv, batches[0]);
  other.join();
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(30)).ok());
  int64_t created = 0;
  for (int b = 0; b < 2; ++b) {
    ASSERT_EQ(ids[b].size(), static_cast<size_t>(kTasks));
    for (int i = 0; i < kTasks; ++i) {
      SCOPED_TRACE(absl::StrCat("batch ", b, ", task ", i));
      const absl::Status status = ids[b][i].status();
      switch (kinds[b][i]) {
        case Kind::kOk:
        case Kind::kCollapsed: {
          ASSERT_TRUE(status.ok()) << status;
          ++created;
          const TaskSnapshot task = Show(*ids[b][i]);
          EXPECT_EQ(task.data, absl::StrCat(R"({"i":)", i, "}"));
          EXPECT_EQ(task.ref, absl::StrCat(b == 0 ? "a" : "b", i));
          EXPECT_EQ(task.node_id, "hold");
          break;
        }
        case Kind::kNotJson:
          EXPECT_THAT(status.message(), HasSubstr("not valid JSON"));
          break;
        case Kind::kNotObject:
          EXPECT_THAT(status.message(), HasSubstr("must be a JSON object"));
          break;
        case Kind::kConflict:
          EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
          EXPECT_THAT(status.message(), HasSubstr("\"i\""));
          break;
        case Kind::kTooLarge:
          EXPECT_THAT(status.message(), HasSubstr("max_task_size"));
          break;
        case Kind::kRefTaken:
          EXPECT_TRUE(absl::IsAlreadyExists(status)) << status;
          break;
      }
    }
  }
  EXPECT_EQ(engine_->Stats().tasks_created, created);
}

TEST(TaskOpsOptionsTest, AHistoryLimitPastTheRangeIsRefused) {
  EngineOptions options;
  options.task_history_limit = 65536;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  ASSERT_FALSE(engine.ok());
  EXPECT_THAT(std::string(engine.status().message()), HasSubstr("task_history_limit"));
}

}  // namespace
}  // namespace convey
