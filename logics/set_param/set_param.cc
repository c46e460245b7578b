#include "logics/set_param/set_param.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "logics/typed_values/typed_values.h"
#include "schema/process.pb.h"

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
    std::vector<TypedEntry> results;
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
                                 absl::StrCat("Param: ", result.key, ": ", status.message()));
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
    const schema::SetParam& config = spec.config->set_param();
    absl::StatusOr<NodeHandle> err_node = builder.Node(config.err_node_id());
    if (!err_node.ok()) return err_node.status();
    absl::StatusOr<TypedValues> values = TypedValues::Compile(config.values(), "extra", builder);
    if (!values.ok()) return values.status();
    return std::unique_ptr<Logic>(new SetParam(*std::move(values), *err_node));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewSetParamFactory() { return std::make_unique<SetParamFactory>(); }

}  // namespace logics
}  // namespace convey
