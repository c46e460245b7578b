#include "runtime/engine/shared_work.h"

#include <algorithm>
#include <thread>

namespace convey {
namespace internal {

void SharedWork::Loop::RunChunks() {
  for (;;) {
    const size_t claimed = next_chunk.fetch_add(1, std::memory_order_relaxed);
    if (claimed >= chunks) return;
    const size_t end = std::min(count, (claimed + 1) * chunk);
    for (size_t i = claimed * chunk; i < end; ++i) body(i);
    // Release: what the chunk wrote is the caller's once it counts it.
    done_chunks.fetch_add(1, std::memory_order_release);
  }
}

void SharedWork::ForEach(size_t count, size_t chunk, absl::FunctionRef<void(size_t)> body,
                         absl::FunctionRef<void(size_t)> ask_helpers) {
  if (count == 0) return;
  chunk = std::max<size_t>(chunk, 1);
  if (count <= chunk) {
    for (size_t i = 0; i < count; ++i) body(i);
    return;
  }
  auto loop = std::make_shared<Loop>(count, chunk, body);
  {
    std::lock_guard<std::mutex> lock(mu_);
    loops_.push_back(loop);
  }
  ask_helpers(loop->chunks - 1);
  loop->RunChunks();
  // Every chunk is claimed; those helpers run are at most a chunk from done.
  for (int spins = 0; loop->done_chunks.load(std::memory_order_acquire) != loop->chunks;) {
    if (++spins > 64) std::this_thread::yield();
  }
  std::lock_guard<std::mutex> lock(mu_);
  loops_.erase(std::find(loops_.begin(), loops_.end(), loop));
}

void SharedWork::Help() {
  std::vector<std::shared_ptr<Loop>> loops;
  {
    std::lock_guard<std::mutex> lock(mu_);
    loops = loops_;
  }
  for (const std::shared_ptr<Loop>& loop : loops) loop->RunChunks();
}

}  // namespace internal
}  // namespace convey
