// Task handles and the table of watched tasks (see task_completion.h).
#include "runtime/engine/task_completion.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/engine/task.h"
#include "runtime/engine/task_store.h"

namespace convey {
namespace internal {

namespace {
thread_local const void* current_engine_thread = nullptr;
thread_local const Task* running_task = nullptr;
}  // namespace

const void* CurrentEngineThread() { return current_engine_thread; }
void SetCurrentEngineThread(const void* engine) { current_engine_thread = engine; }
const Task* RunningTask() { return running_task; }
void SetRunningTask(const Task* task) { running_task = task; }

bool TaskCompletion::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return done_;
}

void TaskCompletion::Complete(absl::StatusOr<TaskSnapshot> result) {
  std::vector<std::function<void(const absl::StatusOr<TaskSnapshot>&)>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;
    done_ = true;
    result_ = std::move(result);
    callbacks.swap(callbacks_);
  }
  done_cv_.notify_all();
  // result_ no longer changes: read without the lock.
  for (auto& callback : callbacks) callback(result_);
}

absl::StatusOr<TaskSnapshot> TaskCompletion::Wait(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (done_) return result_;
  if (engine_ != nullptr && CurrentEngineThread() == engine_) {
    return absl::FailedPreconditionError(
        absl::StrCat("TaskHandle::Wait for task ", obj_id_,
                     " called from a logic or an observer of its engine: the task may need this "
                     "very thread to end"));
  }
  if (timeout == absl::InfiniteDuration()) {
    done_cv_.wait(lock, [this] { return done_; });
    return result_;
  }
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  if (!done_cv_.wait_until(lock, deadline, [this] { return done_; })) {
    return absl::DeadlineExceededError(
        absl::StrCat("task ", obj_id_, " has not ended within ", absl::FormatDuration(timeout)));
  }
  return result_;
}

void TaskCompletion::OnDone(std::function<void(const absl::StatusOr<TaskSnapshot>&)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!done_) {
      callbacks_.push_back(std::move(done));
      return;
    }
  }
  done(result_);
}

void TaskWatchers::Watch(const Task* task, std::shared_ptr<TaskCompletion> completion) {
  Shard& shard = ShardFor(task);
  std::lock_guard<std::mutex> lock(shard.mu);
  shard.by_task[task] = std::move(completion);
  watched_.fetch_add(1, std::memory_order_acq_rel);
}

void TaskWatchers::EndedSlow(const Task& task) {
  std::shared_ptr<TaskCompletion> completion;
  {
    Shard& shard = ShardFor(&task);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.by_task.find(&task);
    if (it == shard.by_task.end()) return;
    completion = std::move(it->second);
    shard.by_task.erase(it);
    watched_.fetch_sub(1, std::memory_order_acq_rel);
  }
  completion->Complete(SnapshotOf(task));
}

void TaskWatchers::CancelAll(const absl::Status& status) {
  for (Shard& shard : shards_) {
    absl::flat_hash_map<const Task*, std::shared_ptr<TaskCompletion>> watched;
    {
      std::lock_guard<std::mutex> lock(shard.mu);
      watched.swap(shard.by_task);
      watched_.fetch_sub(static_cast<int64_t>(watched.size()), std::memory_order_acq_rel);
    }
    for (auto& [task, completion] : watched) completion->Complete(status);
  }
}

}  // namespace internal

// TaskHandle: the public face of a TaskCompletion.

const std::string& TaskHandle::obj_id() const {
  static const std::string* const kNone = new std::string();
  return state_ != nullptr ? state_->obj_id() : *kNone;
}

bool TaskHandle::done() const { return state_ != nullptr && state_->done(); }

absl::StatusOr<TaskSnapshot> TaskHandle::Wait(absl::Duration timeout) const {
  if (state_ == nullptr) return absl::FailedPreconditionError("the TaskHandle refers to no task");
  return state_->Wait(timeout);
}

void TaskHandle::OnDone(std::function<void(const absl::StatusOr<TaskSnapshot>&)> done) const {
  if (state_ == nullptr) {
    done(absl::FailedPreconditionError("the TaskHandle refers to no task"));
    return;
  }
  state_->OnDone(std::move(done));
}

}  // namespace convey
