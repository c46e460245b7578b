#include "logics/set_param/set_param.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "logics/schema_types.h"
#include "runtime/template/template.h"
#include "schema/process.pb.h"

namespace convey {
namespace logics {
namespace {

struct Assignment {
  const Template* key = nullptr;
  const Template* value = nullptr;
  Value::Type type = Value::Type::kString;
};

class SetParam : public Logic {
 public:
  SetParam(std::vector<Assignment> assignments, NodeHandle err_node)
      : assignments_(std::move(assignments)), err_node_(err_node) {}

  LogicResult Run(TaskContext& task) const override {
    // Every value is evaluated against the data as it was before this logic:
    // the writes are applied together when all of them convert.
    std::vector<std::pair<std::string, Value>> results;
    results.reserve(assignments_.size());
    for (const Assignment& assignment : assignments_) {
      std::string key = assignment.key->is_constant() ? assignment.key->constant().ToText()
                                                      : task.Evaluate(*assignment.key).ToText();
      Value raw = task.Evaluate(*assignment.value);
      absl::StatusOr<Value> converted = internal::ConvertTo(raw, assignment.type);
      if (!converted.ok()) {
        return LogicResult::Fail(
            err_node_, false, "set_param_wrong_convert_param",
            absl::StrCat("Param: ", key, ", Value: ", raw.ToText(),
                         ", Try convert to: ", Value::TypeName(assignment.type)));
      }
      results.emplace_back(std::move(key), *std::move(converted));
    }
    for (auto& result : results) {
      absl::Status status = task.Set(result.first, std::move(result.second));
      if (!status.ok()) {
        return LogicResult::Fail(err_node_, false, "set_param_wrong_key",
                                 absl::StrCat("Param: ", result.first, ": ", status.message()));
      }
    }
    return LogicResult::Next();
  }
  absl::string_view error_family() const override { return "set_param"; }
  NodeHandle error_node() const override { return err_node_; }

 private:
  std::vector<Assignment> assignments_;
  NodeHandle err_node_;
};

class SetParamFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "set_param"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    const schema::SetParam& config = spec.config->set_param();
    absl::StatusOr<NodeHandle> err_node = builder.Node(config.err_node_id());
    if (!err_node.ok()) return err_node.status();
    std::vector<Assignment> assignments;
    for (const schema::TypedValue& item : config.values()) {
      if (item.key().empty()) {
        return absl::InvalidArgumentError("extra: a parameter has an empty name");
      }
      absl::StatusOr<const Template*> key = builder.CompileTemplate(item.key(), TemplateMode::kValue);
      if (!key.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("extra key \"", item.key(), "\": ", key.status().message()));
      }
      absl::StatusOr<const Template*> value =
          builder.CompileTemplate(item.value(), TemplateMode::kValue);
      if (!value.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("extra.", item.key(), ": ", value.status().message()));
      }
      assignments.push_back({*key, *value, ValueTypeOf(item.type())});
    }
    return std::unique_ptr<Logic>(new SetParam(std::move(assignments), *err_node));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewSetParamFactory() {
  return std::make_unique<SetParamFactory>();
}

}  // namespace logics
}  // namespace convey
