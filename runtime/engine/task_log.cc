#include "runtime/engine/task_log.h"

#include <algorithm>

namespace convey {
namespace internal {

// A sweep frees at most a chunk of tasks: the thread that sweeps keeps as
// many freed blocks for its next tasks (task_ref.cc).
static_assert(TaskLog::kChunk == task_ref_internal::kMaxKeptTaskBlocks,
              "a sweep frees more blocks than a thread keeps");

void TaskLog::Append(const TaskRef& task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (chunks_.empty() || chunks_.back()->size() >= kChunk) {
    SweepOne();
    chunks_.push_back(std::make_unique<Chunk>());
    chunks_.back()->reserve(kChunk);
  }
  chunks_.back()->push_back({next_seq_++, task});
}

void TaskLog::SweepOne() {
  if (chunks_.size() < 2) return;  // only the open chunk
  if (sweep_ >= chunks_.size() - 1) sweep_ = 0;
  Chunk& chunk = *chunks_[sweep_];
  chunk.erase(std::remove_if(chunk.begin(), chunk.end(),
                             [](const Entry& entry) { return entry.task.expired(); }),
              chunk.end());
  if (chunk.empty()) {
    chunks_.erase(chunks_.begin() + static_cast<std::ptrdiff_t>(sweep_));
    return;  // sweep_ now names the next chunk
  }
  chunk.shrink_to_fit();
  ++sweep_;
}

size_t TaskLog::Collect(uint64_t from, bool descending, size_t max,
                        std::vector<std::pair<uint64_t, TaskRef>>* tasks, uint64_t* last,
                        bool* more) const {
  *more = false;
  std::lock_guard<std::mutex> lock(mu_);
  const auto seq_less = [](const Entry& entry, uint64_t seq) { return entry.seq < seq; };
  size_t examined = 0;
  if (!descending) {
    // The first chunk whose last entry is past `from`, then the first entry past it.
    auto chunk = std::partition_point(
        chunks_.begin(), chunks_.end(),
        [from](const std::unique_ptr<Chunk>& c) { return c->empty() || c->back().seq <= from; });
    for (; chunk != chunks_.end(); ++chunk) {
      auto entry = std::lower_bound((*chunk)->begin(), (*chunk)->end(), from + 1, seq_less);
      for (; entry != (*chunk)->end(); ++entry) {
        if (examined == max) {
          *more = true;
          return examined;
        }
        ++examined;
        *last = entry->seq;
        if (TaskRef task = entry->task.lock()) {
          tasks->emplace_back(entry->seq, std::move(task));
        }
      }
    }
    return examined;
  }
  const uint64_t before = from == 0 ? UINT64_MAX : from;
  // The last chunk whose first entry is before `before`, backwards.
  auto chunk = std::partition_point(
      chunks_.begin(), chunks_.end(),
      [before](const std::unique_ptr<Chunk>& c) { return c->empty() || c->front().seq < before; });
  while (chunk != chunks_.begin()) {
    --chunk;
    auto end = std::lower_bound((*chunk)->begin(), (*chunk)->end(), before, seq_less);
    while (end != (*chunk)->begin()) {
      --end;
      if (examined == max) {
        *more = true;
        return examined;
      }
      ++examined;
      *last = end->seq;
      if (TaskRef task = end->task.lock()) tasks->emplace_back(end->seq, std::move(task));
    }
  }
  return examined;
}

size_t TaskLog::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t size = 0;
  for (const auto& chunk : chunks_) size += chunk->size();
  return size;
}

}  // namespace internal
}  // namespace convey
