#include "runtime/engine/task_ref.h"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "runtime/engine/task.h"
#include "runtime/engine/task_data_buffers.h"

namespace convey {
namespace internal {
namespace task_ref_internal {
namespace {

// The size of a task's block: its counts, the task, and its history.
constexpr size_t BlockSize(bool with_history) {
  return sizeof(Counts) + sizeof(Task) + (with_history ? sizeof(TaskHistoryLog) : 0);
}
static_assert(alignof(Task) <= sizeof(Counts), "the task would not be aligned after its counts");
static_assert((sizeof(Counts) + sizeof(Task)) % alignof(TaskHistoryLog) == 0 &&
                  alignof(TaskHistoryLog) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
              "the history would not be aligned after its task");
// MakeTask constructs them in a raw block: a throw would leak it.
static_assert(std::is_nothrow_default_constructible_v<Task> &&
                  std::is_nothrow_default_constructible_v<TaskHistoryLog>,
              "MakeTask relies on constructors that do not throw");

// A thread's freed task blocks, kept for the tasks it makes next (B1).
// A pipeline's task blocks are freed in bursts: its process's task log
// holds a weak reference to each task, and sweeping a chunk of the log
// frees up to 4 096 at once on the thread that creates the next task.
// glibc's per-thread cache keeps 7 blocks of a size: the rest went back to
// the arena, under the lock the workers take to free task data, and the
// next creates took them out again under it. Kept here, a block is reused
// without a lock. Only on threads that have made a task; at most
// kMaxKeptTaskBlocks of each kind per thread (~1.3 MB with histories, ~0.9
// MB without); all freed when the thread ends.
class FreedTaskBlocks;

// Whether this thread keeps freed blocks: from its first MakeTask until its
// FreedTaskBlocks is destroyed. Trivially destructible, so that a task
// freed later at the thread's end (by another thread_local's destructor)
// still reads kClosed and is freed directly.
enum class Keeping : uint8_t { kUnused, kOpen, kClosed };
thread_local Keeping keeping = Keeping::kUnused;

class FreedTaskBlocks {
 public:
  ~FreedTaskBlocks() {
    keeping = Keeping::kClosed;
    for (Link*& head : heads_) {
      while (head != nullptr) {
        Link* next = head->next;
        ::operator delete(static_cast<void*>(head));
        head = next;
      }
    }
  }
  // A kept block of that kind (with a history or not), or null.
  void* Take(bool with_history) {
    Link*& head = heads_[with_history];
    Link* block = head;
    if (block == nullptr) return nullptr;
    head = block->next;
    --kept_[with_history];
    return block;
  }
  // Keeps a block whose task is gone; false when full.
  bool Keep(void* block, bool with_history) {
    if (kept_[with_history] == kMaxKeptTaskBlocks) return false;
    heads_[with_history] = new (block) Link{heads_[with_history]};
    ++kept_[with_history];
    return true;
  }
  size_t kept(bool with_history) const { return kept_[with_history]; }

 private:
  struct Link {
    Link* next;
  };
  Link* heads_[2] = {nullptr, nullptr};
  size_t kept_[2] = {0, 0};
};
thread_local FreedTaskBlocks freed_blocks;

// A block for a new task: a kept one, else a new one.
void* TakeBlock(bool with_history) {
  if (kKeepFreedTaskBlocks && keeping != Keeping::kClosed) {
    if (keeping == Keeping::kUnused) keeping = Keeping::kOpen;
    if (void* block = freed_blocks.Take(with_history)) return block;
  }
  return ::operator new(BlockSize(with_history));
}

}  // namespace

void DestroyTask(Task* task) {
  // The wheel must not link a task whose storage is reused below: every
  // path that drops a task cancels its timer first, and at the engine's
  // end the wheel, destroyed before the task store, unlinks what is left.
  assert(!task->timer().armed());
  TaskHistoryLog* history = task->history();
  if (history != nullptr) history->~TaskHistoryLog();
  // Its data's buffer goes to the next task's data, not back to the
  // allocator, usually from a worker to the thread that creates tasks.
  RecycleTaskData(&task->data);
  task->~Task();
  // The block's kind, for FreeTask, in the storage the task has left (weak
  // references read only the counts).
  new (task) bool(history != nullptr);
  DropWeak(task);
}

void FreeTask(Task* task) {
  const bool with_history = *std::launder(reinterpret_cast<bool*>(task));
  Counts* counts = CountsOf(task);
  counts->~Counts();
  if (kKeepFreedTaskBlocks && keeping == Keeping::kOpen &&
      freed_blocks.Keep(counts, with_history)) {
    return;
  }
  // Unsized: clang (the fuzz build) does not enable sized deallocation.
  ::operator delete(static_cast<void*>(counts));
}

size_t KeptTaskBlocks(bool with_history) {
  return kKeepFreedTaskBlocks && keeping != Keeping::kClosed ? freed_blocks.kept(with_history) : 0;
}

}  // namespace task_ref_internal

TaskRef MakeTask(bool with_history) {
  using task_ref_internal::Counts;
  void* block = task_ref_internal::TakeBlock(with_history);
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
