// Task data buffers passed from the threads that drop tasks to the threads
// that make them (B1 in docs/performance-aims.md).
//
// A task's data is written on the thread that creates it and is usually
// freed on a worker, when the task ends. With glibc's malloc such a free
// goes back to the creating thread's arena under that arena's lock, the
// lock the creating thread takes for its next task's data: perf of the
// glibc pipeline put ~30% of its CPU in malloc, free and the futex calls of
// that lock, most of it for task data. Here the thread that drops a task
// keeps its data's buffer and reuses it, or hands it on in batches, one
// lock a batch, to threads that need buffers.
//
// Bounds: only buffers of kMinBytes to kMaxBytes are kept (others are
// freed as before), at most kBatch per thread (128 KiB) and kMaxBatches
// batches waiting between threads (4 MiB; ~0.4 MB with 350-byte data); a
// thread's are freed when it ends, the waiting ones stay until the process
// exits. Off under the memory sanitizers, where reuse would hide a use
// after free (on under ThreadSanitizer, which checks the hand-over). Off
// too when the process's malloc is jemalloc (TaskDataRecycled).
#ifndef CONVEY_RUNTIME_ENGINE_TASK_DATA_BUFFERS_H_
#define CONVEY_RUNTIME_ENGINE_TASK_DATA_BUFFERS_H_

#include <cstddef>
#include <string>

#include "runtime/base/sanitizers.h"

namespace convey {
namespace internal {

constexpr bool kRecycleTaskData = !kUnderMemorySanitizer;

// Whether this process keeps them: not under the memory sanitizers, and
// not when its malloc is jemalloc, whose thread caches serve this pipeline
// better.
bool TaskDataRecycled();

struct TaskDataBuffers {
  static constexpr size_t kMinBytes = 32;  // shorter data is inline or rare
  static constexpr size_t kMaxBytes = 4096;
  static constexpr size_t kBatch = 32;
  static constexpr size_t kMaxBatches = 32;
};

// Gives the empty `*data` room for at least `bytes` bytes: a kept buffer
// when this thread has one of a fitting size (at most half again `bytes`
// and 64 more, so that a task does not hold much more than its data), else
// a new one.
void ReserveTaskData(size_t bytes, std::string* data);

// Keeps the buffer of `*data`, which is left empty, for ReserveTaskData
// on this thread or, a batch at a time, on another.
void RecycleTaskData(std::string* data);

// The buffers this thread keeps, and the batches waiting (tests).
size_t KeptTaskDataBuffers();
size_t WaitingTaskDataBatches();

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_DATA_BUFFERS_H_
