// TaskStore: every task the engine knows, by obj_id, by (conv_id, ref) and
// by idempotency key, and the obj_ids it hands out.
//
// Apart because it is the one part of the engine that a durable store would
// replace, and because its locks are the only ones that API calls on a task
// (show, modify, delete) and the events thread take to find it.
//
// Locking: each index is split into 32 shards, each with its own std::mutex
// guarding its map; a call takes at most one shard lock at a time and calls
// nothing while holding it (leaf locks); shards never share a cache line,
// since creating and finishing threads lock them side by side. The store
// owns the tasks (TaskRef): a task taken out of the obj_id index
// lives on while a caller holds a pointer to it. Finding a task does not
// hold it: callers take ownership through Task::state (EngineImpl::Acquire).
#ifndef CONVEY_RUNTIME_ENGINE_TASK_STORE_H_
#define CONVEY_RUNTIME_ENGINE_TASK_STORE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "runtime/engine/obj_id_hash.h"
#include "runtime/engine/task.h"

namespace convey {
namespace internal {

class TaskStore {
 public:
  static constexpr size_t kShards = 32;

  // `generation`: the durable store's (Store::generation), which keeps
  // obj_ids of different runs apart; 0 without a store (a random salt).
  explicit TaskStore(uint32_t generation);

  // A new obj_id: 24 hex digits, unique within this engine (and, with a
  // store, among every run on it), carrying `partition` (digits 8-9; see
  // PartitionOfObjId) and the second of `now_micros` (the task's creation
  // time: the caller's one clock read). Without a store any partition does:
  // pass kAnyPartition.
  static constexpr uint32_t kAnyPartition = ~0u;
  std::array<char, 24> NewObjId(uint32_t partition, int64_t now_micros);
  // Makes a new task findable: by its idempotency key and its ref (when it
  // has them), then by its obj_id. AlreadyExists, and nothing added, when a
  // task of its process with the same ref is still active, or (`*key_taken`
  // set) a task in memory has the same idempotency key.
  absl::Status Add(const TaskRef& task, bool* key_taken = nullptr);
  // The task (held by the caller) changes process: its ref, if any, moves
  // to `conv_id`'s index. AlreadyExists, nothing changed, when a task of
  // that process is active with the ref.
  absl::Status MoveRef(const TaskRef& task, int64_t conv_id);
  // The task in memory created with idempotency key `key`, or null.
  TaskRef FindByKey(absl::string_view key);
  // The task, or null. By ref: the active task, or with `ended`, else the
  // last one that had the ref and ended in memory (EraseRef's `keep`).
  TaskRef Find(const TaskKey& key, bool ended = false);
  // The task is no longer active under its ref (it finished or was
  // deleted). `keep`: it stays in memory, so Find(key, true) still finds it
  // by ref until another task with the ref ends.
  void EraseRef(Task* task, bool keep = false);
  // A task that leaves memory (finished in a node that does not save it,
  // or archived in the store): out of the obj_id and key indexes, into
  // `*dropped` so that it lives until the caller lets go.
  void Drop(Task* task, TaskRef* dropped);
  // Calls `visit` for every task, one shard at a time, outside the shard's
  // lock.
  void ForEach(const std::function<void(const TaskRef&)>& visit);

 private:
  // std::mutex rather than absl::Mutex: the engine's locks must be visible to
  // ThreadSanitizer, and Debian's prebuilt Abseil carries no TSan annotations.
  // The tasks themselves are the set's elements, found by their obj_id
  // (which never changes): no key beside each, 8 bytes a slot.
  struct ObjIdEq {
    using is_transparent = void;
    static absl::string_view ObjId(absl::string_view obj_id) { return obj_id; }
    static absl::string_view ObjId(const TaskRef& task) { return task->obj_id_view(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return ObjId(a) == ObjId(b);
    }
  };
  struct alignas(64) ObjShard {
    std::mutex mu;
    absl::flat_hash_set<TaskRef, ObjIdHash, ObjIdEq> tasks;  // guarded by mu
  };

  // A task under its ref in one process: the ref is read from the task
  // (it never changes while indexed), so a slot is 16 bytes, not 40.
  struct RefEntry {
    int64_t conv_id;
    TaskRef task;
  };
  using RefKey = std::pair<int64_t, absl::string_view>;
  struct RefHash {
    using is_transparent = void;
    size_t operator()(const RefKey& key) const { return absl::Hash<RefKey>{}(key); }
    size_t operator()(const RefEntry& entry) const { return (*this)(KeyOf(entry)); }
  };
  struct RefEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return KeyOf(a) == KeyOf(b);
    }
  };
  static const RefKey& KeyOf(const RefKey& key) { return key; }
  static RefKey KeyOf(const RefEntry& entry) { return RefKey(entry.conv_id, entry.task->ref); }
  using RefSet = absl::flat_hash_set<RefEntry, RefHash, RefEq>;
  struct alignas(64) RefShard {
    std::mutex mu;
    // Guarded by mu: active tasks, and the last ended one per ref.
    RefSet tasks;
    RefSet ended;
  };

  struct alignas(64) KeyShard {
    std::mutex mu;
    absl::flat_hash_map<absl::string_view, TaskRef> tasks;  // guarded by mu
  };

  KeyShard& KeyShardFor(absl::string_view key) {
    return key_shards_[absl::Hash<absl::string_view>{}(key) % kShards];
  }
  // Out of the key index, if the entry is this task's.
  void EraseKey(const Task& task);
  // The shard of an obj_id whose ObjIdHash is `hash`: its high bits (the
  // set's own slots are chosen by the low ones). Lookups pass the same hash
  // to the set's find, so an id is hashed once.
  ObjShard& ObjShardFor(size_t hash) { return obj_shards_[(hash >> 48) % kShards]; }
  RefShard& RefShardFor(int64_t conv_id, absl::string_view ref) {
    return ref_shards_[absl::Hash<std::pair<int64_t, absl::string_view>>{}(
                           std::make_pair(conv_id, ref)) %
                       kShards];
  }

  ObjShard obj_shards_[kShards];
  RefShard ref_shards_[kShards];
  KeyShard key_shards_[kShards];
  std::atomic<uint64_t> next_id_;
  uint32_t id_salt_;
};

// NotFound naming the key.
absl::Status NotFoundFor(const TaskKey& key);

// What the API shows of a task (held by the caller).
TaskSnapshot SnapshotOf(const Task& task);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_STORE_H_
