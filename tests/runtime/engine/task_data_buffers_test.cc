// Task data buffers (runtime/engine/task_data_buffers.h): a thread reuses
// the buffers of the data it dropped, hands them on in batches to threads
// that need them, and keeps no more than its bounds. Each test runs on
// threads of its own, since what a thread keeps is its own; the waiting
// batches are shared by the process, so the tests compare their count
// before and after.
#include "runtime/engine/task_data_buffers.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace convey {
namespace internal {
namespace {

constexpr size_t kBatch = TaskDataBuffers::kBatch;

// A string of `bytes` bytes whose buffer holds exactly that many.
std::string DataOf(size_t bytes) {
  std::string data(bytes, 'x');
  EXPECT_EQ(data.capacity(), bytes);
  return data;
}

template <typename Body>
void OnAThreadOfItsOwn(Body body) {
  std::thread(body).join();
}

TEST(TaskDataBuffersTest, AThreadReusesTheBufferOfDataItDropped) {
  if (!kRecycleTaskData) GTEST_SKIP() << "not kept under ASan and TSan";
  OnAThreadOfItsOwn([] {
    std::string dropped = DataOf(200);
    const char* const buffer = dropped.data();
    RecycleTaskData(&dropped);
    EXPECT_TRUE(dropped.empty());
    EXPECT_EQ(KeptTaskDataBuffers(), 1u);

    std::string next;
    ReserveTaskData(150, &next);
    EXPECT_EQ(next.data(), buffer);
    EXPECT_TRUE(next.empty());
    EXPECT_GE(next.capacity(), 150u);
    EXPECT_EQ(KeptTaskDataBuffers(), 0u);
  });
}

TEST(TaskDataBuffersTest, ABufferTooSmallOrTooLargeIsNotTaken) {
  if (!kRecycleTaskData) GTEST_SKIP() << "not kept under ASan and TSan";
  OnAThreadOfItsOwn([] {
    std::string dropped = DataOf(200);
    const char* const buffer = dropped.data();
    RecycleTaskData(&dropped);

    std::string larger;
    ReserveTaskData(300, &larger);  // 200 bytes do not hold it
    EXPECT_NE(larger.data(), buffer);
    EXPECT_GE(larger.capacity(), 300u);
    // 200 bytes are more than half again 80 (and 64): a task would hold
    // much more than its data.
    std::string smaller;
    ReserveTaskData(80, &smaller);
    EXPECT_NE(smaller.data(), buffer);
    EXPECT_EQ(KeptTaskDataBuffers(), 1u);

    // A reserve that replaces a buffer keeps the one it replaced.
    std::string grown = DataOf(100);
    const char* const replaced = grown.data();
    grown.clear();
    ReserveTaskData(1000, &grown);
    EXPECT_GE(grown.capacity(), 1000u);
    EXPECT_EQ(KeptTaskDataBuffers(), 2u);
    std::string reused;
    ReserveTaskData(100, &reused);
    EXPECT_EQ(reused.data(), replaced);
  });
}

TEST(TaskDataBuffersTest, OnlyBuffersWithinTheBoundsAreKept) {
  if (!kRecycleTaskData) GTEST_SKIP() << "not kept under ASan and TSan";
  OnAThreadOfItsOwn([] {
    std::string inline_data = "{}";
    std::string small = DataOf(TaskDataBuffers::kMinBytes - 1);
    std::string large = DataOf(TaskDataBuffers::kMaxBytes + 1);
    for (std::string* data : {&inline_data, &small, &large}) {
      RecycleTaskData(data);
      EXPECT_TRUE(data->empty());
      EXPECT_EQ(KeptTaskDataBuffers(), 0u);
    }
    // A reserve past the bound takes nothing kept.
    std::string kept = DataOf(TaskDataBuffers::kMaxBytes);
    RecycleTaskData(&kept);
    std::string huge;
    ReserveTaskData(TaskDataBuffers::kMaxBytes + 1, &huge);
    EXPECT_EQ(KeptTaskDataBuffers(), 1u);
  });
}

TEST(TaskDataBuffersTest, BuffersGoInBatchesToTheThreadsThatNeedThem) {
  if (!kRecycleTaskData) GTEST_SKIP() << "not kept under ASan and TSan";
  const size_t waiting_before = WaitingTaskDataBatches();
  std::set<const char*> dropped_buffers;
  OnAThreadOfItsOwn([&] {
    // A worker drops a batch of tasks, and one more.
    for (size_t i = 0; i <= kBatch; ++i) {
      std::string dropped = DataOf(300);
      dropped_buffers.insert(dropped.data());
      RecycleTaskData(&dropped);
    }
    EXPECT_EQ(KeptTaskDataBuffers(), 1u);
  });
  // The batch waits after the thread that dropped it ended.
  ASSERT_EQ(WaitingTaskDataBatches(), waiting_before + 1);
  OnAThreadOfItsOwn([&] {
    // The thread that creates tasks takes it, the batch last handed on.
    std::string created;
    ReserveTaskData(290, &created);
    EXPECT_EQ(dropped_buffers.count(created.data()), 1u);
    EXPECT_EQ(KeptTaskDataBuffers(), kBatch - 1);
  });
  EXPECT_EQ(WaitingTaskDataBatches(), waiting_before);
}

// Last: it leaves the waiting batches full.
TEST(TaskDataBuffersTest, TheWaitingBatchesAreBounded) {
  if (!kRecycleTaskData) GTEST_SKIP() << "not kept under ASan and TSan";
  OnAThreadOfItsOwn([] {
    for (size_t i = 0; i < (TaskDataBuffers::kMaxBatches + 2) * kBatch; ++i) {
      std::string dropped = DataOf(64);
      RecycleTaskData(&dropped);
      EXPECT_TRUE(dropped.empty());
    }
    EXPECT_EQ(WaitingTaskDataBatches(), TaskDataBuffers::kMaxBatches);
    EXPECT_EQ(KeptTaskDataBuffers(), kBatch);
  });
}

}  // namespace
}  // namespace internal
}  // namespace convey
