#include "runtime/engine/task_ref.h"

#include <new>
#include <type_traits>

#include "runtime/engine/task.h"

namespace convey {
namespace internal {
namespace task_ref_internal {
namespace {

static_assert(alignof(Task) <= sizeof(Counts), "the task would not be aligned after its counts");
static_assert((sizeof(Counts) + sizeof(Task)) % alignof(TaskHistoryLog) == 0 &&
                  alignof(TaskHistoryLog) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
              "the history would not be aligned after its task");
// MakeTask constructs them in a raw block: a throw would leak it.
static_assert(std::is_nothrow_default_constructible_v<Task> &&
                  std::is_nothrow_default_constructible_v<TaskHistoryLog>,
              "MakeTask relies on constructors that do not throw");

}  // namespace

void DestroyTask(Task* task) {
  if (TaskHistoryLog* history = task->history()) history->~TaskHistoryLog();
  task->~Task();
  DropWeak(task);
}

void FreeTask(Task* task) {
  Counts* counts = CountsOf(task);
  counts->~Counts();
  // Unsized: the block's size depended on the task's history, gone with
  // the task (and clang, the fuzz build, does not enable sized deallocation).
  ::operator delete(static_cast<void*>(counts));
}

}  // namespace task_ref_internal

TaskRef MakeTask(bool with_history) {
  using task_ref_internal::Counts;
  void* block =
      ::operator new(sizeof(Counts) + sizeof(Task) + (with_history ? sizeof(TaskHistoryLog) : 0));
  new (block) Counts();
  // Neither constructor throws (asserted above).
  Task* task = new (static_cast<char*>(block) + sizeof(Counts)) Task();
  if (with_history) {
    new (task + 1) TaskHistoryLog();
    task->has_history_ = true;
  }
  return TaskRef(task, TaskRef::Adopt{});
}

}  // namespace internal
}  // namespace convey
