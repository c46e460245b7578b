// TaskRef and TaskWeakRef: counted references to a task, as
// std::shared_ptr<Task> and std::weak_ptr<Task> are, in one word each. The
// two counts sit in the task's own allocation, just before it (MakeTask).
//
// Why not shared_ptr (B7): the engine's indexes hold their tasks, and a
// shared_ptr's second word (its control block) made each slot of the obj_id
// index 16 bytes, of the ref index and of a process's task log 24, and
// make_shared's header took 16 bytes where two 32-bit counts need 8.
//
// Thread-safe as shared_ptr is: references to one task may be copied and
// dropped on any threads at once; one TaskRef object is not changed by two
// threads at once. The task's fields die with its last TaskRef, its memory
// with its last TaskWeakRef too (a weak reference must still read the count),
// or the freeing thread keeps it for its next task (task_ref.cc).
#ifndef CONVEY_RUNTIME_ENGINE_TASK_REF_H_
#define CONVEY_RUNTIME_ENGINE_TASK_REF_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "runtime/base/sanitizers.h"

namespace convey {
namespace internal {

struct Task;

namespace task_ref_internal {

// Just before the task, in one allocation.
struct Counts {
  Counts() : strong(1), weak(1) {}
  std::atomic<uint32_t> strong;  // TaskRefs
  std::atomic<uint32_t> weak;    // TaskWeakRefs, plus one while strong > 0
};

inline Counts* CountsOf(const Task* task) {
  return reinterpret_cast<Counts*>(reinterpret_cast<uintptr_t>(task) - sizeof(Counts));
}
// The last TaskRef is gone: destroys the task, then drops the strong
// references' weak one.
void DestroyTask(Task* task);
// The last weak reference is gone: frees the allocation, or keeps it for
// this thread's next task (task_ref.cc).
void FreeTask(Task* task);
// Whether threads keep freed blocks for their next tasks: not under the
// memory sanitizers, where reuse would hide a task used after its free
// (runtime/base/sanitizers.h: on under ThreadSanitizer).
constexpr bool kKeepFreedTaskBlocks = !kUnderMemorySanitizer;
// The blocks this thread keeps for its next tasks of that kind (tests).
size_t KeptTaskBlocks(bool with_history);
// At most this many of each kind: a chunk of a process's task log, what one
// sweep frees (TaskLog::kChunk).
constexpr size_t kMaxKeptTaskBlocks = 4096;

inline void AddStrong(Task* task) {
  CountsOf(task)->strong.fetch_add(1, std::memory_order_relaxed);
}
inline void AddWeak(Task* task) { CountsOf(task)->weak.fetch_add(1, std::memory_order_relaxed); }
inline void DropStrong(Task* task) {
  if (CountsOf(task)->strong.fetch_sub(1, std::memory_order_acq_rel) == 1) DestroyTask(task);
}
inline void DropWeak(Task* task) {
  if (CountsOf(task)->weak.fetch_sub(1, std::memory_order_acq_rel) == 1) FreeTask(task);
}

}  // namespace task_ref_internal

class TaskRef {
 public:
  TaskRef() = default;
  TaskRef(std::nullptr_t) {}  // NOLINT: as shared_ptr, null converts
  TaskRef(const TaskRef& other) : task_(other.task_) {
    if (task_ != nullptr) task_ref_internal::AddStrong(task_);
  }
  TaskRef(TaskRef&& other) noexcept : task_(std::exchange(other.task_, nullptr)) {}
  TaskRef& operator=(TaskRef other) noexcept {
    std::swap(task_, other.task_);
    return *this;
  }
  ~TaskRef() {
    if (task_ != nullptr) task_ref_internal::DropStrong(task_);
  }

  Task* get() const { return task_; }
  Task* operator->() const { return task_; }
  Task& operator*() const { return *task_; }
  explicit operator bool() const { return task_ != nullptr; }
  void reset() { TaskRef().swap(*this); }
  void swap(TaskRef& other) noexcept { std::swap(task_, other.task_); }

  friend bool operator==(const TaskRef& a, const TaskRef& b) { return a.task_ == b.task_; }
  friend bool operator!=(const TaskRef& a, const TaskRef& b) { return a.task_ != b.task_; }

 private:
  friend class TaskWeakRef;
  friend TaskRef MakeTask(bool with_history);
  // Takes over a reference already counted.
  struct Adopt {};
  TaskRef(Task* task, Adopt) : task_(task) {}

  Task* task_ = nullptr;
};

// A new task (default fields) with one reference; `with_history`: with an
// empty history log in its allocation (Task::history).
TaskRef MakeTask(bool with_history);

class TaskWeakRef {
 public:
  TaskWeakRef() = default;
  TaskWeakRef(const TaskRef& ref) : task_(ref.task_) {  // NOLINT: as weak_ptr
    if (task_ != nullptr) task_ref_internal::AddWeak(task_);
  }
  TaskWeakRef(const TaskWeakRef& other) : task_(other.task_) {
    if (task_ != nullptr) task_ref_internal::AddWeak(task_);
  }
  TaskWeakRef(TaskWeakRef&& other) noexcept : task_(std::exchange(other.task_, nullptr)) {}
  TaskWeakRef& operator=(TaskWeakRef other) noexcept {
    std::swap(task_, other.task_);
    return *this;
  }
  ~TaskWeakRef() {
    if (task_ != nullptr) task_ref_internal::DropWeak(task_);
  }

  // The task, or null once its last TaskRef is gone.
  TaskRef lock() const {
    if (task_ == nullptr) return nullptr;
    std::atomic<uint32_t>& strong = task_ref_internal::CountsOf(task_)->strong;
    uint32_t count = strong.load(std::memory_order_relaxed);
    while (count != 0) {
      if (strong.compare_exchange_weak(count, count + 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return TaskRef(task_, TaskRef::Adopt{});
      }
    }
    return nullptr;
  }
  bool expired() const {
    return task_ == nullptr ||
           task_ref_internal::CountsOf(task_)->strong.load(std::memory_order_acquire) == 0;
  }

 private:
  Task* task_ = nullptr;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_REF_H_
