// Statistics: the engine's task counts, and the reading of each node's
// counters and sums into EngineStats / ProcessStats.
//
// Apart from the step machine because the two sides meet only at the
// counters: workers bump them on every transition, park and finish; the API
// reads them (Stats, StatsFor, ResetSum). The per-node counters and sum
// accumulators themselves live in each CompiledNode (runtime/engine/process.h),
// striped per worker.
//
// Locking: none. Every count is an atomic updated with relaxed order: a count
// is read as a total, never to order other memory. A reader holds no lock and
// may see counts from a moment ago; the caller keeps the process it reads
// alive (deployed versions are freed only with the engine).
#ifndef CONVEY_RUNTIME_ENGINE_STATISTICS_H_
#define CONVEY_RUNTIME_ENGINE_STATISTICS_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "runtime/engine/process.h"

namespace convey {
namespace internal {

// The node counter that holds tasks parked for `reason`, if any.
inline std::atomic<int64_t>* ReasonCounter(const CompiledNode& node, ParkReason reason) {
  NodeCounters& c = *node.counters;
  switch (reason) {
    case ParkReason::kCallback:
      return &c.callback;
    case ParkReason::kReply:
      return &c.reply;
    case ParkReason::kQueue:
      return &c.queue;
    case ParkReason::kHttp:
      return &c.http;
    case ParkReason::kTimer:
      return &c.timer;
    case ParkReason::kNoExit:
      return &c.no_exit;
    case ParkReason::kError:
    case ParkReason::kUnroutable:
      return &c.error;
    case ParkReason::kLoopStopped:
      return &c.loop_stopped;
    case ParkReason::kPaused:
      return &c.paused;
    case ParkReason::kScheduled:
      return &c.scheduled;
    default:
      return nullptr;
  }
}

// Engine-wide task counts, and the readers of per-node statistics.
//
// A count that workers bump per task is striped per worker, and the count
// host threads bump has a line of its own: one shared line written by the
// creating thread and both workers cost each task a cache-line transfer
// between cores (perf put the `lock add` of a shared `finished` count at a
// tenth of the pipeline's samples when the two vCPUs were far apart).
class Statistics {
 public:
  explicit Statistics(int workers)
      : finished_(workers + 1), errored_(workers + 1), loop_stopped_(workers + 1) {}
  void TaskCreated() { created_.fetch_add(1, std::memory_order_relaxed); }
  void TaskFinished(int worker) { finished_.AddOwned(1, worker); }
  void TaskErrored(int worker) { errored_.AddOwned(1, worker); }
  void TaskLoopStopped(int worker) { loop_stopped_.AddOwned(1, worker); }
  void TaskRecovered() { recovered_.fetch_add(1, std::memory_order_relaxed); }
  int64_t recovered() const { return recovered_.load(std::memory_order_relaxed); }

  // Fills the tasks_* counts of `stats` (not tasks_queued).
  void ReadTaskCounts(EngineStats* stats) const;

  // Each node's counters and sums.
  static ProcessStats Of(const CompiledProcess& process);
  // Sets a sum of one node of `process` to 0. NotFound when the node or the
  // sum does not exist.
  static absl::Status ResetSum(const CompiledProcess& process, absl::string_view node_id,
                               absl::string_view sum_id);

 private:
  alignas(64) std::atomic<int64_t> created_{0};
  std::atomic<int64_t> recovered_{0};
  // Not on created_'s line: workers read the stripes' pointers.
  alignas(64) StripedCounter finished_;
  StripedCounter errored_;
  StripedCounter loop_stopped_;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_STATISTICS_H_
