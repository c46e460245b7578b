// Task handles (Engine::Submit): the state a TaskHandle shares with the
// engine, the table of tasks being watched, and which engine the calling
// thread works for (so that calls which would wait for their own caller
// fail fast).
//
// Cheap when unused: the engine asks TaskWatchers only when a task ends, and
// then only reads one atomic counter unless some task is watched.
//
// Locking: a TaskCompletion's `mu_` and the table's shard locks are leaves;
// the table never calls a completion while holding one.
#ifndef CONVEY_RUNTIME_ENGINE_TASK_COMPLETION_H_
#define CONVEY_RUNTIME_ENGINE_TASK_COMPLETION_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "convey/engine.h"

namespace convey {
namespace internal {

struct Task;

// The engine whose worker (or events) thread is the caller, or null on a
// host thread. Set for the life of those threads.
const void* CurrentEngineThread();
void SetCurrentEngineThread(const void* engine);
// The task the calling worker is running (its logics and the observer
// calls of its activation), or null.
const Task* RunningTask();
void SetRunningTask(const Task* task);
// Marks `task` (held by this thread) as the running one while the host's
// code is called about it (an observer, a handle's callback), so that a call
// back about it fails fast instead of waiting for this very thread.
class RunningTaskScope {
 public:
  explicit RunningTaskScope(const Task* task) : outer_(RunningTask()) { SetRunningTask(task); }
  ~RunningTaskScope() { SetRunningTask(outer_); }
  RunningTaskScope(const RunningTaskScope&) = delete;
  RunningTaskScope& operator=(const RunningTaskScope&) = delete;

 private:
  const Task* const outer_;
};

// What a TaskHandle refers to.
class TaskCompletion {
 public:
  TaskCompletion(const void* engine, std::string obj_id)
      : engine_(engine), obj_id_(std::move(obj_id)) {}

  static TaskHandle NewHandle(std::shared_ptr<TaskCompletion> state) {
    return TaskHandle(std::move(state));
  }

  const std::string& obj_id() const { return obj_id_; }
  bool done() const;
  // The first call wins; later ones are ignored. Runs the callbacks on the
  // calling thread, outside the lock.
  void Complete(absl::StatusOr<TaskSnapshot> result);
  absl::StatusOr<TaskSnapshot> Wait(absl::Duration timeout);
  void OnDone(std::function<void(const absl::StatusOr<TaskSnapshot>&)> done);

 private:
  const void* const engine_;
  const std::string obj_id_;
  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;                    // guarded by mu_
  absl::StatusOr<TaskSnapshot> result_;  // guarded by mu_; set once
  std::vector<std::function<void(const absl::StatusOr<TaskSnapshot>&)>> callbacks_;  // mu_
};

// The tasks some handle waits for.
class TaskWatchers {
 public:
  // Watches `task`, which the caller holds and which has not started
  // running yet.
  void Watch(const Task* task, std::shared_ptr<TaskCompletion> completion);
  // `task` (held by the caller) has ended: completes its handle with it as
  // it is now. Reads one atomic when nothing is watched.
  void Ended(const Task& task) {
    if (watched_.load(std::memory_order_acquire) == 0) return;
    EndedSlow(task);
  }
  // The engine closes: every handle not yet done completes with `status`.
  void CancelAll(const absl::Status& status);

 private:
  void EndedSlow(const Task& task);

  // Sharded by task, as the task store is: the creating thread and the
  // workers that end tasks rarely meet on one lock.
  static constexpr size_t kShards = 32;
  struct Shard {
    std::mutex mu;
    absl::flat_hash_map<const Task*, std::shared_ptr<TaskCompletion>> by_task;  // guarded by mu
  };
  Shard& ShardFor(const Task* task) {
    return shards_[(reinterpret_cast<uintptr_t>(task) >> 6) % kShards];
  }

  std::atomic<int64_t> watched_{0};  // entries in every shard
  Shard shards_[kShards];
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_TASK_COMPLETION_H_
