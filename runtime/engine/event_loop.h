// EventLoop: the events thread, the ops logics post to other tasks, the
// time semaphores' timers, and virtual time.
//
// Apart because it is the one thread that releases parked tasks (fires due
// timers, applies rpc replies, api_copy modifies and api answers): it holds a
// task the way an API call does, so no worker ever waits for a task another
// worker runs, and two tasks modifying each other cannot deadlock
// (docs/engine.md, "Waiting").
//
// Locking: `mu_` (with `cv_`) guards the posted ops and `closed_`;
// `timers_mu_` guards the timing wheel and `wake_at_`. Lock order: `mu_`
// before `timers_mu_` (the events thread reads the next deadline while it
// holds `mu_`); a task held through Task::state (by a worker, an API call or
// this thread) comes before either. Arming a timer takes `timers_mu_`, lets
// go, then takes `mu_` to wake the thread. The counts of armed and fired
// timers are atomics, read without a lock.
#ifndef CONVEY_RUNTIME_ENGINE_EVENT_LOOP_H_
#define CONVEY_RUNTIME_ENGINE_EVENT_LOOP_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/environment.h"
#include "convey/http.h"
#include "runtime/engine/task.h"
#include "runtime/timer/timer_wheel.h"
#include "simdjson.h"

namespace convey {
namespace internal {

class EngineImpl;
struct Worker;

// An event a logic sent to another task, applied by the events thread so
// that no worker waits for a task another worker runs.
struct PostedOp {
  enum class Kind { kModify, kReply, kHttp };
  Kind kind = Kind::kModify;
  TaskRef target;                // kModify
  std::string caller_obj_id;     // kReply
  // kModify: the api_callback entry an is_sync modify claimed (0: none);
  // kReply: the entry the caller waits in.
  uint64_t entry_seq = 0;
  std::string data;
  bool exception = false;
  std::string reason;
  std::unique_ptr<absl::StatusOr<HttpResponse>> http_result;  // kHttp
  // With a durable store, kModify and kReply are messages in the store until
  // applied (Persistence::AddMessage): their id (0: not stored) and the
  // receiver's partition.
  uint64_t message_id = 0;
  uint32_t message_partition = 0;
};

class EventLoop {
 public:
  EventLoop(EngineImpl* engine, Clock* clock);

  // Starts the events thread.
  void Start();
  // Stops the events thread once the ops posted so far are applied or
  // dropped, and joins it.
  void Stop();

  // Posts an op for the events thread; counted as pending work until applied.
  void Post(PostedOp op);
  // api_copy: a modify of the active task with `ref` (StepContext::ModifyTask),
  // made by `worker`'s activation and posted once it is committed.
  // `only_if_waiting` (is_sync) claims its api_callback wait at once.
  absl::Status PostModify(Worker& worker, int64_t conv_id, absl::string_view ref,
                          absl::string_view data_json, bool only_if_waiting);
  // api_rpc_reply: the reply to the api_rpc that started `callee`, as above.
  void PostReply(Worker& worker, const Task& callee, absl::string_view data_json, bool exception,
                 absl::string_view reason);

  // Arms the task's timer (owned by the caller) for its current entry, and
  // wakes the events thread when it is due before the thread would wake.
  void ArmTimer(Task* task, int64_t deadline);
  // Leaving a node ends its timer, if armed.
  void CancelTimer(Task* task) {
    if (task->timer_seq == 0) return;
    CancelArmedTimer(task);
  }

  // Wakes the events thread (an idle engine may let virtual time jump).
  void Wake();
  // Whether the clock jumps to the next timer when nothing can move.
  bool jumps() const { return jumps_; }
  // HoldTime: while held, virtual time does not jump.
  void set_time_held(bool hold) { time_held_.store(hold, std::memory_order_release); }
  // Whether timers let WaitIdle return: the clock does not jump, time is
  // held, or no timer is armed.
  bool TimersLetIdle() const {
    return !jumps_ || time_held_.load(std::memory_order_acquire) ||
           timers_armed_.load(std::memory_order_acquire) == 0;
  }
  int64_t timers_pending() const { return timers_armed_.load(std::memory_order_relaxed); }
  int64_t timers_fired() const { return timers_fired_.load(std::memory_order_relaxed); }

 private:
  // A timer taken out of the wheel: which task, for which node entry.
  struct FiredTimer {
    std::array<char, 24> obj_id;
    uint64_t entry_seq = 0;
  };

  void Run();
  void CancelArmedTimer(Task* task);
  void ApplyOp(PostedOp& op, simdjson::dom::parser& patch_parser,
               simdjson::dom::parser& data_parser);
  void FireDueTimers();
  void FireTimer(const FiredTimer& fired);
  // The next timer's deadline (INT64_MAX: none); records it as the time the
  // events thread sleeps until.
  int64_t NextTimerLocked();

  EngineImpl* const engine_;
  Clock* const clock_;
  // Whether the clock is the system clock, and whether it is virtual (it
  // jumps to the next timer when nothing can move).
  const bool real_clock_;
  const bool jumps_;
  std::atomic<bool> time_held_{false};

  std::mutex timers_mu_;
  std::unique_ptr<TimerWheel> wheel_;  // guarded by timers_mu_
  int64_t wake_at_ = INT64_MAX;        // guarded by timers_mu_
  std::atomic<int64_t> timers_armed_{0};
  std::atomic<int64_t> timers_fired_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PostedOp> ops_;  // guarded by mu_
  bool closed_ = false;       // guarded by mu_
  std::thread thread_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_EVENT_LOOP_H_
