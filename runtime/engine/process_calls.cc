// Operating a process and moving tasks between processes (issue 16): pause
// and resume a process (tasks are held where they are meanwhile), and move
// a task to a node of another process (Flowize's move-to-flow).
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/base/status_macros.h"
#include "runtime/engine/engine_impl.h"

namespace convey {
namespace internal {

absl::Status EngineImpl::PauseProcess(int64_t conv_id) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  std::shared_ptr<ProcessControl> control = ControlOf(conv_id);
  if (control == nullptr) return NotDeployed(conv_id);
  std::lock_guard<std::mutex> lock(control->mu);
  control->paused.store(true, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status EngineImpl::ResumeProcess(int64_t conv_id) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  std::shared_ptr<ProcessControl> control = ControlOf(conv_id);
  if (control == nullptr) return NotDeployed(conv_id);
  std::vector<TaskRef> held;
  {
    std::lock_guard<std::mutex> lock(control->mu);
    control->paused.store(false, std::memory_order_release);
    held.swap(control->held);
  }
  // In the order they were held; each runs on from where it stood (a timer
  // that came due meanwhile acts now).
  for (const TaskRef& task : held) {
    Acquire(task.get());
    const bool release = task->park == ParkReason::kPaused;
    if (release) {
      if (std::atomic<int64_t>* counter =
              ReasonCounter(task->current_node(), ParkReason::kPaused)) {
        counter->fetch_sub(1, std::memory_order_relaxed);
      }
      task->park = ParkReason::kNone;
      RecordHistory(task.get(), HistoryKind::kResumed, absl::ToUnixMicros(clock_->Now()),
                    ParkReason::kPaused);
    }
    Release(task.get(), release);
  }
  return absl::OkStatus();
}

bool EngineImpl::HoldIfPaused(Task* task, int64_t now_micros) {
  ProcessControl& control = *task->process->control;
  // Found before the lock: the store's locks and control.mu are leaves.
  TaskRef owned = store_.Find(TaskKey::ByObjId(std::string(task->obj_id_view())));
  if (owned == nullptr) return false;
  std::lock_guard<std::mutex> lock(control.mu);
  if (!control.paused.load(std::memory_order_acquire)) return false;
  // What released it (resume, unparked_from) stays for when it runs.
  task->park = ParkReason::kPaused;
  if (std::atomic<int64_t>* counter = ReasonCounter(task->current_node(), ParkReason::kPaused)) {
    counter->fetch_add(1, std::memory_order_relaxed);
  }
  RecordHistory(task, HistoryKind::kParked, now_micros, ParkReason::kPaused);
  control.held.push_back(std::move(owned));
  return true;
}

bool EngineImpl::RecordWebhook(const std::string& obj_id, absl::string_view text) {
  TaskRef task = store_.Find(TaskKey::ByObjId(obj_id));
  if (task == nullptr) return false;
  Acquire(task.get());
  RecordHistory(task.get(), HistoryKind::kWebhook, absl::ToUnixMicros(clock_->Now()), text);
  Release(task.get(), false);
  return true;
}

absl::Status EngineImpl::MoveTask(const TaskKey& key, int64_t conv_id, absl::string_view node_id) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  const CompiledProcess* target = CurrentProcess(conv_id);
  if (target == nullptr) return NotDeployed(conv_id);
  auto found = target->node_by_id.find(node_id);
  if (found == target->node_by_id.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("process ", conv_id, " has no node \"", node_id, "\""));
  }
  const uint32_t index = found->second;
  const CompiledNode& to = target->nodes[index];
  if (to.is_final) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node \"", node_id, "\" of process ", conv_id,
        " is a final node: a task is moved to a node it runs from (delete it to end it)"));
  }
  TaskRef task = store_.Find(key);
  if (task == nullptr) return RefuseArchived(key);
  CONVEY_RETURN_IF_ERROR(CheckNotRunning(*task, "Engine::MoveTask"));
  Acquire(task.get());
  if (task->status == TaskStatus::kDeleted) {
    Release(task.get(), false);
    return NotFoundFor(key);
  }
  if (task->status == TaskStatus::kProcessed) {
    Release(task.get(), false);
    return Finished(task->obj_id_view(), task->current_node().id);
  }
  const CompiledProcess* source = task->process;
  if (source->conv_id != conv_id) {
    // Its ref must be free in the target process.
    if (absl::Status moved = store_.MoveRef(task, conv_id); !moved.ok()) {
      Release(task.get(), false);
      return moved;
    }
  }
  // Out of the node it is in, as a delete leaves it.
  const CompiledNode& from = task->current_node();
  const std::string from_text =
      absl::StrCat("from node ", from.id, " of process ", source->conv_id);
  events_.CancelTimer(task.get());
  if (!from.is_final) {
    source->node_tasks->AddShared(from.index, -1);
    if (from.count.threshold != 0) steps_.CheckCountLeft(*source, from, nullptr);
    if (std::atomic<int64_t>* counter = ReasonCounter(from, task->park)) {
      counter->fetch_sub(1, std::memory_order_relaxed);
    }
  }
  const bool waited_for_http = task->park == ParkReason::kHttp;
  if (waited_for_http) HttpWaitEnded(*task);  // its answer will be dropped
  task->callback_wait.store(0, std::memory_order_release);
  UncountCaused(task.get());
  // Into the target node, from its first logic: a new entry.
  const int64_t now = absl::ToUnixMicros(clock_->Now());
  task->process = target;
  task->node = index;
  task->prev_node = NodeHandle::kNone;
  task->next_logic = 0;
  ++task->entry_seq;
  task->entry_micros = task->change_micros = now;
  task->status = TaskStatus::kProcessing;
  task->park = ParkReason::kNone;
  task->unparked_from = 0;
  task->resume = Resume::kContinue;
  if (TaskExtras* extras = task->extras_if_any(); extras != nullptr) {
    extras->failure.reset();
    extras->http_result.reset();
  }
  task->copy_depth = 0;
  target->node_tasks->AddShared(to.index, 1);
  if (to.count.threshold != 0) steps_.CheckCountEntered(*target, to, nullptr);
  if (source->control != target->control) target->control->log.Append(task);
  RecordHistory(task.get(), HistoryKind::kMoved, now, from_text);
  absl::StatusOr<CommitTicket> ticket = 0;
  if (persistence_ != nullptr) {
    Transition transition;
    persistence_->AddPut(*task, false, &transition);
    // Findable by its ref in the new process.
    if (!task->ref.empty()) transition.puts.back().new_ref = task->ref;
    ticket = persistence_->Commit(std::move(transition), true);
  }
  Release(task.get(), true);
  if (waited_for_http) NotifyIdleWaiters();
  if (!ticket.ok()) return ticket.status();
  return persistence_ != nullptr ? persistence_->Acknowledge(*ticket) : absl::OkStatus();
}

}  // namespace internal
}  // namespace convey
