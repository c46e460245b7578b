// The engine: process table, task store, run queue and workers.
//
// Hot path: a worker pops a task, runs its node's logics and follows the
// route to the next node on the same worker until the task parks, stops or
// finishes. It touches only the task (owned through Task::state), the nodes'
// atomic counters and its own scratch state; no mutex. Mutexes guard what the
// API changes: the process table and the obj_id / ref indexes.
#include "convey/engine.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "concurrentqueue/blockingconcurrentqueue.h"
#include "runtime/engine/process.h"
#include "runtime/engine/task.h"
#include "runtime/engine/variables.h"
#include "runtime/import/importer.h"
#include "runtime/import/scheme_file.h"
#include "runtime/json/path.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/task/write_set.h"
#include "runtime/template/expr.h"
#include "runtime/template/template.h"
#include "runtime/timer/timer_wheel.h"
#include "simdjson.h"

namespace convey {

namespace internal {
namespace {

constexpr size_t kShards = 32;
constexpr int64_t kMicrosPerSecond = 1000000;

// The node counter that holds tasks parked for `reason`, if any.
std::atomic<int64_t>* ReasonCounter(const CompiledNode& node, ParkReason reason) {
  NodeCounters& c = *node.counters;
  switch (reason) {
    case ParkReason::kCallback:
      return &c.callback;
    case ParkReason::kReply:
      return &c.reply;
    case ParkReason::kQueue:
      return &c.queue;
    case ParkReason::kHttp:
      return &c.http;
    case ParkReason::kTimer:
      return &c.timer;
    case ParkReason::kNoExit:
      return &c.no_exit;
    case ParkReason::kError:
    case ParkReason::kUnroutable:
      return &c.error;
    case ParkReason::kLoopStopped:
      return &c.loop_stopped;
    default:
      return nullptr;
  }
}

// Parses `json` as task data: a JSON object (`[]` is taken as `{}`), stored
// compact. InvalidArgument says why not. A key repeated with the same value,
// at any depth, is collapsed to its first occurrence before anything reads
// the data: `*collapsed` is then the compact text and `*doc` its document
// (semantics A1); with a different value the data is refused.
absl::Status ParseTaskData(simdjson::dom::parser& parser, absl::string_view json, size_t max_size,
                           simdjson::dom::element* doc, std::string* collapsed) {
  collapsed->clear();
  if (json.size() > max_size * 4 + 1024) {
    // Far too large even before minifying: do not parse it at all.
    return absl::InvalidArgumentError(absl::StrCat(
        "task data is ", json.size(), " bytes; the limit is ", max_size, " bytes (max_task_size)"));
  }
  simdjson::error_code error = parser.parse(json.data(), json.size()).get(*doc);
  if (error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("task data is not valid JSON: ", simdjson::error_message(error)));
  }
  if (doc->type() == simdjson::dom::element_type::ARRAY) {
    simdjson::dom::array array = doc->get_array().value_unsafe();
    if (array.size() == 0) {
      return parser.parse("{}", 2).get(*doc) == simdjson::SUCCESS
                 ? absl::OkStatus()
                 : absl::InternalError("cannot parse {}");
    }
  }
  if (doc->type() != simdjson::dom::element_type::OBJECT) {
    return absl::InvalidArgumentError("task data must be a JSON object");
  }
  if (!HasRepeatedKeys(*doc)) return absl::OkStatus();
  if (absl::Status status = CollapseRepeatedKeys(json, "task data", collapsed); !status.ok()) {
    return status;
  }
  return parser.parse(collapsed->data(), collapsed->size()).get(*doc) == simdjson::SUCCESS
             ? absl::OkStatus()
             : absl::InternalError("cannot parse task data once its repeated keys collapsed");
}

absl::Status CheckSize(size_t size, size_t max_size) {
  if (size <= max_size) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("task data is ", size, " bytes; the limit is ",
                                                 max_size, " bytes (max_task_size)"));
}

class EngineImpl;

// Idle workers spin this many times before they sleep. Low, because on a
// busy machine a spinning worker takes the core from the threads that create
// tasks; waking a sleeping worker costs one futex call.
struct RunQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const int MAX_SEMA_SPINS = 1000;
};

// Scratch state of one worker thread.
struct Worker {
  int index = 0;
  simdjson::dom::parser parser;
  // For other tasks' data ({{conv[ID].ref[REF]}}): `parser` holds the
  // running task's document.
  simdjson::dom::parser side_parser;
  int64_t now_micros = 0;  // the current activation's time
  // Loop guard: entries per node index during the current activation,
  // stamped with the activation's generation so nothing needs clearing.
  std::vector<std::pair<uint32_t, uint32_t>> visits;
  uint32_t generation = 0;
  std::mt19937_64 random{std::random_device{}()};
  std::string scratch;
  alignas(64) std::atomic<int64_t> transitions{0};
};

// What a logic sees of its task; also what its templates read.
class StepContext : public TaskContext, public TemplateEnv {
 public:
  StepContext(EngineImpl* engine, Worker* worker, Task* task, int64_t now_micros)
      : engine_(engine), worker_(worker), task_(task), now_micros_(now_micros) {}

  // TaskContext
  int64_t conv_id() const override { return task_->process->conv_id; }
  absl::string_view obj_id() const override { return task_->obj_id_view(); }
  absl::string_view ref() const override { return task_->ref; }
  absl::string_view node_id() const override { return task_->current_node().id; }
  absl::Time now() const override;
  int64_t now_micros() const { return now_micros_; }
  absl::string_view data_json() override { return task_->data; }
  simdjson::dom::element data() override {
    if (!doc_valid_) {
      // Task data is always a valid object (checked on the way in).
      if (worker_->parser.parse(task_->data.data(), task_->data.size()).get(doc_) !=
              simdjson::SUCCESS &&
          worker_->parser.parse("{}", 2).get(doc_) != simdjson::SUCCESS) {
        std::abort();  // cannot happen: both texts are valid JSON objects
      }
      doc_valid_ = true;
    }
    return doc_;
  }
  Value Evaluate(const Template& compiled) override { return compiled.Evaluate(*this); }
  absl::Status Set(absl::string_view path, Value value) override {
    absl::StatusOr<Path> parsed = ParsePath(path);
    if (!parsed.ok()) return parsed.status();
    writes_.push_back(Write{*std::move(parsed), std::move(value)});
    return absl::OkStatus();
  }
  void AddToSum(SumHandle sum, double amount) override {
    task_->current_node().sums[sum.index]->Add(amount, worker_->index);
  }
  absl::Status ReplaceData(std::string data_json) override {
    simdjson::dom::element parsed;
    if (worker_->parser.parse(data_json).get(parsed) != simdjson::SUCCESS || !parsed.is_object()) {
      return absl::InvalidArgumentError(
          "the new data is not a JSON object (or nests deeper than 1024 levels)");
    }
    // The document stays the task's: a DOM keeps no pointer into its text,
    // so it is valid once the replacement becomes the task's data.
    doc_ = parsed;
    doc_valid_ = true;
    replacement_ = std::move(data_json);
    has_replacement_ = true;
    return absl::OkStatus();
  }
  // ReplaceData was called: the new data, taken once.
  bool TakeReplacement(std::string* data_json) {
    if (!has_replacement_) return false;
    has_replacement_ = false;
    *data_json = std::move(replacement_);
    return true;
  }
  absl::StatusOr<std::string> StartTask(int64_t conv_id, absl::string_view ref,
                                        absl::string_view data_json) override;
  absl::Status ModifyTask(int64_t conv_id, absl::string_view ref, absl::string_view data_json,
                          bool only_if_waiting) override;
  absl::StatusOr<std::string> CallProcess(int64_t conv_id, absl::string_view data_json) override;
  bool Reply(absl::string_view data_json, bool exception, absl::string_view reason) override;
  void EnterQueue(std::string extra_json) override {
    entered_queue_ = true;
    queue_extra_ = std::move(extra_json);
  }
  absl::StatusOr<QueuedTask> TakeQueued(int64_t conv_id, absl::string_view node_id,
                                        bool newest) override;
  void SendHttp(HttpRequest request, int max_in_flight) override {
    http_request_ = std::make_unique<HttpRequest>(std::move(request));
    http_max_in_flight_ = max_in_flight;
  }
  const absl::StatusOr<HttpResponse>* HttpResult() override { return task_->http_result.get(); }

  // TemplateEnv
  Value Root(absl::string_view field) override;
  Value NodeField(absl::string_view conv_id, absl::string_view node_id,
                  absl::string_view field) override;
  Value StateTask(absl::string_view conv_id, absl::string_view ref, const Path& path) override;
  Value EnvVar(absl::string_view name, const Path& path) override;
  absl::Time Now() override { return now(); }
  uint64_t Random() override { return worker_->random(); }

  WriteSet& writes() { return writes_; }
  // The task's data changed: the document must be parsed again.
  void Invalidate() { doc_valid_ = false; }
  // SendHttp was called: the request, taken once.
  std::unique_ptr<HttpRequest> TakeHttpRequest(int* max_in_flight) {
    *max_in_flight = http_max_in_flight_;
    return std::move(http_request_);
  }
  // EnterQueue was called: the extra data, taken once.
  bool TakeQueueEntry(std::string* extra) {
    if (!entered_queue_) return false;
    entered_queue_ = false;
    *extra = std::move(queue_extra_);
    return true;
  }

 private:
  EngineImpl* engine_;
  Worker* worker_;
  Task* task_;
  int64_t now_micros_;
  bool doc_valid_ = false;
  simdjson::dom::element doc_;
  WriteSet writes_;
  bool entered_queue_ = false;
  std::string queue_extra_;
  bool has_replacement_ = false;
  std::string replacement_;
  std::unique_ptr<HttpRequest> http_request_;
  int http_max_in_flight_ = 0;
};

// An event a logic sent to another task, applied by the events thread so
// that no worker waits for a task another worker runs.
struct PostedOp {
  enum class Kind { kModify, kReply, kHttp };
  Kind kind = Kind::kModify;
  std::shared_ptr<Task> target;  // kModify
  std::string caller_obj_id;     // kReply
  // kModify: the api_callback entry an is_sync modify claimed (0: none);
  // kReply: the entry the caller waits in.
  uint64_t entry_seq = 0;
  std::string data;
  bool exception = false;
  std::string reason;
  std::unique_ptr<absl::StatusOr<HttpResponse>> http_result;  // kHttp
};

// One api request and the task entry waiting for it.
struct HttpSlots;
struct HttpCall {
  HttpRequest request;
  HttpSlots* slots = nullptr;
  std::string obj_id;
  uint64_t entry_seq = 0;
  absl::Time enqueued;
};

// The requests of one api logic: at most `max` in flight, the rest waiting
// in order.
struct HttpSlots {
  int max = 0;
  int in_flight = 0;
  std::deque<HttpCall> waiting;
};

// A timer taken out of the wheel: which task, for which node entry.
struct FiredTimer {
  std::array<char, 24> obj_id;
  uint64_t entry_seq = 0;
};

// std::mutex rather than absl::Mutex: the engine's locks must be visible to
// ThreadSanitizer, and Debian's prebuilt Abseil carries no TSan annotations.
struct ObjShard {
  std::mutex mu;
  absl::flat_hash_map<absl::string_view, std::shared_ptr<Task>> tasks;  // guarded by mu
};

struct RefShard {
  std::mutex mu;
  // Guarded by mu.
  absl::flat_hash_map<std::pair<int64_t, absl::string_view>, std::shared_ptr<Task>> tasks;
};

class EngineImpl : public Engine {
 public:
  EngineImpl(const EngineOptions& options, std::unique_ptr<ProjectVariables> variables);
  ~EngineImpl() override;

  absl::StatusOr<DeployResult> Deploy(absl::string_view file_name, absl::string_view json) override;
  absl::StatusOr<DeployResult> DeployFile(const std::string& path) override;
  absl::StatusOr<std::string> CreateTask(int64_t conv_id, absl::string_view ref,
                                         absl::string_view data_json) override;
  absl::Status ModifyTask(const TaskKey& key, absl::string_view data_json) override;
  absl::StatusOr<TaskSnapshot> ShowTask(const TaskKey& key) override;
  absl::Status DeleteTask(const TaskKey& key, absl::string_view node_id) override;
  std::vector<Diagnostic> UnresolvedReferences() const override;
  void HoldTime(bool hold) override;
  absl::Status WaitIdle(absl::Duration timeout) override;
  EngineStats Stats() const override;
  absl::StatusOr<ProcessStats> StatsFor(int64_t conv_id) const override;
  absl::Status ResetSum(int64_t conv_id, absl::string_view node_id,
                        absl::string_view sum_id) override;
  void ForEachTask(const std::function<void(const TaskSnapshot&)>& visit) override;
  void Close() override;

  void Start();

  // For StepContext.
  const CompiledProcess* CurrentProcess(int64_t conv_id) const;
  Clock* clock() const { return clock_; }
  // Starts a task at `node` of `process`; `caller`: the api_rpc caller.
  // `copy_depth`: for api_copy, the copying task's depth + 1.
  absl::StatusOr<std::string> CreateTaskAt(const CompiledProcess* process, uint32_t node,
                                           absl::string_view ref, absl::string_view data_json,
                                           const Task* caller, uint32_t copy_depth = 0);
  absl::Status ModifyFromLogic(int64_t conv_id, absl::string_view ref, absl::string_view data_json,
                               bool only_if_waiting);
  void PostReply(const Task& callee, absl::string_view data_json, bool exception,
                 absl::string_view reason);
  absl::StatusOr<QueuedTask> TakeQueued(int64_t conv_id, absl::string_view node_id, bool newest);
  Value ReadStateTask(absl::string_view conv_id, absl::string_view ref, const Path& path,
                      simdjson::dom::parser& parser);
  const ProjectVariables& variables() const { return *variables_; }

 private:
  void WorkerLoop(Worker* worker);
  void RunActivation(Worker& worker, Task* task);
  // Runs the task's current node and the ones it moves to until it parks,
  // stops or finishes.
  void RunNodes(Worker& worker, StepContext& context, Task* task, std::shared_ptr<Task>* dropped);
  // Handles what released the task (Task::resume). False when it stopped.
  bool ApplyResume(Worker& worker, StepContext& context, Task* task);
  // The task stays in its node for `reason`: counters, callback wait, timer,
  // state-diagram snapshot.
  void ParkInNode(StepContext& context, Task* task, ParkReason reason);
  // Arms the node's time semaphore for this entry. False when the node has
  // none or its absolute time is not a number.
  bool ArmTimer(StepContext& context, Task* task);
  void CancelTimer(Task* task);
  // Count semaphore edges after the node's live count changed.
  void CheckCountEntered(const CompiledProcess& process, const CompiledNode& node);
  void CheckCountLeft(const CompiledProcess& process, const CompiledNode& node);
  // Clears the task's park state (held by the caller) so it can run again.
  void Unpark(Task* task);
  // Merges `patch` into the task's data. InvalidArgument when too large.
  absl::Status MergeData(Task* task, simdjson::dom::element patch, simdjson::dom::parser& parser);

  // The events thread: posted ops and timers, and virtual time.
  void EventLoop();
  void Post(PostedOp op);
  void ApplyOp(PostedOp& op, simdjson::dom::parser& patch_parser,
               simdjson::dom::parser& data_parser);
  void FireDueTimers();
  void FireTimer(const FiredTimer& fired);
  // The next timer's deadline (INT64_MAX: none); records it as the time the
  // events thread sleeps until.
  int64_t NextTimerLocked();
  void NotifyIdleWaiters();

  // api requests: per-logic and engine-wide limits, then the transport.
  void DispatchHttp(const Logic* logic, std::unique_ptr<HttpRequest> request, int max_in_flight,
                    const Task& task);
  // Frees one slot of `slots` and of the engine; collects the calls that may
  // start now. Under http_mu_.
  void ReleaseHttpSlotLocked(HttpSlots* slots, std::vector<HttpCall>* to_start);
  // A call that has its logic's slot: starts it if the engine has one free.
  void AdmitHttpLocked(HttpCall call, std::vector<HttpCall>* to_start);
  void StartHttpCalls(std::vector<HttpCall> calls);
  void OnHttpDone(HttpSlots* slots, std::string obj_id, uint64_t entry_seq,
                  absl::StatusOr<HttpResponse> result);
  // A call is over (answered or failed before it was sent): frees its slots,
  // collecting the calls that may start now, and hands `result` to its task.
  void FinishHttpCall(HttpSlots* slots, std::string obj_id, uint64_t entry_seq,
                      absl::StatusOr<HttpResponse> result, std::vector<HttpCall>* to_start);
  // The transport: the host's, or libcurl's made on first use.
  HttpTransport* Transport(absl::Status* error);
  // Applies the context's writes to the task. False (writes dropped) when the
  // result would exceed max_task_size.
  bool CommitWrites(Worker& worker, StepContext& context, Task* task);
  // A logic's effect made the task larger than max_task_size.
  LogicResult SizeOverflow(const Logic& logic) const;
  void WriteErrorParams(Worker& worker, StepContext& context, Task* task, absl::string_view family,
                        const LogicResult& result);
  // Moves the task into `target`. False when the loop guard stopped it.
  bool Enter(Worker& worker, Task* task, uint32_t target);
  void Park(Task* task, ParkReason reason);
  void Finish(Worker& worker, Task* task, std::shared_ptr<Task>* dropped);
  void Stop(Task* task, TaskStatus status, ParkReason reason, absl::string_view tag,
            absl::string_view description);
  void Enqueue(Task* task);
  void ActivationDone();

  std::shared_ptr<Task> Find(const TaskKey& key);
  void Acquire(Task* task);
  void Release(Task* task, bool schedule);
  TaskSnapshot Snapshot(const Task& task) const;
  TaskEvent EventOf(const Task& task) const;
  ProcessStats StatsOf(const CompiledProcess& process) const;
  absl::Status CheckOpen() const {
    if (closed_.load(std::memory_order_acquire)) {
      return absl::FailedPreconditionError("the engine is closed");
    }
    return absl::OkStatus();
  }
  std::array<char, 24> NewObjId();

  ObjShard& ObjShardFor(absl::string_view obj_id) {
    return obj_shards_[absl::Hash<absl::string_view>{}(obj_id) % kShards];
  }
  RefShard& RefShardFor(int64_t conv_id, absl::string_view ref) {
    return ref_shards_[absl::Hash<std::pair<int64_t, absl::string_view>>{}(
                           std::make_pair(conv_id, ref)) %
                       kShards];
  }
  void EraseRef(Task* task);

  const EngineOptions options_;
  Clock* const clock_;
  Observer* const observer_;
  const LogicRegistry* const registry_;
  const int worker_count_;
  const std::unique_ptr<ProjectVariables> variables_;

  mutable std::shared_mutex processes_mu_;
  // Every version ever deployed: tasks keep pointing at the one they started on.
  std::vector<std::unique_ptr<CompiledProcess>> versions_;        // guarded by processes_mu_
  absl::flat_hash_map<int64_t, const CompiledProcess*> current_;  // guarded by processes_mu_
  std::vector<int64_t> deploy_order_;                             // guarded by processes_mu_

  ObjShard obj_shards_[kShards];
  RefShard ref_shards_[kShards];

  moodycamel::BlockingConcurrentQueue<Task*, RunQueueTraits> queue_;
  // Queue entries plus running activations: what WaitIdle waits for.
  std::atomic<int64_t> pending_{0};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> closed_{false};
  std::mutex close_mu_;

  std::atomic<int64_t> created_{0};
  std::atomic<int64_t> finished_{0};
  std::atomic<int64_t> errored_{0};
  std::atomic<int64_t> loop_stopped_{0};

  std::atomic<uint64_t> next_id_;
  uint32_t id_salt_;

  // Whether the clock is the system clock, and whether it is virtual (it
  // jumps to the next timer when nothing can move).
  const bool real_clock_;
  bool jumps_ = false;
  std::atomic<bool> time_held_{false};
  std::mutex timers_mu_;
  std::unique_ptr<TimerWheel> wheel_;  // guarded by timers_mu_
  int64_t wake_at_ = INT64_MAX;        // guarded by timers_mu_
  std::atomic<int64_t> timers_armed_{0};
  std::atomic<int64_t> timers_fired_{0};
  std::mutex events_mu_;
  std::condition_variable events_cv_;
  std::deque<PostedOp> ops_;    // guarded by events_mu_
  bool events_closed_ = false;  // guarded by events_mu_
  std::thread events_thread_;

  std::mutex http_mu_;
  absl::flat_hash_map<const Logic*, std::unique_ptr<HttpSlots>> http_slots_;  // guarded by http_mu_
  std::deque<HttpCall> http_ready_;  // guarded by http_mu_: admitted, waiting for the engine cap
  int http_in_flight_ = 0;           // guarded by http_mu_
  std::atomic<int64_t> http_outstanding_{0};  // sent to the transport, not answered
  std::mutex transport_mu_;
  std::unique_ptr<HttpTransport> own_transport_;  // guarded by transport_mu_
  absl::Status transport_error_;                  // guarded by transport_mu_
};

absl::Time StepContext::now() const { return engine_->clock()->Now(); }

absl::Status NotDeployed(int64_t conv_id);

absl::StatusOr<std::string> StepContext::StartTask(int64_t conv_id, absl::string_view ref,
                                                   absl::string_view data_json) {
  const CompiledProcess* process = engine_->CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  return engine_->CreateTaskAt(process, process->start, ref, data_json, nullptr,
                               task_->copy_depth + 1);
}

absl::Status StepContext::ModifyTask(int64_t conv_id, absl::string_view ref,
                                     absl::string_view data_json, bool only_if_waiting) {
  return engine_->ModifyFromLogic(conv_id, ref, data_json, only_if_waiting);
}

absl::StatusOr<std::string> StepContext::CallProcess(int64_t conv_id, absl::string_view data_json) {
  const CompiledProcess* process = engine_->CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  return engine_->CreateTaskAt(process, process->start, "", data_json, task_);
}

bool StepContext::Reply(absl::string_view data_json, bool exception, absl::string_view reason) {
  if (task_->caller == nullptr) return false;
  engine_->PostReply(*task_, data_json, exception, reason);
  return true;
}

absl::StatusOr<QueuedTask> StepContext::TakeQueued(int64_t conv_id, absl::string_view node_id,
                                                   bool newest) {
  return engine_->TakeQueued(conv_id, node_id, newest);
}

Value StepContext::StateTask(absl::string_view conv_id, absl::string_view ref, const Path& path) {
  return engine_->ReadStateTask(conv_id, ref, path, worker_->side_parser);
}

Value StepContext::EnvVar(absl::string_view name, const Path& path) {
  return engine_->variables().Read(name, path, worker_->side_parser);
}

Value StepContext::Root(absl::string_view field) {
  const Task& task = *task_;
  if (field == "task_id" || field == "obj_id")
    return Value::String(std::string(task.obj_id_view()));
  if (field == "ref") return task.ref.empty() ? Value::Missing() : Value::String(task.ref);
  if (field == "conv_id") return Value::Number(static_cast<double>(task.process->conv_id));
  if (field == "node_id") return Value::String(task.current_node().id);
  if (field == "prev_node_id" || field == "node_prev_id") {
    if (task.prev_node == NodeHandle::kNone) return Value::Missing();
    return Value::String(task.process->nodes[task.prev_node].id);
  }
  if (field == "create_time") {
    return Value::Number(static_cast<double>(task.create_micros / kMicrosPerSecond));
  }
  if (field == "change_time") {
    return Value::Number(static_cast<double>(now_micros_ / kMicrosPerSecond));
  }
  return Value::Missing();
}

Value StepContext::NodeField(absl::string_view conv_id, absl::string_view node_id,
                             absl::string_view field) {
  const CompiledProcess* process = task_->process;
  if (!conv_id.empty()) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(conv_id, &id)) return Value::Missing();
    process = engine_->CurrentProcess(id);
    if (process == nullptr) return Value::Missing();
  }
  const CompiledNode* node = process->FindNode(node_id);
  if (node == nullptr) return Value::Missing();
  if (field == "count") {
    return Value::Number(static_cast<double>(node->is_final ? node->counters->finished.Read()
                                                            : node->counters->tasks.Read()));
  }
  const SumAccumulator* sum = node->FindSum(field);
  if (sum == nullptr) return Value::Missing();
  return Value::Number(sum->Read());
}

EngineImpl::EngineImpl(const EngineOptions& options, std::unique_ptr<ProjectVariables> variables)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : Clock::Real()),
      observer_(options.observer),
      registry_(options.registry != nullptr ? options.registry : &LogicRegistry::Global()),
      worker_count_(options.worker_threads > 0 ? options.worker_threads
                                               : std::max(1u, std::thread::hardware_concurrency())),
      variables_(std::move(variables)),
      real_clock_(clock_ == Clock::Real()) {
  // A virtual clock says so by accepting a jump to where it already is.
  jumps_ = clock_->JumpTo(clock_->Now());
  wheel_ = std::make_unique<TimerWheel>(absl::ToUnixMicros(clock_->Now()));
  std::random_device random;
  id_salt_ = random() & 0xffffffu;
  next_id_.store((static_cast<uint64_t>(random()) << 20) & 0xffffffffffull);
}

void EngineImpl::Start() {
  for (int i = 0; i < worker_count_; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->index = i;
    workers_.push_back(std::move(worker));
  }
  for (int i = 0; i < worker_count_; ++i) {
    threads_.emplace_back([this, i] { WorkerLoop(workers_[i].get()); });
  }
  events_thread_ = std::thread([this] { EventLoop(); });
}

EngineImpl::~EngineImpl() { Close(); }

void EngineImpl::Close() {
  std::lock_guard<std::mutex> lock(close_mu_);
  if (closed_.exchange(true)) return;
  // One null entry per worker wakes it up to exit.
  for (size_t i = 0; i < threads_.size(); ++i) queue_.enqueue(nullptr);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // No request may call back into a destroyed engine: the built-in
  // transport completes what it holds when destroyed; a host's transport is
  // waited for (each request ends within its timeout).
  {
    std::unique_ptr<HttpTransport> transport;
    {
      std::lock_guard<std::mutex> lock(transport_mu_);
      transport = std::move(own_transport_);
      transport_error_ = absl::UnavailableError("the engine is closed");
    }
  }
  while (http_outstanding_.load(std::memory_order_acquire) > 0) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    events_closed_ = true;
    events_cv_.notify_one();
  }
  if (events_thread_.joinable()) events_thread_.join();
}

void EngineImpl::WorkerLoop(Worker* worker) {
  moodycamel::ConsumerToken token(queue_);
  Task* task = nullptr;
  for (;;) {
    queue_.wait_dequeue(token, task);
    // Closed: stop at once; queued tasks keep their state and stay visible.
    if (task == nullptr || closed_.load(std::memory_order_acquire)) return;
    // Take ownership, unless an API call holds the task: then leave the
    // re-queueing to it.
    uint32_t state = task->state.load(std::memory_order_acquire);
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
    RunActivation(*worker, task);
    ActivationDone();
  }
}

void EngineImpl::ActivationDone() {
  if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) NotifyIdleWaiters();
}

void EngineImpl::NotifyIdleWaiters() {
  {
    std::lock_guard<std::mutex> lock(idle_mu_);
    idle_cv_.notify_all();
  }
  if (jumps_) {
    // Nothing moves: the events thread may jump to the next timer.
    std::lock_guard<std::mutex> lock(events_mu_);
    events_cv_.notify_one();
  }
}

void EngineImpl::Enqueue(Task* task) { queue_.enqueue(task); }

void EngineImpl::RunActivation(Worker& worker, Task* task) {
  std::shared_ptr<Task> dropped;  // keeps a dropped task alive until we let go
  if (task->status != TaskStatus::kProcessing || task->park != ParkReason::kNone) {
    // Deleted (or otherwise stopped) while it waited in the queue.
    task->state.store(kIdle, std::memory_order_release);
    return;
  }
  if (++worker.generation == 0) {
    std::fill(worker.visits.begin(), worker.visits.end(), std::make_pair(0u, 0u));
    worker.generation = 1;
  }
  const int64_t now_micros = absl::ToUnixMicros(clock_->Now());
  worker.now_micros = now_micros;
  task->change_micros = now_micros;
  StepContext context(this, &worker, task, now_micros);
  if (ApplyResume(worker, context, task)) RunNodes(worker, context, task, &dropped);
  // A task that entered a queue becomes visible there only once it is idle,
  // so that a puller never finds it still running.
  std::string queue_extra;
  const bool queued = context.TakeQueueEntry(&queue_extra) && task->park == ParkReason::kQueue;
  NodeQueue* queue = queued ? task->current_node().queue.get() : nullptr;
  NodeQueue::Entry entry;
  if (queue != nullptr)
    entry = {std::string(task->obj_id_view()), task->entry_seq, std::move(queue_extra)};
  task->state.store(kIdle, std::memory_order_release);
  if (queue != nullptr) {
    std::lock_guard<std::mutex> lock(queue->mu);
    queue->entries.push_back(std::move(entry));
  }
}

bool EngineImpl::ApplyResume(Worker& worker, StepContext& context, Task* task) {
  const Resume resume = task->resume;
  task->resume = Resume::kContinue;
  if (resume == Resume::kTimer) {
    return Enter(worker, task, task->current_node().time->target);
  }
  if (resume != Resume::kFail || task->failure == nullptr || task->next_logic == 0) return true;
  // The logic the task waited in (api_rpc) fails now: the callee threw.
  std::unique_ptr<ResumeFailure> failure = std::move(task->failure);
  const Logic& logic = *task->current_node().logics[task->next_logic - 1];
  LogicResult result =
      LogicResult::Fail(logic.error_node(), false, failure->tag, failure->description);
  WriteErrorParams(worker, context, task, failure->family, result);
  if (!result.node.valid()) {
    Stop(task, TaskStatus::kError, ParkReason::kError, result.tag, result.description);
    return false;
  }
  return Enter(worker, task, result.node.index);
}

LogicResult EngineImpl::SizeOverflow(const Logic& logic) const {
  return LogicResult::Fail(
      logic.error_node(), false, absl::StrCat(logic.error_family(), "_task_size_overflow_limit"),
      absl::StrCat("Task size exceeds the limit of ", options_.max_task_size, " bytes"));
}

void EngineImpl::RunNodes(Worker& worker, StepContext& context, Task* task,
                          std::shared_ptr<Task>* dropped) {
  for (;;) {
    const CompiledNode& node = task->current_node();
    if (node.is_final) {
      Finish(worker, task, dropped);
      return;
    }
    bool moved = false;
    while (task->next_logic < node.logics.size()) {
      const Logic& logic = *node.logics[task->next_logic];
      LogicResult result = logic.Run(context);
      task->http_result.reset();  // an api answer is read by one run only
      std::string replacement;
      if (context.TakeReplacement(&replacement)) {
        if (result.kind != LogicResult::Kind::kFail &&
            replacement.size() > options_.max_task_size) {
          result = SizeOverflow(logic);
        }
        if (result.kind != LogicResult::Kind::kFail) {
          task->data.swap(replacement);  // the context's document is already of it
        } else {
          context.Invalidate();  // the document was of the replacement
        }
      }
      if (result.kind != LogicResult::Kind::kFail && !context.writes().empty() &&
          !CommitWrites(worker, context, task)) {
        result = SizeOverflow(logic);
      }
      context.writes().clear();
      if (result.kind == LogicResult::Kind::kNext) {
        ++task->next_logic;
        continue;
      }
      if (result.kind == LogicResult::Kind::kPark) {
        int max_in_flight = 0;
        std::unique_ptr<HttpRequest> request = context.TakeHttpRequest(&max_in_flight);
        if (result.park == ParkReason::kHttp) {
          if (request == nullptr) {
            result = LogicResult::Fail(logic.error_node(), true,
                                       absl::StrCat(logic.error_family(), "_fatal_error"),
                                       "the logic waited for an HTTP answer without a request");
          } else {
            // The same logic runs again with the answer.
            ParkInNode(context, task, result.park);
            DispatchHttp(&logic, std::move(request), max_in_flight, *task);
            return;
          }
        } else {
          ++task->next_logic;
          ParkInNode(context, task, result.park);
          return;
        }
      }
      if (result.kind == LogicResult::Kind::kFail) {
        WriteErrorParams(worker, context, task,
                         result.family.empty() ? logic.error_family() : result.family, result);
        if (!result.node.valid()) {
          Stop(task, TaskStatus::kError, ParkReason::kError, result.tag, result.description);
          return;
        }
      } else if (!result.node.valid()) {  // kGoTo along an empty link
        Stop(task, TaskStatus::kError, ParkReason::kUnroutable, "node_link_empty",
             absl::StrCat("logics[", task->next_logic, "] (", logic.error_family(), ") of node \"",
                          node.id, "\" has no target node in the scheme file"));
        return;
      }
      moved = true;
      if (!Enter(worker, task, result.node.index)) return;
      break;
    }
    if (!moved) {
      // The logics ended without routing: the task waits here (a delay
      // node), for its timer if the node has one.
      ParkInNode(context, task, node.time != nullptr ? ParkReason::kTimer : ParkReason::kNoExit);
      return;
    }
  }
}

void EngineImpl::ParkInNode(StepContext& context, Task* task, ParkReason reason) {
  const bool timed = ArmTimer(context, task);
  if (reason == ParkReason::kTimer && !timed) reason = ParkReason::kNoExit;
  Park(task, reason);
  task->copy_depth = 0;  // waiting breaks a chain of copies
  if (reason == ParkReason::kCallback) {
    task->callback_wait.store(task->entry_seq << 1, std::memory_order_release);
  }
  if (task->process->is_state_diagram()) {
    std::atomic_store(&task->state_data, std::make_shared<const std::string>(task->data));
  }
}

bool EngineImpl::ArmTimer(StepContext& context, Task* task) {
  const TimeSemaphore* time = task->current_node().time.get();
  if (time == nullptr) return false;
  if (task->timer_seq == task->entry_seq) return true;  // armed at entry already
  const int64_t now = context.now_micros();
  int64_t deadline;
  if (time->absolute == nullptr) {
    deadline = task->entry_micros + time->relative_micros;
  } else {
    // An absolute unix time (seconds). Not a number: no timer (the task
    // stays, as with a node without one).
    Value value = context.Evaluate(*time->absolute);
    double seconds = 0;
    if (!NumberOf(value, &seconds) || !std::isfinite(seconds)) return false;
    const double micros = seconds * 1e6;
    const double latest = static_cast<double>(now) + static_cast<double>(kMaxTimerMicros);
    deadline = micros >= latest ? now + kMaxTimerMicros : static_cast<int64_t>(micros);
  }
  bool wake;
  {
    std::lock_guard<std::mutex> lock(timers_mu_);
    wheel_->Arm(&task->timer, deadline);
    task->timer_seq = task->entry_seq;
    timers_armed_.store(static_cast<int64_t>(wheel_->size()), std::memory_order_release);
    wake = deadline < wake_at_;
  }
  if (wake) {
    std::lock_guard<std::mutex> lock(events_mu_);
    events_cv_.notify_one();
  }
  return true;
}

void EngineImpl::CancelTimer(Task* task) {
  if (task->timer_seq == 0) return;
  std::lock_guard<std::mutex> lock(timers_mu_);
  wheel_->Cancel(&task->timer);  // a no-op when the events thread took it
  task->timer_seq = 0;
  timers_armed_.store(static_cast<int64_t>(wheel_->size()), std::memory_order_release);
}

void EngineImpl::CheckCountEntered(const CompiledProcess& process, const CompiledNode& node) {
  NodeCounters& counters = *node.counters;
  if (counters.tasks.Read() < node.count.threshold ||
      counters.count_alerted.load(std::memory_order_relaxed) ||
      counters.count_alerted.exchange(true)) {
    return;
  }
  // A new signal task; the tasks in the node stay where they are. A full
  // run queue loses the signal rather than block a worker.
  CreateTaskAt(&process, node.count.target, "", R"({"start":"true"})", nullptr).IgnoreError();
}

void EngineImpl::CheckCountLeft(const CompiledProcess& process, const CompiledNode& node) {
  NodeCounters& counters = *node.counters;
  if (!counters.count_alerted.load(std::memory_order_relaxed) ||
      counters.tasks.Read() >= node.count.threshold || !counters.count_alerted.exchange(false)) {
    return;
  }
  CreateTaskAt(&process, node.count.target, "", R"({"start":"false"})", nullptr).IgnoreError();
}

void EngineImpl::Unpark(Task* task) {
  if (std::atomic<int64_t>* counter = ReasonCounter(task->current_node(), task->park)) {
    counter->fetch_sub(1, std::memory_order_relaxed);
  }
  task->park = ParkReason::kNone;
  task->status = TaskStatus::kProcessing;
  task->callback_wait.store(0, std::memory_order_release);
}

bool EngineImpl::CommitWrites(Worker& worker, StepContext& context, Task* task) {
  worker.scratch.clear();
  // Bounded: a write to `a[2000000000]` must fail, not pad gigabytes.
  if (!ApplyWritesToTextWithin(task->data, context.data(), context.writes(), options_.max_task_size,
                               &worker.scratch)) {
    return false;
  }
  task->data.swap(worker.scratch);
  context.Invalidate();
  return true;
}

void EngineImpl::WriteErrorParams(Worker& worker, StepContext& context, Task* task,
                                  absl::string_view family, const LogicResult& result) {
  WriteSet& writes = context.writes();
  writes.clear();
  auto add = [&writes, family](absl::string_view suffix, std::string value) {
    PathSegment segment;
    segment.key = absl::StrCat("__conveyor_", family, "_return_", suffix, "__");
    Write write;
    write.path.push_back(std::move(segment));
    write.value = Value::String(std::move(value));
    writes.push_back(std::move(write));
  };
  add("type_error", result.hardware ? "hardware" : "software");
  add("type_tag", result.tag);
  add("description", result.description);
  worker.scratch.clear();
  ApplyWritesToText(task->data, context.data(), writes, &worker.scratch);
  task->data.swap(worker.scratch);
  context.Invalidate();
  writes.clear();
}

bool EngineImpl::Enter(Worker& worker, Task* task, uint32_t target) {
  const CompiledProcess& process = *task->process;
  const CompiledNode& from = process.nodes[task->node];
  const CompiledNode& to = process.nodes[target];
  CancelTimer(task);  // leaving the node (even for itself) ends its timer
  from.counters->tasks.AddOwned(-1, worker.index);
  if (from.count.threshold != 0) CheckCountLeft(process, from);
  if (!to.is_final) to.counters->tasks.AddOwned(1, worker.index);
  task->prev_node = task->node;
  task->node = target;
  task->next_logic = 0;
  ++task->entry_seq;
  task->entry_micros = worker.now_micros;
  if (to.count.threshold != 0) CheckCountEntered(process, to);
  // Only this worker writes its own counter.
  worker.transitions.store(worker.transitions.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
  if (worker.visits.size() <= target) worker.visits.resize(process.nodes.size());
  auto& visit = worker.visits[target];
  if (visit.first != worker.generation) visit = {worker.generation, 0};
  if (++visit.second > static_cast<uint32_t>(options_.loop_limit) && !to.is_final) {
    Stop(task, TaskStatus::kLoopStopped, ParkReason::kLoopStopped, "loop_limit",
         absl::StrCat("entered node \"", to.id, "\" more than ", options_.loop_limit,
                      " times without waiting"));
    return false;
  }
  return true;
}

void EngineImpl::Park(Task* task, ParkReason reason) {
  task->park = reason;
  if (std::atomic<int64_t>* counter = ReasonCounter(task->current_node(), reason)) {
    counter->fetch_add(1, std::memory_order_relaxed);
  }
}

void EngineImpl::Stop(Task* task, TaskStatus status, ParkReason reason, absl::string_view tag,
                      absl::string_view description) {
  task->status = status;
  Park(task, reason);
  if (status == TaskStatus::kLoopStopped) {
    loop_stopped_.fetch_add(1, std::memory_order_relaxed);
  } else {
    errored_.fetch_add(1, std::memory_order_relaxed);
  }
  if (observer_ == nullptr) return;
  TaskEvent event = EventOf(*task);
  event.error_tag = tag;
  event.error_description = description;
  if (status == TaskStatus::kLoopStopped) {
    observer_->OnTaskLoopStopped(event);
  } else {
    observer_->OnTaskError(event);
  }
}

void EngineImpl::Finish(Worker& worker, Task* task, std::shared_ptr<Task>* dropped) {
  const CompiledNode& node = task->current_node();
  task->status = TaskStatus::kProcessed;
  task->park = ParkReason::kFinal;
  node.counters->finished.AddOwned(1, worker.index);
  finished_.fetch_add(1, std::memory_order_relaxed);
  EraseRef(task);
  if (observer_ != nullptr) observer_->OnTaskFinished(EventOf(*task));
  if (!node.save_task) {
    ObjShard& shard = ObjShardFor(task->obj_id_view());
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.tasks.find(task->obj_id_view());
    if (it != shard.tasks.end()) {
      *dropped = std::move(it->second);
      shard.tasks.erase(it);
    }
  }
}

void EngineImpl::EraseRef(Task* task) {
  if (task->ref.empty()) return;
  RefShard& shard = RefShardFor(task->process->conv_id, task->ref);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.tasks.find(std::make_pair(task->process->conv_id, absl::string_view(task->ref)));
  if (it != shard.tasks.end() && it->second.get() == task) shard.tasks.erase(it);
}

TaskEvent EngineImpl::EventOf(const Task& task) const {
  TaskEvent event;
  event.conv_id = task.process->conv_id;
  event.obj_id = task.obj_id_view();
  event.ref = task.ref;
  event.node_id = task.current_node().id;
  event.node_title = task.current_node().title;
  event.data = task.data;
  return event;
}

std::array<char, 24> EngineImpl::NewObjId() {
  // 4 bytes of seconds, 3 bytes of per-engine salt, 5 bytes of counter: the
  // counter alone keeps ids unique within an engine for 2^40 tasks.
  const uint64_t seconds = static_cast<uint64_t>(absl::ToUnixSeconds(clock_->Now()));
  const uint64_t counter = next_id_.fetch_add(1, std::memory_order_relaxed) & 0xffffffffffull;
  const uint64_t high = ((seconds & 0xffffffffull) << 24) | id_salt_;
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 24> id;
  for (int i = 0; i < 14; ++i) id[i] = kHex[(high >> (4 * (13 - i))) & 0xf];
  for (int i = 0; i < 10; ++i) id[14 + i] = kHex[(counter >> (4 * (9 - i))) & 0xf];
  return id;
}

const CompiledProcess* EngineImpl::CurrentProcess(int64_t conv_id) const {
  std::shared_lock<std::shared_mutex> lock(processes_mu_);
  auto it = current_.find(conv_id);
  return it == current_.end() ? nullptr : it->second;
}

absl::StatusOr<DeployResult> EngineImpl::Deploy(absl::string_view file_name,
                                                absl::string_view json) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  ImportResult imported = ImportScheme(file_name, json, options_.import_limits);
  DeployResult result;
  std::vector<std::string> errors;
  for (const Diagnostic& diagnostic : imported.diagnostics) {
    if (diagnostic.is_error()) {
      errors.push_back(diagnostic.ToString());
    } else {
      result.warnings.push_back(diagnostic);
    }
  }
  if (!imported.ok()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  std::vector<std::unique_ptr<CompiledProcess>> compiled;
  CompileOptions compile;
  compile.sum_stripes = worker_count_ + 1;
  compile.code_limits = options_.code_limits;
  for (const schema::Process& process : imported.scheme().processes()) {
    std::vector<Diagnostic> diagnostics;
    absl::StatusOr<std::unique_ptr<CompiledProcess>> one =
        CompileProcess(file_name, process, *registry_, compile, &diagnostics);
    if (!one.ok()) return one.status();
    for (Diagnostic& warning : diagnostics) result.warnings.push_back(std::move(warning));
    for (Diagnostic& unset : UnsetVariableWarnings(file_name, **one, *variables_)) {
      result.warnings.push_back(std::move(unset));
    }
    result.conv_ids.push_back(process.conv_id());
    compiled.push_back(*std::move(one));
  }
  if (compiled.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": the file holds no process"));
  }
  {
    std::lock_guard<std::shared_mutex> lock(processes_mu_);
    for (auto& process : compiled) {
      const int64_t conv_id = process->conv_id;
      if (!current_.contains(conv_id)) deploy_order_.push_back(conv_id);
      current_[conv_id] = process.get();
      versions_.push_back(std::move(process));
    }
  }
  for (Diagnostic& unresolved : UnresolvedReferences()) {
    if (unresolved.file == file_name) result.unresolved_references.push_back(std::move(unresolved));
  }
  return result;
}

absl::StatusOr<DeployResult> EngineImpl::DeployFile(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadSchemeFile(path);
  if (!contents.ok()) return contents.status();
  return Deploy(path, *contents);
}

absl::Status NotDeployed(int64_t conv_id) {
  return absl::NotFoundError(absl::StrCat("no process with conv_id ", conv_id, " is deployed"));
}

absl::StatusOr<std::string> EngineImpl::CreateTask(int64_t conv_id, absl::string_view ref,
                                                   absl::string_view data_json) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  return CreateTaskAt(process, process->start, ref, data_json, nullptr);
}

absl::StatusOr<std::string> EngineImpl::CreateTaskAt(const CompiledProcess* process, uint32_t node,
                                                     absl::string_view ref,
                                                     absl::string_view data_json,
                                                     const Task* caller, uint32_t copy_depth) {
  const int64_t conv_id = process->conv_id;
  if (ref.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("ref is ", ref.size(), " bytes; at most 255 are allowed"));
  }
  if (caller != nullptr && caller->rpc_depth >= static_cast<uint32_t>(options_.max_rpc_depth)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("api_rpc calls are nested ", caller->rpc_depth + 1, " deep (max_rpc_depth ",
                     options_.max_rpc_depth, "): a cycle of calls between processes?"));
  }
  if (copy_depth > static_cast<uint32_t>(options_.loop_limit)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "more than ", options_.loop_limit,
        " api_copy tasks in a chain without any of them waiting (loop_limit): a task copying "
        "itself?"));
  }
  thread_local simdjson::dom::parser parser;
  thread_local std::string collapsed;
  simdjson::dom::element doc;
  if (absl::Status parsed =
          ParseTaskData(parser, data_json, options_.max_task_size, &doc, &collapsed);
      !parsed.ok()) {
    return parsed;
  }
  auto task = std::make_shared<Task>();
  if (doc.get_object().value_unsafe().size() == 0) {
    task->data = "{}";  // also for `[]`
  } else if (!collapsed.empty()) {
    task->data = collapsed;  // compact already
  } else {
    task->data.resize(data_json.size());
    size_t size = 0;
    if (simdjson::minify(data_json.data(), data_json.size(), task->data.data(), size) !=
        simdjson::SUCCESS) {
      return absl::InternalError("cannot minify task data that parsed");
    }
    task->data.resize(size);
  }
  if (absl::Status size = CheckSize(task->data.size(), options_.max_task_size); !size.ok()) {
    return size;
  }
  if (pending_.fetch_add(1, std::memory_order_acq_rel) >=
      static_cast<int64_t>(options_.max_queued_tasks)) {
    ActivationDone();
    return absl::ResourceExhaustedError(absl::StrCat(
        "the run queue is full (", options_.max_queued_tasks, " tasks, max_queued_tasks)"));
  }
  task->process = process;
  task->node = node;
  task->ref = std::string(ref);
  task->obj_id = NewObjId();
  task->create_micros = task->change_micros = task->entry_micros =
      absl::ToUnixMicros(clock_->Now());
  if (caller != nullptr) {
    task->caller = std::make_unique<RpcCaller>();
    task->caller->obj_id = std::string(caller->obj_id_view());
    task->caller->entry_seq = caller->entry_seq;
    task->rpc_depth = caller->rpc_depth + 1;
  }
  task->copy_depth = copy_depth;
  // Queued before it becomes visible: an API call that finds it holds it
  // as kHeldQueued and leaves the queue entry to the worker.
  task->state.store(kQueued, std::memory_order_release);
  if (!task->ref.empty()) {
    RefShard& shard = RefShardFor(conv_id, task->ref);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto inserted =
        shard.tasks.try_emplace(std::make_pair(conv_id, absl::string_view(task->ref)), task);
    if (!inserted.second) {
      ActivationDone();
      return absl::AlreadyExistsError(
          absl::StrCat("a task with ref \"", ref, "\" is already active in process ", conv_id));
    }
  }
  {
    ObjShard& shard = ObjShardFor(task->obj_id_view());
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.tasks.emplace(task->obj_id_view(), task);
  }
  const CompiledNode& start = process->nodes[node];
  if (!start.is_final) start.counters->tasks.AddShared(1);
  if (start.count.threshold != 0) CheckCountEntered(*process, start);
  created_.fetch_add(1, std::memory_order_relaxed);
  std::string obj_id(task->obj_id_view());
  Enqueue(task.get());
  return obj_id;
}

std::shared_ptr<Task> EngineImpl::Find(const TaskKey& key) {
  if (!key.obj_id.empty()) {
    ObjShard& shard = ObjShardFor(key.obj_id);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.tasks.find(absl::string_view(key.obj_id));
    return it == shard.tasks.end() ? nullptr : it->second;
  }
  RefShard& shard = RefShardFor(key.conv_id, key.ref);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.tasks.find(std::make_pair(key.conv_id, absl::string_view(key.ref)));
  return it == shard.tasks.end() ? nullptr : it->second;
}

absl::Status NotFoundFor(const TaskKey& key) {
  if (!key.obj_id.empty()) {
    return absl::NotFoundError(absl::StrCat("no task with obj_id \"", key.obj_id, "\""));
  }
  return absl::NotFoundError(
      absl::StrCat("no active task with ref \"", key.ref, "\" in process ", key.conv_id));
}

void EngineImpl::Acquire(Task* task) {
  int spins = 0;
  for (;;) {
    uint32_t state = task->state.load(std::memory_order_acquire);
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
  const uint32_t state = task->state.load(std::memory_order_relaxed);
  if (state == kHeldQueued) {
    task->state.store(kQueued, std::memory_order_release);
  } else if (state == kHeldDeferred) {
    // A worker skipped the queue entry while we held the task; pending_
    // still counts it.
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

absl::Status EngineImpl::ModifyTask(const TaskKey& key, absl::string_view data_json) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  thread_local simdjson::dom::parser patch_parser;
  thread_local simdjson::dom::parser data_parser;
  thread_local std::string collapsed;
  simdjson::dom::element patch;
  if (absl::Status parsed =
          ParseTaskData(patch_parser, data_json, options_.max_task_size, &patch, &collapsed);
      !parsed.ok()) {
    return parsed;
  }
  std::shared_ptr<Task> task = Find(key);
  if (task == nullptr) return NotFoundFor(key);
  Acquire(task.get());
  if (task->status == TaskStatus::kDeleted) {
    Release(task.get(), false);
    return NotFoundFor(key);
  }
  if (task->status == TaskStatus::kProcessed) {
    Release(task.get(), false);
    return absl::FailedPreconditionError(absl::StrCat("task ", task->obj_id_view(),
                                                      " has finished (final node \"",
                                                      task->current_node().id, "\")"));
  }
  if (absl::Status merged = MergeData(task.get(), patch, data_parser); !merged.ok()) {
    Release(task.get(), false);
    return merged;
  }
  const bool resume = task->park == ParkReason::kCallback || task->park == ParkReason::kLoopStopped;
  if (resume) Unpark(task.get());
  Release(task.get(), resume);
  return absl::OkStatus();
}

absl::Status EngineImpl::MergeData(Task* task, simdjson::dom::element patch,
                                   simdjson::dom::parser& parser) {
  simdjson::dom::element data;
  std::string merged;
  if (parser.parse(task->data.data(), task->data.size()).get(data) == simdjson::SUCCESS) {
    MergeTopLevel(data, patch, &merged);
  }
  if (absl::Status size = CheckSize(merged.size(), options_.max_task_size); !size.ok()) {
    return size;
  }
  task->data.swap(merged);
  task->change_micros = absl::ToUnixMicros(clock_->Now());
  return absl::OkStatus();
}

absl::StatusOr<TaskSnapshot> EngineImpl::ShowTask(const TaskKey& key) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  std::shared_ptr<Task> task = Find(key);
  if (task == nullptr) return NotFoundFor(key);
  Acquire(task.get());
  TaskSnapshot snapshot = Snapshot(*task);
  Release(task.get(), false);
  return snapshot;
}

absl::Status EngineImpl::DeleteTask(const TaskKey& key, absl::string_view node_id) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  std::shared_ptr<Task> task = Find(key);
  if (task == nullptr) return NotFoundFor(key);
  Acquire(task.get());
  if (task->status == TaskStatus::kDeleted) {
    Release(task.get(), false);
    return NotFoundFor(key);
  }
  const CompiledNode& node = task->current_node();
  if (!node_id.empty() && node.id != node_id) {
    Release(task.get(), false);
    return absl::FailedPreconditionError(absl::StrCat(
        "task ", task->obj_id_view(), " is in node \"", node.id, "\", not \"", node_id, "\""));
  }
  const bool timed = task->timer_seq != 0;
  CancelTimer(task.get());
  if (!node.is_final) {
    node.counters->tasks.AddShared(-1);
    if (node.count.threshold != 0) CheckCountLeft(*task->process, node);
    if (std::atomic<int64_t>* counter = ReasonCounter(node, task->park)) {
      counter->fetch_sub(1, std::memory_order_relaxed);
    }
  }
  task->callback_wait.store(0, std::memory_order_release);
  task->status = TaskStatus::kDeleted;
  task->park = ParkReason::kNone;
  task->change_micros = absl::ToUnixMicros(clock_->Now());
  EraseRef(task.get());
  Release(task.get(), false);
  // With a virtual clock, WaitIdle may have been waiting for that timer.
  if (timed) NotifyIdleWaiters();
  return absl::OkStatus();
}

TaskSnapshot EngineImpl::Snapshot(const Task& task) const {
  TaskSnapshot snapshot;
  snapshot.obj_id = std::string(task.obj_id_view());
  snapshot.ref = task.ref;
  snapshot.conv_id = task.process->conv_id;
  snapshot.status = task.status;
  snapshot.park_reason = task.park;
  snapshot.node_id = task.current_node().id;
  snapshot.node_title = task.current_node().title;
  if (task.prev_node != NodeHandle::kNone) {
    snapshot.node_prev_id = task.process->nodes[task.prev_node].id;
  }
  snapshot.create_time = absl::FromUnixMicros(task.create_micros);
  snapshot.change_time = absl::FromUnixMicros(task.change_micros);
  snapshot.data = task.data;
  return snapshot;
}

void EngineImpl::ForEachTask(const std::function<void(const TaskSnapshot&)>& visit) {
  for (ObjShard& shard : obj_shards_) {
    std::vector<std::shared_ptr<Task>> tasks;
    {
      std::lock_guard<std::mutex> lock(shard.mu);
      tasks.reserve(shard.tasks.size());
      for (const auto& entry : shard.tasks) tasks.push_back(entry.second);
    }
    for (const std::shared_ptr<Task>& task : tasks) {
      Acquire(task.get());
      TaskSnapshot snapshot = Snapshot(*task);
      Release(task.get(), false);
      visit(snapshot);
    }
  }
}

absl::Status EngineImpl::WaitIdle(absl::Duration timeout) {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  auto idle = [this] {
    return pending_.load(std::memory_order_acquire) == 0 &&
           (!jumps_ || time_held_.load(std::memory_order_acquire) ||
            timers_armed_.load(std::memory_order_acquire) == 0);
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
                     pending_.load(std::memory_order_relaxed), " queued or running)"));
  }
  return absl::OkStatus();
}

ProcessStats EngineImpl::StatsOf(const CompiledProcess& process) const {
  ProcessStats stats;
  stats.conv_id = process.conv_id;
  stats.title = process.title;
  for (const CompiledNode& node : process.nodes) {
    NodeStats n;
    n.node_id = node.id;
    n.title = node.title;
    n.is_final = node.is_final;
    const NodeCounters& c = *node.counters;
    n.tasks = c.tasks.Read();
    n.finished = c.finished.Read();
    n.callback = c.callback.load(std::memory_order_relaxed);
    n.reply = c.reply.load(std::memory_order_relaxed);
    n.queue = c.queue.load(std::memory_order_relaxed);
    n.http = c.http.load(std::memory_order_relaxed);
    n.timer = c.timer.load(std::memory_order_relaxed);
    n.no_exit = c.no_exit.load(std::memory_order_relaxed);
    n.error = c.error.load(std::memory_order_relaxed);
    n.loop_stopped = c.loop_stopped.load(std::memory_order_relaxed);
    for (const auto& sum : node.sums) n.sums.push_back({sum->id(), sum->name(), sum->Read()});
    stats.nodes.push_back(std::move(n));
  }
  return stats;
}

EngineStats EngineImpl::Stats() const {
  EngineStats stats;
  stats.tasks_created = created_.load(std::memory_order_relaxed);
  stats.tasks_finished = finished_.load(std::memory_order_relaxed);
  stats.tasks_errored = errored_.load(std::memory_order_relaxed);
  stats.tasks_loop_stopped = loop_stopped_.load(std::memory_order_relaxed);
  stats.tasks_queued = pending_.load(std::memory_order_relaxed);
  stats.timers_pending = timers_armed_.load(std::memory_order_relaxed);
  stats.timers_fired = timers_fired_.load(std::memory_order_relaxed);
  for (const auto& worker : workers_) {
    stats.node_transitions += worker->transitions.load(std::memory_order_relaxed);
  }
  std::shared_lock<std::shared_mutex> lock(processes_mu_);
  for (int64_t conv_id : deploy_order_) stats.processes.push_back(StatsOf(*current_.at(conv_id)));
  return stats;
}

absl::StatusOr<ProcessStats> EngineImpl::StatsFor(int64_t conv_id) const {
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) {
    return absl::NotFoundError(absl::StrCat("no process with conv_id ", conv_id, " is deployed"));
  }
  return StatsOf(*process);
}

absl::Status EngineImpl::ResetSum(int64_t conv_id, absl::string_view node_id,
                                  absl::string_view sum_id) {
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) {
    return absl::NotFoundError(absl::StrCat("no process with conv_id ", conv_id, " is deployed"));
  }
  const CompiledNode* node = process->FindNode(node_id);
  if (node == nullptr) {
    return absl::NotFoundError(absl::StrCat("process ", conv_id, " has no node \"", node_id, "\""));
  }
  SumAccumulator* sum = node->FindSum(sum_id);
  if (sum == nullptr) {
    return absl::NotFoundError(absl::StrCat("node \"", node_id, "\" has no sum \"", sum_id, "\""));
  }
  sum->Reset();
  return absl::OkStatus();
}

absl::Status EngineImpl::ModifyFromLogic(int64_t conv_id, absl::string_view ref,
                                         absl::string_view data_json, bool only_if_waiting) {
  if (ref.empty()) return absl::InvalidArgumentError("no ref to find the task by");
  std::shared_ptr<Task> target = Find(TaskKey::ByRef(conv_id, std::string(ref)));
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
  op.target = std::move(target);
  op.data = std::string(data_json);
  Post(std::move(op));
  return absl::OkStatus();
}

void EngineImpl::PostReply(const Task& callee, absl::string_view data_json, bool exception,
                           absl::string_view reason) {
  PostedOp op;
  op.kind = PostedOp::Kind::kReply;
  op.caller_obj_id = callee.caller->obj_id;
  op.entry_seq = callee.caller->entry_seq;
  op.data = std::string(data_json);
  op.exception = exception;
  op.reason = std::string(reason);
  Post(std::move(op));
}

void EngineImpl::Post(PostedOp op) {
  // Counted as pending work until applied, so WaitIdle waits for it.
  pending_.fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard<std::mutex> lock(events_mu_);
  ops_.push_back(std::move(op));
  events_cv_.notify_one();
}

void EngineImpl::ApplyOp(PostedOp& op, simdjson::dom::parser& patch_parser,
                         simdjson::dom::parser& data_parser) {
  if (op.kind == PostedOp::Kind::kHttp) {
    std::shared_ptr<Task> task = Find(TaskKey::ByObjId(op.caller_obj_id));
    if (task == nullptr) return;
    Acquire(task.get());
    // First transition wins: an answer for an entry the task has left (its
    // timer fired, it was deleted) is dropped.
    if (task->status != TaskStatus::kProcessing || task->park != ParkReason::kHttp ||
        task->entry_seq != op.entry_seq) {
      Release(task.get(), false);
      return;
    }
    task->http_result = std::move(op.http_result);
    Unpark(task.get());
    Release(task.get(), true);
    return;
  }
  simdjson::dom::element patch;
  std::string collapsed;
  if (!ParseTaskData(patch_parser, op.data, options_.max_task_size, &patch, &collapsed).ok()) {
    return;  // logics send objects they built; nothing to merge otherwise
  }
  std::shared_ptr<Task> task = op.kind == PostedOp::Kind::kModify
                                   ? std::move(op.target)
                                   : Find(TaskKey::ByObjId(op.caller_obj_id));
  if (task == nullptr) return;  // the caller is gone: the reply is dropped
  Acquire(task.get());
  if (task->status == TaskStatus::kDeleted || task->status == TaskStatus::kProcessed) {
    Release(task.get(), false);
    return;
  }
  if (op.kind == PostedOp::Kind::kReply) {
    // First transition wins: only the entry that made the call takes it.
    if (task->park != ParkReason::kReply || task->entry_seq != op.entry_seq ||
        task->status != TaskStatus::kProcessing) {
      Release(task.get(), false);
      return;
    }
    if (!MergeData(task.get(), patch, data_parser).ok()) {
      task->failure = std::make_unique<ResumeFailure>(ResumeFailure{
          "rpc", "rpc_task_size_overflow",
          absl::StrCat("the reply makes the task larger than ", options_.max_task_size, " bytes")});
      task->resume = Resume::kFail;
    } else if (op.exception) {
      task->failure = std::make_unique<ResumeFailure>(
          ResumeFailure{"rpc_reply", "rpc_reply_exception", op.reason});
      task->resume = Resume::kFail;
    }
    Unpark(task.get());
    Release(task.get(), true);
    return;
  }
  // A modify merges wherever the task is; it releases the api_callback wait
  // it claimed (or any, when it claimed none).
  if (!MergeData(task.get(), patch, data_parser).ok()) {
    Release(task.get(), false);  // too large: dropped, as the API would refuse it
    return;
  }
  const bool resume = (task->park == ParkReason::kCallback &&
                       (op.entry_seq == 0 || op.entry_seq == task->entry_seq)) ||
                      task->park == ParkReason::kLoopStopped;
  if (resume) Unpark(task.get());
  Release(task.get(), resume);
}

bool TryAcquireParked(Task* task);

absl::StatusOr<QueuedTask> EngineImpl::TakeQueued(int64_t conv_id, absl::string_view node_id,
                                                  bool newest) {
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  const CompiledNode* node = process->FindNode(node_id);
  if (node == nullptr) {
    return absl::NotFoundError(absl::StrCat("process ", conv_id, " has no node \"", node_id, "\""));
  }
  if (node->queue == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("node \"", node_id, "\" of process ", conv_id,
                                                      " is not a queue (no api_queue logic)"));
  }
  for (;;) {
    NodeQueue::Entry entry;
    {
      std::lock_guard<std::mutex> lock(node->queue->mu);
      std::deque<NodeQueue::Entry>& entries = node->queue->entries;
      if (entries.empty()) {
        return absl::OutOfRangeError(
            absl::StrCat("the queue of node \"", node_id, "\" in process ", conv_id, " is empty"));
      }
      if (newest) {
        entry = std::move(entries.back());
        entries.pop_back();
      } else {
        entry = std::move(entries.front());
        entries.pop_front();
      }
    }
    std::shared_ptr<Task> task = Find(TaskKey::ByObjId(entry.obj_id));
    // A task that is running or queued has left the queue (its timer fired).
    if (task == nullptr || !TryAcquireParked(task.get())) continue;
    if (task->status != TaskStatus::kProcessing || task->park != ParkReason::kQueue ||
        task->entry_seq != entry.entry_seq) {
      Release(task.get(), false);
      continue;
    }
    QueuedTask taken;
    taken.obj_id = entry.obj_id;
    taken.data_json = task->data;
    taken.extra_json = std::move(entry.extra_json);
    Unpark(task.get());
    Release(task.get(), true);
    return taken;
  }
}

// Holds a parked (idle) task. False when it is queued or running: a worker
// must never wait for a task another worker runs.
bool TryAcquireParked(Task* task) {
  for (int spins = 0;; ++spins) {
    uint32_t state = task->state.load(std::memory_order_acquire);
    if (state == kIdle) {
      if (task->state.compare_exchange_weak(state, kHeld, std::memory_order_acquire)) return true;
      continue;
    }
    if (state == kQueued || state == kRunning) return false;
    // Held by an API call or the events thread, briefly.
    if (spins > 64) std::this_thread::yield();
  }
}

Value EngineImpl::ReadStateTask(absl::string_view conv_id, absl::string_view ref, const Path& path,
                                simdjson::dom::parser& parser) {
  int64_t id = 0;
  if (!absl::SimpleAtoi(conv_id, &id)) return Value::Missing();
  std::shared_ptr<Task> task = Find(TaskKey::ByRef(id, std::string(ref)));
  if (task == nullptr || !task->process->is_state_diagram()) return Value::Missing();
  std::shared_ptr<const std::string> data = std::atomic_load(&task->state_data);
  if (data == nullptr) return Value::Missing();  // not parked in its state yet
  simdjson::dom::element doc;
  if (parser.parse(data->data(), data->size()).get(doc) != simdjson::SUCCESS) {
    return Value::Missing();
  }
  simdjson::dom::element found;
  if (!FindPath(doc, path, &found)) return Value::Missing();
  return ValueFromElement(found);
}

int64_t EngineImpl::NextTimerLocked() {
  std::lock_guard<std::mutex> lock(timers_mu_);
  wake_at_ = wheel_->NextDeadline();
  return wake_at_;
}

void EngineImpl::EventLoop() {
  simdjson::dom::parser patch_parser;
  simdjson::dom::parser data_parser;
  std::deque<PostedOp> ops;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(events_mu_);
      for (;;) {
        if (events_closed_) return;
        if (!ops_.empty()) {
          ops.swap(ops_);
          break;
        }
        const int64_t now = absl::ToUnixMicros(clock_->Now());
        const int64_t next = NextTimerLocked();
        if (next <= now) break;  // due timers
        if (next != INT64_MAX && jumps_ && !time_held_.load(std::memory_order_acquire) &&
            pending_.load(std::memory_order_acquire) == 0) {
          // Nothing can move before the next timer: go there.
          clock_->JumpTo(absl::FromUnixMicros(next));
          break;
        }
        if (next == INT64_MAX || jumps_) {
          events_cv_.wait(lock);
        } else if (real_clock_) {
          events_cv_.wait_until(lock, absl::ToChronoTime(absl::FromUnixMicros(next)));
        } else {
          // A clock the host moves (ManualClock): look again soon.
          events_cv_.wait_for(lock, std::chrono::milliseconds(1));
        }
      }
    }
    // Held while we work, so that WaitIdle does not see an idle engine
    // between taking a timer out of the wheel and queueing its task.
    pending_.fetch_add(1, std::memory_order_acq_rel);
    for (PostedOp& op : ops) {
      ApplyOp(op, patch_parser, data_parser);
      ActivationDone();
    }
    ops.clear();
    FireDueTimers();
    ActivationDone();
  }
}

void EngineImpl::FireDueTimers() {
  std::vector<TimerEntry*> due;
  std::vector<FiredTimer> fired;
  {
    std::lock_guard<std::mutex> lock(timers_mu_);
    wheel_->Advance(absl::ToUnixMicros(clock_->Now()), &due);
    fired.reserve(due.size());
    for (TimerEntry* entry : due) {
      const Task* task = static_cast<TaskTimer*>(entry)->task;
      fired.push_back(FiredTimer{task->obj_id, task->timer_seq});
    }
    timers_armed_.store(static_cast<int64_t>(wheel_->size()), std::memory_order_release);
  }
  for (const FiredTimer& one : fired) FireTimer(one);
}

void EngineImpl::FireTimer(const FiredTimer& fired) {
  std::shared_ptr<Task> task =
      Find(TaskKey::ByObjId(std::string(fired.obj_id.data(), fired.obj_id.size())));
  if (task == nullptr) return;
  Acquire(task.get());
  // First transition wins: the timer belongs to one entry of one node, and
  // only a task still waiting there moves.
  const ParkReason park = task->park;
  const bool waiting = park == ParkReason::kCallback || park == ParkReason::kReply ||
                       park == ParkReason::kQueue || park == ParkReason::kTimer ||
                       park == ParkReason::kHttp;
  if (task->status != TaskStatus::kProcessing || !waiting || task->entry_seq != fired.entry_seq ||
      task->timer_seq != fired.entry_seq) {
    Release(task.get(), false);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(timers_mu_);
    task->timer_seq = 0;
  }
  Unpark(task.get());
  task->resume = Resume::kTimer;
  timers_fired_.fetch_add(1, std::memory_order_relaxed);
  Release(task.get(), true);
}

HttpTransport* EngineImpl::Transport(absl::Status* error) {
  if (options_.http_transport != nullptr) return options_.http_transport;
  std::lock_guard<std::mutex> lock(transport_mu_);
  if (own_transport_ == nullptr && transport_error_.ok()) {
    absl::StatusOr<std::unique_ptr<HttpTransport>> made = NewCurlTransport();
    if (made.ok()) {
      own_transport_ = *std::move(made);
    } else {
      transport_error_ = made.status();
    }
  }
  *error = transport_error_;
  return own_transport_.get();
}

void EngineImpl::DispatchHttp(const Logic* logic, std::unique_ptr<HttpRequest> request,
                              int max_in_flight, const Task& task) {
  HttpCall call;
  call.request = std::move(*request);
  call.request.timeout = options_.api_timeout;
  call.request.max_response_bytes = options_.api_max_response_bytes;
  call.request.follow_redirects = options_.api_follow_redirects;
  call.request.refuse_private_addresses = options_.api_refuse_private_addresses;
  call.obj_id = std::string(task.obj_id_view());
  call.entry_seq = task.entry_seq;
  call.enqueued = absl::Now();  // waiting for a slot is real time, whatever the clock
  // Until its answer is applied the request is work in flight: WaitIdle
  // waits for it, and virtual time does not jump past it.
  pending_.fetch_add(1, std::memory_order_acq_rel);
  std::vector<HttpCall> to_start;
  {
    std::lock_guard<std::mutex> lock(http_mu_);
    std::unique_ptr<HttpSlots>& slots = http_slots_[logic];
    if (slots == nullptr) slots = std::make_unique<HttpSlots>();
    slots->max = max_in_flight > 0 ? max_in_flight : options_.api_default_max_threads;
    call.slots = slots.get();
    if (slots->in_flight < slots->max) {
      ++slots->in_flight;
      AdmitHttpLocked(std::move(call), &to_start);
    } else {
      slots->waiting.push_back(std::move(call));
    }
  }
  StartHttpCalls(std::move(to_start));
}

void EngineImpl::AdmitHttpLocked(HttpCall call, std::vector<HttpCall>* to_start) {
  if (http_in_flight_ < options_.api_max_in_flight) {
    ++http_in_flight_;
    to_start->push_back(std::move(call));
  } else {
    http_ready_.push_back(std::move(call));
  }
}

void EngineImpl::ReleaseHttpSlotLocked(HttpSlots* slots, std::vector<HttpCall>* to_start) {
  --slots->in_flight;
  --http_in_flight_;
  if (!slots->waiting.empty() && slots->in_flight < slots->max) {
    ++slots->in_flight;
    HttpCall next = std::move(slots->waiting.front());
    slots->waiting.pop_front();
    AdmitHttpLocked(std::move(next), to_start);
  }
  while (!http_ready_.empty() && http_in_flight_ < options_.api_max_in_flight) {
    ++http_in_flight_;
    to_start->push_back(std::move(http_ready_.front()));
    http_ready_.pop_front();
  }
}

void EngineImpl::StartHttpCalls(std::vector<HttpCall> calls) {
  // Iterative: a call that cannot start completes at once and may let
  // others start.
  while (!calls.empty()) {
    HttpCall call = std::move(calls.back());
    calls.pop_back();
    absl::Status failure;
    HttpTransport* transport = nullptr;
    const absl::Duration waited = absl::Now() - call.enqueued;
    if (waited > call.request.timeout) {
      failure =
          absl::AbortedError(absl::StrCat("api_expire_query: waited ", absl::FormatDuration(waited),
                                          " for a free slot (max_threads ", call.slots->max, ")"));
    } else if (closed_.load(std::memory_order_acquire)) {
      failure = absl::UnavailableError("the engine is closing");
    } else {
      transport = Transport(&failure);
      if (transport == nullptr && failure.ok()) failure = absl::InternalError("no HTTP transport");
    }
    if (transport == nullptr) {
      FinishHttpCall(call.slots, std::move(call.obj_id), call.entry_seq, failure, &calls);
      continue;
    }
    http_outstanding_.fetch_add(1, std::memory_order_acq_rel);
    HttpSlots* slots = call.slots;
    std::string obj_id = std::move(call.obj_id);
    const uint64_t entry_seq = call.entry_seq;
    transport->Send(std::move(call.request), [this, slots, obj_id = std::move(obj_id),
                                              entry_seq](absl::StatusOr<HttpResponse> result) {
      OnHttpDone(slots, obj_id, entry_seq, std::move(result));
    });
  }
}

void EngineImpl::OnHttpDone(HttpSlots* slots, std::string obj_id, uint64_t entry_seq,
                            absl::StatusOr<HttpResponse> result) {
  std::vector<HttpCall> to_start;
  FinishHttpCall(slots, std::move(obj_id), entry_seq, std::move(result), &to_start);
  StartHttpCalls(std::move(to_start));
  http_outstanding_.fetch_sub(1, std::memory_order_acq_rel);
}

void EngineImpl::FinishHttpCall(HttpSlots* slots, std::string obj_id, uint64_t entry_seq,
                                absl::StatusOr<HttpResponse> result,
                                std::vector<HttpCall>* to_start) {
  {
    std::lock_guard<std::mutex> lock(http_mu_);
    ReleaseHttpSlotLocked(slots, to_start);
  }
  PostedOp op;
  op.kind = PostedOp::Kind::kHttp;
  op.caller_obj_id = std::move(obj_id);
  op.entry_seq = entry_seq;
  op.http_result = std::make_unique<absl::StatusOr<HttpResponse>>(std::move(result));
  Post(std::move(op));
  ActivationDone();  // the dispatch's pending token
}

void EngineImpl::HoldTime(bool hold) {
  time_held_.store(hold, std::memory_order_release);
  if (!hold) NotifyIdleWaiters();  // the events thread may jump now
}

std::vector<Diagnostic> EngineImpl::UnresolvedReferences() const {
  std::shared_lock<std::shared_mutex> lock(processes_mu_);
  std::vector<Diagnostic> unresolved;
  for (int64_t conv_id : deploy_order_) {
    const CompiledProcess& process = *current_.at(conv_id);
    for (const auto& [node_id, target] : process.references) {
      if (current_.contains(target)) continue;
      Diagnostic diagnostic;
      diagnostic.severity = Diagnostic::Severity::kWarning;
      diagnostic.file = process.file;
      diagnostic.location = absl::StrCat("process ", conv_id);
      diagnostic.node_id = node_id;
      diagnostic.message = absl::StrCat("sends tasks to process ", target,
                                        ", which is not deployed: they fail there");
      unresolved.push_back(std::move(diagnostic));
    }
  }
  return unresolved;
}

}  // namespace
}  // namespace internal

namespace {

// The rules written on each field of EngineOptions (convey/engine.h). The
// pointers, booleans and `variable_lookup` take any value.
absl::Status ValidateOptions(const EngineOptions& o) {
  // 2^32-1: the most the JSON parser (simdjson) holds, and SpiderMonkey's
  // heap limit (a 32-bit parameter).
  constexpr uint64_t kMax32 = 0xFFFFFFFFu;
  auto bad = [](absl::string_view field, const auto& value, absl::string_view rule) {
    return absl::InvalidArgumentError(
        absl::StrCat("EngineOptions::", field, " is ", value, ": ", rule));
  };
  if (o.worker_threads < 0 || o.worker_threads > 1024) {
    return bad("worker_threads", o.worker_threads, "must be 0..1024 (0: one per hardware thread)");
  }
  if (o.max_task_size < 2 || o.max_task_size > kMax32) {
    return bad("max_task_size", o.max_task_size,
               "must be 2 (the size of {}) .. 4294967295 (the JSON parser's limit)");
  }
  if (o.code_limits.time_limit <= absl::ZeroDuration() ||
      o.code_limits.time_limit > absl::Hours(24)) {
    return bad("code_limits.time_limit", absl::FormatDuration(o.code_limits.time_limit),
               "must be more than 0 and at most 24h (a script holds its worker that long)");
  }
  if (o.code_limits.heap_limit_bytes < (size_t{1} << 20) ||
      o.code_limits.heap_limit_bytes > kMax32) {
    return bad("code_limits.heap_limit_bytes", o.code_limits.heap_limit_bytes,
               "must be 1 MiB .. 4294967295 (SpiderMonkey's heap limit is 32-bit)");
  }
  if (o.loop_limit < 1) {
    return bad("loop_limit", o.loop_limit, "must be at least 1 (a task enters at least one node)");
  }
  if (o.max_queued_tasks < 1 || o.max_queued_tasks > static_cast<uint64_t>(INT64_MAX)) {
    return bad("max_queued_tasks", o.max_queued_tasks,
               "must be 1..2^63-1 (0 would refuse every create)");
  }
  if (o.import_limits.max_file_size < 1 || o.import_limits.max_file_size > kMax32) {
    return bad("import_limits.max_file_size", o.import_limits.max_file_size,
               "must be 1..4294967295 (the JSON parser's limit)");
  }
  if (o.import_limits.max_depth < 1 || o.import_limits.max_depth > 1024) {
    return bad("import_limits.max_depth", o.import_limits.max_depth,
               "must be 1..1024 (the JSON parser's default; deeper files would nest the "
               "importer's walk that deep)");
  }
  if (o.import_limits.max_diagnostics < 1) {
    return bad("import_limits.max_diagnostics", o.import_limits.max_diagnostics,
               "must be at least 1 (else a file that does not load could not say why)");
  }
  if (o.max_rpc_depth < 1) {
    return bad("max_rpc_depth", o.max_rpc_depth,
               "must be at least 1 (else every api_rpc call would fail)");
  }
  if (o.api_timeout <= absl::ZeroDuration()) {
    return bad("api_timeout", absl::FormatDuration(o.api_timeout),
               "must be more than 0 (absl::InfiniteDuration(): none); else every api call "
               "would fail before it is sent");
  }
  if (o.api_max_response_bytes < 1) {
    return bad("api_max_response_bytes", o.api_max_response_bytes,
               "must be at least 1 (else every answer with a body is refused)");
  }
  if (o.api_default_max_threads < 1) {
    return bad("api_default_max_threads", o.api_default_max_threads,
               "must be at least 1 (else the calls of an api logic without max_threads "
               "would wait for a free slot forever)");
  }
  if (o.api_max_in_flight < 1) {
    return bad("api_max_in_flight", o.api_max_in_flight,
               "must be at least 1 (else every api call would wait for a free slot forever)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  if (absl::Status valid = ValidateOptions(options); !valid.ok()) return valid;
  absl::StatusOr<std::unique_ptr<internal::ProjectVariables>> variables =
      internal::ProjectVariables::Create(options.variables, options.variable_lookup);
  if (!variables.ok()) {
    return absl::Status(variables.status().code(),
                        absl::StrCat("EngineOptions::variables: ", variables.status().message()));
  }
  auto engine = std::make_unique<internal::EngineImpl>(options, *std::move(variables));
  engine->Start();
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace convey
