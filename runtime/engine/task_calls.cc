// The task calls of the engine: create (one, a batch, or with a handle),
// modify (merge or JSON Patch), show, delete and list tasks, and the task data checks they share
// (see engine_impl.h for the locks: a call holds one task through
// Task::state and takes only leaf locks besides).
#include <algorithm>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/base/status_macros.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/engine/task_data_buffers.h"
#include "runtime/json/minify.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/json/text_index.h"
#include "runtime/task/json_patch.h"
#include "runtime/task/write_set.h"

namespace convey {
namespace internal {

namespace {

absl::Status CheckSize(size_t size, size_t max_size) {
  if (size <= max_size) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("task data is ", size, " bytes; the limit is ",
                                                 max_size, " bytes (max_task_size)"));
}

}  // namespace

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

absl::Status PrepareTaskData(absl::string_view json, size_t max_size, std::string* data) {
  // A parser keeps memory for the largest text it read (~14 bytes a byte):
  // the thread's own for the usual small data, one for the call beyond.
  constexpr size_t kKeptParserBytes = 64 * 1024;
  thread_local simdjson::dom::parser kept_parser;
  std::unique_ptr<simdjson::dom::parser> large_parser;
  if (json.size() > kKeptParserBytes) large_parser = std::make_unique<simdjson::dom::parser>();
  simdjson::dom::parser& parser = large_parser != nullptr ? *large_parser : kept_parser;
  thread_local std::string collapsed;
  simdjson::dom::element doc;
  CONVEY_RETURN_IF_ERROR(ParseTaskData(parser, json, max_size, &doc, &collapsed));
  data->clear();
  if (doc.get_object().value_unsafe().size() == 0) {
    *data = "{}";  // also for `[]`
    return CheckSize(data->size(), max_size);
  }
  // A buffer a dropped task's data left, where one fits (B1).
  ReserveTaskData(collapsed.empty() ? json.size() : collapsed.size(), data);
  if (!collapsed.empty()) {
    *data = collapsed;  // compact already
  } else if (IsCompactObject(json, IndexOfLastParse(parser))) {
    // The parser's last text: nothing to minify (most hosts send compact
    // JSON), found from the parse's index without reading the text again.
    data->assign(json.data(), json.size());
  } else if (MinifyText(json, data) != simdjson::SUCCESS) {
    return absl::InternalError("cannot minify task data that parsed");
  }
  return CheckSize(data->size(), max_size);
}

int64_t StartMicros(absl::Time start_at) {
  if (start_at == absl::InfinitePast()) return 0;
  if (start_at == absl::InfiniteFuture()) return INT64_MAX;
  return absl::ToUnixMicros(start_at);
}

absl::Status Finished(absl::string_view obj_id, absl::string_view node_id) {
  return absl::FailedPreconditionError(absl::StrCat("task ", obj_id, obj_id.empty() ? "" : " ",
                                                    "has finished (final node \"", node_id, "\")"));
}

absl::Status NotDeployed(int64_t conv_id) {
  return absl::NotFoundError(absl::StrCat("no process with conv_id ", conv_id, " is deployed"));
}

absl::StatusOr<std::string> EngineImpl::CreateTask(int64_t conv_id, absl::string_view ref,
                                                   absl::string_view data_json) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  return CreateTaskAt(process, process->start, ref, data_json);
}

absl::StatusOr<std::string> EngineImpl::CreateTask(int64_t conv_id, const NewTask& task) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  TaskOrigin origin;
  origin.idempotency_key = task.idempotency_key;
  origin.start_micros = StartMicros(task.start_at);
  return CreateTaskAt(process, process->start, task.ref, task.data_json, origin);
}

absl::StatusOr<TaskHandle> EngineImpl::Submit(int64_t conv_id, absl::string_view ref,
                                              absl::string_view data_json) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  const CompiledProcess* process = CurrentProcess(conv_id);
  if (process == nullptr) return NotDeployed(conv_id);
  std::shared_ptr<TaskCompletion> completion;
  TaskOrigin origin;
  origin.completion = &completion;
  CONVEY_RETURN_IF_ERROR(CreateTaskAt(process, process->start, ref, data_json, origin).status());
  return TaskCompletion::NewHandle(std::move(completion));
}

absl::StatusOr<std::string> EngineImpl::CreateTaskAt(const CompiledProcess* process, uint32_t node,
                                                     absl::string_view ref,
                                                     absl::string_view data_json,
                                                     TaskOrigin origin) {
  if (ref.size() > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("ref is ", ref.size(), " bytes; at most 255 are allowed"));
  }
  const Task* caller = origin.call ? origin.cause : nullptr;
  const uint32_t copy_depth =
      origin.cause != nullptr && !origin.call ? origin.cause->copy_depth + 1 : 0;
  if (caller != nullptr && caller->rpc_depth() >= static_cast<uint32_t>(options_.max_rpc_depth)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("api_rpc calls are nested ", caller->rpc_depth() + 1, " deep (max_rpc_depth ",
                     options_.max_rpc_depth, "): a cycle of calls between processes?"));
  }
  if (copy_depth > static_cast<uint32_t>(options_.loop_limit)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "more than ", options_.loop_limit,
        " api_copy tasks in a chain without any of them waiting (loop_limit): a task copying "
        "itself?"));
  }
  auto task = MakeTask(options_.task_history_limit > 0);
  if (origin.prepared != nullptr) {
    if (!origin.prepared->ok()) return origin.prepared->status();
    task->data = *std::move(*origin.prepared);
  } else if (absl::Status prepared =
                 PrepareTaskData(data_json, options_.max_task_size, &task->data);
             !prepared.ok()) {
    return prepared;
  }
  if (!origin.idempotency_key.empty()) {
    if (origin.idempotency_key.size() > 255) {
      return absl::InvalidArgumentError(absl::StrCat("the idempotency key is ",
                                                     origin.idempotency_key.size(),
                                                     " bytes; at most 255 are allowed"));
    }
    std::string fingerprint = CreateFingerprint(process->conv_id, ref, task->data);
    absl::StatusOr<std::optional<std::string>> earlier =
        FindByIdempotencyKey(origin.idempotency_key, fingerprint);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) return **earlier;  // answered: nothing is created
    task->extras().idempotency = std::make_unique<const IdempotencyKey>(
        IdempotencyKey{std::string(origin.idempotency_key), std::move(fingerprint)});
  }
  // Counted last, after every other reason to refuse: a refused task takes
  // back what it counted.
  std::shared_ptr<std::atomic<int64_t>> tree;
  if (origin.cause != nullptr) {
    if (absl::Status bounded = CountCausedTask(*origin.cause, *process, &tree); !bounded.ok()) {
      return bounded;
    }
  }
  // Takes back what CountCausedTask counted for a task that is not made.
  const auto uncount = [&tree, process] {
    if (tree == nullptr) return;
    tree->fetch_sub(1, std::memory_order_relaxed);
    process->caused_live->fetch_sub(1, std::memory_order_relaxed);
  };
  if (pending_.fetch_add(1, std::memory_order_acq_rel) >=
      static_cast<int64_t>(options_.max_queued_tasks)) {
    ActivationDone();
    uncount();
    return absl::ResourceExhaustedError(absl::StrCat(
        "the run queue is full (", options_.max_queued_tasks, " tasks, max_queued_tasks)"));
  }
  task->process = process;
  task->node = node;
  task->ref = std::string(ref);
  // With a store, a task with a ref lives in the partition of its process
  // and ref (Store: an engine owning it finds it there by ref alone).
  const int64_t now_micros = absl::ToUnixMicros(clock_->Now());
  task->obj_id = store_.NewObjId(persistence_ != nullptr && !ref.empty()
                                     ? PartitionOf(process->conv_id, ref, 0)
                                     : TaskStore::kAnyPartition,
                                 now_micros);
  task->create_micros = task->change_micros = task->entry_micros = now_micros;
  if (caller != nullptr) {
    task->extras().caller = std::make_unique<RpcCaller>(
        RpcCaller{std::string(caller->obj_id_view()), caller->entry_seq, caller->rpc_depth() + 1});
  }
  task->copy_depth = copy_depth;
  RecordHistory(task.get(), HistoryKind::kCreated, task->create_micros);
  task->counted_as_caused = tree != nullptr;
  if (tree != nullptr) task->extras().tree = std::move(tree);
  // Held by this thread from the moment it is visible until its create is
  // queued for the store (and, for a task a worker's activation starts,
  // until that activation is), so that nothing else touches it before: an
  // API call that finds it waits in Acquire.
  Worker* const starter = origin.worker;
  task->state.store(kHeld, std::memory_order_release);
  bool key_taken = false;
  if (absl::Status added = store_.Add(task, &key_taken); !added.ok()) {
    ActivationDone();
    uncount();
    if (!key_taken) return added;
    // A concurrent create with the same key came first: answer with its task.
    absl::StatusOr<std::optional<std::string>> earlier =
        FindByIdempotencyKey(task->idempotency()->key, task->idempotency()->fingerprint);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) return **earlier;
    return absl::AbortedError("a concurrent create with the same idempotency key failed; retry");
  }
  process->control->log.Append(task);
  // A scheduled create waits in its start node for its time (written so).
  const bool scheduled = origin.start_micros > task->create_micros;
  if (scheduled) {
    task->park = ParkReason::kScheduled;
    events_.ArmTimer(task.get(), origin.start_micros);
    RecordHistory(task.get(), HistoryKind::kParked, task->create_micros, ParkReason::kScheduled);
  }
  CommitTicket ticket = 0;
  if (persistence_ != nullptr && starter != nullptr) {
    persistence_->AddPut(*task, true, &starter->effects.transition);
  } else if (persistence_ != nullptr) {
    Transition transition;
    persistence_->AddPut(*task, true, &transition);
    absl::StatusOr<CommitTicket> committed = persistence_->Commit(std::move(transition), true);
    if (!committed.ok()) {
      events_.CancelTimer(task.get());  // the wheel must not point at it
      store_.EraseRef(task.get());
      TaskRef dropped;
      store_.Drop(task.get(), &dropped);
      // Whoever found it meanwhile waits to hold it: it finds it deleted.
      task->status = TaskStatus::kDeleted;
      task->state.store(kIdle, std::memory_order_release);
      ActivationDone();
      uncount();
      return committed.status();
    }
    ticket = *committed;
  }
  const CompiledNode& start = process->nodes[node];
  if (!start.is_final) process->node_tasks->AddShared(start.index, 1);
  if (scheduled) start.counters->scheduled.fetch_add(1, std::memory_order_relaxed);
  start.counters->created.AddShared(1);
  if (start.count.threshold != 0) steps_.CheckCountEntered(*process, start, starter);
  statistics_.TaskCreated();
  if (steps_.Wants(Observer::kCreated)) {
    RunningTaskScope held(task.get());
    steps_.Notify(&Observer::OnTaskCreated, *task);
  }
  std::string obj_id(task->obj_id_view());
  if (starter != nullptr) {
    starter->effects.started.push_back(task.get());
  } else {
    if (origin.completion != nullptr) {
      *origin.completion = std::make_shared<TaskCompletion>(this, obj_id);
      watchers_.Watch(task.get(), *origin.completion);
    }
    if (scheduled) {
      task->state.store(kIdle, std::memory_order_release);  // its timer starts it
      ActivationDone();
    } else {
      task->state.store(kQueued, std::memory_order_release);
      host_creates_.fetch_add(1, std::memory_order_relaxed);
      if (origin.batch_queue != nullptr) {
        origin.batch_queue->push_back(task.get());
      } else {
        Enqueue(task.get());
      }
    }
    // Acknowledged once durable (in sync mode: synced), or with its batch.
    if (origin.batch_ticket != nullptr) {
      *origin.batch_ticket = ticket;
    } else if (persistence_ != nullptr) {
      CONVEY_RETURN_IF_ERROR(persistence_->Acknowledge(ticket));
    }
  }
  return obj_id;
}

std::vector<absl::StatusOr<std::string>> EngineImpl::CreateTasks(
    int64_t conv_id, const std::vector<NewTask>& tasks) {
  std::vector<absl::StatusOr<std::string>> results;
  results.reserve(tasks.size());
  absl::Status open = CheckIntake();
  const CompiledProcess* process = open.ok() ? CurrentProcess(conv_id) : nullptr;
  if (open.ok() && process == nullptr) open = NotDeployed(conv_id);
  if (!open.ok()) {
    results.assign(tasks.size(), open);
    return results;
  }
  // The tasks' data is parsed, checked and minified first, by this thread
  // and the workers that are free, kPrepareChunk tasks at a time: this
  // thread was the bottleneck of a batch (B1). The rest of each create
  // (refs, indexes, queueing) stays in order on this thread, so that which
  // of two tasks with the same ref is refused does not depend on timing.
  constexpr size_t kPrepareChunk = 32;
  std::vector<absl::StatusOr<std::string>> prepared(tasks.size());
  shared_work_.ForEach(
      tasks.size(), kPrepareChunk,
      [&](size_t i) {
        // Nothing may leave ForEach's loop by an exception (a worker runs
        // it too): out of memory is this task's refusal.
        try {
          std::string data;
          absl::Status status = PrepareTaskData(tasks[i].data_json, options_.max_task_size, &data);
          if (status.ok()) {
            prepared[i] = std::move(data);
          } else {
            prepared[i] = std::move(status);
          }
        } catch (const std::bad_alloc&) {
          prepared[i] = absl::ResourceExhaustedError("out of memory preparing the task's data");
        }
      },
      [this](size_t helpers) {
        // One marker at a time: no allocation here either.
        for (size_t i = 0; i < std::min<size_t>(helpers, workers_.size()); ++i) {
          queue_.enqueue(&help_marker_);
        }
      });
  CommitTicket last = 0;
  // Queued every kQueueBatch tasks with one enqueue_bulk: each single
  // enqueue may wake a sleeping worker (a system call), which cost the
  // creating thread more than a fifth of its time per task.
  constexpr size_t kQueueBatch = 64;
  std::vector<Task*> ready;
  ready.reserve(std::min(tasks.size(), kQueueBatch));
  for (size_t i = 0; i < tasks.size(); ++i) {
    const NewTask& one = tasks[i];
    CommitTicket ticket = 0;
    TaskOrigin origin;
    origin.prepared = &prepared[i];
    origin.batch_ticket = &ticket;
    origin.batch_queue = &ready;
    origin.idempotency_key = one.idempotency_key;
    origin.start_micros = StartMicros(one.start_at);
    results.push_back(CreateTaskAt(process, process->start, one.ref, one.data_json, origin));
    last = std::max(last, ticket);
    if (ready.size() == kQueueBatch) EnqueueAll(&ready);
  }
  EnqueueAll(&ready);
  // One acknowledgement for the batch: every ticket up to the last.
  if (persistence_ != nullptr && last != 0) {
    if (absl::Status acknowledged = persistence_->Acknowledge(last); !acknowledged.ok()) {
      for (absl::StatusOr<std::string>& result : results) {
        if (result.ok()) result = acknowledged;
      }
    }
  }
  return results;
}

absl::Status EngineImpl::CountCausedTask(Task& cause, const CompiledProcess& process,
                                         std::shared_ptr<std::atomic<int64_t>>* tree) {
  // The worker running `cause` holds it: its tree is set here, once.
  std::shared_ptr<std::atomic<int64_t>>& cause_tree = cause.extras().tree;
  if (cause_tree == nullptr) cause_tree = std::make_shared<std::atomic<int64_t>>(0);
  if (cause_tree->fetch_add(1, std::memory_order_relaxed) >=
      static_cast<int64_t>(options_.max_tasks_per_tree)) {
    cause_tree->fetch_sub(1, std::memory_order_relaxed);
    return absl::OutOfRangeError(absl::StrCat(
        "this task and the tasks it caused have started ", options_.max_tasks_per_tree,
        " tasks with api_copy and api_rpc without a timer in between (max_tasks_per_tree): "
        "copies or calls that multiply?"));
  }
  if (process.caused_live->fetch_add(1, std::memory_order_relaxed) >=
      static_cast<int64_t>(options_.max_caused_tasks_per_process)) {
    process.caused_live->fetch_sub(1, std::memory_order_relaxed);
    cause_tree->fetch_sub(1, std::memory_order_relaxed);
    return absl::OutOfRangeError(
        absl::StrCat("process ", process.conv_id, " holds ", options_.max_caused_tasks_per_process,
                     " unfinished tasks started by api_copy and api_rpc already "
                     "(max_caused_tasks_per_process)"));
  }
  *tree = cause_tree;
  return absl::OkStatus();
}

absl::Status EngineImpl::ModifyTask(const TaskKey& key, absl::string_view data_json) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  thread_local simdjson::dom::parser patch_parser;
  thread_local simdjson::dom::parser data_parser;
  thread_local std::string collapsed;
  simdjson::dom::element patch;
  if (absl::Status parsed =
          ParseTaskData(patch_parser, data_json, options_.max_task_size, &patch, &collapsed);
      !parsed.ok()) {
    return parsed;
  }
  return ChangeData(key, "Engine::ModifyTask", HistoryKind::kModified,
                    [&](Task* task) { return MergeData(task, patch, data_parser); });
}

absl::Status EngineImpl::PatchTask(const TaskKey& key, absl::string_view patch_json) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  if (patch_json.size() > options_.max_task_size * 4 + 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("the JSON Patch is ", patch_json.size(), " bytes; at most ",
                     options_.max_task_size * 4 + 1024, " are read (4 x max_task_size + 1024)"));
  }
  return ChangeData(key, "Engine::PatchTask", HistoryKind::kPatched, [&](Task* task) {
    std::string patched;
    CONVEY_RETURN_IF_ERROR(ApplyJsonPatch(task->data, patch_json, kMaxDataDepth, &patched));
    CONVEY_RETURN_IF_ERROR(CheckSize(patched.size(), options_.max_task_size));
    task->data.swap(patched);
    task->change_micros = absl::ToUnixMicros(clock_->Now());
    return absl::OkStatus();
  });
}

absl::Status EngineImpl::ChangeData(const TaskKey& key, absl::string_view call, HistoryKind kind,
                                    const std::function<absl::Status(Task*)>& change, bool wake) {
  TaskRef task = store_.Find(key);
  if (task == nullptr) {
    return RefuseArchived(key);
  }
  CONVEY_RETURN_IF_ERROR(CheckNotRunning(*task, call));
  Acquire(task.get());
  if (task->status == TaskStatus::kDeleted) {
    Release(task.get(), false);
    return NotFoundFor(key);
  }
  if (task->status == TaskStatus::kProcessed) {
    Release(task.get(), false);
    return Finished(task->obj_id_view(), task->current_node().id);
  }
  if (absl::Status changed = change(task.get()); !changed.ok()) {
    Release(task.get(), false);
    return changed;
  }
  if (kind != HistoryKind::kHost) RecordHistory(task.get(), kind, task->change_micros);
  const bool resume =
      wake && (task->park == ParkReason::kCallback || task->park == ParkReason::kLoopStopped);
  if (resume) Unpark(task.get());
  absl::StatusOr<CommitTicket> ticket = CommitPut(*task);
  Release(task.get(), resume);
  if (!ticket.ok()) return ticket.status();
  return persistence_ != nullptr ? persistence_->Acknowledge(*ticket) : absl::OkStatus();
}

template <typename FromTask, typename FromRecord>
auto EngineImpl::ReadTask(const TaskKey& key, absl::string_view call, FromTask from_task,
                          FromRecord from_record)
    -> absl::StatusOr<std::invoke_result_t<FromTask, const Task&>> {
  if (absl::Status open = CheckOpen(); !open.ok()) return open;
  TaskRef task = store_.Find(key, /*ended=*/true);
  if (task == nullptr) {
    // With a store, finished tasks are in its archive until the retention
    // passes.
    std::string obj_id;
    absl::StatusOr<schema::TaskRecord> archived = FindArchived(key, &obj_id);
    if (!archived.ok()) return archived.status();
    return from_record(obj_id, *archived);
  }
  CONVEY_RETURN_IF_ERROR(CheckNotRunning(*task, call));
  Acquire(task.get());
  auto result = from_task(*task);
  Release(task.get(), false);
  return result;
}

absl::StatusOr<TaskHistory> EngineImpl::GetTaskHistory(const TaskKey& key) {
  return ReadTask(
      key, "Engine::GetTaskHistory",
      [](const Task& task) {
        if (const TaskHistoryLog* history = task.history()) {
          return history->ToPublic(task.obj_id_view());
        }
        TaskHistory none;
        none.obj_id = std::string(task.obj_id_view());
        return none;
      },
      HistoryOfRecord);
}

absl::Status EngineImpl::AppendTaskHistory(const TaskKey& key, absl::string_view text) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  if (options_.task_history_limit == 0) {
    return absl::FailedPreconditionError(
        "the engine keeps no task history (EngineOptions::task_history_limit is 0)");
  }
  if (text.empty() || text.size() > kMaxHistoryText) {
    return absl::InvalidArgumentError(absl::StrCat("a history entry's text is ", text.size(),
                                                   " bytes; 1..", kMaxHistoryText, " are allowed"));
  }
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    return absl::InvalidArgumentError("a history entry's text must be UTF-8");
  }
  return ChangeData(
      key, "Engine::AppendTaskHistory", HistoryKind::kHost,
      [&](Task* task) {
        // A note about the task, not a change of it: change_time stays.
        RecordHistory(task, HistoryKind::kHost, absl::ToUnixMicros(clock_->Now()), text);
        return absl::OkStatus();
      },
      /*wake=*/false);
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
  return ReadTask(key, "Engine::ShowTask", SnapshotOf,
                  [this](absl::string_view obj_id, const schema::TaskRecord& record) {
                    return SnapshotOfRecord(obj_id, record);
                  });
}

absl::Status EngineImpl::DeleteTask(const TaskKey& key, absl::string_view node_id) {
  if (absl::Status open = CheckIntake(); !open.ok()) return open;
  TaskRef task = store_.Find(key);
  if (task == nullptr) {
    return RefuseArchived(key);
  }
  CONVEY_RETURN_IF_ERROR(CheckNotRunning(*task, "Engine::DeleteTask"));
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
  events_.CancelTimer(task.get());
  if (!node.is_final) {
    task->process->node_tasks->AddShared(node.index, -1);
    if (node.count.threshold != 0) steps_.CheckCountLeft(*task->process, node, nullptr);
    if (std::atomic<int64_t>* counter = ReasonCounter(node, task->park)) {
      counter->fetch_sub(1, std::memory_order_relaxed);
    }
  }
  const bool waited_for_http = task->park == ParkReason::kHttp;
  if (waited_for_http) HttpWaitEnded(*task);  // its answer will be dropped
  task->callback_wait.store(0, std::memory_order_release);
  task->status = TaskStatus::kDeleted;
  task->park = ParkReason::kNone;
  UncountCaused(task.get());
  task->change_micros = absl::ToUnixMicros(clock_->Now());
  RecordHistory(task.get(), HistoryKind::kDeleted, task->change_micros);
  // Archived, like a finished task. It stays in memory too: the run queue
  // may still hold it. Its ref is free once its end is queued.
  absl::StatusOr<CommitTicket> ticket = 0;
  if (persistence_ != nullptr) {
    Transition transition;
    persistence_->AddEnd(*task, true, task->change_micros, &transition);
    ticket = persistence_->Commit(std::move(transition), true);
  }
  store_.EraseRef(task.get(), /*keep=*/persistence_ == nullptr);
  {
    RunningTaskScope held(task.get());
    if (steps_.Wants(Observer::kDeleted)) steps_.Notify(&Observer::OnTaskDeleted, *task);
    watchers_.Ended(*task);
  }
  Release(task.get(), false);
  // WaitIdle may have been waiting for that timer (virtual clock) or answer.
  if (timed || waited_for_http) NotifyIdleWaiters();
  if (!ticket.ok()) return ticket.status();
  return persistence_ != nullptr ? persistence_->Acknowledge(*ticket) : absl::OkStatus();
}

void EngineImpl::ForEachTask(const std::function<void(const TaskSnapshot&)>& visit) {
  store_.ForEach([this, &visit](const TaskRef& task) {
    if (task.get() == RunningTask()) return;  // its own worker calls: it would wait for itself
    Acquire(task.get());
    TaskSnapshot snapshot = SnapshotOf(*task);
    Release(task.get(), false);
    visit(snapshot);
  });
  // Then the archive (once what is queued for it is written), but for
  // deleted tasks memory still holds. A failed read ends the walk: this call
  // has no way to say so but stopping, and the logger.
  if (persistence_ == nullptr) return;
  absl::Status read = persistence_->Flush();
  if (read.ok()) {
    read = persistence_->store().ForEachArchived(
        [this, &visit](absl::string_view obj_id, absl::string_view bytes) {
          if (store_.Find(TaskKey::ByObjId(std::string(obj_id))) != nullptr) return;
          schema::TaskRecord record;
          if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            Log(LogSeverity::kError,
                absl::StrCat("ForEachTask: archived task ", obj_id, " does not parse; skipped"));
            return;
          }
          visit(SnapshotOfRecord(obj_id, record));
        });
  }
  if (!read.ok()) {
    Log(LogSeverity::kError,
        absl::StrCat("ForEachTask stopped before the end of the archive: ", read.message()));
  }
}

}  // namespace internal
}  // namespace convey
