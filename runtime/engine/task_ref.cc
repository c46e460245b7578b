#include "runtime/engine/task_ref.h"

#include <new>

#include "runtime/engine/task.h"

namespace convey {
namespace internal {
namespace task_ref_internal {
namespace {

constexpr size_t kAllocationSize = sizeof(Counts) + sizeof(Task);
static_assert(alignof(Task) <= sizeof(Counts), "the task would not be aligned after its counts");

}  // namespace

void DestroyTask(Task* task) {
  task->~Task();
  DropWeak(task);
}

void FreeTask(Task* task) {
  Counts* counts = CountsOf(task);
  counts->~Counts();
  // Unsized: clang (the fuzz build) does not enable sized deallocation.
  ::operator delete(static_cast<void*>(counts));
}

}  // namespace task_ref_internal

TaskRef MakeTask() {
  using task_ref_internal::Counts;
  void* block = ::operator new(task_ref_internal::kAllocationSize);
  new (block) Counts();
  // Task() does not throw (it initialises plain fields).
  Task* task = new (static_cast<char*>(block) + sizeof(Counts)) Task();
  return TaskRef(task, TaskRef::Adopt{});
}

}  // namespace internal
}  // namespace convey
