#include "logics/api_sum/api_sum.h"

#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "runtime/template/template.h"

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
      const Value raw =
          term.value->is_constant() ? term.value->constant() : task.Evaluate(*term.value);
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
    for (size_t i = 0; i < terms_.size(); ++i) {
      if (!task.AddToSum(terms_[i].sum, amounts[i])) {
        // The items before it stay added: a sum is no transaction.
        return LogicResult::Fail(err_node_, false, "api_sum_overflow",
                                 absl::StrCat("Param: ", terms_[i].label, ", Value: ", amounts[i],
                                              ": the sum would pass the largest number"));
      }
    }
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
    LogicConfig& config = *spec.config;
    NodeHandle err_node;
    config.ReadLink("err_node_id", /*required=*/false, &err_node);
    if (!config.Has("extra")) config.Error("", "api_sum has no extra list");
    struct Item {
      std::string id;
      std::string name;
      const Template* value = nullptr;
    };
    std::vector<Item> items;
    config.ForEachObject("extra", [&](LogicConfig& item_config) {
      Item item;
      item_config.ReadText("id", &item.id);
      item_config.ReadString("name", &item.name);
      if (item.id.empty() && item.name.empty()) {
        item_config.Error("", "the sum item has neither id nor name");
      }
      std::string value;
      if (!item_config.ReadText("value", &value)) {
        item_config.Error("", "the sum item has no value");
        return;
      }
      absl::StatusOr<const Template*> compiled =
          builder.CompileTemplate(value, TemplateMode::kValue);
      if (!compiled.ok()) {
        item_config.Error("value", std::string(compiled.status().message()));
        return;
      }
      item.value = *compiled;
      items.push_back(std::move(item));
    });
    if (config.error_count() > 0) return config.Failed();
    // Declared once the logic is known to deploy.
    std::vector<SumTerm> terms;
    for (Item& item : items) {
      SumTerm term;
      term.sum = builder.DeclareSum(item.id, item.name);
      term.label = item.name.empty() ? item.id : item.name;
      term.value = item.value;
      terms.push_back(std::move(term));
    }
    return std::unique_ptr<Logic>(new ApiSum(std::move(terms), err_node));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiSumFactory() { return std::make_unique<ApiSumFactory>(); }

}  // namespace logics
}  // namespace convey
