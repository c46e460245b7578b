// A task as the engine holds it.
//
// Ownership protocol: `state` says who may touch the task's other fields.
// A worker owns it while kRunning; an API call (show, modify, delete) owns it
// while kHeld*; nobody owns it while kIdle or kQueued. Transitions are CAS
// operations, so the hot path (a worker moving a task) takes no lock, and one
// task is never run by two workers at once.
#ifndef CONVEY_RUNTIME_ENGINE_TASK_H_
#define CONVEY_RUNTIME_ENGINE_TASK_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "runtime/engine/process.h"

namespace convey {
namespace internal {

enum TaskState : uint32_t {
  kIdle,          // parked, stopped or finished; in no run queue
  kQueued,        // has exactly one run-queue entry
  kRunning,       // a worker runs it
  kHeld,          // an API call holds it; no queue entry
  kHeldQueued,    // an API call holds it; a queue entry is waiting
  kHeldDeferred,  // an API call holds it; a worker skipped its queue entry,
                  // so the holder must queue it again on release
};

struct Task {
  std::atomic<uint32_t> state{kIdle};
  const CompiledProcess* process = nullptr;
  uint32_t node = 0;
  uint32_t prev_node = NodeHandle::kNone;
  uint32_t next_logic = 0;  // where a parked or stopped task resumes
  TaskStatus status = TaskStatus::kProcessing;
  ParkReason park = ParkReason::kNone;
  std::array<char, 24> obj_id;
  std::string ref;
  std::string data;  // compact JSON object
  int64_t create_micros = 0;
  int64_t change_micros = 0;

  absl::string_view obj_id_view() const { return absl::string_view(obj_id.data(), obj_id.size()); }
  const CompiledNode& current_node() const { return process->nodes[node]; }
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_H_
