// What the engine needs from its host: a clock and an observer.
//
// Contract: both are owned by the host and must outlive the engine they are
// given to. A Clock is called from any thread at any time; an Observer's
// methods run on the engine's worker threads, concurrently, and must not block
// for long (they delay every task behind them). From a callback, do not call
// WaitIdle, nor ShowTask / ModifyTask / DeleteTask / ForEachTask on the task
// the event is about: each waits for that task's worker, which is the caller.
// Creating tasks and calls about other tasks are allowed.
#ifndef CONVEY_ENVIRONMENT_H_
#define CONVEY_ENVIRONMENT_H_

#include <atomic>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convey {

// The source of time for task create/change times, `$.unixtime`, `$.date`
// and time semaphores.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Called by the engine when no task can move before `t`, the next timer.
  // A virtual clock moves to `t` and returns true; a clock that moves on its
  // own (Real) or only when told (ManualClock) returns false.
  virtual bool JumpTo(absl::Time /*t*/) { return false; }

  // The system clock. Never null; lives forever.
  static Clock* Real();
};

// A clock that moves only when told to: for tests and simulations.
class ManualClock : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1700000000))
      : micros_(absl::ToUnixMicros(start)) {}
  absl::Time Now() const override {
    return absl::FromUnixMicros(micros_.load(std::memory_order_acquire));
  }
  void Set(absl::Time now) { micros_.store(absl::ToUnixMicros(now), std::memory_order_release); }
  void Advance(absl::Duration d) {
    micros_.fetch_add(absl::ToInt64Microseconds(d), std::memory_order_acq_rel);
  }

 private:
  std::atomic<int64_t> micros_;
};

// A ManualClock the engine moves: when nothing can move, time jumps to the
// next due timer, so a 30-day delay runs in microseconds. For `convey run`,
// tests and simulations.
class VirtualClock : public ManualClock {
 public:
  using ManualClock::ManualClock;
  bool JumpTo(absl::Time t) override {
    if (t > Now()) Set(t);
    return true;
  }
};

// One task at the moment an event happened. The views are valid only during
// the callback.
struct TaskEvent {
  int64_t conv_id = 0;
  absl::string_view obj_id;
  absl::string_view ref;
  absl::string_view node_id;
  absl::string_view node_title;
  absl::string_view data;  // the task's data, a JSON object
  // When the task was created (the engine clock's time), e.g. to measure how
  // long tasks take from create to final node.
  absl::Time create_time;
  // For OnTaskError: the error's tag (`..._type_tag__`) and description.
  absl::string_view error_tag;
  absl::string_view error_description;
};

// Hears about tasks that stop moving. Default implementations do nothing.
class Observer {
 public:
  virtual ~Observer() = default;
  // The task reached a final node (archived or dropped).
  virtual void OnTaskFinished(const TaskEvent& event) {}
  // A logic failed and had no err_node_id: the task stopped with status
  // `error` in the node of that logic.
  virtual void OnTaskError(const TaskEvent& event) {}
  // The loop guard stopped the task (status `loop_stopped`).
  virtual void OnTaskLoopStopped(const TaskEvent& event) {}
};

}  // namespace convey

#endif  // CONVEY_ENVIRONMENT_H_
