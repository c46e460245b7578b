// Work a host thread shares with the workers that are free: a loop over
// independent items (a batch's task data to parse and check) that the
// calling thread and any helping worker run in chunks, each chunk claimed
// by one of them.
//
// Why: creating a batch of tasks was bound by the one host thread that
// parsed, validated and minified each task's data while the workers waited
// for its tasks (B1, docs/performance-aims.md). A worker asked to help that is
// busy helps when it next looks at the run queue, or never: the caller
// claims whatever is left itself, so nothing waits on a busy worker.
#ifndef CONVEY_RUNTIME_ENGINE_SHARED_WORK_H_
#define CONVEY_RUNTIME_ENGINE_SHARED_WORK_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/functional/function_ref.h"

namespace convey {
namespace internal {

class SharedWork {
 public:
  // Calls body(i) once for every i in [0, count), in chunks of `chunk`
  // indexes, and returns when every call has returned. With more than one
  // chunk, first calls ask_helpers(n) to ask up to n workers to call Help()
  // (chunks beyond the caller's first). Calls on different chunks run at
  // the same time; a chunk's calls run in order on one thread. Neither
  // body nor ask_helpers may throw: a helper could still be running body
  // for a loop whose caller had left.
  void ForEach(size_t count, size_t chunk, absl::FunctionRef<void(size_t)> body,
               absl::FunctionRef<void(size_t)> ask_helpers);

  // A worker's help: runs chunks of the loops in progress until none is
  // left unclaimed. Returns at once when there is none.
  void Help();

 private:
  struct Loop {
    Loop(size_t count, size_t chunk, absl::FunctionRef<void(size_t)> body)
        : count(count), chunk(chunk), chunks((count + chunk - 1) / chunk), body(body) {}
    // Claims and runs chunks until none is left.
    void RunChunks();

    const size_t count;
    const size_t chunk;
    const size_t chunks;
    // Called only for a claimed chunk, while ForEach waits for it: its
    // referent lives on ForEach's caller's stack. A helper that comes later
    // finds no chunk left and touches nothing but the counters, which the
    // shared_ptr keeps.
    const absl::FunctionRef<void(size_t)> body;
    std::atomic<size_t> next_chunk{0};
    std::atomic<size_t> done_chunks{0};
  };

  std::mutex mu_;
  std::vector<std::shared_ptr<Loop>> loops_;  // guarded by mu_: those in progress
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_SHARED_WORK_H_
