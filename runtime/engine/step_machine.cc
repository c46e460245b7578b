// The step machine: a task's logics, routes, parks, stops and finishes (see
// step_machine.h; no lock per step).
#include "runtime/engine/step_machine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/engine/event_loop.h"
#include "runtime/engine/http_admission.h"
#include "runtime/engine/persistence.h"
#include "runtime/engine/statistics.h"
#include "runtime/engine/task_completion.h"
#include "runtime/engine/task_data_buffers.h"
#include "runtime/engine/task_store.h"
#include "runtime/task/write_set.h"
#include "runtime/template/compare.h"

namespace convey {
namespace internal {

StepMachine::StepMachine(EngineImpl* engine, const EngineOptions& options, Clock* clock,
                         Observer* observer, TaskStore& store, Statistics& statistics,
                         EventLoop& events, HttpAdmission& http)
    : engine_(engine),
      options_(options),
      clock_(clock),
      observer_(observer),
      observed_(observer != nullptr ? observer->events() : 0),
      store_(store),
      statistics_(statistics),
      events_(events),
      http_(http) {}

void StepMachine::RunActivation(Worker& worker, Task* task) {
  TaskRef dropped;  // keeps a dropped task alive until we let go
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
  if (task->process->control->paused.load(std::memory_order_acquire) &&
      engine_->HoldIfPaused(task, now_micros)) {
    task->state.store(kIdle, std::memory_order_release);
    return;
  }
  worker.now_micros = now_micros;
  task->change_micros = now_micros;
  StepContext context(engine_, &worker, task, now_micros);
  SetRunningTask(task);
  if (task->unparked_from != 0) {
    const auto waited = static_cast<ParkReason>(task->unparked_from);
    task->unparked_from = 0;
    engine_->RecordHistory(task, HistoryKind::kResumed, now_micros, waited);
    const absl::StatusOr<HttpResponse>* http_result = task->http_result();
    if (http_result != nullptr) {
      engine_->RecordHistory(task, HistoryKind::kHttpAnswered, now_micros,
                             http_result->ok() ? absl::StrCat((*http_result)->status)
                                               : std::string(http_result->status().message()));
    }
    if (Wants(Observer::kResumed)) {
      Notify(&Observer::OnTaskResumed, *task, [waited](TaskEvent& e) { e.park_reason = waited; });
    }
    if (http_result != nullptr && Wants(Observer::kHttpAnswered)) {
      Notify(&Observer::OnHttpAnswered, *task,
             [http_result](TaskEvent& e) { e.http_response = http_result; });
    }
  }
  worker.counted_node = task->node;
  if (ApplyResume(worker, context, task)) RunNodes(worker, context, task);
  SettleNodeCount(worker, *task);
  FlushEntered(worker, task);
  // A task that entered a queue becomes visible there only once it is idle,
  // so that a puller never finds it still running.
  std::string queue_extra;
  const bool queued = context.TakeQueueEntry(&queue_extra) && task->park == ParkReason::kQueue;
  NodeQueue* queue = queued ? task->current_node().queue.get() : nullptr;
  NodeQueue::Entry entry;
  if (queue != nullptr) {
    entry = {std::string(task->obj_id_view()), task->entry_seq, std::move(queue_extra)};
    if (Persistence* persistence = engine_->persistence()) entry.seq = persistence->NextQueueSeq();
  }
  // Webhook deliveries are written with the step that causes them, and
  // sent once it is committed.
  std::vector<WebhookDispatcher::Delivery> deliveries;
  if (engine_->webhooks().enabled()) {
    engine_->webhooks().Collect(*task, &worker.effects.transition, &deliveries);
  }
  const CommitTicket ticket =
      CommitActivation(worker, task, queue != nullptr ? &entry : nullptr, !deliveries.empty());
  if (!deliveries.empty()) engine_->webhooks().Queue(&deliveries, ticket);
  if (task->status == TaskStatus::kProcessed) {
    // Once its end is queued for the store: a ref taken by a new task is
    // never also held by this one at its last written state. Kept in
    // memory (no store, saved), it stays findable by ref (ShowTask).
    const bool kept = task->current_node().save_task && engine_->persistence() == nullptr;
    store_.EraseRef(task, kept);
    if (Wants(Observer::kFinished)) Notify(&Observer::OnTaskFinished, *task);
    engine_->watchers().Ended(*task);
    // It leaves memory when its node does not save it, or, with a store,
    // for its archive.
    if (!kept) store_.Drop(task, &dropped);
  }
  if (task->status == TaskStatus::kError || task->status == TaskStatus::kLoopStopped) {
    engine_->watchers().Ended(*task);
  }
  SetRunningTask(nullptr);
  task->state.store(kIdle, std::memory_order_release);
  if (queue != nullptr) {
    std::lock_guard<std::mutex> lock(queue->mu);
    queue->entries.push_back(std::move(entry));
  }
  ApplyEffects(worker.effects);
}

CommitTicket StepMachine::CommitActivation(Worker& worker, Task* task,
                                           const NodeQueue::Entry* queue_entry, bool acknowledged) {
  Persistence* persistence = engine_->persistence();
  if (persistence == nullptr) return 0;
  Transition& transition = worker.effects.transition;
  if (task->status == TaskStatus::kProcessed) {
    persistence->AddEnd(*task, task->current_node().save_task, worker.now_micros, &transition);
  } else {
    persistence->AddPut(*task, false, &transition, queue_entry);
  }
  // A failed commit is kept by Persistence: the engine refuses new work,
  // and this task goes on in memory.
  absl::StatusOr<CommitTicket> ticket = persistence->Commit(std::move(transition), acknowledged,
                                                            /*waiter_writes=*/false);
  transition.clear();  // moved from: empty it for the next activation
  return ticket.ok() ? *ticket : 0;
}

void StepMachine::ApplyEffects(ActivationEffects& effects) {
  for (Task* started : effects.started) {
    started->state.store(kQueued, std::memory_order_release);
    engine_->Enqueue(started);
  }
  effects.started.clear();
  for (TaskRef& resumed : effects.resumed) engine_->Release(resumed.get(), true);
  effects.resumed.clear();
  for (PostedOp& op : effects.posts) events_.Post(std::move(op));
  effects.posts.clear();
}

bool StepMachine::ApplyResume(Worker& worker, StepContext& context, Task* task) {
  const Resume resume = task->resume;
  task->resume = Resume::kContinue;
  if (resume == Resume::kTimer) {
    engine_->RecordHistory(task, HistoryKind::kTimerFired, worker.now_micros);
    if (Wants(Observer::kTimerFired)) Notify(&Observer::OnTimerFired, *task);
    return Enter(worker, task, task->current_node().time->target);
  }
  TaskExtras* extras = task->extras_if_any();
  if (resume != Resume::kFail || extras == nullptr || extras->failure == nullptr ||
      task->next_logic == 0) {
    return true;
  }
  // The logic the task waited in (api_rpc) fails now: the callee threw.
  std::unique_ptr<ResumeFailure> failure = std::move(extras->failure);
  const Logic& logic = *task->current_node().logics[task->next_logic - 1];
  LogicResult result =
      LogicResult::Fail(logic.error_node(), false, failure->tag, failure->description);
  WriteErrorParams(worker, context, task, failure->family, result);
  if (!result.node.valid()) {
    Stop(worker, task, TaskStatus::kError, ParkReason::kError, result.tag, result.description);
    return false;
  }
  return Enter(worker, task, result.node.index);
}

LogicResult StepMachine::SizeOverflow(const Logic& logic) const {
  return LogicResult::Fail(
      logic.error_node(), false, absl::StrCat(logic.error_family(), "_task_size_overflow_limit"),
      absl::StrCat("Task size exceeds the limit of ", options_.max_task_size, " bytes"));
}

LogicResult StepMachine::DepthOverflow(const Logic& logic) const {
  return LogicResult::Fail(
      logic.error_node(), false, absl::StrCat(logic.error_family(), "_task_depth_overflow_limit"),
      absl::StrCat("Task data would nest deeper than ", kMaxDataDepth, " levels"));
}

void StepMachine::RunNodes(Worker& worker, StepContext& context, Task* task) {
  for (;;) {
    const CompiledNode& node = task->current_node();
    if (node.is_final) {
      Finish(worker, task);
      return;
    }
    bool moved = false;
    while (task->next_logic < node.logics.size()) {
      const Logic& logic = *node.logics[task->next_logic];
      LogicResult result = logic.Run(context);
      if (TaskExtras* extras = task->extras_if_any(); extras != nullptr) {
        extras->http_result.reset();  // an api answer is read by one run only
      }
      if (context.has_replacement()) {
        std::string replacement = context.TakeReplacement();
        if (result.kind != LogicResult::Kind::kFail &&
            replacement.size() > options_.max_task_size) {
          result = SizeOverflow(logic);
        }
        if (result.kind != LogicResult::Kind::kFail) task->data.swap(replacement);
        // What the context parsed last is of the replacement, or (after a
        // second ReplaceData that failed) of the data before it: the next
        // reader parses the task's data again.
        context.Invalidate();
      }
      if (result.kind != LogicResult::Kind::kFail && !context.writes().empty()) {
        if (!WritesFitDepth(context.writes())) {
          result = DepthOverflow(logic);
        } else if (!CommitWrites(worker, context, task)) {
          result = SizeOverflow(logic);
        }
      }
      context.writes().clear();
      if (result.kind == LogicResult::Kind::kNext) {
        ++task->next_logic;
        continue;
      }
      if (result.kind == LogicResult::Kind::kPark &&
          !IsParkReason(static_cast<int64_t>(result.park))) {
        // A host logic's: the task keeps its reason in a byte (B7).
        result = LogicResult::Fail(
            logic.error_node(), true, absl::StrCat(logic.error_family(), "_fatal_error"),
            absl::StrCat("the logic waited for a reason the engine does not know (",
                         static_cast<int64_t>(result.park), ")"));
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
            ParkInNode(worker, context, task, result.park);
            engine_->RecordHistory(task, HistoryKind::kHttpSent, context.now_micros(),
                                   request->method);
            if (Wants(Observer::kHttpSent)) {
              Notify(&Observer::OnHttpSent, *task,
                     [&request](TaskEvent& e) { e.http_request = request.get(); });
            }
            http_.Dispatch(&logic, std::move(request), max_in_flight, *task);
            return;
          }
        } else {
          ++task->next_logic;
          ParkInNode(worker, context, task, result.park);
          return;
        }
      }
      if (result.kind == LogicResult::Kind::kFail) {
        WriteErrorParams(worker, context, task,
                         result.family.empty() ? logic.error_family() : result.family, result);
        if (!result.node.valid()) {
          Stop(worker, task, TaskStatus::kError, ParkReason::kError, result.tag,
               result.description);
          return;
        }
      } else if (!result.node.valid()) {  // kGoTo along an empty link
        Stop(worker, task, TaskStatus::kError, ParkReason::kUnroutable, "node_link_empty",
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
      ParkInNode(worker, context, task,
                 node.time != nullptr ? ParkReason::kTimer : ParkReason::kNoExit);
      return;
    }
  }
}

void StepMachine::ParkInNode(Worker& worker, StepContext& context, Task* task, ParkReason reason) {
  FlushEntered(worker, task);
  const bool timed = ArmTimer(context, task);
  if (reason == ParkReason::kTimer && !timed) reason = ParkReason::kNoExit;
  Park(task, reason);
  task->copy_depth = 0;  // waiting breaks a chain of copies
  if (reason == ParkReason::kCallback) {
    task->callback_wait.store(task->entry_seq << 1, std::memory_order_release);
  }
  if (task->process->is_state_diagram()) {
    std::atomic_store(&task->extras().state_data, std::make_shared<const std::string>(task->data));
  }
  engine_->RecordHistory(task, HistoryKind::kParked, context.now_micros(), reason);
  if (Wants(Observer::kParked)) {
    Notify(&Observer::OnTaskParked, *task, [reason](TaskEvent& e) { e.park_reason = reason; });
  }
}

bool StepMachine::ArmTimer(StepContext& context, Task* task) {
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
  events_.ArmTimer(task, deadline);
  return true;
}

namespace {

// A count semaphore's signal task: started by no task, but, from a worker,
// written with that worker's activation (so a replayed step signals once).
TaskOrigin SignalOrigin(Worker* worker) {
  TaskOrigin origin;
  origin.worker = worker;
  return origin;
}

// About the bytes `writes` add to a task's text: keys and values with
// their quotes, colon and comma (a literal's text() is empty).
size_t GrowthOf(const WriteSet& writes) {
  size_t bytes = 0;
  for (const Write& write : writes) {
    for (const PathSegment& segment : write.path) bytes += segment.key.size() + 8;
    bytes += write.value.text().size() + 8;
  }
  return bytes;
}

}  // namespace

void StepMachine::CheckCountEntered(const CompiledProcess& process, const CompiledNode& node,
                                    Worker* worker) {
  NodeCounters& counters = *node.counters;
  if (process.node_tasks->Read(node.index) < node.count.threshold ||
      counters.count_alerted.load(std::memory_order_relaxed) ||
      counters.count_alerted.exchange(true)) {
    return;
  }
  // A new signal task; the tasks in the node stay where they are. A full
  // run queue loses the signal rather than block a worker.
  SignalCount(process, node, true, worker);
}

void StepMachine::CheckCountLeft(const CompiledProcess& process, const CompiledNode& node,
                                 Worker* worker) {
  NodeCounters& counters = *node.counters;
  if (!counters.count_alerted.load(std::memory_order_relaxed) ||
      process.node_tasks->Read(node.index) >= node.count.threshold ||
      !counters.count_alerted.exchange(false)) {
    return;
  }
  SignalCount(process, node, false, worker);
}

void StepMachine::SignalCount(const CompiledProcess& process, const CompiledNode& node, bool start,
                              Worker* worker) {
  absl::StatusOr<std::string> signal = engine_->CreateTaskAt(
      &process, node.count.target, "", start ? R"({"start":"true"})" : R"({"start":"false"})",
      SignalOrigin(worker));
  if (!signal.ok()) {
    engine_->Log(LogSeverity::kWarning,
                 absl::StrCat("process ", process.conv_id, ", node \"", node.id,
                              "\": the count semaphore's signal task (start ",
                              start ? "true" : "false", ") was lost: ", signal.status().message()));
  }
}

void Unpark(Task* task) {
  if (std::atomic<int64_t>* counter = ReasonCounter(task->current_node(), task->park)) {
    counter->fetch_sub(1, std::memory_order_relaxed);
  }
  task->unparked_from = static_cast<uint8_t>(task->park.get());
  task->park = ParkReason::kNone;
  task->status = TaskStatus::kProcessing;
  task->callback_wait.store(0, std::memory_order_release);
}

bool StepMachine::CommitWrites(Worker& worker, StepContext& context, Task* task) {
  // Bounded: a write to `a[2000000000]` must fail, not pad gigabytes.
  return WriteToData(worker, context, task, context.writes(), options_.max_task_size);
}

bool StepMachine::WriteToData(Worker& worker, StepContext& context, Task* task,
                              const WriteSet& writes, size_t max_bytes) {
  worker.scratch.clear();
  // Room for the new text (at least the 256 bytes the writers' Sink grows
  // a string to), in a buffer a dropped task's data left where one fits:
  // appending into the last text's buffer (swapped out below) took a new
  // one and freed that on most writes (B1).
  ReserveTaskData(std::max<size_t>(256, task->data.size() + GrowthOf(writes)), &worker.scratch);
  bool within = false;
  // Top-level writes need only the text's index: the document is built
  // for the others, or used when a logic already built it.
  if (context.has_document() || !SpliceWritesWithin(task->data, context.data_index(), writes,
                                                    max_bytes, &worker.scratch, &within)) {
    simdjson::dom::element doc = context.data();
    within = ApplyWritesToTextWithin(task->data, doc, context.data_index(), writes, max_bytes,
                                     &worker.scratch);
  }
  if (!within) return false;
  task->data.swap(worker.scratch);
  context.Invalidate();
  return true;
}

void StepMachine::WriteErrorParams(Worker& worker, StepContext& context, Task* task,
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
  WriteToData(worker, context, task, writes, std::numeric_limits<size_t>::max());
  writes.clear();
}

bool StepMachine::Enter(Worker& worker, Task* task, uint32_t target) {
  const CompiledProcess& process = *task->process;
  const CompiledNode& from = process.nodes[task->node];
  const CompiledNode& to = process.nodes[target];
  events_.CancelTimer(task);  // leaving the node (even for itself) ends its timer
  if (from.count.threshold != 0 || to.count.threshold != 0) {
    // A count semaphore sees every pass through its node: the counts move
    // now (elsewhere once, when the activation ends).
    SettleNodeCount(worker, *task);
    process.node_tasks->AddOwned(task->node, -1, worker.index);
    if (from.count.threshold != 0) CheckCountLeft(process, from, &worker);
    if (!to.is_final) process.node_tasks->AddOwned(target, 1, worker.index);
    worker.counted_node = target;
  }
  task->prev_node = task->node;
  task->node = target;
  task->next_logic = 0;
  ++task->entry_seq;
  task->entry_micros = worker.now_micros;
  if (options_.task_history_limit != 0) worker.entered.push_back(&to);
  if (to.count.threshold != 0) CheckCountEntered(process, to, &worker);
  // Only this worker writes its own counter.
  worker.transitions.store(worker.transitions.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
  if (worker.visits.size() <= target) worker.visits.resize(process.nodes.size());
  auto& visit = worker.visits[target];
  if (visit.first != worker.generation) visit = {worker.generation, 0};
  if (Wants(Observer::kNodeEntered)) {
    Notify(&Observer::OnNodeEntered, *task, [&from](TaskEvent& e) { e.prev_node_id = from.id; });
  }
  if (++visit.second > static_cast<uint32_t>(options_.loop_limit) && !to.is_final) {
    Stop(worker, task, TaskStatus::kLoopStopped, ParkReason::kLoopStopped, "loop_limit",
         absl::StrCat("entered node \"", to.id, "\" more than ", options_.loop_limit,
                      " times without waiting"));
    return false;
  }
  return true;
}

void StepMachine::FlushEntered(Worker& worker, Task* task) {
  if (worker.entered.empty()) return;
  engine_->RecordEntered(task, worker.now_micros, worker.entered);
  worker.entered.clear();
}

void StepMachine::Park(Task* task, ParkReason reason) {
  task->park = reason;
  if (std::atomic<int64_t>* counter = ReasonCounter(task->current_node(), reason)) {
    counter->fetch_add(1, std::memory_order_relaxed);
  }
}

void StepMachine::Stop(Worker& worker, Task* task, TaskStatus status, ParkReason reason,
                       absl::string_view tag, absl::string_view description) {
  FlushEntered(worker, task);
  task->status = status;
  Park(task, reason);
  if (status == TaskStatus::kLoopStopped) {
    statistics_.TaskLoopStopped(worker.index);
  } else {
    statistics_.TaskErrored(worker.index);
  }
  const bool loop = status == TaskStatus::kLoopStopped;
  engine_->RecordHistory(task, loop ? HistoryKind::kLoopStopped : HistoryKind::kError,
                         task->change_micros, absl::StrCat(tag, ": ", description));
  if (!Wants(loop ? Observer::kLoopStopped : Observer::kError)) return;
  Notify(loop ? &Observer::OnTaskLoopStopped : &Observer::OnTaskError, *task,
         [tag, description](TaskEvent& e) {
           e.error_tag = tag;
           e.error_description = description;
         });
}

void StepMachine::Finish(Worker& worker, Task* task) {
  const CompiledNode& node = task->current_node();
  task->status = TaskStatus::kProcessed;
  task->park = ParkReason::kFinal;
  EngineImpl::UncountCaused(task);
  node.counters->finished.AddOwned(1, worker.index);
  statistics_.TaskFinished(worker.index);
  FlushEntered(worker, task);
  engine_->RecordHistory(task, HistoryKind::kFinished, worker.now_micros);
  // Its ref and the observer's event come once its end is committed
  // (RunActivation).
}

TaskEvent StepMachine::EventOf(const Task& task) const {
  TaskEvent event;
  event.conv_id = task.process->conv_id;
  event.obj_id = task.obj_id_view();
  event.ref = task.ref;
  event.node_id = task.current_node().id;
  event.node_title = task.current_node().title;
  event.data = task.data;
  event.create_time = absl::FromUnixMicros(task.create_micros);
  event.time = absl::FromUnixMicros(task.change_micros);
  return event;
}

}  // namespace internal
}  // namespace convey
