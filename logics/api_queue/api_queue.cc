#include "logics/api_queue/api_queue.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "logics/common/typed_values.h"

namespace convey {
namespace logics {
namespace {

class ApiQueue : public Logic {
 public:
  explicit ApiQueue(TypedValues data) : data_(std::move(data)) {}

  LogicResult Run(TaskContext& task) const override {
    TaskValueSource source(task);
    TypedEntries entries;
    entries.reserve(data_.size());
    absl::Status evaluated = data_.Evaluate(source, &entries);
    std::string json;
    if (evaluated.ok()) evaluated = BuildObject(entries, &json);
    if (!evaluated.ok()) {
      // api_queue has no err_node_id: the task stops with status error.
      return LogicResult::Fail(NodeHandle{}, false,
                               evaluated.code() == absl::StatusCode::kOutOfRange
                                   ? "queue_size_overflow_limit"
                                   : "queue_wrong_convert_param",
                               std::string(evaluated.message()));
    }
    task.EnterQueue(std::move(json));
    return LogicResult::Park(ParkReason::kQueue);
  }
  absl::string_view error_family() const override { return "queue"; }

 private:
  TypedValues data_;
};

class ApiQueueFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api_queue"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    LogicConfig& config = *spec.config;
    std::vector<TypedValueSpec> items;
    config.ReadTypedValues("data", "data_type", &items);
    if (config.error_count() > 0) return config.Failed();
    TypedValues data;
    if (!TypedValues::CompileObject(items, "data", "data", config, builder, &data)) {
      return config.Failed();
    }
    // Tasks wait in this node: api_get_task may take them from it.
    builder.DeclareQueue();
    return std::unique_ptr<Logic>(new ApiQueue(std::move(data)));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiQueueFactory() { return std::make_unique<ApiQueueFactory>(); }

}  // namespace logics
}  // namespace convey
