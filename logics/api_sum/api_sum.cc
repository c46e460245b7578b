#include "logics/api_sum/api_sum.h"

#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "runtime/template/template.h"
#include "schema/process.pb.h"

namespace convey {
namespace logics {
namespace {

struct SumTerm {
  SumHandle sum;
  std::string label;  // the item's name, else its id: for error descriptions
  const Template* value = nullptr;
};

class ApiSum : public Logic {
 public:
  ApiSum(std::vector<SumTerm> terms, NodeHandle err_node)
      : terms_(std::move(terms)), err_node_(err_node) {}

  LogicResult Run(TaskContext& task) const override {
    // All items convert before any is added: a failing item adds nothing.
    absl::InlinedVector<double, 4> amounts;
    for (const SumTerm& term : terms_) {
      const Value raw = term.value->is_constant() ? term.value->constant()
                                                  : task.Evaluate(*term.value);
      if (raw.type() == Value::Type::kNumber) {
        amounts.push_back(raw.number());
        continue;
      }
      absl::StatusOr<Value> number = internal::ConvertTo(raw, Value::Type::kNumber);
      if (!number.ok()) {
        return LogicResult::Fail(err_node_, false, "api_sum_wrong_convert_param",
                                 absl::StrCat("Param: ", term.label, ", Value: ", raw.ToText(),
                                              ", Try convert to: number"));
      }
      amounts.push_back(number->number());
    }
    for (size_t i = 0; i < terms_.size(); ++i) task.AddToSum(terms_[i].sum, amounts[i]);
    return LogicResult::Next();
  }
  absl::string_view error_family() const override { return "api_sum"; }
  NodeHandle error_node() const override { return err_node_; }

 private:
  std::vector<SumTerm> terms_;
  NodeHandle err_node_;
};

class ApiSumFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api_sum"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    const schema::ApiSum& config = spec.config->api_sum();
    absl::StatusOr<NodeHandle> err_node = builder.Node(config.err_node_id());
    if (!err_node.ok()) return err_node.status();
    std::vector<SumTerm> terms;
    for (int i = 0; i < config.items_size(); ++i) {
      const schema::SumItem& item = config.items(i);
      if (item.id().empty() && item.name().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("extra[", i, "]: a sum item needs an id or a name"));
      }
      absl::StatusOr<const Template*> value =
          builder.CompileTemplate(item.value(), TemplateMode::kValue);
      if (!value.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("extra[", i, "].value: ", value.status().message()));
      }
      SumTerm term;
      term.sum = builder.DeclareSum(item.id(), item.name());
      term.label = item.name().empty() ? item.id() : item.name();
      term.value = *value;
      terms.push_back(std::move(term));
    }
    return std::unique_ptr<Logic>(new ApiSum(std::move(terms), *err_node));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiSumFactory() { return std::make_unique<ApiSumFactory>(); }

}  // namespace logics
}  // namespace convey
