// Persistence: the engine's side of the durable store (runtime/store). It
// turns tasks into records and transitions, commits them, keeps the scheme
// catalog, and reads records back for recovery and the archive.
//
// Apart because the rest of the engine only says *when* a task reaches a
// wait state (created, parked, stopped, modified, finished, deleted); what
// is written then, and how, is here. Null in EngineImpl when the engine has
// no store: nothing else changes then.
//
// Group commit: a transition is queued, and whoever writes takes
// everything queued as one group (one store write, at most one sync), in
// queue order, until the queue is empty. A host that waits for its
// transition (Acknowledge) writes itself when nobody else does (leader and
// followers, as RocksDB's own write path); transitions nobody waits for
// (workers', the events thread's) are written by a writer thread in groups
// of up to kWriteGroup or after at most 1 ms, so that a worker neither
// waits for the disk nor wakes a thread per task (on a virtual machine a
// wake-up costs more than a write). Order is all crash consistency needs: a task's transitions are
// queued by whoever holds the task, and an effect on another task (a task started, a message) is
// queued before that task can move, so what survives a crash is always a
// prefix of what happened.
//
// Locking: `queue_mu_` guards the queue and the counts of written and
// synced transitions; `catalog_mu_` the catalog copy; `failure_mu_` the
// first failure. All are leaves.
#ifndef CONVEY_RUNTIME_ENGINE_PERSISTENCE_H_
#define CONVEY_RUNTIME_ENGINE_PERSISTENCE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "runtime/engine/task.h"
#include "runtime/store/store.h"
#include "schema/store.pb.h"

namespace convey {
namespace internal {

struct PostedOp;

// A transition's place in the commit queue (1, 2, ...).
using CommitTicket = uint64_t;

// One scheme file in the catalog.
struct CatalogEntry {
  uint64_t version = 0;
  std::string file_name;
  std::string json;
  std::vector<int64_t> conv_ids;
};

class Persistence {
 public:
  // Opens the store EngineOptions::store_directory names.
  static absl::StatusOr<std::unique_ptr<Persistence>> Open(const EngineOptions& options);

  Store& store() { return *store_; }
  const std::string& directory() const { return directory_; }
  uint32_t generation() const { return store_->generation(); }
  bool sync() const { return sync_; }

  // The catalog, oldest first, as loaded at Open and extended by Deploy.
  std::vector<CatalogEntry> Catalog();
  // The version holding exactly `json`, or 0.
  uint64_t FindScheme(absl::string_view json);
  // The newest version read from `file_name` with other contents, or 0.
  uint64_t ChangedFile(absl::string_view file_name, absl::string_view json);
  // Writes a new version (durable on return).
  absl::StatusOr<uint64_t> AddScheme(absl::string_view file_name, absl::string_view json,
                                     const std::vector<int64_t>& conv_ids, int64_t now_micros);

  // Adds the task (held by the caller) as it is now to `transition`;
  // `created`: its first record (the ref index gains it). A task entering a
  // queue node passes its entry (else it is looked up in the node's queue).
  void AddPut(Task& task, bool created, Transition* transition,
              const NodeQueue::Entry* queue_entry = nullptr);
  // The order of queue entries across the engine, kept in their records so
  // that recovery puts them back in that order.
  uint64_t NextQueueSeq() { return next_queue_seq_.fetch_add(1, std::memory_order_relaxed); }
  // Recovery: entries made from now on come after `next - 1`.
  void ResumeQueueSeq(uint64_t next) { next_queue_seq_.store(next, std::memory_order_relaxed); }
  // The task left: finished (archived unless its node does not save tasks)
  // or deleted (archived).
  void AddEnd(Task& task, bool archive, int64_t end_micros, Transition* transition);
  // A message another task will apply (api_copy modify, api_rpc_reply);
  // sets `op->message_id`. `target_obj_id`: the receiver.
  void AddMessage(PostedOp* op, absl::string_view target_obj_id, Transition* transition);
  // A message applied (or dropped: its receiver is gone).
  static void AddDelivered(const PostedOp& op, Transition* transition);
  // A webhook delivery (schema::MessageRecord WEBHOOK) about task
  // `obj_id`, kept as message `id` (from NewMessageId) until it is delivered
  // or given up.
  uint64_t NewMessageId() { return next_message_.fetch_add(1, std::memory_order_relaxed); }
  void AddWebhook(uint64_t id, absl::string_view obj_id, schema::MessageRecord record,
                  Transition* transition);
  // Removes message `id` about task `obj_id` (a webhook delivered or given up).
  void RemoveMessage(uint64_t id, absl::string_view obj_id);

  // Queues the transition (and wakes the writer, unless `acknowledged` by a
  // `waiter_writes`); its ticket. `acknowledged`: someone will wait for it,
  // so in sync mode its group is synced. `waiter_writes`: that someone (a
  // host's call) writes the queue itself; the webhook delivery thread, which
  // may be busy with a slow endpoint, does not.
  // FailedPrecondition-like errors once a write has failed (failure()).
  absl::StatusOr<CommitTicket> Commit(Transition transition, bool acknowledged,
                                      bool waiter_writes = true);
  // Returns once the ticket's transition is written (and synced, in sync
  // mode, when it was queued `acknowledged`); the write's error if it failed.
  absl::Status Acknowledge(CommitTicket ticket);
  // Commit(acknowledged) then Acknowledge.
  absl::Status CommitAndAcknowledge(Transition transition);
  // Returns once everything queued so far is written (reads of the store
  // then see it).
  absl::Status Flush();
  // Writes what is queued; later commits are refused. Idempotent.
  void Stop();
  // The first commit that failed, if any: the engine refuses new work then
  // (its memory and its store no longer agree).
  absl::Status failure() const;

  // Archived tasks (finished or deleted), by obj_id or by the ref they had;
  // `*obj_id` is the task's.
  absl::StatusOr<std::optional<schema::TaskRecord>> FindArchived(const TaskKey& key,
                                                                 std::string* obj_id);
  // Drops archived tasks older than the retention, a bounded batch per call,
  // at most once a minute of `now_micros`.
  void MaybePurge(int64_t now_micros);

  static std::string Serialize(const schema::TaskRecord& record);
  ~Persistence();

 private:
  Persistence(std::unique_ptr<Store> store, const EngineOptions& options);
  // Writes groups until the queue is empty; `lock` (on queue_mu_) is held
  // on entry and exit, released while writing. Called with writing_ set.
  void WriteQueued(std::unique_lock<std::mutex>& lock);
  // Waits under `lock` until `done()` holds or a write failed, writing the
  // queue itself whenever nobody does.
  absl::Status WaitWritten(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done);
  void WriterLoop();
  void Fail(const absl::Status& status);

  std::unique_ptr<Store> store_;
  const std::string directory_;
  const bool sync_;
  const absl::Duration retention_;
  // EngineOptions::logger: told of the first failed write and of failed
  // purges (which nothing else reports).
  const std::function<void(LogSeverity, absl::string_view)> logger_;
  std::atomic<uint64_t> next_message_{1};
  std::atomic<int64_t> next_purge_micros_{0};
  std::atomic<uint64_t> next_queue_seq_{1};

  mutable std::mutex failure_mu_;
  absl::Status failure_;  // guarded by failure_mu_

  std::mutex queue_mu_;
  std::condition_variable room_cv_;     // producers wait for room
  std::condition_variable written_cv_;  // Acknowledge and Flush wait
  std::vector<Transition> queue_;       // guarded by queue_mu_
  uint64_t queued_ = 0;                 // guarded by queue_mu_: tickets handed out
  uint64_t written_ = 0;                // guarded by queue_mu_: written up to
  uint64_t synced_ = 0;                 // guarded by queue_mu_: synced up to
  uint64_t sync_wanted_ = 0;            // guarded by queue_mu_: an acknowledged ticket
  bool writing_ = false;                // guarded by queue_mu_: a leader writes
  int waiters_ = 0;                     // guarded by queue_mu_: on written_cv_
  int room_waiters_ = 0;                // guarded by queue_mu_: on room_cv_
  bool stopped_ = false;                // guarded by queue_mu_
  std::condition_variable writer_cv_;   // the writer thread waits
  bool writer_idle_ = false;            // guarded by queue_mu_
  std::thread writer_;

  std::mutex catalog_mu_;
  std::vector<CatalogEntry> catalog_;  // guarded by catalog_mu_
};

// The partition an obj_id carries (TaskStore::NewObjId), or kPartitions
// when it is not one of ours.
Partition PartitionOfObjId(absl::string_view obj_id);

// A task record (schema::TaskRecord) made from the task, held by the caller.
schema::TaskRecord RecordOf(const Task& task);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_PERSISTENCE_H_
