#include "logics/api_copy/api_copy.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "logics/common/target_process.h"
#include "logics/common/typed_values.h"
#include "runtime/base/quote.h"

namespace convey {
namespace logics {
namespace {

// The engine's limit on a ref (engine.h, CreateTask).
constexpr size_t kMaxRefBytes = 255;

class ApiCopy : public Logic {
 public:
  struct Config {
    bool modify = false;
    bool all = false;  // group "all": this task's data goes too
    bool is_sync = false;
    TargetProcess target;
    const Template* ref = nullptr;
    TypedValues data;
    NodeHandle err_node;
  };

  explicit ApiCopy(Config config) : c_(std::move(config)) {}

  LogicResult Run(TaskContext& task) const override {
    TaskValueSource source(task);
    absl::StatusOr<int64_t> conv_id = c_.target.Resolve(source);
    if (!conv_id.ok()) {
      if (conv_id.status().code() == absl::StatusCode::kNotFound) {  // an @alias
        return Software("conveyor_is_not_active", conv_id.status().message());
      }
      return Software(Prefixed("wrong_convert_param"), conv_id.status().message());
    }
    const std::string ref =
        c_.ref->is_constant() ? c_.ref->constant().ToText() : task.Evaluate(*c_.ref).ToText();
    if (c_.modify && ref.empty()) {
      return Software("wrong_validate_params", "ref is empty: modify needs the task's ref");
    }
    if (ref.size() > kMaxRefBytes) {
      return Software(
          "wrong_validate_params",
          absl::StrCat("ref is ", ref.size(), " bytes; at most ", kMaxRefBytes, " are allowed"));
    }

    TypedEntries entries;
    entries.reserve(c_.data.size() + 3);
    absl::Status evaluated = c_.data.Evaluate(source, &entries);
    if (!evaluated.ok()) return Software(Prefixed("wrong_convert_param"), evaluated.message());
    if (!c_.modify) {
      // The copy learns where it came from. Written after `data`, so they win
      // over data keys of the same name. A task without a ref is named by
      // its obj_id.
      entries.push_back(
          {"copy_conv_id",
           Value::NumberText(static_cast<double>(task.conv_id()), absl::StrCat(task.conv_id())),
           nullptr});
      entries.push_back({"copy_node_id", Value::String(std::string(task.node_id())), nullptr});
      entries.push_back(
          {"copy_ref_id",
           Value::String(std::string(task.ref().empty() ? task.obj_id() : task.ref())), nullptr});
    }
    std::string json;
    absl::Status built = c_.all ? BuildObject(task.data(), task.data_json(), entries, &json)
                                : BuildObject(entries, &json);
    if (!built.ok()) {
      if (built.code() == absl::StatusCode::kOutOfRange) {
        return Software(Prefixed("size_overflow_limit"), built.message());
      }
      return Software(Prefixed("wrong_convert_param"), built.message());
    }
    return c_.modify ? Modify(task, *conv_id, ref, json) : Create(task, *conv_id, ref, json);
  }

  absl::string_view error_family() const override {
    return c_.modify ? "modify_task" : "copy_task";
  }
  NodeHandle error_node() const override { return c_.err_node; }

 private:
  LogicResult Create(TaskContext& task, int64_t conv_id, const std::string& ref,
                     const std::string& json) const {
    absl::StatusOr<std::string> started = task.StartTask(conv_id, ref, json);
    if (!started.ok()) {
      const absl::Status& status = started.status();
      switch (status.code()) {
        case absl::StatusCode::kNotFound:
          return Software("conveyor_is_not_active",
                          absl::StrCat("process ", conv_id, " is not deployed"));
        case absl::StatusCode::kAlreadyExists:
          return Software("not_unical_ref", status.message());
        case absl::StatusCode::kInvalidArgument:
          return Software("copy_task_size_overflow_limit", status.message());
        case absl::StatusCode::kOutOfRange:  // max_tasks_per_tree, max_caused_tasks_per_process
          return Software("copy_task_limit", status.message());
        default:  // ResourceExhausted (run queue full) and anything transient
          return Hardware("copy_task_fatal_error", status.message());
      }
    }
    return Ok(task);
  }

  LogicResult Modify(TaskContext& task, int64_t conv_id, const std::string& ref,
                     const std::string& json) const {
    absl::Status status = task.ModifyTask(conv_id, ref, json, c_.is_sync);
    switch (status.code()) {
      case absl::StatusCode::kOk:
        return Ok(task);
      case absl::StatusCode::kNotFound:
        return Software("not_found_task", status.message());
      case absl::StatusCode::kFailedPrecondition:
        return Software("no_api_callback_in_node_with_task", status.message());
      case absl::StatusCode::kAborted:
        return Software("duplicate_callback", status.message());
      case absl::StatusCode::kInvalidArgument:
        return Software("modify_task_size_overflow_limit", status.message());
      default:
        return Hardware("modify_task_fatal_error", status.message());
    }
  }

  LogicResult Ok(TaskContext& task) const {
    absl::Status status = task.Set("__conveyor_copy_task_result__", Value::String("ok"));
    if (!status.ok()) return Hardware(Prefixed("fatal_error"), status.message());
    return LogicResult::Next();
  }

  // The family's own tags carry its name: copy_task_… or modify_task_….
  std::string Prefixed(absl::string_view tag) const {
    return absl::StrCat(c_.modify ? "modify_task_" : "copy_task_", tag);
  }
  LogicResult Software(absl::string_view tag, absl::string_view description) const {
    return LogicResult::Fail(c_.err_node, false, std::string(tag), std::string(description));
  }
  LogicResult Hardware(absl::string_view tag, absl::string_view description) const {
    return LogicResult::Fail(c_.err_node, true, std::string(tag), std::string(description));
  }

  Config c_;
};

class ApiCopyFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api_copy"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    LogicConfig& reader = *spec.config;
    ApiCopy::Config config;
    std::string mode = "create";
    reader.ReadString("mode", &mode);
    if (mode != "create" && mode != "modify") {
      reader.Error("mode", absl::StrCat("api_copy mode ", internal::Quote(mode),
                                        " is not \"create\" or \"modify\""));
    }
    config.modify = mode == "modify";
    std::string conv_id;
    const bool has_conv_id = reader.ReadText("conv_id", &conv_id);
    if (!has_conv_id) reader.Error("", "api_copy has no conv_id");
    std::string ref;
    reader.ReadText("ref", &ref);
    std::string group;
    reader.ReadString("group", &group);
    config.all = group == "all";
    std::vector<TypedValueSpec> data;
    reader.ReadTypedValues("data", "data_type", &data);
    reader.ReadBool("is_sync", &config.is_sync);
    reader.ReadLink("err_node_id", /*required=*/false, &config.err_node);
    if (reader.error_count() > 0) return reader.Failed();

    absl::StatusOr<TargetProcess> target = TargetProcess::Compile(conv_id, builder);
    if (target.ok()) {
      config.target = *std::move(target);
    } else {
      reader.Error("conv_id", std::string(target.status().message()));
    }
    absl::StatusOr<const Template*> ref_template =
        builder.CompileTemplate(ref, TemplateMode::kValue);
    if (ref_template.ok()) {
      config.ref = *ref_template;
    } else {
      reader.Error("ref", absl::StrCat("ref \"", ref, "\": ", ref_template.status().message()));
    }
    TypedValues::CompileObject(data, "data", "data", reader, builder, &config.data);
    if (reader.error_count() > 0) return reader.Failed();
    return std::unique_ptr<Logic>(new ApiCopy(std::move(config)));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiCopyFactory() { return std::make_unique<ApiCopyFactory>(); }

}  // namespace logics
}  // namespace convey
