#include "logics/api_get_task/api_get_task.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "logics/common/target_process.h"
#include "logics/common/typed_values.h"
#include "runtime/base/quote.h"
#include "runtime/task/write_set.h"
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
    LogicConfig& config = *spec.config;
    std::string conv_id;
    const bool has_conv_id = config.ReadText("conv_id", &conv_id);
    if (!has_conv_id) config.Error("", "api_get_task has no conv_id");
    std::string node_id;
    const bool has_node_id = config.ReadText("node_id", &node_id);
    if (!has_node_id) config.Error("", "api_get_task has no node_id");
    std::string order = "ASC";
    config.ReadString("order_by", &order);
    order = absl::AsciiStrToUpper(order);
    if (order != "ASC" && order != "DESC") {
      config.Error("order_by",
                   absl::StrCat("order_by ", internal::Quote(order), " is not ASC or DESC"));
    }
    const bool newest = order == "DESC";
    NodeHandle err_node;
    config.ReadLink("err_node_id", /*required=*/false, &err_node);
    if (config.error_count() > 0) return config.Failed();

    absl::StatusOr<TargetProcess> target = TargetProcess::Compile(conv_id, builder);
    if (!target.ok()) config.Error("conv_id", std::string(target.status().message()));
    absl::StatusOr<const Template*> node_template = absl::InvalidArgumentError("");
    if (node_id.empty()) {
      config.Error("node_id", "node_id is empty; name the queue node");
    } else {
      node_template = builder.CompileTemplate(node_id, TemplateMode::kValue);
      if (!node_template.ok()) {
        config.Error("node_id",
                     absl::StrCat("node_id \"", node_id, "\": ", node_template.status().message()));
      }
    }
    if (config.error_count() > 0) return config.Failed();
    return std::unique_ptr<Logic>(
        new ApiGetTask(*std::move(target), *node_template, newest, err_node));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiGetTaskFactory() {
  return std::make_unique<ApiGetTaskFactory>();
}

}  // namespace logics
}  // namespace convey
