#include "logics/set_param/set_param.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "logics/common/typed_values.h"

namespace convey {
namespace logics {
namespace {

class SetParam : public Logic {
 public:
  SetParam(TypedValues values, NodeHandle err_node)
      : values_(std::move(values)), err_node_(err_node) {}

  LogicResult Run(TaskContext& task) const override {
    // Every value is evaluated against the data as it was before this logic:
    // the writes are applied together when all of them convert.
    TypedEntries results;
    results.reserve(values_.size());
    TaskValueSource source(task);
    absl::Status evaluated = values_.Evaluate(source, &results);
    if (!evaluated.ok()) {
      return LogicResult::Fail(err_node_, false, "set_param_wrong_convert_param",
                               std::string(evaluated.message()));
    }
    for (TypedEntry& result : results) {
      absl::Status status = task.Set(result.key, std::move(result.value));
      if (!status.ok()) {
        return LogicResult::Fail(err_node_, false, "set_param_wrong_key",
                                 WrongKeyMessage(result.key, status));
      }
    }
    return LogicResult::Next();
  }
  absl::string_view error_family() const override { return "set_param"; }
  NodeHandle error_node() const override { return err_node_; }

 private:
  TypedValues values_;
  NodeHandle err_node_;
};

class SetParamFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "set_param"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    LogicConfig& config = *spec.config;
    NodeHandle err_node;
    config.ReadLink("err_node_id", /*required=*/false, &err_node);
    std::vector<TypedValueSpec> items;
    absl::string_view field = "extra";
    if (config.Has("extra")) {
      config.ReadTypedValues("extra", "extra_type", &items);
    } else if (config.Has("params")) {
      // A vendor fixture shape: "params": [{"name","value","type"}].
      field = "params";
      config.Warning("params", "set_param with a params list: read as extra/extra_type");
      config.ForEachObject("params", [&](LogicConfig& param) {
        TypedValueSpec& item = items.emplace_back();
        if (!param.ReadString("name", &item.key)) param.Error("", "the parameter has no name");
        param.ReadText("value", &item.value);
        param.ReadValueType("type", &item.type);
      });
    }
    if (config.error_count() > 0) return config.Failed();
    absl::StatusOr<TypedValues> values = TypedValues::Compile(items, "extra", builder);
    if (!values.ok()) {
      config.Error(field, std::string(values.status().message()));
      return config.Failed();
    }
    return std::unique_ptr<Logic>(new SetParam(*std::move(values), err_node));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewSetParamFactory() { return std::make_unique<SetParamFactory>(); }

}  // namespace logics
}  // namespace convey
