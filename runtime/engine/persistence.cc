// Records, transitions, the catalog and the archive (persistence.h).
#include "runtime/engine/persistence.h"

#include <chrono>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/engine/event_loop.h"
#include "runtime/store/rocksdb_store.h"

namespace convey {
namespace internal {
namespace {

// Archived tasks dropped per purge: a purge never holds the events thread
// long; the rest go at the next one.
constexpr size_t kPurgeBatch = 10000;
constexpr int64_t kPurgeEveryMicros = 60 * 1000000LL;
// Transitions queued before producers wait for the writer.
constexpr size_t kMaxQueued = 65536;
// The writer thread writes at once when this many wait, else after
// gathering for kGatherMicros.
constexpr size_t kWriteGroup = 512;
constexpr int64_t kGatherMicros = 1000;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Partition PartitionOfObjId(absl::string_view obj_id) {
  if (obj_id.size() != 24) return kPartitions;
  const int high = HexDigit(obj_id[8]);
  const int low = HexDigit(obj_id[9]);
  if (high < 0 || low < 0) return kPartitions;
  const Partition partition = static_cast<Partition>(high * 16 + low);
  return partition < kPartitions ? partition : kPartitions;
}

absl::StatusOr<std::unique_ptr<Persistence>> Persistence::Open(const EngineOptions& options) {
  RocksDbStoreOptions store_options;
  store_options.directory = options.store_directory;
  store_options.sync = options.durability == Durability::kSync;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenRocksDbStore(store_options);
  if (!store.ok()) return store.status();
  std::unique_ptr<Persistence> persistence(new Persistence(*std::move(store), options));
  absl::StatusOr<std::vector<StoredScheme>> schemes = persistence->store_->LoadCatalog();
  if (!schemes.ok()) return schemes.status();
  for (const StoredScheme& stored : *schemes) {
    schema::SchemeVersionRecord record;
    if (!record.ParseFromString(stored.record)) {
      return absl::DataLossError(absl::StrCat("store ", options.store_directory,
                                              ": scheme version ", stored.version,
                                              " in the catalog cannot be read"));
    }
    CatalogEntry entry;
    entry.version = stored.version;
    entry.file_name = record.file_name();
    entry.json = record.json();
    entry.conv_ids.assign(record.conv_ids().begin(), record.conv_ids().end());
    persistence->catalog_.push_back(std::move(entry));
  }
  return persistence;
}

Persistence::Persistence(std::unique_ptr<Store> store, const EngineOptions& options)
    : store_(std::move(store)),
      directory_(options.store_directory),
      sync_(options.durability == Durability::kSync),
      retention_(options.archive_retention),
      logger_(options.logger) {
  // Message ids of different runs never meet: the generation leads.
  next_message_.store((static_cast<uint64_t>(store_->generation()) << 40) | 1);
  writer_ = std::thread([this] { WriterLoop(); });
}

std::vector<CatalogEntry> Persistence::Catalog() {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  return catalog_;
}

uint64_t Persistence::FindScheme(absl::string_view json) {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  for (const CatalogEntry& entry : catalog_) {
    if (entry.json == json) return entry.version;
  }
  return 0;
}

uint64_t Persistence::ChangedFile(absl::string_view file_name, absl::string_view json) {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  for (auto it = catalog_.rbegin(); it != catalog_.rend(); ++it) {
    if (it->file_name == file_name) return it->json == json ? 0 : it->version;
  }
  return 0;
}

absl::StatusOr<uint64_t> Persistence::AddScheme(absl::string_view file_name, absl::string_view json,
                                                const std::vector<int64_t>& conv_ids,
                                                int64_t now_micros) {
  schema::SchemeVersionRecord record;
  record.set_file_name(std::string(file_name));
  record.set_json(std::string(json));
  record.set_deployed_micros(now_micros);
  for (int64_t conv_id : conv_ids) record.add_conv_ids(conv_id);
  std::string bytes;
  record.SerializeToString(&bytes);
  absl::StatusOr<uint64_t> version = store_->AddScheme(bytes);
  if (!version.ok()) return version.status();
  CatalogEntry entry;
  entry.version = *version;
  entry.file_name = std::string(file_name);
  entry.json = std::string(json);
  entry.conv_ids = conv_ids;
  std::lock_guard<std::mutex> lock(catalog_mu_);
  catalog_.push_back(std::move(entry));
  return *version;
}

schema::TaskRecord RecordOf(const Task& task) {
  schema::TaskRecord record;
  const CompiledProcess& process = *task.process;
  record.set_conv_id(process.conv_id);
  record.set_version(process.version);
  record.set_ref(task.ref);
  record.set_node_id(task.current_node().id);
  if (task.prev_node != NodeHandle::kNone)
    record.set_prev_node_id(process.nodes[task.prev_node].id);
  record.set_next_logic(task.next_logic);
  record.set_status(static_cast<int32_t>(task.status.get()));
  record.set_park(static_cast<int32_t>(task.park.get()));
  record.set_data(task.data);
  record.set_create_micros(task.create_micros);
  record.set_change_micros(task.change_micros);
  record.set_entry_micros(task.entry_micros);
  record.set_entry_seq(task.entry_seq);
  record.set_timer_micros(task.timer_seq != 0 ? task.timer().deadline_micros : -1);
  if (const RpcCaller* caller = task.caller(); caller != nullptr) {
    record.set_caller_obj_id(caller->obj_id);
    record.set_caller_entry_seq(caller->entry_seq);
  }
  record.set_rpc_depth(task.rpc_depth());
  const TaskExtras* extras = task.extras_if_any();
  if (task.resume == Resume::kFail && extras != nullptr && extras->failure != nullptr) {
    record.set_resume(static_cast<int32_t>(Resume::kFail));
    record.set_failure_family(extras->failure->family);
    record.set_failure_tag(extras->failure->tag);
    record.set_failure_description(extras->failure->description);
  }
  if (const IdempotencyKey* key = task.idempotency(); key != nullptr) {
    record.set_idempotency_key(key->key);
    record.set_idempotency_fingerprint(key->fingerprint);
  }
  if (const TaskHistoryLog* history = task.history(); history != nullptr) {
    record.set_history_dropped(history->dropped());
    history->ForEach([&record](int64_t micros, HistoryKind kind, const CompiledNode* node,
                               absl::string_view text) {
      schema::HistoryEntryRecord* entry = record.add_history();
      entry->set_micros(micros);
      entry->set_kind(static_cast<int32_t>(kind));
      if (node != nullptr) entry->set_node_id(node->id);
      entry->set_text(std::string(text));
    });
  }
  return record;
}

std::string Persistence::Serialize(const schema::TaskRecord& record) {
  std::string bytes;
  record.SerializeToString(&bytes);
  return bytes;
}

void Persistence::AddPut(Task& task, bool created, Transition* transition,
                         const NodeQueue::Entry* queue_entry) {
  schema::TaskRecord record = RecordOf(task);
  if (task.park == ParkReason::kQueue) {
    // In a queue node: its entry is written with it (found in the node's
    // queue unless the caller has it still in hand).
    record.set_in_queue(true);
    if (queue_entry != nullptr) {
      record.set_queue_extra(queue_entry->extra_json);
      record.set_queue_seq(queue_entry->seq);
    } else if (NodeQueue* queue = task.current_node().queue.get()) {
      std::lock_guard<std::mutex> lock(queue->mu);
      for (const NodeQueue::Entry& entry : queue->entries) {
        if (entry.entry_seq == task.entry_seq && entry.obj_id == task.obj_id_view()) {
          record.set_queue_extra(entry.extra_json);
          record.set_queue_seq(entry.seq);
          break;
        }
      }
    }
  }
  TaskPut put;
  put.obj_id = std::string(task.obj_id_view());
  put.partition = PartitionOfObjId(put.obj_id);
  put.record = Serialize(record);
  put.conv_id = task.process->conv_id;
  put.created = created;
  if (created) put.new_ref = task.ref;
  if (created && task.idempotency() != nullptr) put.new_key = task.idempotency()->key;
  put.timer_micros = record.timer_micros();
  put.old_timer_micros = task.stored_timer_micros;
  task.stored_timer_micros = put.timer_micros;
  transition->puts.push_back(std::move(put));
}

void Persistence::AddEnd(Task& task, bool archive, int64_t end_micros, Transition* transition) {
  TaskEnd end;
  if (archive) {  // else nobody reads the final record
    schema::TaskRecord record = RecordOf(task);
    record.set_timer_micros(-1);
    record.set_end_micros(end_micros);
    end.record = Serialize(record);
  }
  end.obj_id = std::string(task.obj_id_view());
  end.partition = PartitionOfObjId(end.obj_id);
  end.archive = archive;
  end.end_micros = end_micros;
  end.conv_id = task.process->conv_id;
  end.ref = task.ref;
  end.old_timer_micros = task.stored_timer_micros;
  task.stored_timer_micros = -1;
  transition->ends.push_back(std::move(end));
}

void Persistence::AddMessage(PostedOp* op, absl::string_view target_obj_id,
                             Transition* transition) {
  schema::MessageRecord record;
  record.set_kind(op->kind == PostedOp::Kind::kReply ? schema::MessageRecord::REPLY
                                                     : schema::MessageRecord::MODIFY);
  record.set_target_obj_id(std::string(target_obj_id));
  record.set_entry_seq(op->entry_seq);
  record.set_data(op->data);
  record.set_exception(op->exception);
  record.set_reason(op->reason);
  op->message_id = next_message_.fetch_add(1, std::memory_order_relaxed);
  op->message_partition = PartitionOfObjId(target_obj_id);
  MessagePut put;
  put.partition = op->message_partition;
  put.id = op->message_id;
  record.SerializeToString(&put.record);
  transition->messages.push_back(std::move(put));
}

void Persistence::AddWebhook(uint64_t id, absl::string_view obj_id, schema::MessageRecord record,
                             Transition* transition) {
  record.set_kind(schema::MessageRecord::WEBHOOK);
  record.set_target_obj_id(std::string(obj_id));
  MessagePut put;
  put.partition = PartitionOfObjId(obj_id);
  put.id = id;
  record.SerializeToString(&put.record);
  transition->messages.push_back(std::move(put));
}

void Persistence::RemoveMessage(uint64_t id, absl::string_view obj_id) {
  Transition transition;
  transition.delivered.push_back(MessageDone{PartitionOfObjId(obj_id), id});
  // A failed write is kept by Persistence (the engine refuses new work);
  // the message is then sent again after the restart.
  Commit(std::move(transition), false).IgnoreError();
}

void Persistence::AddDelivered(const PostedOp& op, Transition* transition) {
  if (op.message_id == 0) return;
  transition->delivered.push_back(MessageDone{op.message_partition, op.message_id});
}

absl::StatusOr<CommitTicket> Persistence::Commit(Transition transition, bool acknowledged,
                                                 bool waiter_writes) {
  std::unique_lock<std::mutex> lock(queue_mu_);
  // Bounded: producers faster than the disk wait here (back-pressure).
  while (queue_.size() >= kMaxQueued && !stopped_ && failure().ok()) {
    ++room_waiters_;
    room_cv_.wait(lock);
    --room_waiters_;
  }
  if (stopped_) return absl::FailedPreconditionError("the engine is closed");
  if (absl::Status failed = failure(); !failed.ok()) return failed;
  queue_.push_back(std::move(transition));
  const CommitTicket ticket = ++queued_;
  if (acknowledged && sync_) sync_wanted_ = ticket;
  // A host writes in Acknowledge, where it waits anyway. The rest is
  // written by the writer thread, in groups: woken when it sleeps with
  // nothing to do, or when a full group waits.
  if ((!acknowledged || !waiter_writes) && (writer_idle_ || queue_.size() == kWriteGroup)) {
    writer_cv_.notify_one();
  }
  return ticket;
}

void Persistence::WriterLoop() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  // After a failed write nothing more is written: what is in the store
  // stays a prefix of what happened.
  while (!stopped_ && failure().ok()) {
    if (queue_.empty() || writing_) {
      writer_idle_ = true;
      writer_cv_.wait(lock);
      writer_idle_ = false;
      continue;
    }
    // Let a group gather, for at most kGatherMicros: transitions nobody
    // waits for lose nothing by it (a crash replays what was not written).
    if (queue_.size() < kWriteGroup) {
      writer_cv_.wait_for(lock, std::chrono::microseconds(kGatherMicros));
    }
    if (!writing_ && !queue_.empty() && !stopped_ && failure().ok()) WriteQueued(lock);
  }
}

void Persistence::WriteQueued(std::unique_lock<std::mutex>& lock) {
  writing_ = true;
  std::vector<Transition> group;
  while (!queue_.empty() && failure().ok()) {
    group.swap(queue_);
    const CommitTicket last = queued_;
    const bool sync = sync_wanted_ > synced_;
    if (room_waiters_ > 0) room_cv_.notify_all();
    lock.unlock();
    CoalesceGroup(group);
    absl::Status written = store_->Commit(group, sync);
    group.clear();
    if (!written.ok()) Fail(written);
    lock.lock();
    if (!written.ok()) {
      room_cv_.notify_all();  // producers waiting for room get the failure
      break;
    }
    written_ = last;
    if (sync) synced_ = last;
    if (waiters_ > 0) written_cv_.notify_all();
  }
  writing_ = false;
  if (waiters_ > 0) written_cv_.notify_all();
}

absl::Status Persistence::WaitWritten(std::unique_lock<std::mutex>& lock,
                                      const std::function<bool()>& done) {
  // Tickets are written in order and nothing after a failure, so a ticket
  // counted as written was.
  while (!done() && failure().ok()) {
    if (!writing_) {
      // Every group holding an acknowledged ticket is synced, so an empty
      // queue means done; anything else would spin.
      if (queue_.empty()) return absl::InternalError("a commit was lost before it was written");
      WriteQueued(lock);
      continue;
    }
    // The writer's group may not hold what we wait for: wait for it, then
    // look again (and take over if nobody writes by then).
    ++waiters_;
    written_cv_.wait(lock);
    --waiters_;
  }
  return done() ? absl::OkStatus() : failure();
}

absl::Status Persistence::Acknowledge(CommitTicket ticket) {
  std::unique_lock<std::mutex> lock(queue_mu_);
  return WaitWritten(lock, [&] { return written_ >= ticket && (!sync_ || synced_ >= ticket); });
}

absl::Status Persistence::CommitAndAcknowledge(Transition transition) {
  absl::StatusOr<CommitTicket> ticket = Commit(std::move(transition), true);
  if (!ticket.ok()) return ticket.status();
  return Acknowledge(*ticket);
}

absl::Status Persistence::Flush() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  const CommitTicket last = queued_;
  return WaitWritten(lock, [&] { return written_ >= last; });
}

void Persistence::Stop() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  if (stopped_) return;
  stopped_ = true;
  writer_cv_.notify_all();
  lock.unlock();
  if (writer_.joinable()) writer_.join();
  lock.lock();
  while (writing_) {
    ++waiters_;
    written_cv_.wait(lock);
    --waiters_;
  }
  if (failure().ok()) WriteQueued(lock);
  room_cv_.notify_all();
}

Persistence::~Persistence() { Stop(); }

void Persistence::Fail(const absl::Status& status) {
  {
    std::lock_guard<std::mutex> lock(failure_mu_);
    if (!failure_.ok()) return;
    failure_ = absl::Status(
        status.code(),
        absl::StrCat("the store ", directory_,
                     " failed a write; the engine takes no more work: ", status.message()));
  }
  if (logger_) logger_(LogSeverity::kError, failure().message());
}

absl::Status Persistence::failure() const {
  std::lock_guard<std::mutex> lock(failure_mu_);
  return failure_;
}

absl::StatusOr<std::optional<schema::TaskRecord>> Persistence::FindArchived(
    const TaskKey& key, std::string* found_obj_id) {
  // A task that just finished may still be on its way to the archive.
  if (absl::Status flushed = Flush(); !flushed.ok()) return flushed;
  std::string& obj_id = *found_obj_id;
  obj_id = key.obj_id;
  if (obj_id.empty()) {
    absl::StatusOr<std::optional<std::string>> found =
        store_->FindRef(PartitionOf(key.conv_id, key.ref, 0), key.conv_id, key.ref);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return std::optional<schema::TaskRecord>();
    obj_id = **found;
  }
  const Partition partition = PartitionOfObjId(obj_id);
  if (partition >= kPartitions) return std::optional<schema::TaskRecord>();
  absl::StatusOr<std::optional<std::string>> bytes = store_->FindArchived(partition, obj_id);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return std::optional<schema::TaskRecord>();
  schema::TaskRecord record;
  if (!record.ParseFromString(**bytes)) {
    return absl::DataLossError(absl::StrCat("store ", directory_, ": the archived record of task ",
                                            obj_id, " cannot be read"));
  }
  // The index may name a task that since gave its ref up; idempotency keys
  // (conv_id 0) are checked by the caller.
  if (!key.obj_id.empty() || key.conv_id == kIdempotencyConvId ||
      (record.conv_id() == key.conv_id && record.ref() == key.ref)) {
    return std::optional<schema::TaskRecord>(std::move(record));
  }
  return std::optional<schema::TaskRecord>();
}

void Persistence::MaybePurge(int64_t now_micros) {
  int64_t due = next_purge_micros_.load(std::memory_order_relaxed);
  if (now_micros < due ||
      !next_purge_micros_.compare_exchange_strong(due, now_micros + kPurgeEveryMicros)) {
    return;
  }
  if (retention_ == absl::InfiniteDuration()) return;
  const int64_t before = now_micros - absl::ToInt64Microseconds(retention_);
  // Between two writes, as one (the purge reads the ref index it edits);
  // a failed purge is tried again at the next one: nothing is lost by it.
  std::unique_lock<std::mutex> lock(queue_mu_);
  while (writing_) {
    ++waiters_;
    written_cv_.wait(lock);
    --waiters_;
  }
  if (stopped_) return;
  writing_ = true;
  lock.unlock();
  if (auto purged = store_->PurgeArchive(before, kPurgeBatch); !purged.ok() && logger_) {
    logger_(LogSeverity::kWarning,
            absl::StrCat("purging the archive of ", directory_,
                         " failed (tried again at the next purge): ", purged.status().message()));
  }
  lock.lock();
  writing_ = false;
  if (waiters_ > 0) written_cv_.notify_all();
  if (writer_idle_ && !queue_.empty()) writer_cv_.notify_one();
}

}  // namespace internal
}  // namespace convey
