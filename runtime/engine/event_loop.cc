// The events thread, posted ops, timers and virtual time (see event_loop.h
// for the locks: `mu_` before `timers_mu_`).
#include "runtime/engine/event_loop.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/engine/persistence.h"
#include "runtime/engine/step_machine.h"
#include "runtime/engine/task_completion.h"
#include "runtime/engine/task_store.h"

namespace convey {
namespace internal {

EventLoop::EventLoop(EngineImpl* engine, Clock* clock)
    : engine_(engine),
      clock_(clock),
      real_clock_(clock == Clock::Real()),
      // A virtual clock says so by accepting a jump to where it already is.
      jumps_(clock->JumpTo(clock->Now())),
      wheel_(std::make_unique<TimerWheel>(absl::ToUnixMicros(clock->Now()))) {}

void EventLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void EventLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void EventLoop::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_one();
}

absl::Status EventLoop::PostModify(Worker& worker, int64_t conv_id, absl::string_view ref,
                                   absl::string_view data_json, bool only_if_waiting) {
  if (ref.empty()) return absl::InvalidArgumentError("no ref to find the task by");
  TaskRef target = engine_->store().Find(TaskKey::ByRef(conv_id, std::string(ref)));
  if (target == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no active task with ref \"", ref, "\" in process ", conv_id));
  }
  PostedOp op;
  if (only_if_waiting) {
    // Claim the wait without holding the task: a second synchronous modify
    // of the same wait is refused at once.
    uint64_t wait = target->callback_wait.load(std::memory_order_acquire);
    for (;;) {
      if (wait == 0) {
        return absl::FailedPreconditionError(absl::StrCat("task \"", ref, "\" of process ", conv_id,
                                                          " is not waiting in an api_callback"));
      }
      if ((wait & kCallbackClaimed) != 0) {
        return absl::AbortedError(absl::StrCat("task \"", ref, "\" of process ", conv_id,
                                               " is already being modified by another task"));
      }
      if (target->callback_wait.compare_exchange_weak(wait, wait | kCallbackClaimed,
                                                      std::memory_order_acq_rel)) {
        break;
      }
    }
    op.entry_seq = wait >> 1;
  }
  op.kind = PostedOp::Kind::kModify;
  op.data = std::string(data_json);
  if (Persistence* persistence = engine_->persistence()) {
    persistence->AddMessage(&op, target->obj_id_view(), &worker.effects.transition);
  }
  op.target = std::move(target);
  worker.effects.posts.push_back(std::move(op));
  return absl::OkStatus();
}

void EventLoop::PostReply(Worker& worker, const Task& callee, absl::string_view data_json,
                          bool exception, absl::string_view reason) {
  PostedOp op;
  op.kind = PostedOp::Kind::kReply;
  op.caller_obj_id = callee.caller()->obj_id;
  op.entry_seq = callee.caller()->entry_seq;
  op.data = std::string(data_json);
  op.exception = exception;
  op.reason = std::string(reason);
  if (Persistence* persistence = engine_->persistence()) {
    persistence->AddMessage(&op, op.caller_obj_id, &worker.effects.transition);
  }
  worker.effects.posts.push_back(std::move(op));
}

void EventLoop::Post(PostedOp op) {
  // Counted as pending work until applied, so WaitIdle waits for it.
  engine_->AddPending();
  std::lock_guard<std::mutex> lock(mu_);
  ops_.push_back(std::move(op));
  cv_.notify_one();
}

void EventLoop::ApplyOp(PostedOp& op, simdjson::dom::parser& patch_parser,
                        simdjson::dom::parser& data_parser) {
  if (op.kind == PostedOp::Kind::kHttp) {
    TaskRef task = engine_->store().Find(TaskKey::ByObjId(op.caller_obj_id));
    if (task == nullptr) return;
    engine_->Acquire(task.get());
    // First transition wins: an answer for an entry the task has left (its
    // timer fired, it was deleted) is dropped. A closed engine applies
    // nothing: the task stays counted as waiting for its answer.
    if (task->status != TaskStatus::kProcessing || task->park != ParkReason::kHttp ||
        task->entry_seq != op.entry_seq || engine_->closed()) {
      engine_->Release(task.get(), false);
      return;
    }
    task->extras().http_result = std::move(op.http_result);
    engine_->HttpWaitEnded(*task);
    Unpark(task.get());
    engine_->Release(task.get(), true);
    return;
  }
  // A stored message is delivered once, whatever becomes of it: its
  // deletion is committed with the change it makes, or alone when it makes
  // none.
  Persistence* persistence = engine_->persistence();
  Transition transition;
  if (persistence != nullptr) Persistence::AddDelivered(op, &transition);
  const auto drop = [&] {
    if (persistence != nullptr && !transition.empty()) {
      persistence->Commit(std::move(transition), false).IgnoreError();
    }
  };
  simdjson::dom::element patch;
  std::string collapsed;
  if (!ParseTaskData(patch_parser, op.data, engine_->options().max_task_size, &patch, &collapsed)
           .ok()) {
    drop();
    return;  // logics send objects they built; nothing to merge otherwise
  }
  TaskRef task = op.kind == PostedOp::Kind::kModify
                     ? std::move(op.target)
                     : engine_->store().Find(TaskKey::ByObjId(op.caller_obj_id));
  if (task == nullptr) {  // the caller is gone: the reply is dropped
    drop();
    return;
  }
  engine_->Acquire(task.get());
  // Changed: the task's new state is committed with the delivery, before
  // it can move.
  const auto release = [&](bool changed, bool schedule) {
    if (persistence != nullptr && changed) persistence->AddPut(*task, false, &transition);
    drop();
    engine_->Release(task.get(), schedule);
  };
  if (task->status == TaskStatus::kDeleted || task->status == TaskStatus::kProcessed) {
    release(false, false);
    return;
  }
  if (op.kind == PostedOp::Kind::kReply) {
    // First transition wins: only the entry that made the call takes it.
    if (task->park != ParkReason::kReply || task->entry_seq != op.entry_seq ||
        task->status != TaskStatus::kProcessing) {
      release(false, false);
      return;
    }
    if (!engine_->MergeData(task.get(), patch, data_parser).ok()) {
      task->extras().failure = std::make_unique<ResumeFailure>(
          ResumeFailure{"rpc", "rpc_task_size_overflow",
                        absl::StrCat("the reply makes the task larger than ",
                                     engine_->options().max_task_size, " bytes")});
      task->resume = Resume::kFail;
    } else {
      engine_->RecordHistory(task.get(), HistoryKind::kModified, task->change_micros,
                             "by the reply of the process it called");
    }
    if (op.exception) {
      task->extras().failure = std::make_unique<ResumeFailure>(
          ResumeFailure{"rpc_reply", "rpc_reply_exception", op.reason});
      task->resume = Resume::kFail;
    }
    Unpark(task.get());
    release(true, true);
    return;
  }
  // A modify merges wherever the task is; it releases the api_callback wait
  // it claimed (or any, when it claimed none).
  if (!engine_->MergeData(task.get(), patch, data_parser).ok()) {
    release(false, false);  // too large: dropped, as the API would refuse it
    return;
  }
  engine_->RecordHistory(task.get(), HistoryKind::kModified, task->change_micros,
                         "by another task (api_copy)");
  const bool resume = (task->park == ParkReason::kCallback &&
                       (op.entry_seq == 0 || op.entry_seq == task->entry_seq)) ||
                      task->park == ParkReason::kLoopStopped;
  if (resume) Unpark(task.get());
  release(true, resume);
}

void EventLoop::ArmTimer(Task* task, int64_t deadline) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(timers_mu_);
    wheel_->Arm(&task->timer(), deadline);
    task->timer_seq = task->entry_seq;
    timers_armed_.store(static_cast<int64_t>(wheel_->size()), std::memory_order_release);
    wake = deadline < wake_at_;
  }
  if (wake) {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_one();
  }
}

void EventLoop::CancelArmedTimer(Task* task) {
  std::lock_guard<std::mutex> lock(timers_mu_);
  wheel_->Cancel(&task->timer());  // a no-op when the events thread took it
  task->timer_seq = 0;
  timers_armed_.store(static_cast<int64_t>(wheel_->size()), std::memory_order_release);
}

int64_t EventLoop::NextTimerLocked() {
  std::lock_guard<std::mutex> lock(timers_mu_);
  wake_at_ = wheel_->NextDeadline();
  return wake_at_;
}

void EventLoop::Run() {
  SetCurrentEngineThread(engine_);
  simdjson::dom::parser patch_parser;
  simdjson::dom::parser data_parser;
  std::deque<PostedOp> ops;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (closed_) return;
        if (!ops_.empty()) {
          ops.swap(ops_);
          break;
        }
        const int64_t now = absl::ToUnixMicros(clock_->Now());
        const int64_t next = NextTimerLocked();
        if (next <= now) break;  // due timers
        if (next != INT64_MAX && jumps_ && !time_held_.load(std::memory_order_acquire) &&
            engine_->pending() == 0 && engine_->http_waits() == 0) {
          // Nothing can move before the next timer: go there.
          clock_->JumpTo(absl::FromUnixMicros(next));
          break;
        }
        if (next != INT64_MAX && jumps_ && !time_held_.load(std::memory_order_acquire) &&
            engine_->pending() == 0 && engine_->timed_http_waits() > 0) {
          // Only HTTP answers can move a task, and a node's timer waits
          // on one: answers take real time, so virtual time passes at real
          // speed until one comes or the next timer is due. Short slices:
          // tasks created meanwhile stop it.
          const absl::Time real_start = absl::Now();
          const int64_t slice = std::min<int64_t>(next - now, 10000);
          cv_.wait_for(lock, std::chrono::microseconds(slice));
          const int64_t passed = absl::ToInt64Microseconds(absl::Now() - real_start);
          clock_->JumpTo(absl::FromUnixMicros(std::min(next, now + std::max<int64_t>(passed, 0))));
          continue;
        }
        if (next == INT64_MAX && !jumps_ && engine_->persistence() != nullptr) {
          // Nothing to wait for but the archive's purge, which comes due
          // by itself.
          if (cv_.wait_for(lock, std::chrono::seconds(60)) == std::cv_status::timeout) break;
        } else if (next == INT64_MAX || jumps_) {
          cv_.wait(lock);
        } else if (real_clock_) {
          cv_.wait_until(lock, absl::ToChronoTime(absl::FromUnixMicros(next)));
        } else {
          // A clock the host moves (ManualClock): look again soon.
          cv_.wait_for(lock, std::chrono::milliseconds(1));
        }
      }
    }
    // Held while we work, so that WaitIdle does not see an idle engine
    // between taking a timer out of the wheel and queueing its task.
    engine_->AddPending();
    for (PostedOp& op : ops) {
      ApplyOp(op, patch_parser, data_parser);
      engine_->ActivationDone();
    }
    ops.clear();
    FireDueTimers();
    if (Persistence* persistence = engine_->persistence()) {
      persistence->MaybePurge(absl::ToUnixMicros(clock_->Now()));
    }
    engine_->ActivationDone();
  }
}

void EventLoop::FireDueTimers() {
  std::vector<TimerEntry*> due;
  std::vector<FiredTimer> fired;
  {
    std::lock_guard<std::mutex> lock(timers_mu_);
    wheel_->Advance(absl::ToUnixMicros(clock_->Now()), &due);
    fired.reserve(due.size());
    for (TimerEntry* entry : due) {
      const Task* task = Task::OfTimer(entry);
      fired.push_back(FiredTimer{task->obj_id, task->timer_seq});
    }
    timers_armed_.store(static_cast<int64_t>(wheel_->size()), std::memory_order_release);
  }
  for (const FiredTimer& one : fired) FireTimer(one);
}

void EventLoop::FireTimer(const FiredTimer& fired) {
  TaskRef task = engine_->store().Find(
      TaskKey::ByObjId(std::string(fired.obj_id.data(), fired.obj_id.size())));
  if (task == nullptr) return;
  engine_->Acquire(task.get());
  // First transition wins: the timer belongs to one entry of one node, and
  // only a task still waiting there moves.
  const ParkReason park = task->park;
  const bool waiting = park == ParkReason::kCallback || park == ParkReason::kReply ||
                       park == ParkReason::kQueue || park == ParkReason::kTimer ||
                       park == ParkReason::kHttp || park == ParkReason::kScheduled;
  if (task->status != TaskStatus::kProcessing || !waiting || task->entry_seq != fired.entry_seq ||
      task->timer_seq != fired.entry_seq) {
    engine_->Release(task.get(), false);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(timers_mu_);
    task->timer_seq = 0;
  }
  if (park == ParkReason::kHttp) engine_->HttpWaitEnded(*task);  // the answer will be dropped
  Unpark(task.get());
  if (park == ParkReason::kScheduled) {
    // Its start time: it runs its start node, from its first logic.
    engine_->Release(task.get(), true);
    return;
  }
  task->resume = Resume::kTimer;
  if (TaskExtras* extras = task->extras_if_any(); extras != nullptr) {
    extras->tree.reset();  // what it causes from here on is a new tree
  }
  timers_fired_.fetch_add(1, std::memory_order_relaxed);
  engine_->Release(task.get(), true);
}

}  // namespace internal
}  // namespace convey
