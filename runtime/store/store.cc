// Partitions and sum keys (store.h).
#include "runtime/store/store.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {
namespace {

// FNV-1a: stable across builds and machines, unlike absl::Hash, because a
// partition is written into obj_ids and keys on disk.
uint64_t Fnv1a(absl::string_view bytes, uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

void CoalesceGroup(std::vector<Transition>& group) {
  // The puts each task has in the group, in order, while none touched a
  // timer.
  struct Puts {
    bool timed = false;
    std::vector<TaskPut*> puts;
  };
  absl::flat_hash_map<absl::string_view, Puts> by_task;
  bool dropped = false;
  for (Transition& transition : group) {
    for (TaskPut& put : transition.puts) {
      Puts& puts = by_task[put.obj_id];
      if (put.timer_micros >= 0 || put.old_timer_micros >= 0) puts.timed = true;
      puts.puts.push_back(&put);
    }
    for (TaskEnd& end : transition.ends) {
      auto it = by_task.find(end.obj_id);
      if (it == by_task.end() || it->second.timed || end.old_timer_micros >= 0) continue;
      for (TaskPut* put : it->second.puts) {
        if (put->created) end.stored = false;
        // A ref stays findable where the task is archived.
        put->only_ref = end.archive && (!put->new_ref.empty() || !put->new_key.empty());
        if (!put->only_ref) put->obj_id.clear();  // dropped below
        put->record.clear();
        dropped = true;
      }
      by_task.erase(it);
    }
  }
  if (!dropped) return;
  for (Transition& transition : group) {
    transition.puts.erase(std::remove_if(transition.puts.begin(), transition.puts.end(),
                                         [](const TaskPut& put) { return put.obj_id.empty(); }),
                          transition.puts.end());
  }
}

std::string SumKey(uint64_t version, int64_t conv_id, absl::string_view node_id,
                   absl::string_view sum_id) {
  // Node and sum ids never hold a NUL (they come from JSON strings that the
  // importer checked), so it separates them.
  return absl::StrCat(version, ":", conv_id, ":", node_id, std::string(1, '\0'), sum_id);
}

Partition PartitionOf(int64_t conv_id, absl::string_view ref, uint64_t fallback) {
  if (ref.empty()) return static_cast<Partition>(fallback % kPartitions);
  const std::string id = absl::StrCat(conv_id);
  return static_cast<Partition>(Fnv1a(ref, Fnv1a(id)) % kPartitions);
}

}  // namespace internal
}  // namespace convey
