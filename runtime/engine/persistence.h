// Persistence: the engine's side of the durable store (runtime/store). It
// turns tasks into records and transitions, commits them, keeps the scheme
// catalog, and reads records back for recovery and the archive.
//
// Apart because the rest of the engine only says *when* a task reaches a
// wait state (created, parked, stopped, modified, finished, deleted); what
// is written then, and how, is here. Null in EngineImpl when the engine has
// no store: nothing else changes then.
//
// Locking: `catalog_mu_` guards the catalog copy (a leaf). Commits take no
// lock of ours: the store orders them, and each task's commits are made by
// whoever holds the task (Task::state).
#ifndef CONVEY_RUNTIME_ENGINE_PERSISTENCE_H_
#define CONVEY_RUNTIME_ENGINE_PERSISTENCE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
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
  // `created`: its first record (the ref index gains it). A task waiting in
  // a queue node passes its entry's extra data.
  void AddPut(Task& task, bool created, Transition* transition,
              const std::string* queue_extra = nullptr);
  // The task left: finished (archived unless its node does not save tasks)
  // or deleted (archived).
  void AddEnd(Task& task, bool archive, int64_t end_micros, Transition* transition);
  // A message another task will apply (api_copy modify, api_rpc_reply);
  // sets `op->message_id`. `target_obj_id`: the receiver.
  void AddMessage(PostedOp* op, absl::string_view target_obj_id, Transition* transition);
  // A message applied (or dropped: its receiver is gone).
  static void AddDelivered(const PostedOp& op, Transition* transition);

  // Commits; a failed commit is kept (`failure()`) and returned.
  absl::StatusOr<CommitTicket> Commit(const Transition& transition);
  // Commits and, in sync mode, waits until it is synced.
  absl::Status CommitDurably(const Transition& transition);
  absl::Status WaitDurable(CommitTicket ticket) { return store_->WaitDurable(ticket); }
  // The first commit that failed, if any: the engine refuses new work then
  // (its memory and its store no longer agree).
  absl::Status failure() const;

  // Archived tasks (finished or deleted), by obj_id or by the ref they had.
  absl::StatusOr<std::optional<schema::TaskRecord>> FindArchived(const TaskKey& key);
  // Drops archived tasks older than the retention, a bounded batch per call,
  // at most once a minute of `now_micros`.
  void MaybePurge(int64_t now_micros);

  static std::string Serialize(const schema::TaskRecord& record);

 private:
  Persistence(std::unique_ptr<Store> store, const EngineOptions& options);

  std::unique_ptr<Store> store_;
  const std::string directory_;
  const bool sync_;
  const absl::Duration retention_;
  std::atomic<uint64_t> next_message_{1};
  std::atomic<int64_t> next_purge_micros_{0};

  mutable std::mutex failure_mu_;
  absl::Status failure_;  // guarded by failure_mu_

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
