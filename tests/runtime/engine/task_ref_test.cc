// TaskRef and TaskWeakRef: a task dies with its last reference, a weak
// reference sees it die, and references copied and dropped on many threads
// at once destroy each task exactly once (run under TSan and ASan: "stress").
#include "runtime/engine/task_ref.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/engine/task.h"

namespace convey {
namespace internal {
namespace {

// A task whose destruction shows: it holds one of two owners of `witness`.
// With a history, one entry of which holds text on the heap: a history not
// destroyed with its task leaks (ASan), one destroyed twice is a double free.
TaskRef TaskWitnessing(const std::shared_ptr<const std::string>& witness,
                       bool with_history = false) {
  TaskRef task = MakeTask(with_history);
  task->extras().state_data = witness;
  if (with_history) {
    task->history()->Add(32, 1000, HistoryKind::kCreated, nullptr);
    task->history()->Add(32, 2000, HistoryKind::kHost, nullptr,
                         "a text past std::string's inline room");
  }
  return task;
}

TEST(TaskRefTest, AHistoryIsInTheTasksAllocationOnlyWhenAskedFor) {
  TaskRef without = MakeTask(false);
  EXPECT_EQ(without->history(), nullptr);
  auto witness = std::make_shared<const std::string>("w");
  TaskRef with = TaskWitnessing(witness, true);
  ASSERT_NE(with->history(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(with->history()) % alignof(TaskHistoryLog), 0u);
  const TaskHistory history = with->history()->ToPublic("id");
  ASSERT_EQ(history.entries.size(), 2u);
  EXPECT_EQ(history.entries[1].text, "a text past std::string's inline room");
  // The last strong reference destroys the history with the task (a leak
  // or a double free otherwise, under ASan); the weak one keeps the block.
  TaskWeakRef weak = with;
  with.reset();
  EXPECT_EQ(witness.use_count(), 1);
  EXPECT_TRUE(weak.expired());
}

// A thread that makes tasks keeps the blocks of those it frees for its next
// ones (task_ref.cc), each kind (with a history or not) for its own; off
// under the memory sanitizers, where reuse would hide a use after free.
TEST(TaskRefTest, AThreadReusesTheBlocksOfItsFreedTasks) {
  if (!task_ref_internal::kKeepFreedTaskBlocks)
    GTEST_SKIP() << "not kept under the memory sanitizers";
  std::thread([] {
    using task_ref_internal::KeptTaskBlocks;
    TaskRef first = MakeTask(true);
    first->data = R"({"a long enough value":"to be on the heap"})";
    first->history()->Add(32, 1000, HistoryKind::kCreated, nullptr);
    first->extras().state_data = std::make_shared<const std::string>("s");
    const Task* first_address = first.get();
    first.reset();
    EXPECT_EQ(KeptTaskBlocks(true), 1u);
    TaskRef plain = MakeTask(false);
    EXPECT_NE(plain.get(), first_address) << "a block of the other kind was reused";
    EXPECT_EQ(KeptTaskBlocks(true), 1u);
    EXPECT_EQ(KeptTaskBlocks(false), 0u);
    TaskRef second = MakeTask(true);
    EXPECT_EQ(second.get(), first_address);
    EXPECT_EQ(KeptTaskBlocks(true), 0u);
    // Fresh fields in the reused block.
    EXPECT_TRUE(second->data.empty());
    EXPECT_EQ(second->history()->size(), 0u);
    EXPECT_EQ(second->extras_if_any(), nullptr);
    // A weak reference keeps the block from the cache until it goes.
    TaskWeakRef weak = second;
    second.reset();
    EXPECT_EQ(KeptTaskBlocks(true), 0u);
    weak = TaskWeakRef();
    EXPECT_EQ(KeptTaskBlocks(true), 1u);
    TaskRef third = MakeTask(true);
    EXPECT_EQ(third.get(), first_address);
    EXPECT_EQ(KeptTaskBlocks(true), 0u);
  }).join();
}

// At most kMaxKeptTaskBlocks of a kind: the rest are freed as before.
TEST(TaskRefTest, AThreadKeepsABoundedNumberOfBlocks) {
  if (!task_ref_internal::kKeepFreedTaskBlocks)
    GTEST_SKIP() << "not kept under the memory sanitizers";
  std::thread([] {
    using task_ref_internal::KeptTaskBlocks;
    using task_ref_internal::kMaxKeptTaskBlocks;
    std::vector<TaskRef> tasks;
    for (size_t i = 0; i < kMaxKeptTaskBlocks + 100; ++i) tasks.push_back(MakeTask(true));
    tasks.push_back(MakeTask(false));
    EXPECT_EQ(KeptTaskBlocks(true), 0u);
    tasks.clear();
    EXPECT_EQ(KeptTaskBlocks(true), kMaxKeptTaskBlocks);
    EXPECT_EQ(KeptTaskBlocks(false), 1u);
    TaskRef reused = MakeTask(true);
    EXPECT_EQ(KeptTaskBlocks(true), kMaxKeptTaskBlocks - 1);
  }).join();
}

// A thread that frees tasks it did not make (one closing an engine) keeps
// nothing.
TEST(TaskRefTest, AThreadThatMakesNoTasksKeepsNoBlocks) {
  if (!task_ref_internal::kKeepFreedTaskBlocks)
    GTEST_SKIP() << "not kept under the memory sanitizers";
  std::vector<TaskRef> tasks;
  for (int i = 0; i < 10; ++i) tasks.push_back(MakeTask(true));
  std::thread([&tasks] {
    tasks.clear();
    EXPECT_EQ(task_ref_internal::KeptTaskBlocks(true), 0u);
  }).join();
}

TEST(TaskRefTest, TheTaskDiesWithItsLastReference) {
  auto witness = std::make_shared<const std::string>("w");
  TaskRef first = TaskWitnessing(witness);
  EXPECT_EQ(witness.use_count(), 2);
  TaskRef second = first;
  EXPECT_EQ(second.get(), first.get());
  EXPECT_TRUE(second == first);
  first.reset();
  EXPECT_FALSE(first);
  EXPECT_EQ(witness.use_count(), 2);
  TaskRef moved = std::move(second);
  EXPECT_FALSE(second);  // NOLINT: a moved-from reference is null
  EXPECT_EQ(witness.use_count(), 2);
  moved = nullptr;
  EXPECT_EQ(witness.use_count(), 1);
}

TEST(TaskRefTest, AWeakReferenceSeesTheTaskDieAndKeepsNothingAlive) {
  auto witness = std::make_shared<const std::string>("w");
  TaskRef task = TaskWitnessing(witness);
  task->data = R"({"a":1})";
  TaskWeakRef weak = task;
  TaskWeakRef copy = weak;
  EXPECT_FALSE(weak.expired());
  {
    TaskRef locked = weak.lock();
    ASSERT_TRUE(locked);
    EXPECT_EQ(locked->data, R"({"a":1})");
  }
  task.reset();
  // The fields are gone with the last TaskRef; the weak references still
  // read the counts (ASan would see a freed allocation here).
  EXPECT_EQ(witness.use_count(), 1);
  EXPECT_TRUE(weak.expired());
  EXPECT_FALSE(weak.lock());
  EXPECT_FALSE(copy.lock());
  TaskWeakRef empty;
  EXPECT_TRUE(empty.expired());
  EXPECT_FALSE(empty.lock());
}

TEST(TaskRefTest, SetsOfReferencesAreOneWordEach) {
  EXPECT_EQ(sizeof(TaskRef), sizeof(void*));
  EXPECT_EQ(sizeof(TaskWeakRef), sizeof(void*));
}

// Threads copy, lock and drop references to shared tasks while the owner
// drops its own: each task is destroyed once, after the last reference.
TEST(TaskRefTest, ReferencesOnManyThreadsDestroyEachTaskOnce) {
  constexpr int kTasks = 64;
  constexpr int kRounds = 200;
  for (int round = 0; round < kRounds; ++round) {
    auto witness = std::make_shared<const std::string>("w");
    std::vector<TaskRef> owners;
    std::vector<TaskWeakRef> weak;
    for (int i = 0; i < kTasks; ++i) {
      owners.push_back(TaskWitnessing(witness, i % 2 == 1));
      // Past the string's inline room: a read after the task died reads
      // freed memory (ASan).
      owners.back()->data = R"({"a long enough value":"to be on the heap"})";
      weak.emplace_back(owners.back());
    }
    std::vector<TaskRef> shared = owners;  // one more strong reference each
    std::atomic<bool> go{false};
    std::atomic<size_t> reads{0};  // of a field, while the lock keeps the task
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      // Each thread takes its own copies before the start (a TaskRef object
      // is not shared between threads), then drops them while locking weak
      // references.
      std::vector<TaskRef> mine = shared;
      threads.emplace_back([&weak, &go, &reads, mine = std::move(mine), t]() mutable {
        while (!go.load(std::memory_order_acquire)) {
        }
        for (int i = 0; i < kTasks; ++i) {
          const size_t at = static_cast<size_t>((i * 7 + t) % kTasks);
          TaskRef locked = weak[at].lock();
          if (locked) reads.fetch_add(locked->data.size(), std::memory_order_relaxed);
          TaskRef copy = mine[at];
          mine[at].reset();
        }
      });
    }
    go.store(true, std::memory_order_release);
    owners.clear();
    shared.clear();
    for (std::thread& thread : threads) thread.join();
    // Each lock came while the thread still held its own copy: it succeeded.
    EXPECT_EQ(reads.load(),
              3u * kTasks * std::string(R"({"a long enough value":"to be on the heap"})").size());
    ASSERT_EQ(witness.use_count(), 1) << "round " << round;
    for (const TaskWeakRef& one : weak) ASSERT_TRUE(one.expired());
  }
}

}  // namespace
}  // namespace internal
}  // namespace convey
