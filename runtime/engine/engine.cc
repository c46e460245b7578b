// The engine: the run queue and its workers, holding a task (Acquire,
// Release), idle waiting, statistics and closing; Engine::Open. (The task
// calls are task_calls.cc's; the process table deploy.cc's; the store's side
// durability.cc's.)
//
// What the engine's parts do and which locks they take is in engine_impl.h
// (the map of the parts) and at the top of each part's header. Here:
// `processes_mu_` guards the process table (Deploy writes; lookups read),
// `idle_mu_` pairs with `idle_cv_` for WaitIdle, `close_mu_` serialises Close.
// The hot path (a worker popping a task and running it on) takes none of
// them: a task is owned through Task::state.
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/base/status_macros.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/engine/engine_options.h"

namespace convey {

namespace internal {

EngineImpl::EngineImpl(const EngineOptions& options, std::unique_ptr<ProjectVariables> variables,
                       std::unique_ptr<Persistence> persistence)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : Clock::Real()),
      observer_(options.observer),
      registry_(options.registry != nullptr ? options.registry : &LogicRegistry::Global()),
      worker_count_(options.worker_threads > 0 ? options.worker_threads
                                               : std::max(1u, std::thread::hardware_concurrency())),
      variables_(std::move(variables)),
      persistence_(std::move(persistence)),
      store_(persistence_ != nullptr ? persistence_->generation() : 0),
      statistics_(worker_count_),
      events_(this, clock_),
      http_(this, options_),
      steps_(this, options_, clock_, observer_, store_, statistics_, events_, http_),
      webhooks_(this, options_) {}

absl::Status EngineImpl::Start() {
  events_.set_time_held(options_.hold_time);
  for (int i = 0; i < worker_count_; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->index = i;
    workers_.push_back(std::move(worker));
  }
  // The OS may refuse a thread (`--threads 1024` under a memory limit): an
  // error naming how many started, never an uncaught std::system_error.
  try {
    for (int i = 0; i < worker_count_; ++i) {
      threads_.emplace_back([this, i] { WorkerLoop(workers_[i].get()); });
    }
    events_.Start();
    webhooks_.Start();
  } catch (const std::system_error& e) {
    const size_t started = threads_.size();
    Close(absl::ZeroDuration()).IgnoreError();  // joins the workers that started
    return absl::ResourceExhaustedError(absl::StrCat("cannot start the engine's threads (", started,
                                                     " of ", worker_count_,
                                                     " workers started): ", e.what()));
  }
  return absl::OkStatus();
}

EngineImpl::~EngineImpl() { Close(absl::ZeroDuration()).IgnoreError(); }

absl::Status EngineImpl::CheckNotEngineThread(absl::string_view call) const {
  if (CurrentEngineThread() != this) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(call,
                   " called from a logic or an observer, on one of the engine's own "
                   "threads: it would wait for itself"));
}

absl::Status EngineImpl::CheckNotRunning(const Task& task, absl::string_view call) const {
  if (RunningTask() != &task) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(call, " of task ", task.obj_id_view(),
                   " called from a logic or an observer while that task runs: it would wait "
                   "for itself (a logic changes its own task through its TaskContext)"));
}

std::string EngineImpl::DescribeLeftOver() const {
  int64_t parked = 0;
  {
    std::shared_lock<std::shared_mutex> lock(processes_mu_);
    for (const auto& version : versions_) {
      for (const CompiledNode& node : version->nodes) {
        if (!node.is_final) parked += version->node_tasks->Read(node.index);
      }
    }
  }
  const int64_t moving = pending_.load(std::memory_order_acquire);
  const int64_t http = http_waits_.load(std::memory_order_acquire);
  parked -= std::min(parked, moving + http);
  return absl::StrCat(moving, " tasks queued or moving, ", http, " waiting for an HTTP answer, ",
                      parked, " parked",
                      persistence_ != nullptr ? " (kept in the store: the next Open resumes them)"
                                              : " (in memory only: dropped with the engine)");
}

absl::Status EngineImpl::Close(absl::Duration timeout) {
  CONVEY_RETURN_IF_ERROR(CheckNotEngineThread("Engine::Close"));
  std::unique_lock<std::mutex> lock(close_mu_);
  if (closed_.load(std::memory_order_acquire)) return absl::OkStatus();
  // 1. No new work from the host.
  closing_.store(true, std::memory_order_release);
  // 2. Drain what moves. Timers do not fire meanwhile (virtual time held);
  // a host's real clock may still fire one, which only moves a task on.
  events_.set_time_held(true);
  const auto drained = [this] {
    return pending_.load(std::memory_order_acquire) == 0 &&
           http_waits_.load(std::memory_order_acquire) == 0;
  };
  const absl::Time deadline = timeout == absl::InfiniteDuration()
                                  ? absl::InfiniteFuture()
                                  : absl::Now() + std::max(timeout, absl::ZeroDuration());
  bool idle = drained();
  if (!idle && !threads_.empty()) {
    std::unique_lock<std::mutex> idle_lock(idle_mu_);
    while (!(idle = drained())) {
      const absl::Time now = absl::Now();
      if (now >= deadline) break;
      // Woken by NotifyIdleWaiters; polled too, since an HTTP answer that
      // leaves its task parked elsewhere wakes no one.
      idle_cv_.wait_for(
          idle_lock, absl::ToChronoMilliseconds(std::min(deadline - now, absl::Milliseconds(10))));
    }
  }
  const std::string left = DescribeLeftOver();
  // 3. Stop. One null entry per worker wakes it up to exit.
  closed_.store(true, std::memory_order_release);
  for (size_t i = 0; i < threads_.size(); ++i) queue_.enqueue(nullptr);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // No worker queues a delivery any more: deliver what is queued, within
  // the deadline, then drop the rest (logged).
  webhooks_.Drain(deadline);
  webhooks_.Stop();
  // No answer may reach a destroyed engine: the built-in transport completes
  // what it holds when destroyed; a host's transport is waited for until the
  // deadline, then its answers are dropped.
  http_.Close(deadline);
  events_.Stop();
  // Last: the events thread commits the messages it applies.
  if (persistence_ != nullptr) persistence_->Stop();
  lock.unlock();
  // The host's callbacks run outside the engine's locks.
  watchers_.CancelAll(absl::CancelledError(absl::StrCat(
      "the engine closed before the task ended",
      persistence_ != nullptr ? " (it stays in the store: the next Open resumes it)" : "")));
  Log(idle ? LogSeverity::kInfo : LogSeverity::kWarning, absl::StrCat("closed: ", left));
  if (idle) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("Close did not drain within ", absl::FormatDuration(timeout), ": ", left));
}

void EngineImpl::WorkerLoop(Worker* worker) {
  SetCurrentEngineThread(this);
  moodycamel::ConsumerToken token(queue_);
  Task* task = nullptr;
  uint64_t host_creates_seen = 0;  // host_creates_ when the queue was last empty
  for (;;) {
    if (!queue_.try_dequeue(token, task)) WaitForTask(token, &task, &host_creates_seen);
    // Closed: stop at once; queued tasks keep their state and stay visible.
    if (task == nullptr || closed_.load(std::memory_order_acquire)) return;
    if (task == &help_marker_) {
      shared_work_.Help();
      continue;
    }
    // Take ownership, unless an API call holds the task: then leave the
    // re-queueing to it.
    TaskState state = task->state.load(std::memory_order_acquire);
    bool run = false;
    for (;;) {
      if (state == kQueued) {
        if (task->state.compare_exchange_weak(state, kRunning, std::memory_order_acquire)) {
          run = true;
          break;
        }
      } else if (state == kHeldQueued) {
        if (task->state.compare_exchange_weak(state, kHeldDeferred, std::memory_order_acq_rel)) {
          break;
        }
      } else {
        std::abort();  // a queue entry always has one of those two states
      }
    }
    if (!run) continue;  // still pending: the API holder queues it again
    steps_.RunActivation(*worker, task);
    ActivationDone();
  }
}

void EngineImpl::WaitForTask(moodycamel::ConsumerToken& token, Task** task,
                             uint64_t* host_creates_seen) {
  // While host threads create tasks, yield the core before blocking: with
  // no more cores than busy threads (a host thread and two workers on two
  // cores), a worker spinning in the queue's wait took the core the host
  // thread needed, then slept, and every CreateTask paid a futex wake-up (a
  // third of its time). Only then: where tasks come back from HTTP or
  // timers, yielding cost more CPU per call than the wake-ups it saved.
  constexpr int kMaxYields = 16;
  uint64_t creates = host_creates_.load(std::memory_order_relaxed);
  for (int i = 0; i < kMaxYields && creates != *host_creates_seen; ++i) {
    *host_creates_seen = creates;
    sched_yield();
    if (queue_.try_dequeue(token, *task)) return;
    creates = host_creates_.load(std::memory_order_relaxed);
  }
  *host_creates_seen = creates;
  queue_.wait_dequeue(token, *task);
}

void EngineImpl::NotifyIdleWaiters() {
  {
    std::lock_guard<std::mutex> lock(idle_mu_);
    idle_cv_.notify_all();
  }
  if (events_.jumps()) {
    // Nothing moves: the events thread may jump to the next timer.
    events_.Wake();
  }
}

void EngineImpl::Enqueue(Task* task) { queue_.enqueue(task); }

void EngineImpl::EnqueueAll(std::vector<Task*>* tasks) {
  if (tasks->empty()) return;
  queue_.enqueue_bulk(tasks->data(), tasks->size());
  tasks->clear();
}

const CompiledProcess* EngineImpl::CurrentProcess(int64_t conv_id) const {
  std::shared_lock<std::shared_mutex> lock(processes_mu_);
  auto it = current_.find(conv_id);
  return it == current_.end() ? nullptr : it->second;
}

void EngineImpl::Acquire(Task* task) {
  int spins = 0;
  for (;;) {
    TaskState state = task->state.load(std::memory_order_acquire);
    if (state == kIdle &&
        task->state.compare_exchange_weak(state, kHeld, std::memory_order_acquire)) {
      return;
    }
    if (state == kQueued &&
        task->state.compare_exchange_weak(state, kHeldQueued, std::memory_order_acquire)) {
      return;
    }
    // Running on a worker (a bounded number of steps) or held by another
    // call: wait politely.
    if (++spins > 64) std::this_thread::yield();
  }
}

void EngineImpl::Release(Task* task, bool schedule) {
  TaskState state = kHeldQueued;
  // A worker may turn kHeldQueued into kHeldDeferred at any moment (it met
  // the queue entry while we held the task), so that hand-over is a CAS: a
  // plain store would overwrite the worker's mark and lose the entry.
  if (task->state.compare_exchange_strong(state, kQueued, std::memory_order_acq_rel)) return;
  if (state == kHeldDeferred) {
    // The worker skipped the queue entry; pending_ still counts it. Nobody
    // else changes kHeldDeferred, so a store is enough.
    task->state.store(kQueued, std::memory_order_release);
    Enqueue(task);
  } else if (schedule) {
    pending_.fetch_add(1, std::memory_order_acq_rel);
    task->state.store(kQueued, std::memory_order_release);
    Enqueue(task);
  } else {
    task->state.store(kIdle, std::memory_order_release);
  }
}

absl::Status EngineImpl::WaitIdle(absl::Duration timeout) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  CONVEY_RETURN_IF_ERROR(CheckNotEngineThread("Engine::WaitIdle"));
  auto idle = [this] {
    return pending_.load(std::memory_order_acquire) == 0 &&
           http_waits_.load(std::memory_order_acquire) == 0 && events_.TimersLetIdle();
  };
  std::unique_lock<std::mutex> lock(idle_mu_);
  bool reached;
  if (timeout == absl::InfiniteDuration()) {
    idle_cv_.wait(lock, idle);
    reached = true;
  } else {
    reached = idle_cv_.wait_until(lock, absl::ToChronoTime(absl::Now() + timeout), idle);
  }
  if (!reached) {
    return absl::DeadlineExceededError(
        absl::StrCat("tasks still moving after ", absl::FormatDuration(timeout), " (",
                     pending_.load(std::memory_order_relaxed), " queued or running, ",
                     http_waits_.load(std::memory_order_relaxed), " waiting for HTTP answers)"));
  }
  return absl::OkStatus();
}

EngineStats EngineImpl::Stats() const {
  EngineStats stats;
  statistics_.ReadTaskCounts(&stats);
  stats.tasks_queued = pending_.load(std::memory_order_relaxed);
  stats.timers_pending = events_.timers_pending();
  stats.timers_fired = events_.timers_fired();
  for (const auto& worker : workers_) {
    stats.node_transitions += worker->transitions.load(std::memory_order_relaxed);
  }
  std::shared_lock<std::shared_mutex> lock(processes_mu_);
  for (int64_t conv_id : deploy_order_) {
    stats.processes.push_back(Statistics::Of(*current_.at(conv_id)));
  }
  return stats;
}

absl::StatusOr<ProcessStats> EngineImpl::StatsFor(int64_t conv_id) const {
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) {
    return absl::NotFoundError(absl::StrCat("no process with conv_id ", conv_id, " is deployed"));
  }
  return Statistics::Of(*process);
}

absl::Status EngineImpl::ResetSum(int64_t conv_id, absl::string_view node_id,
                                  absl::string_view sum_id) {
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) {
    return absl::NotFoundError(absl::StrCat("no process with conv_id ", conv_id, " is deployed"));
  }
  CONVEY_RETURN_IF_ERROR(Statistics::ResetSum(*process, node_id, sum_id));
  if (persistence_ == nullptr) return absl::OkStatus();
  Transition transition;
  transition.sums.push_back(
      SumChange{process->FindNode(node_id)->FindSum(sum_id)->store_key(), 0, true});
  return persistence_->CommitAndAcknowledge(std::move(transition));
}

void EngineImpl::HoldTime(bool hold) {
  events_.set_time_held(hold);
  if (!hold) NotifyIdleWaiters();  // the events thread may jump now
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (absl::Status valid = internal::ValidateOptions(options); !valid.ok()) return valid;
  absl::StatusOr<std::unique_ptr<internal::ProjectVariables>> variables =
      internal::ProjectVariables::Create(options.variables, options.variable_lookup);
  if (!variables.ok()) {
    return absl::Status(variables.status().code(),
                        absl::StrCat("EngineOptions::variables: ", variables.status().message()));
  }
  std::unique_ptr<internal::Persistence> persistence;
  if (!options.store_directory.empty()) {
    CONVEY_ASSIGN_OR_RETURN(persistence, internal::Persistence::Open(options));
  }
  auto engine = std::make_unique<internal::EngineImpl>(options, *std::move(variables),
                                                       std::move(persistence));
  if (engine->persistence() != nullptr) CONVEY_RETURN_IF_ERROR(engine->Recover());
  CONVEY_RETURN_IF_ERROR(engine->Start());
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace convey