// A task as the engine holds it.
//
// Ownership protocol: `state` says who may touch the task's other fields.
// A worker owns it while kRunning; an API call (show, modify, delete) owns it
// while kHeld*; nobody owns it while kIdle or kQueued. Transitions are CAS
// operations, so the hot path (a worker moving a task) takes no lock, and one
// task is never run by two workers at once.
#ifndef CONVEY_RUNTIME_ENGINE_TASK_H_
#define CONVEY_RUNTIME_ENGINE_TASK_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "runtime/base/enum_names.h"
#include "runtime/engine/process.h"
#include "runtime/engine/task_history.h"
#include "runtime/engine/task_ref.h"
#include "runtime/timer/timer_wheel.h"

namespace convey {
namespace internal {

enum TaskState : uint8_t {
  kIdle,          // parked, stopped or finished; in no run queue
  kQueued,        // has exactly one run-queue entry
  kRunning,       // a worker runs it
  kHeld,          // an API call holds it; no queue entry
  kHeldQueued,    // an API call holds it; a queue entry is waiting
  kHeldDeferred,  // an API call holds it; a worker skipped its queue entry,
                  // so the holder must queue it again on release
};

// What released a parked task, for the worker that runs it next.
enum class Resume : uint8_t {
  kContinue,  // go on with the node's next logic (modify, reply, queue pull)
  kTimer,     // the node's time semaphore fired: go to its to_node_id
  kFail,      // the logic it waited in fails with `failure` (rpc exception)
};

struct ResumeFailure {
  std::string family;
  std::string tag;
  std::string description;
};

// The task that called this one with api_rpc, and the entry it waits in.
struct RpcCaller {
  std::string obj_id;
  uint64_t entry_seq = 0;
  uint32_t depth = 0;  // api_rpc calls above the task it started (>= 1)
};

// callback_wait: 0 when the task does not wait in an api_callback, else the
// entry sequence number shifted left by one, with bit 0 set once a
// synchronous modify (api_copy is_sync) has claimed the wait.
constexpr uint64_t kCallbackClaimed = 1;

// A create's idempotency key (NewTask::idempotency_key) and what the create
// asked for: a SHA-256 of its process, ref and data.
struct IdempotencyKey {
  std::string key;
  std::string fingerprint;  // 32 bytes
};

// What only some tasks use (api_rpc, api, api_copy, state diagrams,
// idempotent creates), apart from Task so that a task that uses none of it
// costs one pointer: 64 bytes less per task (B7).
struct TaskExtras {
  std::unique_ptr<ResumeFailure> failure;  // with Resume::kFail
  std::unique_ptr<RpcCaller> caller;       // set when started by api_rpc
  // The answer to the api request the task waited for, for the logic's
  // second run; cleared after it.
  std::unique_ptr<absl::StatusOr<HttpResponse>> http_result;
  // How many tasks its tree has started through api_copy and api_rpc: one
  // counter shared by a task the host created and every task it caused in
  // turn (EngineOptions::max_tasks_per_tree). A timer that moves a task
  // starts a new tree there: time passed, so it is no burst. Null until
  // the first.
  std::shared_ptr<std::atomic<int64_t>> tree;
  // State diagrams: the data as of the last park, readable by other tasks
  // through {{conv[ID].ref[REF]...}}; accessed with std::atomic_load/store.
  std::shared_ptr<const std::string> state_data;
  // Set before the task is findable, never changed: read without holding it.
  std::unique_ptr<const IdempotencyKey> idempotency;
};

// A public enum (int-sized, part of the API's ABI) kept in one byte of the
// Task (B7); reads and writes as the enum itself.
template <typename Enum>
class ByteEnum {
 public:
  ByteEnum(Enum value) noexcept : byte_(static_cast<uint8_t>(value)) {}  // NOLINT: as the enum
  ByteEnum& operator=(Enum value) {
    byte_ = static_cast<uint8_t>(value);
    return *this;
  }
  operator Enum() const { return get(); }  // NOLINT: as the enum
  Enum get() const { return static_cast<Enum>(byte_); }

 private:
  uint8_t byte_;
};

// Whether `value` is one of the enum's (runtime/base/enum_names.h): what a
// ByteEnum may hold. A stored record's or a host logic's value is checked.
inline bool IsTaskStatus(int64_t value) {
  static const int count = NamedValueCount(TaskStatusName);
  return value >= 0 && value < count;
}
inline bool IsParkReason(int64_t value) {
  static const int count = NamedValueCount(ParkReasonName);
  return value >= 0 && value < count;
}

// A task is its own entry in the engine's timer wheel (its node's time
// semaphore, armed when it parks): the wheel's entries lead back to their
// tasks without a pointer (B7). Linked only under the engine's timer mutex.
struct Task : private TimerEntry {
  Task() = default;
  ~Task() { delete extras_.load(std::memory_order_relaxed); }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  // Fields are ordered so that little pads the record (1 byte after
  // obj_id): 208 bytes, so with TaskRef's 8 bytes of counts it takes
  // jemalloc's 224-byte class, and with its history log too (296 bytes) the
  // 320-byte one (at 312 bytes it took the 384 one; the fields in
  // TaskExtras took it to 320, make_shared's 16-byte header to 256).
  // Published outside the ownership protocol (see above).
  std::atomic<uint64_t> callback_wait{0};
  const CompiledProcess* process = nullptr;
  // api_copy copies above this task made without any of them waiting in
  // between; reset when the task parks. A chain beyond loop_limit is a loop.
  uint32_t copy_depth = 0;
  uint32_t node = 0;
  uint32_t prev_node = NodeHandle::kNone;
  uint32_t next_logic = 0;  // where a parked or stopped task resumes
  std::atomic<TaskState> state{kIdle};
  ByteEnum<TaskStatus> status = TaskStatus::kProcessing;
  ByteEnum<ParkReason> park = ParkReason::kNone;
  Resume resume = Resume::kContinue;
  // The ParkReason that Unpark cleared (0: none), for the next activation
  // to tell the observer what the task had waited for.
  uint8_t unparked_from = 0;
  // Counted in its process's caused_live until it finishes or is deleted (a
  // task stopped by an error still holds memory: it counts).
  bool counted_as_caused = false;

 private:
  friend TaskRef MakeTask(bool with_history);
  // Whether its allocation holds a history log after it: set by MakeTask,
  // never changed after. Here rather than with the private fields below, to
  // take a byte of padding.
  bool has_history_ = false;

 public:
  std::array<char, 24> obj_id;
  std::string ref;
  std::string data;  // compact JSON object
  int64_t create_micros = 0;
  int64_t change_micros = 0;

  // Bumped on every node entry: an event meant for an earlier entry (a
  // timer, a reply) is dropped, even when the task came back to the node.
  uint64_t entry_seq = 1;
  int64_t entry_micros = 0;
  uint64_t timer_seq = 0;  // entry_seq the timer is armed for; 0: none
  // With a durable store: the deadline its last written record armed (-1:
  // none), so that the next write drops it from the timers index.
  int64_t stored_timer_micros = -1;

  // The owner's (see above): created on first use, then kept until the task
  // is destroyed, so a pointer to it stays valid.
  TaskExtras& extras() {
    TaskExtras* extras = extras_.load(std::memory_order_relaxed);
    if (extras != nullptr) return *extras;
    extras = new TaskExtras();
    extras_.store(extras, std::memory_order_release);
    return *extras;
  }
  // Null until the owner first used them; any thread may call it (what it
  // may read of them is said in TaskExtras).
  const TaskExtras* extras_if_any() const { return extras_.load(std::memory_order_acquire); }
  TaskExtras* extras_if_any() { return extras_.load(std::memory_order_acquire); }
  // Readers of the fields most often asked for; null when not set.
  const IdempotencyKey* idempotency() const {
    const TaskExtras* extras = extras_if_any();
    return extras != nullptr ? extras->idempotency.get() : nullptr;
  }
  const RpcCaller* caller() const {
    const TaskExtras* extras = extras_if_any();
    return extras != nullptr ? extras->caller.get() : nullptr;
  }
  const absl::StatusOr<HttpResponse>* http_result() const {
    const TaskExtras* extras = extras_if_any();
    return extras != nullptr ? extras->http_result.get() : nullptr;
  }
  // What happened to it (EngineOptions::task_history_limit); null when
  // histories are off. It lives in the task's own allocation, just after
  // the task (MakeTask): every task records its create, and an allocation
  // of its own was one more malloc per task on the creating thread, the
  // pipeline's bottleneck (B1).
  TaskHistoryLog* history() {
    return has_history_ ? std::launder(reinterpret_cast<TaskHistoryLog*>(this + 1)) : nullptr;
  }
  const TaskHistoryLog* history() const {
    return has_history_ ? std::launder(reinterpret_cast<const TaskHistoryLog*>(this + 1)) : nullptr;
  }
  absl::string_view obj_id_view() const { return absl::string_view(obj_id.data(), obj_id.size()); }
  const CompiledNode& current_node() const { return process->nodes[node]; }
  // Its node's time semaphore in the engine's wheel.
  TimerEntry& timer() { return *this; }
  const TimerEntry& timer() const { return *this; }
  static Task* OfTimer(TimerEntry* timer) { return static_cast<Task*>(timer); }
  // api_rpc calls above this task.
  uint32_t rpc_depth() const {
    const RpcCaller* caller = this->caller();
    return caller != nullptr ? caller->depth : 0;
  }

 private:
  // Set once, by the owner or before the task is findable; atomic because
  // other tasks read state_data and creates read idempotency without
  // holding the task.
  std::atomic<TaskExtras*> extras_{nullptr};
};
// A field added to Task must not push it, with TaskRef's 8 bytes of
// counts, past jemalloc's 224-byte class, nor with its history log too past
// the 320-byte one (BM_ParkedTaskMemory, B7): put a field that few tasks use
// in TaskExtras.
static_assert(sizeof(void*) != 8 || sizeof(Task) <= 216, "Task outgrew its allocation class");

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_H_
