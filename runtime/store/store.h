// Store: where the engine keeps what must survive a crash (docs/engine.md,
// "Durability"). The engine's only view of it; RocksDB (rocksdb_store.h) is
// the backend today.
//
// Shaped for a shared database with several engines, each owning some
// partitions of the tasks: every task belongs to a partition (chosen from its
// process and ref, carried in its obj_id); every call names partitions; a
// commit is one whole transition of one task (with everything it changed in
// other tasks, sums and messages) and may fail with "ownership lost"
// (Aborted) when another engine took the partition; partitions are loaded
// and unloaded while the engine runs. Scheme versions live in their own
// catalog. Nothing here assumes a local directory.
//
// Thread safety: every call may come from any thread; the engine commits
// from one thread (engine/persistence.h), in the order transitions
// happened.
#ifndef CONVEY_RUNTIME_STORE_STORE_H_
#define CONVEY_RUNTIME_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

using Partition = uint32_t;
// Fixed for a store's life (its format records it).
constexpr Partition kPartitions = 64;

// A task written whole at a wait state (create, park, stop, modify).
struct TaskPut {
  Partition partition = 0;
  std::string obj_id;
  std::string record;  // a serialised schema::TaskRecord
  // New tasks with a ref: the ref index points at them from now on.
  int64_t conv_id = 0;
  std::string new_ref;
  // New tasks created with an idempotency key: the key index points at them
  // (as the ref index does, under conv_id 0: see IdempotencyRefKey).
  std::string new_key;
  // Timers by due time: the deadline armed now (-1: none) and the one the
  // previous record of this task armed (-1: none), which is dropped.
  int64_t timer_micros = -1;
  int64_t old_timer_micros = -1;
  // The task's first record (it was created by this transition).
  bool created = false;
  // Only `new_ref` and `new_key` are written: the record was superseded
  // within its group (CoalesceGroup).
  bool only_ref = false;
};

// A task that left the engine: finished or deleted. Archived (findable by
// obj_id and ref until the retention passes) unless `archive` is false.
struct TaskEnd {
  Partition partition = 0;
  std::string obj_id;
  std::string record;  // the final schema::TaskRecord (archived)
  bool archive = true;
  int64_t end_micros = 0;
  int64_t old_timer_micros = -1;
  // False when no record of the task was ever written (it was created and
  // ended within one group): nothing to delete.
  bool stored = true;
  // Its ref (may be empty): when the archived record is purged, the ref
  // index entry goes too, if it still names this task.
  int64_t conv_id = 0;
  std::string ref;
};

// A message to another task (schema::MessageRecord), or its delivery.
struct MessagePut {
  Partition partition = 0;  // the receiver's
  uint64_t id = 0;
  std::string record;
};
struct MessageDone {
  Partition partition = 0;
  uint64_t id = 0;
};

// A change to a sum node's total (api_sum): `amount` added, or set to zero.
struct SumChange {
  std::string key;  // SumKey()
  double amount = 0;
  bool reset = false;
};

// One atomic write: what one transition of one task changed.
struct Transition {
  std::vector<TaskPut> puts;
  std::vector<TaskEnd> ends;
  std::vector<MessagePut> messages;
  std::vector<MessageDone> delivered;
  std::vector<SumChange> sums;
  bool empty() const {
    return puts.empty() && ends.empty() && messages.empty() && delivered.empty() && sums.empty();
  }
  void clear() {
    puts.clear();
    ends.clear();
    messages.clear();
    delivered.clear();
    sums.clear();
  }
};

// Within a group of transitions about to be written together, a task
// written and then ended needs only its end: its earlier records in the
// group are dropped (a created task that ends in the same group is never
// written at all, only its archive record if it has one). Records with
// timers are left alone. Shrinks the write, changes nothing a reader of the
// store can see once the group is written.
void CoalesceGroup(std::vector<Transition>& group);

// Where a sum lives: a process version's node and sum id.
std::string SumKey(uint64_t version, int64_t conv_id, absl::string_view node_id,
                   absl::string_view sum_id);

// One deployed scheme file (schema::SchemeVersionRecord) and its number.
struct StoredScheme {
  uint64_t version = 0;
  std::string record;
};

// What a partition holds when it is loaded.
struct PartitionContents {
  std::vector<std::pair<std::string, std::string>> tasks;  // obj_id, TaskRecord
  std::vector<std::pair<uint64_t, std::string>> messages;  // id, MessageRecord, oldest first
};

class Store {
 public:
  virtual ~Store() = default;

  // A number that grows by one every time the store is opened: obj_ids and
  // message ids made in different runs never meet.
  virtual uint32_t generation() const = 0;

  // The scheme catalog, oldest first; a new version is durable on return.
  virtual absl::StatusOr<std::vector<StoredScheme>> LoadCatalog() = 0;
  virtual absl::StatusOr<uint64_t> AddScheme(const std::string& record) = 0;

  // The partitions this engine owns (RocksDB: all of them).
  virtual std::vector<Partition> OwnedPartitions() = 0;
  virtual absl::Status LoadPartition(Partition partition, PartitionContents* contents) = 0;
  // The engine stops using the partition (it is no longer written here).
  virtual void UnloadPartition(Partition partition) = 0;

  // Sums by SumKey().
  virtual absl::Status LoadSums(
      const std::function<void(absl::string_view key, double)>& visit) = 0;

  // Writes a group of transitions, in order, atomically; `sync`: synced
  // to disk before it returns (else written to the store's log: a killed
  // process loses nothing of it). Aborted ("ownership lost") when a
  // partition it names is not owned; other errors when the write failed
  // (nothing of it is written). Callers group transitions (group commit,
  // engine/persistence.h); a group fails or succeeds whole.
  virtual absl::Status Commit(const std::vector<Transition>& group, bool sync) = 0;

  // The archive: finished and deleted tasks until their retention passes.
  virtual absl::StatusOr<std::optional<std::string>> FindArchived(Partition partition,
                                                                  absl::string_view obj_id) = 0;
  // The obj_id last given `ref` in `conv_id`, if the index still has it.
  virtual absl::StatusOr<std::optional<std::string>> FindRef(Partition partition, int64_t conv_id,
                                                             absl::string_view ref) = 0;
  virtual absl::Status ForEachArchived(
      const std::function<void(absl::string_view obj_id, absl::string_view record)>& visit) = 0;
  // Drops archived tasks that ended before `before_micros`, at most `limit`;
  // how many it dropped.
  virtual absl::StatusOr<size_t> PurgeArchive(int64_t before_micros, size_t limit) = 0;
};

// The partition of a task: from its process and ref, or, without a ref,
// from `fallback` (any well-spread number).
Partition PartitionOf(int64_t conv_id, absl::string_view ref, uint64_t fallback);

// Idempotency keys live in the ref index under conv_id 0 (no process has
// it), in the partition PartitionOf(kIdempotencyConvId, key, 0): found with
// Store::FindRef like a ref. They are not purged with the archive (an
// entry naming a purged task is ignored).
inline constexpr int64_t kIdempotencyConvId = 0;

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_STORE_STORE_H_
