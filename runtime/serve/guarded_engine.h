// The engine as `convey serve`'s API sees it: every call forwarded, except
// that a process deleted over API v2 (ProcessCatalog::DeleteProcess, the
// platform's trash) takes no new task until it is restored. The engine has
// no way to undeploy a version, and tasks already in the process go on.
#ifndef CONVEY_RUNTIME_SERVE_GUARDED_ENGINE_H_
#define CONVEY_RUNTIME_SERVE_GUARDED_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "runtime/serve/process_catalog.h"

namespace convey::serve {

class GuardedEngine : public Engine {
 public:
  GuardedEngine(Engine& engine, const ProcessCatalog& catalog)
      : engine_(engine), catalog_(catalog) {}

  absl::StatusOr<DeployResult> Deploy(absl::string_view file_name,
                                      absl::string_view json) override {
    return engine_.Deploy(file_name, json);
  }
  absl::StatusOr<DeployResult> DeployFile(const std::string& path) override {
    return engine_.DeployFile(path);
  }
  absl::StatusOr<std::string> CreateTask(int64_t conv_id, absl::string_view ref,
                                         absl::string_view data_json) override {
    if (catalog_.IsDeleted(conv_id)) return Deleted(conv_id);
    return engine_.CreateTask(conv_id, ref, data_json);
  }
  absl::StatusOr<std::string> CreateTask(int64_t conv_id, const NewTask& task) override {
    if (catalog_.IsDeleted(conv_id)) return Deleted(conv_id);
    return engine_.CreateTask(conv_id, task);
  }
  std::vector<absl::StatusOr<std::string>> CreateTasks(int64_t conv_id,
                                                       const std::vector<NewTask>& tasks) override {
    if (catalog_.IsDeleted(conv_id)) {
      return std::vector<absl::StatusOr<std::string>>(tasks.size(), Deleted(conv_id));
    }
    return engine_.CreateTasks(conv_id, tasks);
  }
  absl::StatusOr<TaskHandle> Submit(int64_t conv_id, absl::string_view ref,
                                    absl::string_view data_json) override {
    if (catalog_.IsDeleted(conv_id)) return Deleted(conv_id);
    return engine_.Submit(conv_id, ref, data_json);
  }
  absl::Status ModifyTask(const TaskKey& key, absl::string_view data_json) override {
    return engine_.ModifyTask(key, data_json);
  }
  absl::Status PatchTask(const TaskKey& key, absl::string_view patch_json) override {
    return engine_.PatchTask(key, patch_json);
  }
  absl::StatusOr<TaskHistory> GetTaskHistory(const TaskKey& key) override {
    return engine_.GetTaskHistory(key);
  }
  absl::Status AppendTaskHistory(const TaskKey& key, absl::string_view text) override {
    return engine_.AppendTaskHistory(key, text);
  }
  absl::StatusOr<TaskSnapshot> ShowTask(const TaskKey& key) override {
    return engine_.ShowTask(key);
  }
  absl::Status DeleteTask(const TaskKey& key, absl::string_view node_id) override {
    return engine_.DeleteTask(key, node_id);
  }
  void HoldTime(bool hold) override { engine_.HoldTime(hold); }
  std::vector<Diagnostic> UnresolvedReferences() const override {
    return engine_.UnresolvedReferences();
  }
  absl::Status WaitIdle(absl::Duration timeout) override { return engine_.WaitIdle(timeout); }
  EngineStats Stats() const override { return engine_.Stats(); }
  absl::StatusOr<ProcessStats> StatsFor(int64_t conv_id) const override {
    return engine_.StatsFor(conv_id);
  }
  absl::Status ResetSum(int64_t conv_id, absl::string_view node_id,
                        absl::string_view sum_id) override {
    return engine_.ResetSum(conv_id, node_id, sum_id);
  }
  void ForEachTask(const std::function<void(const TaskSnapshot&)>& visit) override {
    engine_.ForEachTask(visit);
  }
  absl::Status PauseProcess(int64_t conv_id) override { return engine_.PauseProcess(conv_id); }
  absl::Status ResumeProcess(int64_t conv_id) override { return engine_.ResumeProcess(conv_id); }
  absl::Status MoveTask(const TaskKey& key, int64_t conv_id, absl::string_view node_id) override {
    return engine_.MoveTask(key, conv_id, node_id);
  }
  absl::StatusOr<TaskPage> SearchTasks(const TaskQuery& query) override {
    return engine_.SearchTasks(query);
  }
  absl::Status Close(absl::Duration timeout) override { return engine_.Close(timeout); }

 private:
  static absl::Status Deleted(int64_t conv_id) {
    return absl::NotFoundError(
        absl::StrCat("process ", conv_id, " is deleted (restore it to create tasks)"));
  }
  Engine& engine_;
  const ProcessCatalog& catalog_;
};

}  // namespace convey::serve

#endif  // CONVEY_RUNTIME_SERVE_GUARDED_ENGINE_H_
