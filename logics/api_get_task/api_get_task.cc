#include "logics/api_get_task/api_get_task.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "logics/target_process/target_process.h"
#include "logics/typed_values/typed_values.h"
#include "runtime/task/write_set.h"
#include "schema/process.pb.h"
#include "simdjson.h"

namespace convey {
namespace logics {
namespace {

class ApiGetTask : public Logic {
 public:
  ApiGetTask(TargetProcess target, const Template* node_id, bool newest, NodeHandle err_node)
      : target_(std::move(target)), node_id_(node_id), newest_(newest), err_node_(err_node) {}

  LogicResult Run(TaskContext& task) const override {
    TaskValueSource source(task);
    absl::StatusOr<int64_t> conv_id = target_.Resolve(source);
    if (!conv_id.ok()) {
      if (conv_id.status().code() == absl::StatusCode::kNotFound) {  // an @alias
        return Software("get_task_executing_error",
                        absl::StrCat("access_denied: ", conv_id.status().message()));
      }
      return Software("get_task_wrong_convert_param", conv_id.status().message());
    }
    const std::string node_id =
        node_id_->is_constant() ? node_id_->constant().ToText() : task.Evaluate(*node_id_).ToText();
    absl::StatusOr<QueuedTask> taken = task.TakeQueued(*conv_id, node_id, newest_);
    if (!taken.ok()) {
      const absl::Status& status = taken.status();
      switch (status.code()) {
        case absl::StatusCode::kOutOfRange:  // the queue is empty
          return Software("get_task_executing_error", "not_found_task");
        case absl::StatusCode::kNotFound:
          return Software("get_task_executing_error",
                          absl::StrCat("access_denied: ", status.message()));
        case absl::StatusCode::kFailedPrecondition: {  // the node is no queue
          LogicResult result = Software("queue_wrong_logic", status.message());
          result.family = "queue";
          return result;
        }
        default:
          return LogicResult::Fail(err_node_, true, "get_task_fatal_error",
                                   std::string(status.message()));
      }
    }
    // The taken task's data with the queue node's data on top.
    simdjson::dom::parser data_parser;
    simdjson::dom::parser extra_parser;
    simdjson::dom::element data;
    simdjson::dom::element extra;
    if (data_parser.parse(taken->data_json).get(data) != simdjson::SUCCESS ||
        extra_parser.parse(taken->extra_json.empty() ? std::string("{}") : taken->extra_json)
                .get(extra) != simdjson::SUCCESS) {
      return LogicResult::Fail(err_node_, true, "get_task_fatal_error",
                               absl::StrCat("task ", taken->obj_id, ": its data is not JSON"));
    }
    std::string merged;
    internal::MergeTopLevel(data, extra, &merged);
    absl::Status status = task.Set("__queue_task_id__", Value::String(taken->obj_id));
    if (status.ok()) status = task.Set("__queue_task_data__", Value::Object(std::move(merged)));
    if (!status.ok()) {
      return LogicResult::Fail(err_node_, true, "get_task_fatal_error",
                               std::string(status.message()));
    }
    return LogicResult::Next();
  }

  absl::string_view error_family() const override { return "get_task"; }
  NodeHandle error_node() const override { return err_node_; }

 private:
  LogicResult Software(absl::string_view tag, absl::string_view description) const {
    return LogicResult::Fail(err_node_, false, std::string(tag), std::string(description));
  }

  TargetProcess target_;
  const Template* node_id_;
  bool newest_;
  NodeHandle err_node_;
};

class ApiGetTaskFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api_get_task"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    const schema::ApiGetTask& config = spec.config->api_get_task();
    bool newest = false;
    if (config.order_by() == "DESC") {
      newest = true;
    } else if (!config.order_by().empty() && config.order_by() != "ASC") {
      return absl::InvalidArgumentError(
          absl::StrCat("order_by \"", config.order_by(), "\": must be \"ASC\" or \"DESC\""));
    }
    absl::StatusOr<NodeHandle> err_node = builder.Node(config.err_node_id());
    if (!err_node.ok()) return err_node.status();
    absl::StatusOr<TargetProcess> target = TargetProcess::Compile(config.conv_id(), builder);
    if (!target.ok()) return target.status();
    if (config.node_id().empty()) {
      return absl::InvalidArgumentError("node_id: empty; name the queue node");
    }
    absl::StatusOr<const Template*> node_id =
        builder.CompileTemplate(config.node_id(), TemplateMode::kValue);
    if (!node_id.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node_id \"", config.node_id(), "\": ", node_id.status().message()));
    }
    return std::unique_ptr<Logic>(new ApiGetTask(*std::move(target), *node_id, newest, *err_node));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiGetTaskFactory() {
  return std::make_unique<ApiGetTaskFactory>();
}

}  // namespace logics
}  // namespace convey
