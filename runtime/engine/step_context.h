// StepContext: what a logic sees of the task it runs for (TaskContext,
// convey/logic.h) and what its templates read (TemplateEnv); and Worker, the
// scratch state of one worker thread.
//
// Apart from the step machine because it is the logics' side of the
// contract: it collects a logic's effects (writes, a replacement of the data,
// an HTTP request, a queue entry) for the step machine to apply, and forwards
// what a logic asks of other tasks and processes to the engine.
//
// Locking: none of its own. One context lives on one worker's stack for one
// activation, over a task that worker owns (Task::state kRunning); what it
// asks of the engine takes the engine's locks (the process table, the task
// store, a queue node's lock) one at a time, never waiting for a task
// another worker runs.
#ifndef CONVEY_RUNTIME_ENGINE_STEP_CONTEXT_H_
#define CONVEY_RUNTIME_ENGINE_STEP_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/http.h"
#include "convey/logic.h"
#include "runtime/engine/event_loop.h"
#include "runtime/engine/task.h"
#include "runtime/json/path.h"
#include "runtime/store/store.h"
#include "runtime/task/task_document.h"
#include "runtime/task/write_set.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace internal {

class EngineImpl;

// What one activation did to other tasks, applied once its transition is
// committed (docs/engine.md, "Durability"): a task it started, a task it
// took from a queue or a message it sent must not move before the store
// knows the activation that caused it, else a crash in between would keep
// the effect and replay its cause. Held tasks are in Task::state kHeld,
// owned by this worker until then.
struct ActivationEffects {
  Transition transition;                       // with a durable store
  std::vector<Task*> started;                  // queued after the commit
  std::vector<TaskRef> resumed;                // released to run after it
  std::vector<PostedOp> posts;                 // posted after it
};

// Scratch state of one worker thread.
struct Worker {
  int index = 0;
  // The running task's data as its activation reads it.
  TaskDocument document;
  // For other tasks' data ({{conv[ID].ref[REF]}}).
  simdjson::dom::parser side_parser;
  int64_t now_micros = 0;  // the current activation's time
  // Loop guard: entries per node index during the current activation,
  // stamped with the activation's generation so nothing needs clearing.
  std::vector<std::pair<uint32_t, uint32_t>> visits;
  uint32_t generation = 0;
  // Nodes the running task entered whose history entries are not written
  // yet (StepMachine::FlushEntered).
  std::vector<const CompiledNode*> entered;
  // The node whose task count holds the running task (CompiledProcess::
  // node_tasks): the node its activation started in, until SettleNodeCount
  // moves the count to where the task is. Passing through nodes without a
  // count semaphore does not touch the counts (two stores a step saved);
  // meanwhile a reader of the counts (Stats) sees the task in that node, as
  // if its activation had not begun.
  uint32_t counted_node = 0;
  std::mt19937_64 random{std::random_device{}()};
  std::string scratch;
  // The running logic's writes (StepContext::writes): kept here so that
  // their storage is reused from one activation to the next, not allocated
  // for every set_param.
  WriteSet writes;
  ActivationEffects effects;
  alignas(64) std::atomic<int64_t> transitions{0};
};

// Moves the running task's place in the node counts from
// worker.counted_node to the node it is in now (not counted in a final one).
void SettleNodeCount(Worker& worker, const Task& task);

// What a logic sees of its task; also what its templates read.
class StepContext : public TaskContext, public TemplateEnv {
 public:
  StepContext(EngineImpl* engine, Worker* worker, Task* task, int64_t now_micros)
      : engine_(engine), worker_(worker), task_(task), now_micros_(now_micros) {
    worker_->document.Reset();
    worker_->writes.clear();
  }

  // TaskContext
  int64_t conv_id() const override { return task_->process->conv_id; }
  absl::string_view obj_id() const override { return task_->obj_id_view(); }
  absl::string_view ref() const override { return task_->ref; }
  absl::string_view node_id() const override { return task_->current_node().id; }
  absl::Time now() const override;
  int64_t now_micros() const { return now_micros_; }
  absl::string_view data_json() override { return task_->data; }
  simdjson::dom::element data() override { return worker_->document.Document(task_->data); }
  // The structural index of the task's data (write_set.h), or of the
  // replacement that became it (ReplaceData).
  TextIndex data_index() { return worker_->document.Index(task_->data); }
  // data()'s document is built: a write set uses it rather than the index.
  bool has_document() const { return worker_->document.has_document(); }
  Value Evaluate(const Template& compiled) override { return compiled.Evaluate(*this); }
  NumberLookup EvaluateNumber(const Template& compiled, double* out) override {
    if (const Path* path = compiled.data_path()) {
      return worker_->document.NumberAt(task_->data, *path, out);
    }
    return TaskContext::EvaluateNumber(compiled, out);
  }
  absl::Status Set(absl::string_view path, Value value) override;
  bool AddToSum(SumHandle sum, double amount) override;
  absl::Status ReplaceData(std::string data_json) override {
    if (absl::Status status = worker_->document.ParseReplacement(&data_json); !status.ok()) {
      return status;
    }
    // Until the logic returns, data() is the replacement's document.
    replacement_ = std::move(data_json);
    has_replacement_ = true;
    return absl::OkStatus();
  }
  // ReplaceData was called: the new data, taken once (TakeReplacement,
  // only when has_replacement()).
  bool has_replacement() const { return has_replacement_; }
  std::string TakeReplacement() {
    has_replacement_ = false;
    return std::move(replacement_);
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
  const absl::StatusOr<HttpResponse>* HttpResult() override { return task_->http_result(); }

  // TemplateEnv
  Value DataAt(const Path& path) override { return worker_->document.ValueAt(task_->data, path); }
  Value Root(absl::string_view field) override;
  Value NodeField(absl::string_view conv_id, absl::string_view node_id,
                  absl::string_view field) override;
  Value StateTask(absl::string_view conv_id, absl::string_view ref, const Path& path) override;
  Value EnvVar(absl::string_view name, const Path& path) override;
  absl::Time Now() override { return now(); }
  uint64_t Random() override { return worker_->random(); }

  WriteSet& writes() { return worker_->writes; }
  // The task's data changed: the document must be parsed again.
  void Invalidate() { worker_->document.Reset(); }
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
  bool entered_queue_ = false;
  std::string queue_extra_;
  bool has_replacement_ = false;
  std::string replacement_;
  std::unique_ptr<HttpRequest> http_request_;
  int http_max_in_flight_ = 0;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_STEP_CONTEXT_H_
