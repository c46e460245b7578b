// StepContext's calls into the engine: other tasks and processes, queue
// nodes, state-diagram reads and the task's own fields for templates (see
// step_context.h; no locks of its own).
#include "runtime/engine/step_context.h"

#include <deque>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/engine/event_loop.h"
#include "runtime/engine/persistence.h"
#include "runtime/engine/step_machine.h"
#include "runtime/engine/task_store.h"
#include "runtime/engine/variables.h"
#include "runtime/json/utf8.h"

namespace convey {
namespace internal {

absl::Status StepContext::Set(absl::string_view path, Value value) {
  // A host logic's key or text that is not UTF-8 is made so here (each bad
  // byte U+FFFD), before the write is matched against the data's keys: were
  // it repaired only as it is written, "k\xFF" set twice would be two keys.
  std::string valid_path;
  if (!simdjson::validate_utf8(path.data(), path.size())) {
    valid_path = ValidUtf8(path);
    path = valid_path;
  }
  absl::StatusOr<Path> parsed = ParsePath(path);
  if (!parsed.ok()) return parsed.status();
  const Value::Type type = value.type();
  if ((type == Value::Type::kString || type == Value::Type::kObject ||
       type == Value::Type::kArray) &&
      !simdjson::validate_utf8(value.text().data(), value.text().size())) {
    // Only bytes from 0x80 up change: in JSON text those are inside strings.
    std::string text = ValidUtf8(value.text());
    value = type == Value::Type::kString   ? Value::String(std::move(text))
            : type == Value::Type::kObject ? Value::Object(std::move(text))
                                           : Value::Array(std::move(text));
  }
  worker_->writes.push_back(Write{*std::move(parsed), std::move(value)});
  return absl::OkStatus();
}
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;

// Holds a parked (idle) task. False when it is queued or running: a worker
// must never wait for a task another worker runs.
bool TryAcquireParked(Task* task) {
  for (int spins = 0;; ++spins) {
    TaskState state = task->state.load(std::memory_order_acquire);
    if (state == kIdle) {
      if (task->state.compare_exchange_weak(state, kHeld, std::memory_order_acquire)) return true;
      continue;
    }
    if (state == kQueued || state == kRunning) return false;
    // Held by an API call or the events thread, briefly.
    if (spins > 64) std::this_thread::yield();
  }
}

}  // namespace

void SettleNodeCount(Worker& worker, const Task& task) {
  if (worker.counted_node == task.node) return;
  const CompiledProcess& process = *task.process;
  if (!process.nodes[worker.counted_node].is_final) {
    process.node_tasks->AddOwned(worker.counted_node, -1, worker.index);
  }
  if (!task.current_node().is_final) process.node_tasks->AddOwned(task.node, 1, worker.index);
  worker.counted_node = task.node;
}

absl::Time StepContext::now() const { return engine_->clock()->Now(); }

bool StepContext::AddToSum(SumHandle sum, double amount) {
  SumAccumulator& accumulator = *task_->current_node().sums[sum.index];
  if (!accumulator.Add(amount, worker_->index)) return false;
  // Written with this activation's transition: after a crash the step is
  // replayed exactly when its addition was not kept.
  if (engine_->persistence() != nullptr) {
    worker_->effects.transition.sums.push_back(SumChange{accumulator.store_key(), amount, false});
  }
  return true;
}

absl::StatusOr<std::string> StepContext::StartTask(int64_t conv_id, absl::string_view ref,
                                                   absl::string_view data_json) {
  const CompiledProcess* process = engine_->CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  return engine_->CreateTaskAt(process, process->start, ref, data_json,
                               CausedBy(task_, false, worker_));
}

absl::Status StepContext::ModifyTask(int64_t conv_id, absl::string_view ref,
                                     absl::string_view data_json, bool only_if_waiting) {
  return engine_->events().PostModify(*worker_, conv_id, ref, data_json, only_if_waiting);
}

absl::StatusOr<std::string> StepContext::CallProcess(int64_t conv_id, absl::string_view data_json) {
  const CompiledProcess* process = engine_->CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  return engine_->CreateTaskAt(process, process->start, "", data_json,
                               CausedBy(task_, true, worker_));
}

bool StepContext::Reply(absl::string_view data_json, bool exception, absl::string_view reason) {
  if (task_->caller() == nullptr) return false;
  engine_->events().PostReply(*worker_, *task_, data_json, exception, reason);
  return true;
}

absl::StatusOr<QueuedTask> StepContext::TakeQueued(int64_t conv_id, absl::string_view node_id,
                                                   bool newest) {
  const CompiledProcess* process = engine_->CurrentProcess(conv_id);
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
    TaskRef task = engine_->store().Find(TaskKey::ByObjId(entry.obj_id));
    // A task that is running or queued has left the queue (its timer fired).
    if (task == nullptr || !TryAcquireParked(task.get())) continue;
    if (task->status != TaskStatus::kProcessing || task->park != ParkReason::kQueue ||
        task->entry_seq != entry.entry_seq) {
      engine_->Release(task.get(), false);
      continue;
    }
    QueuedTask taken;
    taken.obj_id = entry.obj_id;
    taken.data_json = task->data;
    taken.extra_json = std::move(entry.extra_json);
    Unpark(task.get());
    // Runs once this activation is committed, its resume with it.
    if (Persistence* persistence = engine_->persistence()) {
      persistence->AddPut(*task, false, &worker_->effects.transition);
    }
    worker_->effects.resumed.push_back(std::move(task));
    return taken;
  }
}

Value StepContext::StateTask(absl::string_view conv_id, absl::string_view ref, const Path& path) {
  int64_t id = 0;
  if (!absl::SimpleAtoi(conv_id, &id)) return Value::Missing();
  TaskRef task = engine_->store().Find(TaskKey::ByRef(id, std::string(ref)));
  if (task == nullptr || !task->process->is_state_diagram()) return Value::Missing();
  const TaskExtras* extras = task->extras_if_any();
  if (extras == nullptr) return Value::Missing();  // not parked in its state yet
  std::shared_ptr<const std::string> data = std::atomic_load(&extras->state_data);
  if (data == nullptr) return Value::Missing();
  simdjson::dom::parser& parser = worker_->side_parser;
  simdjson::dom::element doc;
  if (parser.parse(data->data(), data->size()).get(doc) != simdjson::SUCCESS) {
    return Value::Missing();
  }
  simdjson::dom::element found;
  if (!FindPath(doc, path, &found)) return Value::Missing();
  return ValueFromElement(found);
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
    SettleNodeCount(*worker_, *task_);  // the running task counts where it is
    return Value::Number(static_cast<double>(
        node->is_final ? node->counters->finished.Read() : process->node_tasks->Read(node->index)));
  }
  const SumAccumulator* sum = node->FindSum(field);
  if (sum == nullptr) return Value::Missing();
  return Value::Number(sum->Read());
}

}  // namespace internal
}  // namespace convey
