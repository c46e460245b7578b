// TaskLog: the tasks of one process (every deployed version of its conv_id)
// in creation order, for Engine::SearchTasks.
//
// Apart from the task store because a search must page through a process's
// tasks in a stable order with a cursor, which the hash indexes cannot give,
// without a full scan per page: a page starts where the cursor says (a
// binary search) and examines a bounded number of entries.
//
// Cost on the create path: one uncontended lock and a TaskWeakRef (8 bytes,
// plus an 8-byte sequence number) per task. Entries of tasks that left
// memory are swept: each time a chunk fills, one older chunk is compacted
// (round robin), and an empty one is freed, so dead entries never outnumber
// live ones by more than the chunks swept since.
//
// Thread-safe; `mu_` is a leaf lock (nothing is called while it is held).
#ifndef CONVEY_RUNTIME_ENGINE_TASK_LOG_H_
#define CONVEY_RUNTIME_ENGINE_TASK_LOG_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/engine/task_ref.h"

namespace convey {
namespace internal {

class TaskLog {
 public:
  static constexpr size_t kChunk = 4096;

  // Appends a task that was just created (or recovered, in creation order).
  void Append(const TaskRef& task);

  // Examines up to `max` entries, in order, after sequence number `from`
  // (ascending; 0: from the start) or before it (descending; 0: from the
  // end), and appends those whose task is still alive to `*tasks` with
  // their sequence numbers. Returns how many it examined; `*last` gets the
  // sequence number of the last one (unchanged when none), `*more` whether
  // entries remain past it.
  size_t Collect(uint64_t from, bool descending, size_t max,
                 std::vector<std::pair<uint64_t, TaskRef>>* tasks, uint64_t* last,
                 bool* more) const;

  // Entries held (live or not yet swept).
  size_t size() const;

 private:
  struct Entry {
    uint64_t seq;
    TaskWeakRef task;
  };
  using Chunk = std::vector<Entry>;  // by seq

  // Compacts the chunk at sweep_ (not the open, last one); mu_ held.
  void SweepOne();

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Chunk>> chunks_;  // guarded by mu_; oldest first
  uint64_t next_seq_ = 1;                       // guarded by mu_
  size_t sweep_ = 0;                            // guarded by mu_
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_LOG_H_
