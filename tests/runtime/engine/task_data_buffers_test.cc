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

// Empties the batches waiting between threads (other tests left some): a
// thread that keeps nothing takes one at its first reserve.
void TakeEveryWaitingBatch() {
  while (WaitingTaskDataBatches() > 0) {
    OnAThreadOfItsOwn([] {
      std::string data;
      ReserveTaskData(TaskDataBuffers::kMaxBytes, &data);
    });
  }
}

// On a thread of its own: drops a batch of tasks whose data's buffers are
// `bytes` long, and one more, so that the batch is handed on. Returns the
// batch's buffers, which stay allocated while they wait.
std::set<const char*> DropABatch(size_t bytes) {
  std::set<const char*> batch;
  OnAThreadOfItsOwn([&] {
    for (size_t i = 0; i <= kBatch; ++i) {
      std::string dropped = DataOf(bytes);
      if (i < kBatch) batch.insert(dropped.data());
      RecycleTaskData(&dropped);
    }
    EXPECT_EQ(KeptTaskDataBuffers(), 1u);
  });
  return batch;
}

// This test does not link jemalloc (glibc's malloc, or a sanitizer's):
// buffers are kept but under the memory sanitizers
// (task_data_buffers_jemalloc_test: not with jemalloc).
TEST(TaskDataBuffersTest, KeptWithGlibcsMalloc) { EXPECT_EQ(TaskDataRecycled(), kRecycleTaskData); }

TEST(TaskDataBuffersTest, AThreadReusesTheBufferOfDataItDropped) {
  if (!TaskDataRecycled()) GTEST_SKIP() << "not kept under the memory sanitizers or with jemalloc";
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
  if (!TaskDataRecycled()) GTEST_SKIP() << "not kept under the memory sanitizers or with jemalloc";
  TakeEveryWaitingBatch();
  OnAThreadOfItsOwn([] {
    std::string dropped = DataOf(200);
    const char* buffer = dropped.data();
    RecycleTaskData(&dropped);
    std::string larger;
    ReserveTaskData(300, &larger);  // 200 bytes do not hold it
    EXPECT_NE(larger.data(), buffer);
    EXPECT_GE(larger.capacity(), 300u);
    // A miss frees the last buffer kept, so that misfits do not stay.
    EXPECT_EQ(KeptTaskDataBuffers(), 0u);

    dropped = DataOf(200);
    buffer = dropped.data();
    RecycleTaskData(&dropped);
    // 200 bytes are more than half again 80, and 64: a task would hold
    // much more than its data.
    std::string smaller;
    ReserveTaskData(80, &smaller);
    EXPECT_NE(smaller.data(), buffer);
    EXPECT_EQ(KeptTaskDataBuffers(), 0u);

    // A reserve that replaces a buffer keeps the one it replaced.
    std::string grown = DataOf(100);
    const char* const replaced = grown.data();
    grown.clear();
    ReserveTaskData(1000, &grown);
    EXPECT_GE(grown.capacity(), 1000u);
    EXPECT_EQ(KeptTaskDataBuffers(), 1u);
    std::string reused;
    ReserveTaskData(100, &reused);
    EXPECT_EQ(reused.data(), replaced);
  });
}

TEST(TaskDataBuffersTest, OnlyBuffersWithinTheBoundsAreKept) {
  if (!TaskDataRecycled()) GTEST_SKIP() << "not kept under the memory sanitizers or with jemalloc";
  OnAThreadOfItsOwn([] {
    std::string inline_data = "{}";
    std::string small = DataOf(TaskDataBuffers::kMinBytes - 1);
    std::string large = DataOf(TaskDataBuffers::kMaxBytes + 1);
    for (std::string* data : {&inline_data, &small, &large}) {
      RecycleTaskData(data);
      EXPECT_TRUE(data->empty());
      EXPECT_EQ(KeptTaskDataBuffers(), 0u);
    }
    std::string largest = DataOf(TaskDataBuffers::kMaxBytes);
    RecycleTaskData(&largest);
    EXPECT_EQ(KeptTaskDataBuffers(), 1u);
  });
}

TEST(TaskDataBuffersTest, BuffersGoInBatchesToTheThreadsThatNeedThem) {
  if (!TaskDataRecycled()) GTEST_SKIP() << "not kept under the memory sanitizers or with jemalloc";
  TakeEveryWaitingBatch();
  // A worker drops a batch of tasks: the batch waits after it ended.
  const std::set<const char*> batch = DropABatch(300);
  ASSERT_EQ(WaitingTaskDataBatches(), 1u);
  OnAThreadOfItsOwn([&] {
    // The thread that creates tasks takes it.
    std::string created;
    ReserveTaskData(290, &created);
    EXPECT_EQ(batch.count(created.data()), 1u);
    EXPECT_EQ(KeptTaskDataBuffers(), kBatch - 1);
  });
  EXPECT_EQ(WaitingTaskDataBatches(), 0u);
}

TEST(TaskDataBuffersTest, BuffersThatNeverFitAreFreedOneAMiss) {
  if (!TaskDataRecycled()) GTEST_SKIP() << "not kept under the memory sanitizers or with jemalloc";
  TakeEveryWaitingBatch();
  const std::set<const char*> batch = DropABatch(300);
  OnAThreadOfItsOwn([&] {
    // Data that grew past what new tasks need: kept, but too large.
    for (int i = 0; i < 3; ++i) {
      std::string grown = DataOf(1000);
      RecycleTaskData(&grown);
    }
    for (size_t misses = 1; misses <= 3; ++misses) {
      std::string created;
      ReserveTaskData(300, &created);
      EXPECT_EQ(batch.count(created.data()), 0u);
      EXPECT_EQ(KeptTaskDataBuffers(), 3 - misses);
    }
    // With none left, the next reserve takes the waiting batch.
    std::string created;
    ReserveTaskData(300, &created);
    EXPECT_EQ(batch.count(created.data()), 1u);
  });
  EXPECT_EQ(WaitingTaskDataBatches(), 0u);
}

// Last: it leaves the waiting batches full.
TEST(TaskDataBuffersTest, TheWaitingBatchesAreBounded) {
  if (!TaskDataRecycled()) GTEST_SKIP() << "not kept under the memory sanitizers or with jemalloc";
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
