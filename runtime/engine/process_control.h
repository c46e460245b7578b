// ProcessControl: what belongs to a conv_id rather than to one deployed
// version of it: its tasks in creation order (TaskLog, for searches) and
// whether it is paused, with the tasks held meanwhile.
//
// Shared by every version of the conv_id (CompiledProcess::control).
#ifndef CONVEY_RUNTIME_ENGINE_PROCESS_CONTROL_H_
#define CONVEY_RUNTIME_ENGINE_PROCESS_CONTROL_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/engine/task_log.h"

namespace convey {
namespace internal {

struct Task;

struct ProcessControl {
  TaskLog log;
  // Read on the hot path (a worker about to run a task); changed only with
  // `mu` held, so that a worker holding a task and a resume that releases
  // the held ones never miss each other. On a line of its own: the log
  // beside it is written by every create, and a worker's read of a flag on
  // that line waited for the line to come from the creating thread's core.
  alignas(64) std::atomic<bool> paused{false};
  std::mutex mu;                            // a leaf lock
  std::vector<TaskRef> held;                // guarded by mu
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_PROCESS_CONTROL_H_
