// What the engine needs from its host: a clock and an observer.
//
// Contract: both are owned by the host and must outlive the engine they are
// given to. A Clock is called from any thread at any time; an Observer's
// methods run on the engine's threads, concurrently, and must not block for
// long (they delay every task behind them). From a callback, WaitIdle, Close,
// and ShowTask / ModifyTask / DeleteTask of the task the event is about fail
// with FailedPrecondition (each would wait for its own caller); creating
// tasks and calls about other tasks are allowed.
#ifndef CONVEY_ENVIRONMENT_H_
#define CONVEY_ENVIRONMENT_H_

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/http.h"

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

// Why a task is not moving.
enum class ParkReason {
  kNone,        // moving or queued
  kCallback,    // waits for a modify (api_callback)
  kReply,       // waits for the process it called to reply (api_rpc)
  kQueue,       // waits in a queue node for an api_get_task (api_queue)
  kHttp,        // waits for the answer to its HTTP request (api)
  kTimer,       // its node's logics ended without routing; the node's time
                // semaphore will move it (a delay node)
  kNoExit,      // its node's logics ended without routing and nothing
                // will move it
  kUnroutable,  // a link it must follow is empty in the file
  kError,       // stopped by an error with no err_node_id
  kLoopStopped,
  kFinal,      // in a final node
  kPaused,     // its process is paused (Engine::PauseProcess): held where it
               // is until the process resumes
  kScheduled,  // created to start later (NewTask::start_at): waits in its
               // start node until then
};
absl::string_view ParkReasonName(ParkReason reason);

// One task at the moment an event happened. The views and pointers are
// valid only during the callback.
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
  // When the event happened (the engine clock's time).
  absl::Time time;
  // OnNodeEntered: the node it came from.
  absl::string_view prev_node_id;
  // OnTaskParked: why it stopped moving; OnTaskResumed: what it had waited
  // for (kTimer also for a time semaphore that fired, see OnTimerFired).
  ParkReason park_reason = ParkReason::kNone;
  // For OnTaskError and OnTaskLoopStopped: the error's tag
  // (`..._type_tag__`) and description.
  absl::string_view error_tag;
  absl::string_view error_description;
  // OnHttpSent: the request (the engine's timeout and limits applied).
  const HttpRequest* http_request = nullptr;
  // OnHttpAnswered: the answer, or why there is none.
  const absl::StatusOr<HttpResponse>* http_response = nullptr;
};

// Hears what happens to tasks. Default implementations do nothing.
//
// Cost: with no observer the engine builds no event. An observer says which
// events it wants (`events()`, read once at Engine::Open); the others are
// never built, so an observer of finished tasks does not slow every node
// transition.
//
// Threads: events come from the thread that makes them happen (a worker,
// or the thread of a create, modify or delete), concurrently; the events of
// one task come in order. See the contract at the top of this file for
// what a callback may call.
class Observer {
 public:
  // Bits of events().
  enum Event : uint32_t {
    kCreated = 1u << 0,
    kNodeEntered = 1u << 1,
    kParked = 1u << 2,
    kResumed = 1u << 3,
    kHttpSent = 1u << 4,
    kHttpAnswered = 1u << 5,
    kTimerFired = 1u << 6,
    kFinished = 1u << 7,
    kError = 1u << 8,
    kLoopStopped = 1u << 9,
    kDeleted = 1u << 10,
    kAllEvents = (1u << 11) - 1,
  };

  virtual ~Observer() = default;
  // The events this observer wants (a mask of Event bits).
  virtual uint32_t events() const { return kAllEvents; }

  // A task was created at its process's start node (by the host or by a
  // logic: api_copy, api_rpc, a count semaphore).
  virtual void OnTaskCreated(const TaskEvent& event) {}
  // The task entered a node other than its start (node_id; prev_node_id is
  // where it came from). A final node is entered, then OnTaskFinished.
  virtual void OnNodeEntered(const TaskEvent& event) {}
  // The task stopped moving and waits in its node (park_reason: kCallback,
  // kReply, kQueue, kHttp, kTimer or kNoExit).
  virtual void OnTaskParked(const TaskEvent& event) {}
  // A parked or loop-stopped task moves again (park_reason: what it had
  // waited for), before its next step runs.
  virtual void OnTaskResumed(const TaskEvent& event) {}
  // An api logic sent a request (or queued it for a free slot).
  virtual void OnHttpSent(const TaskEvent& event) {}
  // The answer (or failure) of the task's request, as its logic reads it.
  virtual void OnHttpAnswered(const TaskEvent& event) {}
  // The node's time semaphore moved the task (to the node named next).
  virtual void OnTimerFired(const TaskEvent& event) {}
  // The task reached a final node (archived or dropped).
  virtual void OnTaskFinished(const TaskEvent& event) {}
  // A logic failed and had no err_node_id: the task stopped with status
  // `error` in the node of that logic.
  virtual void OnTaskError(const TaskEvent& event) {}
  // The loop guard stopped the task (status `loop_stopped`).
  virtual void OnTaskLoopStopped(const TaskEvent& event) {}
  // The host (or the ops protocol) deleted the task.
  virtual void OnTaskDeleted(const TaskEvent& event) {}
};

}  // namespace convey

#endif  // CONVEY_ENVIRONMENT_H_
