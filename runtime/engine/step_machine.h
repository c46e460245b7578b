// StepMachine: runs a task through its node's logics and follows the routes
// they take, node after node, until the task parks, stops or finishes.
//
// Apart because it is the hot path: a worker that pops a task runs it here
// without going back through the run queue (docs/engine.md, "Threads and the
// hot path"). Everything it touches per step is the task (owned through
// Task::state kRunning), the nodes' atomic counters and the worker's own
// scratch state.
//
// Locking: none of its own, and none taken per step. It takes other parts'
// locks only when a task leaves the hot path: the events' timer lock to arm
// or cancel a time semaphore, the task store's shard locks when a task
// finishes, HTTP admission's lock when a logic sends a request, and a queue
// node's lock when a task enters a queue; one at a time.
#ifndef CONVEY_RUNTIME_ENGINE_STEP_MACHINE_H_
#define CONVEY_RUNTIME_ENGINE_STEP_MACHINE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/logic.h"
#include "runtime/engine/persistence.h"
#include "runtime/engine/process.h"
#include "runtime/engine/step_context.h"
#include "runtime/engine/task.h"

namespace convey {
namespace internal {

class EngineImpl;
class EventLoop;
class HttpAdmission;
class Statistics;
class TaskStore;

class StepMachine {
 public:
  StepMachine(EngineImpl* engine, const EngineOptions& options, Clock* clock, Observer* observer,
              TaskStore& store, Statistics& statistics, EventLoop& events, HttpAdmission& http);

  // Runs one activation of `task`, which `worker` owns (kRunning); leaves it
  // kIdle.
  void RunActivation(Worker& worker, Task* task);
  // Count semaphore edges after the node's live count changed; `worker`:
  // the worker whose activation changed it, else null.
  void CheckCountEntered(const CompiledProcess& process, const CompiledNode& node, Worker* worker);
  void CheckCountLeft(const CompiledProcess& process, const CompiledNode& node, Worker* worker);

  // Whether the observer wants `event` (Observer::Event bits): false
  // without one, so an engine without an observer builds no event.
  bool Wants(uint32_t event) const { return (observed_ & event) != 0; }
  // The observer's event for `task` (held by the caller), filled in by
  // `fill` before `callback` gets it.
  template <typename Fill>
  void Notify(void (Observer::*callback)(const TaskEvent&), const Task& task, Fill fill) const {
    TaskEvent event = EventOf(task);
    fill(event);
    (observer_->*callback)(event);
  }
  void Notify(void (Observer::*callback)(const TaskEvent&), const Task& task) const {
    Notify(callback, task, [](TaskEvent&) {});
  }

 private:
  // Runs the task's current node and the ones it moves to until it parks,
  // stops or finishes.
  void RunNodes(Worker& worker, StepContext& context, Task* task);
  // With a store: commits the activation's transition (the task's new wait
  // state and everything in worker.effects); `queue_entry`: the task enters
  // its node's queue with it. `acknowledged`: someone (the webhook delivery
  // thread) will wait for it to be written. Its ticket, or 0 without a
  // store.
  CommitTicket CommitActivation(Worker& worker, Task* task, const NodeQueue::Entry* queue_entry,
                                bool acknowledged);
  // Lets the activation's effects on other tasks happen, once committed.
  void ApplyEffects(ActivationEffects& effects);
  // Handles what released the task (Task::resume). False when it stopped.
  bool ApplyResume(Worker& worker, StepContext& context, Task* task);
  // The task stays in its node for `reason`: counters, callback wait, timer,
  // state-diagram snapshot.
  void ParkInNode(Worker& worker, StepContext& context, Task* task, ParkReason reason);
  // Arms the node's time semaphore for this entry. False when the node has
  // none or its absolute time is not a number.
  bool ArmTimer(StepContext& context, Task* task);
  // Applies the context's writes to the task. False (writes dropped) when the
  // result would exceed max_task_size.
  bool CommitWrites(Worker& worker, StepContext& context, Task* task);
  // Applies `writes` to the task's data. False (nothing changed) when the
  // new text would pass `max_bytes`.
  bool WriteToData(Worker& worker, StepContext& context, Task* task, const WriteSet& writes,
                   size_t max_bytes);
  // A logic's effect made the task larger than max_task_size.
  LogicResult SizeOverflow(const Logic& logic) const;
  LogicResult DepthOverflow(const Logic& logic) const;
  void WriteErrorParams(Worker& worker, StepContext& context, Task* task, absl::string_view family,
                        const LogicResult& result);
  // Moves the task into `target`. False when the loop guard stopped it.
  bool Enter(Worker& worker, Task* task, uint32_t target);
  // Writes the node_entered entries Enter gathered in worker.entered to the
  // task's history, in one go: called before any other entry of the task
  // and when its activation ends, so the order is kept, while a run of 100
  // transitions writes only the entries the history keeps.
  void FlushEntered(Worker& worker, Task* task);
  void Park(Task* task, ParkReason reason);
  void Finish(Worker& worker, Task* task);
  void Stop(Worker& worker, Task* task, TaskStatus status, ParkReason reason, absl::string_view tag,
            absl::string_view description);
  TaskEvent EventOf(const Task& task) const;
  // Starts a count semaphore's signal task; a lost one is logged.
  void SignalCount(const CompiledProcess& process, const CompiledNode& node, bool start,
                   Worker* worker);

  EngineImpl* const engine_;
  const EngineOptions& options_;
  Clock* const clock_;
  Observer* const observer_;
  const uint32_t observed_;  // observer_->events(), 0 without one
  TaskStore& store_;
  Statistics& statistics_;
  EventLoop& events_;
  HttpAdmission& http_;
};

// Clears the task's park state (held by the caller) so it can run again.
void Unpark(Task* task);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_STEP_MACHINE_H_
