// EngineImpl: the engine behind convey/engine.h (private to the engine's
// files, as LevelDB's db_impl.h).
//
// The engine itself (engine.cc) holds the run queue and its worker
// threads, idle waiting and closing; task_calls.cc the task API (create,
// modify, show, delete); deploy.cc the process table; durability.cc what
// the engine does with its store (the catalog, recovery, the archive). Its
// parts, each in its own file:
//   step_machine.h    a task through its node's logics and routes (hot path)
//   step_context.h    what a logic sees of its task; a worker's scratch state
//   event_loop.h      the events thread: posted ops, timers, virtual time
//   http_admission.h  api requests: in-flight caps, the waiting line, expiry
//   task_store.h      tasks by obj_id and by ref; obj_ids
//   statistics.h      task counts; node counters and sums read for the API
//   persistence.h     records, transitions and group commit to the store
//   task_completion.h task handles (Submit), the watched-task table, and
//                     which task or engine the calling thread runs
//   task_data_buffers.h  dropped tasks' data buffers, for new tasks' data
//
// Locking: `processes_mu_` (shared) guards the process table; `idle_mu_`
// pairs with `idle_cv_` for WaitIdle; `close_mu_` serialises Close. The hot
// path takes none: a task is owned through Task::state (compare-and-swap),
// counters are atomics. Lock order, outer first: `close_mu_`, then a task
// held through Task::state, then the parts' locks (event_loop.h: `mu_`
// before `timers_mu_`); `processes_mu_`, `idle_mu_`, the task store's
// shards, HTTP admission's locks, a queue node's lock, the task data
// buffers' exchange and persistence's locks are leaves (a commit is queued
// while its task is held, and may wait there only for room in the queue,
// which the writer frees without taking any task).
#ifndef CONVEY_RUNTIME_ENGINE_ENGINE_IMPL_H_
#define CONVEY_RUNTIME_ENGINE_ENGINE_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concurrentqueue/blockingconcurrentqueue.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/logic.h"
#include "runtime/engine/event_loop.h"
#include "runtime/engine/http_admission.h"
#include "runtime/engine/persistence.h"
#include "runtime/engine/process.h"
#include "runtime/engine/shared_work.h"
#include "runtime/engine/statistics.h"
#include "runtime/engine/step_context.h"
#include "runtime/engine/step_machine.h"
#include "runtime/engine/task.h"
#include "runtime/engine/task_completion.h"
#include "runtime/engine/task_history.h"
#include "runtime/engine/task_store.h"
#include "runtime/engine/variables.h"
#include "runtime/engine/webhooks.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// Idle workers spin this many times before they sleep. Low, because on a
// busy machine a spinning worker takes the core from the threads that create
// tasks; waking a sleeping worker costs one futex call.
struct RunQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const int MAX_SEMA_SPINS = 1000;
};

// Who starts a task: the host (no cause), or a logic of `cause`, which
// `worker` runs: api_copy, or api_rpc (`call`: `cause` waits for the
// reply). A task a logic starts is written with its cause's transition and
// queued after it (ActivationEffects).
struct TaskOrigin {
  Task* cause = nullptr;
  bool call = false;
  Worker* worker = nullptr;
  // A host's batch (CreateTasks): the create is not acknowledged on its
  // own; its commit ticket is left here for the batch to acknowledge.
  CommitTicket* batch_ticket = nullptr;
  // A host's batch: a task ready to run is left here for the batch to
  // queue at once (one wake-up of the workers for many tasks).
  std::vector<Task*>* batch_queue = nullptr;
  // Submit: the handle's state is made here, before the task can run.
  std::shared_ptr<TaskCompletion>* completion = nullptr;
  // The host's NewTask::idempotency_key (empty: none).
  absl::string_view idempotency_key;
  // NewTask::start_at in unix micros (StartMicros); later than now: a
  // scheduled create.
  int64_t start_micros = 0;
  // A host's batch: the task's data as PrepareTaskData left it (moved from
  // here), or why it was refused; null: CreateTaskAt prepares data_json.
  absl::StatusOr<std::string>* prepared = nullptr;
};

// A task a logic of `cause` starts (`call`: api_rpc, else api_copy).
inline TaskOrigin CausedBy(Task* cause, bool call, Worker* worker) {
  TaskOrigin origin;
  origin.cause = cause;
  origin.call = call;
  origin.worker = worker;
  return origin;
}

class EngineImpl : public Engine {
 public:
  // `persistence`: the durable store, or null (in memory only).
  EngineImpl(const EngineOptions& options, std::unique_ptr<ProjectVariables> variables,
             std::unique_ptr<Persistence> persistence);
  ~EngineImpl() override;

  absl::StatusOr<DeployResult> Deploy(absl::string_view file_name, absl::string_view json) override;
  absl::StatusOr<DeployResult> DeployFile(const std::string& path) override;
  absl::StatusOr<std::string> CreateTask(int64_t conv_id, absl::string_view ref,
                                         absl::string_view data_json) override;
  absl::StatusOr<std::string> CreateTask(int64_t conv_id, const NewTask& task) override;
  std::vector<absl::StatusOr<std::string>> CreateTasks(int64_t conv_id,
                                                       const std::vector<NewTask>& tasks) override;
  absl::StatusOr<TaskHandle> Submit(int64_t conv_id, absl::string_view ref,
                                    absl::string_view data_json) override;
  absl::Status ModifyTask(const TaskKey& key, absl::string_view data_json) override;
  absl::Status PatchTask(const TaskKey& key, absl::string_view patch_json) override;
  absl::StatusOr<TaskSnapshot> ShowTask(const TaskKey& key) override;
  absl::Status DeleteTask(const TaskKey& key, absl::string_view node_id) override;
  absl::StatusOr<TaskHistory> GetTaskHistory(const TaskKey& key) override;
  absl::Status AppendTaskHistory(const TaskKey& key, absl::string_view text) override;
  std::vector<Diagnostic> UnresolvedReferences() const override;
  void HoldTime(bool hold) override;
  absl::Status WaitIdle(absl::Duration timeout) override;
  EngineStats Stats() const override;
  absl::StatusOr<ProcessStats> StatsFor(int64_t conv_id) const override;
  absl::Status ResetSum(int64_t conv_id, absl::string_view node_id,
                        absl::string_view sum_id) override;
  void ForEachTask(const std::function<void(const TaskSnapshot&)>& visit) override;
  absl::StatusOr<TaskPage> SearchTasks(const TaskQuery& query) override;
  absl::Status PauseProcess(int64_t conv_id) override;
  absl::Status ResumeProcess(int64_t conv_id) override;
  absl::Status MoveTask(const TaskKey& key, int64_t conv_id, absl::string_view node_id) override;
  // A worker about to run `task` (kRunning) of a paused process: holds it
  // (ParkReason::kPaused) until the process resumes and returns true; the
  // worker then leaves it. False when the process is not paused (any more).
  bool HoldIfPaused(Task* task, int64_t now_micros);
  WebhookDispatcher& webhooks() { return webhooks_; }
  // Adds a webhook entry to the history of task `obj_id`, if it is still in
  // memory (false if not).
  bool RecordWebhook(const std::string& obj_id, absl::string_view text);
  absl::Status Close(absl::Duration timeout) override;

  // Starts the workers and the events thread; ResourceExhausted (with
  // every started thread joined) when the OS refuses one.
  absl::Status Start();
  // With a store, before Start: brings back the process versions, tasks,
  // timers, queues, sums and messages the store holds (durability.cc).
  absl::Status Recover();

  // For the engine's parts.
  const EngineOptions& options() const { return options_; }
  // Tells EngineOptions::logger, if any.
  void Log(LogSeverity severity, absl::string_view message) const {
    if (options_.logger) options_.logger(severity, message);
  }
  TaskWatchers& watchers() { return watchers_; }
  Clock* clock() const { return clock_; }
  const ProjectVariables& variables() const { return *variables_; }
  TaskStore& store() { return store_; }
  EventLoop& events() { return events_; }
  // The task log and pause state of `conv_id`; null when never deployed.
  std::shared_ptr<ProcessControl> ControlOf(int64_t conv_id) const {
    std::shared_lock<std::shared_mutex> lock(processes_mu_);
    auto it = controls_.find(conv_id);
    return it == controls_.end() ? nullptr : it->second;
  }
  // The durable store's side of the engine; null without a store.
  Persistence* persistence() const { return persistence_.get(); }
  void Enqueue(Task* task);
  // Queues `tasks` at once (one wake-up) and empties it.
  void EnqueueAll(std::vector<Task*>* tasks);
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  const CompiledProcess* CurrentProcess(int64_t conv_id) const;
  // Starts a task at `node` of `process`. A task a logic causes is bounded:
  // by the copy chain (loop_limit; ResourceExhausted), and by the tasks its
  // tree and the target process hold (OutOfRange: logics fail with
  // `<family>_task_limit`).
  absl::StatusOr<std::string> CreateTaskAt(const CompiledProcess* process, uint32_t node,
                                           absl::string_view ref, absl::string_view data_json,
                                           TaskOrigin origin = TaskOrigin());
  // A task that finishes or is deleted no longer counts toward its
  // process's max_caused_tasks_per_process.
  static void UncountCaused(Task* task) {
    if (!task->counted_as_caused) return;
    task->counted_as_caused = false;
    task->process->caused_live->fetch_sub(1, std::memory_order_relaxed);
  }
  // Holds the task (Task::state kHeld or kHeldQueued), waiting for the
  // activation that runs it to end.
  void Acquire(Task* task);
  // Lets go of a held task; `schedule`: queue it to run.
  void Release(Task* task, bool schedule);
  // Modify and patch: holds the task named by `key` (`call` names the
  // call for the fail-fast check), applies `change` to it, wakes it as a
  // modify does, records `kind` in its history, and commits it. A change
  // that fails changes nothing.
  // Show and history: what `from_task` makes of the task named by `key`
  // (held meanwhile), or `from_record` of its archived record.
  template <typename FromTask, typename FromRecord>
  auto ReadTask(const TaskKey& key, absl::string_view call, FromTask from_task,
                FromRecord from_record)
      -> absl::StatusOr<std::invoke_result_t<FromTask, const Task&>>;
  // `wake`: false for a change that is no modify (a host's history entry).
  absl::Status ChangeData(const TaskKey& key, absl::string_view call, HistoryKind kind,
                          const std::function<absl::Status(Task*)>& change, bool wake = true);
  // Merges `patch` into the task's data. InvalidArgument when too large.
  absl::Status MergeData(Task* task, simdjson::dom::element patch, simdjson::dom::parser& parser);

  // Adds an entry to the history of `task` (held by the caller), in the
  // node it is in now, at `micros` (engine clock).
  void RecordHistory(Task* task, HistoryKind kind, int64_t micros, absl::string_view text = {}) {
    if (TaskHistoryLog* history = task->history()) {
      history->Add(options_.task_history_limit, micros, kind, &task->current_node(), text);
    }
  }
  // node_entered entries for `nodes`, in order, all at `micros`.
  void RecordEntered(Task* task, int64_t micros, absl::Span<const CompiledNode* const> nodes) {
    if (TaskHistoryLog* history = task->history()) {
      history->AddEntered(options_.task_history_limit, micros, nodes);
    }
  }
  // An entry naming a ParkReason (parked, resumed): no text is stored.
  void RecordHistory(Task* task, HistoryKind kind, int64_t micros, ParkReason reason) {
    if (TaskHistoryLog* history = task->history()) {
      history->Add(options_.task_history_limit, micros, kind, &task->current_node(), {}, reason);
    }
  }

  // Pending work (queue entries, running activations, posted ops): what
  // WaitIdle waits for, and what stops virtual time.
  void AddPending() { pending_.fetch_add(1, std::memory_order_acq_rel); }
  void ActivationDone() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) NotifyIdleWaiters();
  }
  int64_t pending() const { return pending_.load(std::memory_order_acquire); }

  // Tasks parked in an api node until their request answers. WaitIdle waits
  // for them too; a request whose task has left (timer, delete) is no
  // longer waited for. Virtual time does not jump past an answer awaited;
  // when the node has a time semaphore (`timed`), it runs on at real speed
  // instead, so that the timer still fires on a request that does not
  // answer. Ended by whoever moves the task out of the wait, holding it,
  // before the pending token of that transition is dropped.
  void HttpWaitBegan(const Task& task) { CountHttpWait(task, 1); }
  void HttpWaitEnded(const Task& task) { CountHttpWait(task, -1); }
  int64_t http_waits() const { return http_waits_.load(std::memory_order_acquire); }
  int64_t timed_http_waits() const { return timed_http_waits_.load(std::memory_order_acquire); }

 private:
  void WorkerLoop(Worker* worker);
  // The next task from the run queue, for a worker that found it empty.
  void WaitForTask(moodycamel::ConsumerToken& token, Task** task, uint64_t* host_creates_seen);
  void NotifyIdleWaiters();
  void CountHttpWait(const Task& task, int64_t delta) {
    if (task.current_node().time != nullptr) {
      timed_http_waits_.fetch_add(delta, std::memory_order_acq_rel);
    }
    http_waits_.fetch_add(delta, std::memory_order_acq_rel);
  }
  // Counts a task `cause` starts in `process` against max_tasks_per_tree and
  // max_caused_tasks_per_process; sets `*tree` to the tree's counter, which
  // the new task shares. OutOfRange (nothing counted) past either.
  absl::Status CountCausedTask(Task& cause, const CompiledProcess& process,
                               std::shared_ptr<std::atomic<int64_t>>* tree);
  absl::Status CheckOpen() const {
    if (closed_.load(std::memory_order_acquire)) {
      return absl::FailedPreconditionError("the engine is closed");
    }
    if (persistence_ != nullptr) return persistence_->failure();
    return absl::OkStatus();
  }
  // CheckOpen, and refuses new work (creates, modifies, deletes, deploys)
  // once Close has begun.
  absl::Status CheckIntake() const {
    if (closing_.load(std::memory_order_acquire) && !closed_.load(std::memory_order_acquire)) {
      return absl::FailedPreconditionError("the engine is closing");
    }
    return CheckOpen();
  }
  // FailedPrecondition when the caller is one of this engine's threads
  // (a logic or an observer), where `call` would wait for itself.
  absl::Status CheckNotEngineThread(absl::string_view call) const;
  // The same for a call about `task` made by the worker running it.
  absl::Status CheckNotRunning(const Task& task, absl::string_view call) const;
  // The task an earlier create with `key` made (idempotency.cc): its
  // obj_id when `fingerprint` matches (nullopt when there is none, or it
  // is no longer findable); AlreadyExists when it asked for something else.
  absl::StatusOr<std::optional<std::string>> FindByIdempotencyKey(absl::string_view key,
                                                                  absl::string_view fingerprint);
  // What Close leaves: a sentence for its status and the logger.
  std::string DescribeLeftOver() const;
  // Imports and compiles every process of a scheme file; InvalidArgument
  // listing every error. Warnings and conv_ids go to `*result`.
  absl::StatusOr<std::vector<std::unique_ptr<CompiledProcess>>> CompileScheme(
      absl::string_view file_name, absl::string_view json, DeployResult* result) const;
  // Makes the compiled processes of one scheme file current (processes_mu_
  // not held).
  void Install(std::vector<std::unique_ptr<CompiledProcess>> compiled);
  // The process of `version` with `conv_id`, or null.
  const CompiledProcess* VersionOf(uint64_t version, int64_t conv_id) const;
  // With a store: gives the compiled processes of a new scheme file their
  // catalog version, or finds the version that holds these very bytes
  // (then `*existing` is set: the processes recovered for it). Warns when
  // the file changed since the store took it.
  absl::Status Catalogue(absl::string_view file_name, absl::string_view json,
                         std::vector<std::unique_ptr<CompiledProcess>>& compiled, bool* existing,
                         DeployResult* result);
  // What ShowTask shows of an archived record.
  TaskSnapshot SnapshotOfRecord(absl::string_view obj_id, const schema::TaskRecord& record) const;
  // With a store, commits the task (held by the caller) as it is now; 0
  // without one.
  absl::StatusOr<CommitTicket> CommitPut(Task& task);
  // Why a task found only in the archive (or nowhere) cannot be modified or
  // deleted: NotFound, or FailedPrecondition for a finished one.
  absl::Status RefuseArchived(const TaskKey& key);
  // An archived task for `key` (its obj_id in `*obj_id`), or NotFound.
  absl::StatusOr<schema::TaskRecord> FindArchived(const TaskKey& key, std::string* obj_id);

  const EngineOptions options_;
  Clock* const clock_;
  Observer* const observer_;
  const LogicRegistry* const registry_;
  const int worker_count_;
  const std::unique_ptr<ProjectVariables> variables_;
  const std::unique_ptr<Persistence> persistence_;

  mutable std::shared_mutex processes_mu_;
  // Every version ever deployed: tasks keep pointing at the one they started on.
  std::vector<std::unique_ptr<CompiledProcess>> versions_;        // guarded by processes_mu_
  absl::flat_hash_map<int64_t, const CompiledProcess*> current_;  // guarded by processes_mu_
  std::vector<int64_t> deploy_order_;                             // guarded by processes_mu_
  // Each conv_id's task log and pause state, shared by its versions.
  absl::flat_hash_map<int64_t, std::shared_ptr<ProcessControl>>
      controls_;  // guarded by processes_mu_

  TaskStore store_;
  Statistics statistics_;
  EventLoop events_;
  HttpAdmission http_;
  StepMachine steps_;
  WebhookDispatcher webhooks_;

  moodycamel::BlockingConcurrentQueue<Task*, RunQueueTraits> queue_;
  // A run-queue entry that is no task: the worker that takes it helps with
  // shared_work_ (CreateTasks queues one per worker it asks).
  Task help_marker_;
  SharedWork shared_work_;
  // Tasks host threads have queued (CreateTask, CreateTasks): while it
  // moves, idle workers yield their cores to the host (WaitForTask).
  // host_creates_ and pending_ change with every task, on host threads and
  // workers alike: each has a cache line to itself, so that neither drags
  // the other (or the fields after them) between cores.
  alignas(64) std::atomic<uint64_t> host_creates_{0};
  // Queue entries plus running activations: what WaitIdle waits for.
  alignas(64) std::atomic<int64_t> pending_{0};
  alignas(64) std::atomic<int64_t> http_waits_{0};
  std::atomic<int64_t> timed_http_waits_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  TaskWatchers watchers_;
  std::atomic<bool> closing_{false};  // Close has begun: no new work
  std::atomic<bool> closed_{false};
  std::mutex close_mu_;
};

// Parses `json` as task data: a JSON object (`[]` is taken as `{}`), stored
// compact. InvalidArgument says why not. A key repeated with the same value,
// at any depth, is collapsed to its first occurrence before anything reads
// the data: `*collapsed` is then the compact text and `*doc` its document
// (semantics A1); with a different value the data is refused.
absl::Status ParseTaskData(simdjson::dom::parser& parser, absl::string_view json, size_t max_size,
                           simdjson::dom::element* doc, std::string* collapsed);

// Task data as a task keeps it, from the host's `json`: ParseTaskData's
// checks, then compact (minified unless it is already) and within max_size.
// Uses a parser of the calling thread's.
absl::Status PrepareTaskData(absl::string_view json, size_t max_size, std::string* data);

// NewTask::start_at as unix micros: 0 for "now" (InfinitePast).
int64_t StartMicros(absl::Time start_at);

// FailedPrecondition: the task has finished in `node_id`.
absl::Status Finished(absl::string_view obj_id, absl::string_view node_id);

// The history an archived record holds.
TaskHistory HistoryOfRecord(absl::string_view obj_id, const schema::TaskRecord& record);

// What a create asks for, for its idempotency key: the SHA-256 of the
// process, the ref and the data as stored (compact, repeats collapsed).
std::string CreateFingerprint(int64_t conv_id, absl::string_view ref, absl::string_view data);

// NotFound: no process with `conv_id` is deployed.
absl::Status NotDeployed(int64_t conv_id);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_ENGINE_IMPL_H_
