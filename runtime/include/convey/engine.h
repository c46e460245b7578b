// The convey engine: deploy exported processes and move tasks through them.
//
//   convey::EngineOptions options;
//   auto engine = convey::Engine::Open(options);           // StatusOr
//   auto deployed = (*engine)->DeployFile("orders.json");  // + warnings
//   (*engine)->CreateTask(deployed->conv_ids[0], "ref-1", R"({"amount":5})");
//   (*engine)->WaitIdle(absl::Seconds(10));
//
// Thread safety: every method may be called from any thread, concurrently.
// Tasks run on the engine's own worker threads; a call returns once its
// effect is recorded, not when the task has moved (wait on a TaskHandle from
// Submit, or use WaitIdle or an Observer for that).
//
// Blocking: each method says whether it blocks. Calls about one task wait
// while a worker runs that task (a bounded number of steps). From a logic's
// Run or an Observer callback (both run on the engine's threads), the calls
// that would wait for the caller itself fail fast with FailedPrecondition
// instead of hanging: WaitIdle, Close, TaskHandle::Wait on a task not yet
// ended, and ShowTask / ModifyTask / DeleteTask of the task being run.
// Calls about other tasks, and creates, are allowed there.
//
// Ownership: Open returns the engine; destroying it (or Close) stops the
// workers and drops every task in memory; with a store
// (EngineOptions::store_directory) they stay there, and the next Open on it
// brings them back. Options' clock, observer, registry and transport are
// borrowed and must outlive the engine.
//
// Errors: absl::Status codes are fixed: a bad scheme, task data or operation
// is InvalidArgument (the message says where and why); an unknown process or
// task is NotFound; a duplicate ref is AlreadyExists; a full run queue is
// ResourceExhausted (retry later); a call after Close, and a create,
// modify, delete or deploy while it drains, is FailedPrecondition, and so is
// a call that would wait for its own caller; a wait past its timeout is
// DeadlineExceeded; a handle whose engine closed first is Cancelled. A
// failure never affects any other task.
#ifndef CONVEY_ENGINE_H_
#define CONVEY_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/environment.h"
#include "convey/http.h"
#include "convey/limits.h"
#include "convey/scheme.h"

namespace convey {

class LogicRegistry;  // convey/logic.h: only plugin authors need it whole

namespace internal {
class TaskCompletion;
}  // namespace internal

// How much a message given to EngineOptions::logger matters.
enum class LogSeverity { kInfo, kWarning, kError };
// "info", "warning", "error".
absl::string_view LogSeverityName(LogSeverity severity);

// What a store (EngineOptions::store_directory) promises when a call
// returns.
enum class Durability { kNone, kAsync, kSync };

// A URL told about task events (EngineOptions::webhooks). Each delivery is
// a POST of a JSON object {"event": "task.finished" | "task.error" |
// "task.parked", "delivery" (an id, the same on every attempt), "conv_id",
// "obj_id", "ref", "status", "park_reason", "node_id", "node_title", "time"
// (RFC 3339), "data"} with headers X-Convey-Event, X-Convey-Delivery,
// X-Convey-Attempt and, with a secret, X-Convey-Signature:
// sha256=HEX(HMAC-SHA256(secret, body)). A 2xx answer delivers it; anything
// else is retried after first_retry, doubling up to max_retry_delay, until
// max_attempts. At least once while the engine runs (a receiver
// deduplicates by the delivery id); Close(timeout) delivers what is queued
// until its deadline, then drops the rest (logged), and a crash loses them. The outcome is written to the task's history.
struct WebhookSubscription {
  std::string url;       // http:// or https://
  std::string secret;    // empty: unsigned
  int64_t conv_id = 0;   // 0: tasks of every process
  bool finished = true;  // a task reached a final node
  bool error = true;     // stopped by an error or the loop guard
  // Node ids: a task stopped moving (parked, for any reason) in one of them.
  std::vector<std::string> parked_at;
  int max_attempts = 5;  // 1..100
  absl::Duration first_retry = absl::Seconds(1);
  absl::Duration max_retry_delay = absl::Minutes(10);
  absl::Duration timeout = absl::Seconds(10);  // one attempt
};

// Engine::Open checks every field against the rule written on it and
// refuses a value that breaks it with InvalidArgument naming the field
// (`EngineOptions::api_max_in_flight is 0: must be at least 1 (...)`).
struct EngineOptions {
  // Threads that run tasks. 0: one per hardware thread. 0..1024.
  int worker_threads = 0;
  // Not owned. Null: Clock::Real().
  Clock* clock = nullptr;
  // Not owned. Null: no events.
  Observer* observer = nullptr;
  // What the engine has to say that no call returns: a store write that
  // failed (the engine then refuses new work), an archive purge that
  // failed, a count semaphore's signal lost to a full run queue, tasks
  // recovered at Open, what Close left behind. Called from any engine
  // thread, concurrently; must be thread-safe and quick. Null: dropped.
  std::function<void(LogSeverity severity, absl::string_view message)> logger;
  // Not owned. Null: LogicRegistry::Global().
  const LogicRegistry* registry = nullptr;
  // Starts as HoldTime(true): with a virtual clock, time does not jump
  // until the host lets it (HoldTime(false)), e.g. to look at the tasks a
  // store brought back before their timers fire.
  bool hold_time = false;
  // Largest task data, in bytes of JSON text. A create above it is refused;
  // a logic whose writes would exceed it fails with
  // `<family>_task_size_overflow_limit`. 2 (`{}`) .. 2^32-1 (the JSON
  // parser's limit).
  size_t max_task_size = 128000;
  // Time and memory of one Code node (`api_code`) execution: `time_limit`
  // more than 0 and at most 24 h; `heap_limit_bytes` 1 MiB .. 2^32-1
  // (SpiderMonkey's limit is 32-bit).
  CodeLimits code_limits;
  // A task entering one node more than this many times without parking in
  // between is stopped there with status `loop_stopped`. At least 1.
  int loop_limit = 50;
  // Tasks queued for a worker or running (parked ones do not count). A
  // create beyond it is ResourceExhausted. 1..2^63-1.
  size_t max_queued_tasks = 1 << 20;
  // Limits applied to scheme files at deploy: `max_file_size` 1..2^32-1,
  // `max_depth` 1..1024, `max_diagnostics` at least 1.
  ImportLimits import_limits;
  // Entries kept in each task's history (Engine::GetTaskHistory): the
  // create and the latest others. Every node entry is one, so the log of a
  // task that walks a long chain keeps its last steps. 0: no history is
  // kept (saves ~24 bytes per entry and a little time per step). 0..65535.
  size_t task_history_limit = 32;
  // api_rpc calls nested deeper than this fail with `rpc_task_fatal_error`:
  // a cycle of calls between processes ends instead of growing forever.
  // At least 1.
  int max_rpc_depth = 32;
  // Bounds on the tasks that api_copy and api_rpc start, so that a process
  // copying itself twice per step, or calling itself twice per call, cannot
  // multiply its tasks without end. A copy or call past either fails with
  // `copy_task_limit` / `rpc_task_limit` (software). Each 1..2^63-1.
  // - max_tasks_per_tree: tasks started by one tree: a task the host
  //   created and every task it caused in turn. A timer that moves a task
  //   starts a new tree (time passed: no burst), so a task that copies once
  //   a minute for ever is never stopped.
  // - max_caused_tasks_per_process: tasks started in one process that are
  //   still in the engine (not finished, not deleted; a task stopped by an
  //   error counts), whatever their trees: the memory they hold.
  size_t max_tasks_per_tree = 100000;
  size_t max_caused_tasks_per_process = 1000000;

  // Durability (docs/engine.md, "Durability"). With `store_directory`
  // set, the engine keeps its tasks in a RocksDB store there: every task is
  // written when it is created and each time it parks, stops, is modified
  // or finishes, and Open brings back what the directory holds (the process
  // versions its tasks run on, parked tasks with their timers, sums,
  // messages between tasks in flight; requests in flight are sent again).
  // A directory that holds something else, or a store of an incompatible
  // version, is refused at Open (FailedPrecondition). Empty: in memory
  // only, as before.
  std::string store_directory;
  // kNone (no store: requires an empty store_directory); kAsync: a call
  // returns once its change is in the store's log (a killed process loses
  // nothing; a machine that loses power loses what the OS had not written);
  // kSync (the default with a store): CreateTask, ModifyTask, DeleteTask
  // and ResetSum return once their change is synced to disk; concurrent
  // callers share one sync.
  Durability durability = Durability::kSync;
  // With a store: finished and deleted tasks stay findable (ShowTask by
  // obj_id or ref, ForEachTask) this long after they end, then are purged.
  // The platform keeps about a month. More than 0.
  absl::Duration archive_retention = absl::Hours(24 * 30);

  // Project variables (the platform's stage variables), read by
  // `{{env_var[@NAME]}}`, `{{env_var[@NAME].path}}` and `{{env_var[ID]}}`
  // in every template. Keys are short names, with or without the `@`
  // ("@NAME" and "NAME" are one variable; giving both, or an empty name,
  // is an error at Open), or ids.
  // A value that is a JSON object or array is that JSON (a path reads into
  // it, `.key[1].p`); any other value is a string as given (RAW). A
  // variable no one sets reads as a missing value, like a missing
  // parameter; deploy warns about each one a process reads.
  std::map<std::string, std::string> variables;
  // Optional: asked for a name `variables` does not hold (without `@`);
  // nullopt when unset. Called from worker threads, concurrently, each time
  // a template reads the variable (and once per variable at deploy), so it
  // must be thread-safe and quick; the value is parsed on every call.
  std::function<std::optional<std::string>(absl::string_view name)> variable_lookup;

  // api logic (HTTP). Not owned. Null: a libcurl transport the engine
  // creates when the first request is sent.
  HttpTransport* http_transport = nullptr;
  // One request, connecting included; also the longest a request may wait
  // for a free slot (then `api_expire_query`). More than 0;
  // absl::InfiniteDuration(): no limit.
  absl::Duration api_timeout = absl::Seconds(60);
  // Larger answer bodies are refused while they arrive. At least 1.
  size_t api_max_response_bytes = size_t{5} << 20;
  bool api_follow_redirects = false;
  // Refuse URLs whose address is loopback, private, link-local or a cloud
  // metadata address (checked on the resolved address, after redirects too).
  // Off by default, for compatibility; hosts that run untrusted scheme files
  // should turn it on.
  bool api_refuse_private_addresses = false;
  // With api_refuse_private_addresses: the networks api calls may still
  // reach, each an IPv4 or IPv6 address in standard notation with an
  // optional prefix length: "10.20.0.0/16", "192.168.1.7" (/32),
  // "fd00:1::/32", "::1" (/128). No host names, no short IPv4 forms
  // ("127.1"), no bits set past the prefix ("10.0.0.1/8"). Everything else
  // private stays refused. Checked at Open either way; applied only while
  // api_refuse_private_addresses is on.
  std::vector<std::string> api_allowed_networks;
  // Requests in flight per api logic when its `max_threads` is 0 or absent,
  // and in the whole engine. Both at least 1 (with no slot, calls would
  // wait forever).
  int api_default_max_threads = 5;
  int api_max_in_flight = 200;

  // Where task events are delivered (see WebhookSubscription): by one
  // thread of the engine's, through `http_transport` (or a libcurl
  // transport of its own), never on a worker's time. A worker only queues
  // a delivery once the step that caused it is committed.
  std::vector<WebhookSubscription> webhooks;
};

enum class TaskStatus {
  kProcessing,   // moving, or parked in a node
  kProcessed,    // reached a final node (archived)
  kError,        // a logic failed with no err_node_id
  kLoopStopped,  // stopped by the loop guard; a modify resumes it
  kDeleted,
};
// "processing", "processed", "error", "loop_stopped", "deleted".
absl::string_view TaskStatusName(TaskStatus status);

struct DeployResult {
  std::vector<int64_t> conv_ids;  // in file order
  std::vector<Diagnostic> warnings;
  // Constant conv_ids the file's logics send tasks to that no deployed
  // process has (yet): a task that gets there fails at run time.
  std::vector<Diagnostic> unresolved_references;
};

// Names a task: by obj_id when it is set, else by ref within conv_id.
struct TaskKey {
  int64_t conv_id = 0;
  std::string ref;
  std::string obj_id;

  static TaskKey ByRef(int64_t conv_id, std::string ref) { return {conv_id, std::move(ref), {}}; }
  static TaskKey ByObjId(std::string obj_id) { return {0, {}, std::move(obj_id)}; }
};

// Why a task that is not moving is where it is.

struct TaskSnapshot {
  std::string obj_id;  // 24 hex digits
  std::string ref;
  int64_t conv_id = 0;
  TaskStatus status = TaskStatus::kProcessing;
  ParkReason park_reason = ParkReason::kNone;
  std::string node_id;
  std::string node_title;
  std::string node_prev_id;
  absl::Time create_time;
  absl::Time change_time;
  std::string data;  // a JSON object
};

// A task the host started with Engine::Submit, to wait on or be told about
// when it ends: it reaches a final node (status kProcessed), stops on an
// error with no err_node_id (kError) or on the loop guard (kLoopStopped), or
// is deleted (kDeleted). The result is the task as it was then. A stopped
// task that a modify resumes later has ended once for its handle.
//
// A cheap, copyable reference (copies share one state); it may outlive the
// engine. Thread-safe. When the engine closes before the task ends, the
// result is Cancelled (with a store, the task itself comes back at the next
// Open, without its handle).
class TaskHandle {
 public:
  TaskHandle() = default;  // refers to no task: Wait is FailedPrecondition

  // The task's obj_id; empty for a default-constructed handle.
  const std::string& obj_id() const;
  // True once the task has ended (or the engine closed).
  bool done() const;
  // Blocks until the task ends or `timeout` passes (DeadlineExceeded; the
  // task goes on). FailedPrecondition from a logic or an observer of the
  // same engine while the task has not ended (it could wait for itself).
  absl::StatusOr<TaskSnapshot> Wait(absl::Duration timeout = absl::InfiniteDuration()) const;
  // Calls `done` exactly once with what Wait returns: at once, on this
  // thread, when the task has already ended; else on the engine thread that
  // ends it (a worker, the thread of a DeleteTask, or of Close). Like an
  // Observer callback, it must be quick and must not block.
  void OnDone(std::function<void(const absl::StatusOr<TaskSnapshot>&)> done) const;

 private:
  friend class internal::TaskCompletion;
  explicit TaskHandle(std::shared_ptr<internal::TaskCompletion> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::TaskCompletion> state_;
};

// One thing that happened to a task (Engine::GetTaskHistory).
struct TaskHistoryEntry {
  absl::Time time;  // the engine clock's
  // "created", "node_entered", "parked", "resumed", "http_sent",
  // "http_answered", "timer_fired", "modified", "patched", "error",
  // "loop_stopped", "finished", "deleted", or "host" (AppendTaskHistory).
  std::string kind;
  // The node the task was in (for node_entered: the node it entered).
  std::string node_id;
  // parked: why ("callback", "timer", ...: ParkReasonName); resumed: what it
  // had waited for; http_sent: the method; http_answered: the status code or
  // why there is no answer; error, loop_stopped: "tag: description"; host:
  // the host's text. At most 1024 bytes.
  std::string text;
};

struct TaskHistory {
  std::string obj_id;
  std::vector<TaskHistoryEntry> entries;  // oldest first; the first is the create
  // Entries dropped to stay within EngineOptions::task_history_limit (the
  // oldest after the create).
  uint64_t dropped = 0;
};

// One task for Engine::CreateTask and CreateTasks.
struct NewTask {
  NewTask() = default;
  NewTask(std::string ref, std::string data_json, std::string idempotency_key = {})
      : ref(std::move(ref)),
        data_json(std::move(data_json)),
        idempotency_key(std::move(idempotency_key)) {}

  std::string ref;  // may be empty
  std::string data_json;
  // Optional, 1..255 bytes: makes the create idempotent (KuFlow's rule). A
  // create with a key that an earlier create used returns that create's
  // task instead of making another, when it asks for the same thing (same
  // process, ref and data); else it is AlreadyExists naming the task. A
  // key lasts as long as its task is findable (ShowTask: in memory, or
  // with a store while archived). Unlike a ref, a key is never freed by
  // the task's end, and is engine-wide.
  std::string idempotency_key;
  // A scheduled create: the task is created now (findable, in its start
  // node with ParkReason::kScheduled, counted in NodeStats::scheduled) and
  // starts at this time of the engine's clock. Now or earlier: at once.
  absl::Time start_at = absl::InfinitePast();
};

// What Engine::SearchTasks looks for: the tasks of one process that pass
// every filter given, in creation order.
struct TaskQuery {
  int64_t conv_id = 0;  // required
  // Filters; empty / nullopt: any.
  std::string node_id;  // the node it is in now
  std::optional<TaskStatus> status;
  std::optional<ParkReason> park_reason;           // kNone: moving or queued
  std::string ref_prefix;                          // its ref starts with this
  absl::Time created_from = absl::InfinitePast();  // create_time >= this
  absl::Time created_to = absl::InfiniteFuture();  // create_time < this
  // Equality on one field of the task's data: `data_path` in the
  // templates' syntax (`customer`, `order.items[0].sku`) and the value as
  // JSON text (`"ann"`, `5`, `true`), compared as minified JSON.
  std::string data_path;
  std::string data_value_json;
  // Newest first instead of oldest first.
  bool descending = false;
  // Tasks per page, 1..1000.
  size_t limit = 100;
  // Where the previous page ended (TaskPage::next_cursor); empty: the
  // first page. A cursor works only with the query that made it.
  std::string cursor;
  // Entries examined per call, at most (1..1000000): a call never does more
  // work than this, so a page of a selective query can hold fewer than
  // `limit` tasks (even none) and still have a next_cursor.
  size_t max_scanned = 10000;
};

struct TaskPage {
  std::vector<TaskSnapshot> tasks;
  // Empty when nothing is left to look at; else the next page's cursor.
  std::string next_cursor;
  size_t scanned = 0;  // entries examined by this call
};

struct SumStats {
  std::string id;
  std::string name;
  double value = 0;
};

struct NodeStats {
  std::string node_id;
  std::string title;
  bool is_final = false;
  int64_t tasks = 0;     // tasks in the node now (parked, queued or moving)
  int64_t finished = 0;  // final nodes: tasks that ended here, ever
  // Tasks here that are not moving, per reason.
  int64_t callback = 0;
  int64_t reply = 0;
  int64_t queue = 0;
  int64_t http = 0;
  int64_t timer = 0;
  int64_t no_exit = 0;
  int64_t error = 0;
  int64_t loop_stopped = 0;
  int64_t paused = 0;     // held while the process is paused
  int64_t scheduled = 0;  // waiting for their start time (NewTask::start_at)
  std::vector<SumStats> sums;
};

struct ProcessStats {
  int64_t conv_id = 0;
  std::string title;
  int64_t created = 0;           // tasks created in this version of the process since Open
  bool paused = false;           // Engine::PauseProcess, or its file said so
  std::vector<NodeStats> nodes;  // in file order
};

struct EngineStats {
  int64_t tasks_created = 0;
  int64_t tasks_finished = 0;
  int64_t tasks_errored = 0;
  int64_t tasks_loop_stopped = 0;
  int64_t tasks_recovered = 0;          // brought back from the store at Open
  int64_t node_transitions = 0;         // entries into a node other than the start
  int64_t tasks_queued = 0;             // waiting for a worker or running now
  int64_t timers_pending = 0;           // time semaphores armed for parked tasks
  int64_t timers_fired = 0;             // that moved their task
  std::vector<ProcessStats> processes;  // in deploy order
};

class Engine {
 public:
  static absl::StatusOr<std::unique_ptr<Engine>> Open(const EngineOptions& options);

  virtual ~Engine() = default;

  // Imports every process of a scheme file and makes it runnable. A process
  // whose conv_id is already deployed replaces it for new tasks; tasks
  // already running keep the version they started on. InvalidArgument with
  // every located error when the file does not load. Blocks while it
  // compiles the file (and, with a store, writes it to the catalog).
  virtual absl::StatusOr<DeployResult> Deploy(absl::string_view file_name,
                                              absl::string_view json) = 0;
  virtual absl::StatusOr<DeployResult> DeployFile(const std::string& path) = 0;

  // Starts a task at the process's start node. `ref` may be empty (none),
  // else 1..255 bytes, unique among the process's tasks not in a final node.
  // `data_json` must be a JSON object (`[]` is taken as `{}`). A key
  // repeated in one object, at any depth, with the same value is kept once
  // (the first); with different values the data is InvalidArgument naming
  // the key and its path. Returns the new task's obj_id. Does not wait for
  // the task to move; with a store in sync mode it waits for its write to be
  // synced (shared with concurrent callers).
  virtual absl::StatusOr<std::string> CreateTask(int64_t conv_id, absl::string_view ref,
                                                 absl::string_view data_json) = 0;
  // CreateTask with the options of NewTask (an idempotency key). A create
  // answered from its key returns the existing task's obj_id and changes
  // nothing.
  virtual absl::StatusOr<std::string> CreateTask(int64_t conv_id, const NewTask& task) = 0;
  // Creates many tasks in one process, each exactly as CreateTask would (one
  // refused does not stop the others), and acknowledges them together: with
  // a store, one write and one sync for the whole batch instead of one per
  // task. Returns, in order, each task's obj_id or why it was refused.
  virtual std::vector<absl::StatusOr<std::string>> CreateTasks(
      int64_t conv_id, const std::vector<NewTask>& tasks) = 0;
  // Creates a task as CreateTask does and returns a handle that completes
  // when it ends: "run this task and give me its result". Costs one small
  // allocation and a table entry until the task ends; tasks created with
  // CreateTask pay nothing for it. Does not block (with a store in sync
  // mode, it waits for its create's sync, as CreateTask).
  virtual absl::StatusOr<TaskHandle> Submit(int64_t conv_id, absl::string_view ref,
                                            absl::string_view data_json) = 0;
  // Merges the top-level keys of `data_json` into the task's data (repeated
  // keys as in CreateTask). A task parked by a logic (api_callback) or
  // stopped by the loop guard resumes. Waits while a worker runs the task (a
  // bounded number of steps); FailedPrecondition when called from a logic or
  // an observer of that very task (use TaskContext there). With a store in
  // sync mode, also waits for the sync.
  virtual absl::Status ModifyTask(const TaskKey& key, absl::string_view data_json) = 0;
  // Changes the task's data with a JSON Patch (RFC 6902): `patch_json` is
  // an array of add, remove, replace, move, copy and test operations,
  // applied in order; unlike a modify it can remove keys and reach into
  // nested values. All or nothing: an operation that fails (a path that
  // does not exist, a `test` that does not match) is InvalidArgument naming
  // it, and the data stays as it was. The result must be a JSON object
  // within max_task_size. Resumes, waits and is refused as ModifyTask.
  virtual absl::Status PatchTask(const TaskKey& key, absl::string_view patch_json) = 0;
  // Also a task that finished or was deleted: in memory (a final node that
  // saves its tasks, the default), or with a store while archived
  // (EngineOptions::archive_retention). By ref: the active task with it,
  // else the last one that had it and ended. Waits as ModifyTask does.
  virtual absl::StatusOr<TaskSnapshot> ShowTask(const TaskKey& key) = 0;
  // What happened to the task, oldest first (EngineOptions::
  // task_history_limit entries at most), also after it finished or was
  // deleted, as long as ShowTask finds it (with a store, while archived).
  // Waits as ShowTask does.
  virtual absl::StatusOr<TaskHistory> GetTaskHistory(const TaskKey& key) = 0;
  // Appends the host's own entry (kind "host"; `text` 1..1024 bytes of
  // UTF-8) to the history of a task that has not finished. With a store it
  // is written with the task (in sync mode, waits for the sync). Waits as
  // ModifyTask does; FailedPrecondition when the engine keeps no history.
  virtual absl::Status AppendTaskHistory(const TaskKey& key, absl::string_view text) = 0;
  // Deletes the task; when `node_id` is not empty, only if it is there
  // (FailedPrecondition otherwise). Waits as ModifyTask does.
  virtual absl::Status DeleteTask(const TaskKey& key, absl::string_view node_id = {}) = 0;

  // With a virtual clock: while held, time does not jump to the next timer,
  // so a host feeding a batch of tasks starts them all at the same virtual
  // time, and WaitIdle does not wait for timers. Releasing lets time jump
  // again. No effect with other clocks. Does not block.
  virtual void HoldTime(bool hold) = 0;

  // Constant conv_id references of every deployed process that name no
  // deployed process (see DeployResult::unresolved_references).
  virtual std::vector<Diagnostic> UnresolvedReferences() const = 0;

  // Blocks until no task is queued or moving and no event (a reply, a
  // modify sent by a logic) is in flight; parked tasks do not count. With a
  // virtual clock (Clock::JumpTo), also until no timer is pending: time
  // jumps to each next timer until none is left. FailedPrecondition from a
  // logic or an observer (it would wait for itself).
  virtual absl::Status WaitIdle(absl::Duration timeout = absl::InfiniteDuration()) = 0;

  // Counters read without stopping anything (each is exact, together they
  // are a moment's picture). Do not block.
  virtual EngineStats Stats() const = 0;
  virtual absl::StatusOr<ProcessStats> StatsFor(int64_t conv_id) const = 0;
  // Sets one accumulator (`id` or `name` of an api_sum item) to zero. With
  // a store in sync mode, waits for the sync.
  virtual absl::Status ResetSum(int64_t conv_id, absl::string_view node_id,
                                absl::string_view sum_id) = 0;

  // Calls `visit` for every task the engine holds (moving, parked, stopped or
  // archived), one at a time, from the calling thread. Blocks while a
  // worker runs a task it reaches; from a logic or an observer, the task
  // being run is skipped.
  virtual void ForEachTask(const std::function<void(const TaskSnapshot&)>& visit) = 0;

  // Pauses the process (every version of `conv_id`): creates, modifies and
  // deletes are still accepted, but no task of it moves: a task about to
  // run is held where it is (ParkReason::kPaused, counted in
  // NodeStats::paused), timers still come due and act on resume, and what
  // a task was doing when it was held (a logic's next step, a timer, a
  // reply) goes on then. Deploying a file whose process says
  // `status: paused` pauses it too. Not kept in a store: after a restart
  // the process runs unless its file says paused. Does not block.
  virtual absl::Status PauseProcess(int64_t conv_id) = 0;
  // Lets the held tasks go on, in the order they were held. Does not
  // block; OK when the process was not paused.
  virtual absl::Status ResumeProcess(int64_t conv_id) = 0;
  // Moves the task to node `node_id` of process `conv_id` (or of its own
  // process), as Flowize moves a record to another flow: it leaves its node
  // wherever it stood (a wait, a timer, an error or the loop guard: all
  // dropped) and runs the target node from its first logic, on the
  // process's current version. Its ref moves with it and must be free
  // there (AlreadyExists). InvalidArgument for a node the process lacks or
  // a final node; NotFound for an unknown process or task;
  // FailedPrecondition for a finished task. Waits as ModifyTask does.
  virtual absl::Status MoveTask(const TaskKey& key, int64_t conv_id, absl::string_view node_id) = 0;

  // Lists the tasks of a process in memory (moving, parked, stopped, and
  // finished ones its final nodes keep; not those only in a store's
  // archive) that match `query`, a page at a time, in creation order. Each
  // call examines at most query.max_scanned entries of the process's task
  // log, wherever the cursor is: a deep page costs what the first does.
  // InvalidArgument for a bad query or a cursor of another query; NotFound
  // for a process never deployed. Blocks as ForEachTask does, per task.
  virtual absl::StatusOr<TaskPage> SearchTasks(const TaskQuery& query) = 0;

  // Shuts the engine down, within `timeout`:
  //  1. intake stops: creates, modifies, deletes and deploys are refused
  //     (FailedPrecondition), from now on;
  //  2. the tasks that are queued or moving run on until they park, stop or
  //     finish, and answers to HTTP requests in flight are awaited, until
  //     `timeout`; virtual time is held (no timer jumps);
  //  3. the workers stop; requests still in flight are abandoned (their
  //     answers are dropped), handles not yet done complete as Cancelled,
  //     and the store is closed.
  // The default, zero, stops at once, as destroying the engine does: what
  // is queued stays queued. OK when nothing was left moving;
  // DeadlineExceeded saying how many tasks were still queued or moving and
  // how many requests in flight when time ran out (they stay at their
  // nodes: with a store, the next Open resumes them, re-sending those
  // requests). Either way the engine is closed, and the logger is told what
  // was left, parked tasks included. Blocks; FailedPrecondition from a logic
  // or an observer. A second call returns OK at once.
  virtual absl::Status Close(absl::Duration timeout = absl::ZeroDuration()) = 0;
};

}  // namespace convey

#endif  // CONVEY_ENGINE_H_
