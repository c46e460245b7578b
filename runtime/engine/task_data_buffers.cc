#include "runtime/engine/task_data_buffers.h"

#include <atomic>
#include <cassert>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

// jemalloc's control call: a weak reference, null unless the process has
// an unprefixed jemalloc (its malloc, linked or preloaded).
extern "C" int mallctl(const char*, void*, size_t*, void*, size_t) __attribute__((weak));

namespace convey {
namespace internal {
namespace {

using Buffers = std::vector<std::string>;
constexpr size_t kBatch = TaskDataBuffers::kBatch;
constexpr size_t kMaxBatches = TaskDataBuffers::kMaxBatches;
// How many kept buffers, from the last kept, a reserve looks at for a fit.
constexpr size_t kLookBack = 4;

// Batches of buffers waiting between threads, and the empty vectors given
// back for them, so that neither is allocated after the first ones.
class Exchange {
 public:
  Exchange() {
    full_.reserve(kMaxBatches);
    empty_.reserve(kMaxBatches);
  }
  // Takes the full `*batch`, leaving an empty vector in its place; false
  // (nothing taken) when kMaxBatches wait already.
  bool Put(Buffers* batch) {
    Buffers empty;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (full_.size() == kMaxBatches) return false;
      full_.emplace_back().swap(*batch);
      waiting_.store(full_.size(), std::memory_order_relaxed);
      if (!empty_.empty()) {
        empty.swap(empty_.back());
        empty_.pop_back();
      }
    }
    empty.reserve(kBatch);
    batch->swap(empty);
    return true;
  }
  // Swaps the empty `*batch` for a waiting one, when there is one.
  void Take(Buffers* batch) {
    // Without the lock when none waits: a thread that makes tasks while
    // none are dropped asks on every one.
    if (waiting_.load(std::memory_order_relaxed) == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (full_.empty()) return;
    if (empty_.size() < kMaxBatches) empty_.emplace_back().swap(*batch);
    batch->swap(full_.back());
    full_.pop_back();
    waiting_.store(full_.size(), std::memory_order_relaxed);
  }
  size_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  std::atomic<size_t> waiting_{0};  // full_.size(), written under mu_
  std::mutex mu_;
  std::vector<Buffers> full_;   // guarded by mu_
  std::vector<Buffers> empty_;  // guarded by mu_
};

// Never destroyed: threads may recycle while the process exits.
Exchange& SharedExchange() {
  static Exchange* const exchange = new Exchange();
  return *exchange;
}

// Whether this thread keeps buffers: from its first use of them until its
// Kept is destroyed. Trivially destructible, so that a task dropped later
// at the thread's end (by another thread_local's destructor) reads kClosed
// and frees its buffer directly.
enum class State : uint8_t { kUnused, kOpen, kClosed };
thread_local State state = State::kUnused;

struct Kept {
  ~Kept() { state = State::kClosed; }
  Buffers buffers;
};
thread_local Kept kept;

// jemalloc's thread caches already give a thread that makes tasks the
// buffers it freed last (the host's input, of the same size), still in its
// own cache; kept here, a task's data went into a buffer another core wrote
// last, and the pipeline ran 1-11% slower (docs/performance-aims.md, B1). Set
// when the library is loaded (false before: nothing kept).
const bool recycling = kRecycleTaskData && mallctl == nullptr;

// This thread's kept buffers, or null when it no longer keeps any.
Buffers* KeptBuffers() {
  if (!recycling || state == State::kClosed) return nullptr;
  if (state == State::kUnused) {
    state = State::kOpen;
    kept.buffers.reserve(kBatch);
  }
  return &kept.buffers;
}

void Free(std::string* data) { std::string().swap(*data); }

}  // namespace

bool TaskDataRecycled() { return recycling; }

void ReserveTaskData(size_t bytes, std::string* data) {
  assert(data->empty());
  if (data->capacity() >= bytes) return;
  Buffers* buffers = bytes <= TaskDataBuffers::kMaxBytes ? KeptBuffers() : nullptr;
  if (buffers == nullptr) {
    data->reserve(bytes);
    return;
  }
  if (buffers->empty()) SharedExchange().Take(buffers);
  const size_t count = buffers->size();
  for (size_t i = count; i > 0 && i + kLookBack > count; --i) {
    std::string& spare = (*buffers)[i - 1];
    if (spare.capacity() >= bytes && spare.capacity() <= bytes + bytes / 2 + 64) {
      // The spare's place keeps what `*data` held, unless that is no buffer.
      data->swap(spare);
      if (spare.capacity() < TaskDataBuffers::kMinBytes) {
        spare.swap(buffers->back());
        buffers->pop_back();
      }
      return;
    }
  }
  // Nothing fits: the last kept buffer is freed, so that a list of
  // misfits drains and the next batch is taken; `*data` gets a new buffer,
  // and its old one is kept.
  if (count > 0) buffers->pop_back();
  RecycleTaskData(data);
  data->reserve(bytes);
}

void RecycleTaskData(std::string* data) {
  const size_t capacity = data->capacity();
  Buffers* buffers =
      capacity >= TaskDataBuffers::kMinBytes && capacity <= TaskDataBuffers::kMaxBytes
          ? KeptBuffers()
          : nullptr;
  if (buffers == nullptr || (buffers->size() == kBatch && !SharedExchange().Put(buffers))) {
    Free(data);
    return;
  }
  data->clear();
  buffers->emplace_back().swap(*data);
}

size_t KeptTaskDataBuffers() {
  return recycling && state != State::kClosed ? kept.buffers.size() : 0;
}

size_t WaitingTaskDataBatches() { return SharedExchange().waiting(); }

}  // namespace internal
}  // namespace convey
