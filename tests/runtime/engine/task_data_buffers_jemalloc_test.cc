// With jemalloc as the process's malloc (linked into this test, as into the
// convey CLI), task data buffers are not kept: jemalloc's thread caches
// serve the pipeline better (runtime/engine/task_data_buffers.h).
#include <string>

#include "gtest/gtest.h"
#include "runtime/engine/task_data_buffers.h"

namespace convey {
namespace internal {
namespace {

TEST(TaskDataBuffersWithJemallocTest, NothingIsKept) {
  EXPECT_FALSE(TaskDataRecycled());
  std::string dropped(300, 'x');
  RecycleTaskData(&dropped);
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(KeptTaskDataBuffers(), 0u);
  std::string created;
  ReserveTaskData(300, &created);
  EXPECT_GE(created.capacity(), 300u);
  EXPECT_EQ(WaitingTaskDataBatches(), 0u);
}

}  // namespace
}  // namespace internal
}  // namespace convey
