// The engine and its durable store (docs/engine.md, "Durability"): the
// catalog of scheme versions at deploy, recovery at Open, commits of API
// changes and reads of the archive.
//
// Recovery runs before the engine's threads start, so it takes no task
// ownership: every task it makes is its own until Start.
#include <algorithm>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/base/status_macros.h"
#include "runtime/engine/engine_impl.h"
#include "runtime/engine/persistence.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/json/utf8.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

// Gives a process its catalog version, and its sums their keys in the store.
void AssignVersion(CompiledProcess& process, uint64_t version) {
  process.version = version;
  for (const CompiledNode& node : process.nodes) {
    for (size_t i = 0; i < node.sums.size(); ++i) {
      SumAccumulator& sum = *node.sums[i];
      sum.set_store_key(
          SumKey(version, process.conv_id, node.id, absl::StrCat(i, ":", sum.id(), sum.name())));
    }
  }
}

// Why a stored task's data cannot be what the engine writes (a compact JSON
// object, repeated keys collapsed), or "" when it can: the readers of task
// data (text_index.h, the splice) rely on that. Such a record comes from a
// damaged or foreign store; reading it as {} would lose the data unseen.
// Bytes that are not UTF-8 in otherwise valid data (a host logic's raw
// text, written by a version that did not check) are replaced by U+FFFD in
// `*data`, and `*repaired` says so: the task keeps the rest of its data.
std::string DamageOfData(simdjson::dom::parser& parser, std::string* data, bool* repaired) {
  *repaired = false;
  simdjson::dom::element doc;
  simdjson::error_code error = parser.parse(*data).get(doc);
  if (error == simdjson::UTF8_ERROR) {
    std::string valid = ValidUtf8(*data);
    error = parser.parse(valid).get(doc);
    if (error == simdjson::SUCCESS) {
      data->swap(valid);
      *repaired = true;
    }
  }
  if (error != simdjson::SUCCESS) {
    return absl::StrCat("its data is not valid JSON (", simdjson::error_message(error), ")");
  }
  if (!doc.is_object()) return "its data is not a JSON object";
  if (HasRepeatedKeys(doc)) {
    // Two keys repaired alike ("k\xFF" and "k\xFE") are one key now: kept
    // once when their values agree, as task data's repeats are.
    std::string collapsed;
    if (!*repaired || !CollapseRepeatedKeys(*data, "the task's data", &collapsed).ok()) {
      return "its data repeats a key";
    }
    data->swap(collapsed);
  }
  return "";
}

// A queue node's entry as recovered: entries go back in arrival order.
struct RecoveredEntry {
  NodeQueue* queue = nullptr;
  NodeQueue::Entry entry;
};

}  // namespace

absl::Status EngineImpl::Catalogue(absl::string_view file_name, absl::string_view json,
                                   std::vector<std::unique_ptr<CompiledProcess>>& compiled,
                                   bool* existing, DeployResult* result) {
  *existing = false;
  if (const uint64_t version = persistence_->FindScheme(json); version != 0) {
    // The very bytes the store holds (recovered at Open, or deployed before
    // in this run): its processes, which stored tasks run on, become
    // current again.
    std::vector<const CompiledProcess*> stored;
    for (const auto& process : compiled) {
      const CompiledProcess* found = VersionOf(version, process->conv_id);
      if (found == nullptr) break;
      stored.push_back(found);
    }
    if (stored.size() == compiled.size()) {
      std::lock_guard<std::shared_mutex> lock(processes_mu_);
      for (const CompiledProcess* process : stored) {
        if (!current_.contains(process->conv_id)) deploy_order_.push_back(process->conv_id);
        current_[process->conv_id] = process;
      }
      *existing = true;
      return absl::OkStatus();
    }
    for (auto& process : compiled) AssignVersion(*process, version);
    return absl::OkStatus();
  }
  if (const uint64_t changed = persistence_->ChangedFile(file_name, json); changed != 0) {
    Diagnostic warning;
    warning.severity = Diagnostic::Severity::kWarning;
    warning.file = std::string(file_name);
    warning.message = absl::StrCat(
        "the file changed since the store ", persistence_->directory(), " took it (version ",
        changed, "): tasks stored on that version go on with it; new tasks run on this one");
    result->warnings.push_back(std::move(warning));
  }
  CONVEY_ASSIGN_OR_RETURN(const uint64_t version,
                          persistence_->AddScheme(file_name, json, result->conv_ids,
                                                  absl::ToUnixMicros(clock_->Now())));
  for (auto& process : compiled) AssignVersion(*process, version);
  return absl::OkStatus();
}

absl::StatusOr<CommitTicket> EngineImpl::CommitPut(Task& task) {
  if (persistence_ == nullptr) return 0;
  Transition transition;
  persistence_->AddPut(task, false, &transition);
  return persistence_->Commit(std::move(transition), true);
}

absl::StatusOr<schema::TaskRecord> EngineImpl::FindArchived(const TaskKey& key,
                                                            std::string* obj_id) {
  if (persistence_ == nullptr) return NotFoundFor(key);
  absl::StatusOr<std::optional<schema::TaskRecord>> found = persistence_->FindArchived(key, obj_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return NotFoundFor(key);
  return **std::move(found);
}

absl::Status EngineImpl::RefuseArchived(const TaskKey& key) {
  std::string obj_id;
  absl::StatusOr<schema::TaskRecord> archived = FindArchived(key, &obj_id);
  if (!archived.ok()) return archived.status();
  if (archived->status() == static_cast<int32_t>(TaskStatus::kDeleted)) return NotFoundFor(key);
  return Finished(obj_id, archived->node_id());
}

TaskSnapshot EngineImpl::SnapshotOfRecord(absl::string_view obj_id,
                                          const schema::TaskRecord& record) const {
  TaskSnapshot snapshot;
  snapshot.obj_id = std::string(obj_id);
  snapshot.ref = record.ref();
  snapshot.conv_id = record.conv_id();
  snapshot.status = static_cast<TaskStatus>(record.status());
  snapshot.park_reason = static_cast<ParkReason>(record.park());
  snapshot.node_id = record.node_id();
  if (const CompiledProcess* process = VersionOf(record.version(), record.conv_id())) {
    if (const CompiledNode* node = process->FindNode(record.node_id())) {
      snapshot.node_title = node->title;
    }
  }
  snapshot.node_prev_id = record.prev_node_id();
  snapshot.create_time = absl::FromUnixMicros(record.create_micros());
  snapshot.change_time = absl::FromUnixMicros(record.change_micros());
  snapshot.data = record.data();
  return snapshot;
}

TaskHistory HistoryOfRecord(absl::string_view obj_id, const schema::TaskRecord& record) {
  TaskHistory history;
  history.obj_id = std::string(obj_id);
  history.dropped = record.history_dropped();
  for (const schema::HistoryEntryRecord& entry : record.history()) {
    TaskHistoryEntry& out = history.entries.emplace_back();
    out.time = absl::FromUnixMicros(entry.micros());
    out.kind = std::string(HistoryKindName(static_cast<HistoryKind>(entry.kind())));
    out.node_id = entry.node_id();
    out.text = entry.text();
  }
  return history;
}

absl::Status EngineImpl::Recover() {
  const std::string& directory = persistence_->directory();
  // 1. Every scheme version, compiled again: tasks resume on theirs.
  for (const CatalogEntry& entry : persistence_->Catalog()) {
    DeployResult ignored;
    absl::StatusOr<std::vector<std::unique_ptr<CompiledProcess>>> compiled =
        CompileScheme(entry.file_name, entry.json, &ignored);
    if (!compiled.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", directory, ": version ", entry.version, " (", entry.file_name,
          ") no longer deploys, so its tasks cannot resume: ", compiled.status().message()));
    }
    for (auto& process : *compiled) AssignVersion(*process, entry.version);
    Install(*std::move(compiled));
  }

  // 2. Sums.
  absl::flat_hash_map<std::string, SumAccumulator*> sums;
  {
    std::shared_lock<std::shared_mutex> lock(processes_mu_);
    for (const auto& process : versions_) {
      for (const CompiledNode& node : process->nodes) {
        for (const auto& sum : node.sums) sums[sum->store_key()] = sum.get();
      }
    }
  }
  CONVEY_RETURN_IF_ERROR(persistence_->store().LoadSums([&](absl::string_view key, double total) {
    auto it = sums.find(key);
    if (it != sums.end()) it->second->Add(total, worker_count_);
  }));

  // 3. Tasks, partition by partition; then queue entries and messages.
  std::vector<Task*> runnable;
  std::vector<TaskRef> recovered;  // for the processes' task logs
  std::vector<RecoveredEntry> queued;
  std::vector<PostedOp> messages;
  size_t webhook_deliveries = 0;
  simdjson::dom::parser data_parser;
  for (Partition partition : persistence_->store().OwnedPartitions()) {
    PartitionContents contents;
    CONVEY_RETURN_IF_ERROR(persistence_->store().LoadPartition(partition, &contents));
    for (const auto& stored : contents.tasks) {
      // Named, not a structured binding: C++17 lambdas cannot capture those.
      const std::string& obj_id = stored.first;
      const std::string& bytes = stored.second;
      schema::TaskRecord record;
      const auto damaged = [&](absl::string_view why) {
        return absl::DataLossError(
            absl::StrCat("store ", directory, ": task ", obj_id, " cannot resume: ", why));
      };
      if (obj_id.size() != 24 || !record.ParseFromString(bytes)) {
        return damaged("its record cannot be read");
      }
      const CompiledProcess* process = VersionOf(record.version(), record.conv_id());
      if (process == nullptr) {
        return damaged(absl::StrCat("it runs on version ", record.version(), " of process ",
                                    record.conv_id(), ", which the catalog does not hold"));
      }
      auto node = process->node_by_id.find(record.node_id());
      if (node == process->node_by_id.end()) {
        return damaged(
            absl::StrCat("process ", record.conv_id(), " has no node \"", record.node_id(), "\""));
      }
      // Both are kept in a byte (Task, B7): a value the engine does not know
      // is damage.
      if (!IsTaskStatus(record.status()) || !IsParkReason(record.park())) {
        return damaged(absl::StrCat("its status ", record.status(), " or park reason ",
                                    record.park(), " is none the engine knows"));
      }
      bool repaired = false;
      if (const std::string damage = DamageOfData(data_parser, record.mutable_data(), &repaired);
          !damage.empty()) {
        return damaged(damage);
      }
      if (repaired) {
        Log(LogSeverity::kWarning,
            absl::StrCat("store ", directory, ": task ", obj_id,
                         ": its data held bytes that are not UTF-8, read as U+FFFD"));
      }
      auto task = MakeTask(options_.task_history_limit > 0);
      std::copy(obj_id.begin(), obj_id.end(), task->obj_id.begin());
      task->process = process;
      task->node = node->second;
      if (!record.prev_node_id().empty()) {
        auto prev = process->node_by_id.find(record.prev_node_id());
        if (prev != process->node_by_id.end()) task->prev_node = prev->second;
      }
      task->next_logic = record.next_logic();
      task->ref = record.ref();
      task->data = record.data();
      task->create_micros = record.create_micros();
      task->change_micros = record.change_micros();
      task->entry_micros = record.entry_micros();
      task->entry_seq = record.entry_seq();
      if (!record.caller_obj_id().empty()) {
        task->extras().caller = std::make_unique<RpcCaller>(
            RpcCaller{record.caller_obj_id(), record.caller_entry_seq(), record.rpc_depth()});
      }
      if (!record.idempotency_key().empty()) {
        task->extras().idempotency = std::make_unique<const IdempotencyKey>(
            IdempotencyKey{record.idempotency_key(), record.idempotency_fingerprint()});
      }
      if (TaskHistoryLog* history = task->history(); history != nullptr) {
        for (const schema::HistoryEntryRecord& entry : record.history()) {
          // A node the process does not have (cannot happen but for a
          // damaged record) is shown as none; a kind it does not know (a
          // newer engine's) as "unknown".
          const auto kind = entry.kind() >= 0 && entry.kind() < kHistoryKinds
                                ? static_cast<HistoryKind>(entry.kind())
                                : kUnknownHistoryKind;
          // A parked or resumed entry's text is its reason's name, kept as
          // the reason again: no text slot (B7).
          std::optional<ParkReason> reason;
          ParkReason named;
          if ((kind == HistoryKind::kParked || kind == HistoryKind::kResumed) &&
              EnumFromName(entry.text(), ParkReasonName, &named)) {
            reason = named;
          }
          history->Add(options_.task_history_limit, entry.micros(), kind,
                       process->FindNode(entry.node_id()),
                       reason ? absl::string_view() : absl::string_view(entry.text()), reason);
        }
        history->set_dropped(history->dropped() + record.history_dropped());
      }
      if (record.resume() == static_cast<int32_t>(Resume::kFail)) {
        task->resume = Resume::kFail;
        task->extras().failure = std::make_unique<ResumeFailure>(ResumeFailure{
            record.failure_family(), record.failure_tag(), record.failure_description()});
      }
      const auto status = static_cast<TaskStatus>(record.status());
      const auto park = static_cast<ParkReason>(record.park());
      // Moving, or waiting for an HTTP answer that died with the process:
      // it runs again (the request is sent again: at least once).
      // Held by a paused process (written so by a modify meanwhile): it runs,
      // and is held again if its process is still paused.
      const bool runs =
          status == TaskStatus::kProcessing &&
          (park == ParkReason::kNone || park == ParkReason::kHttp || park == ParkReason::kPaused);
      task->status = runs ? TaskStatus::kProcessing : status;
      task->park = runs ? ParkReason::kNone : park;
      task->state.store(runs ? kQueued : kIdle, std::memory_order_relaxed);
      if (absl::Status added = store_.Add(task); !added.ok()) return damaged(added.message());
      const CompiledNode& at = task->current_node();
      if (!at.is_final) task->process->node_tasks->AddShared(at.index, 1);
      if (std::atomic<int64_t>* counter = ReasonCounter(at, task->park)) {
        counter->fetch_add(1, std::memory_order_relaxed);
      }
      if (task->park == ParkReason::kCallback) {
        task->callback_wait.store(task->entry_seq << 1, std::memory_order_relaxed);
      }
      if (process->is_state_diagram() && !runs) {
        task->extras().state_data = std::make_shared<const std::string>(task->data);
      }
      // The original deadline: one that passed while the engine was down
      // fires at once, once.
      if (record.timer_micros() >= 0) {
        events_.ArmTimer(task.get(), record.timer_micros());
        task->stored_timer_micros = record.timer_micros();
      }
      if (record.in_queue() && at.queue != nullptr && task->park == ParkReason::kQueue) {
        queued.push_back({at.queue.get(),
                          {std::string(task->obj_id_view()), task->entry_seq, record.queue_extra(),
                           record.queue_seq()}});
      }
      if (runs) runnable.push_back(task.get());
      recovered.push_back(task);
      statistics_.TaskRecovered();
    }
    for (auto& [id, bytes] : contents.messages) {
      schema::MessageRecord record;
      if (!record.ParseFromString(bytes)) {
        return absl::DataLossError(
            absl::StrCat("store ", directory, ": message ", id, " cannot be read"));
      }
      if (record.kind() == schema::MessageRecord::WEBHOOK) {
        webhooks_.Recover(id, record);
        ++webhook_deliveries;
        continue;
      }
      PostedOp op;
      op.kind = record.kind() == schema::MessageRecord::REPLY ? PostedOp::Kind::kReply
                                                              : PostedOp::Kind::kModify;
      if (op.kind == PostedOp::Kind::kModify) {
        op.target = store_.Find(TaskKey::ByObjId(record.target_obj_id()));
      } else {
        op.caller_obj_id = record.target_obj_id();
      }
      op.entry_seq = record.entry_seq();
      op.data = record.data();
      op.exception = record.exception();
      op.reason = record.reason();
      op.message_id = id;
      op.message_partition = partition;
      messages.push_back(std::move(op));
    }
  }
  std::stable_sort(
      queued.begin(), queued.end(),
      [](const RecoveredEntry& a, const RecoveredEntry& b) { return a.entry.seq < b.entry.seq; });
  if (!queued.empty()) persistence_->ResumeQueueSeq(queued.back().entry.seq + 1);
  for (RecoveredEntry& entry : queued) {
    std::lock_guard<std::mutex> lock(entry.queue->mu);
    entry.queue->entries.push_back(std::move(entry.entry));
  }
  // Messages before tasks run: a reply a recovered caller waits for is
  // already in the events thread's hands when it starts.
  std::sort(messages.begin(), messages.end(),
            [](const PostedOp& a, const PostedOp& b) { return a.message_id < b.message_id; });
  for (PostedOp& op : messages) events_.Post(std::move(op));
  // Searches page through tasks in creation order.
  std::sort(recovered.begin(), recovered.end(), [](const TaskRef& a, const TaskRef& b) {
    return a->create_micros != b->create_micros ? a->create_micros < b->create_micros
                                                : a->obj_id < b->obj_id;
  });
  for (const TaskRef& task : recovered) task->process->control->log.Append(task);
  for (Task* task : runnable) {
    AddPending();
    Enqueue(task);
  }
  persistence_->MaybePurge(absl::ToUnixMicros(clock_->Now()));
  Log(LogSeverity::kInfo, absl::StrCat("recovered ", statistics_.recovered(), " tasks, ",
                                       messages.size(), " messages and ", webhook_deliveries,
                                       " webhook deliveries from ", options_.store_directory));
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace convey
