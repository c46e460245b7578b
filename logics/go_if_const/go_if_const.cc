#include "logics/go_if_const/go_if_const.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "runtime/json/path.h"
#include "runtime/template/compare.h"
#include "logics/schema_types.h"
#include "runtime/template/template.h"
#include "schema/process.pb.h"

namespace convey {
namespace logics {
namespace {


struct CompiledCondition {
  const Template* param = nullptr;
  const Template* value = nullptr;
  CompareFun fun = CompareFun::kEq;
  Value::Type cast = Value::Type::kString;
  // The constant `const`, converted once to a number when cast is number.
  Value constant;
  // A constant regexp pattern, compiled once.
  std::unique_ptr<re2::RE2> regexp;
  // Set for the common `param` is a fixed path, cast number, const a number,
  // fun not regexp: the element is compared without building a Value.
  const internal::Path* numeric_path = nullptr;
};

// Compare() for a number at a fixed path, without building a Value: a
// missing value makes every fun false; a value of another JSON type is "not
// equal" (only not_eq holds).
bool CompareNumberAt(TaskContext& task, const CompiledCondition& condition) {
  simdjson::dom::element element;
  if (!internal::FindPath(task.data(), *condition.numeric_path, &element)) return false;
  double value;
  if (element.get_double().get(value) != simdjson::SUCCESS) {
    return condition.fun == CompareFun::kNotEq;  // another JSON type: not equal
  }
  const double constant = condition.constant.number();
  switch (condition.fun) {
    case CompareFun::kEq:
      return value == constant;
    case CompareFun::kNotEq:
      return value != constant;
    case CompareFun::kMore:
      return value > constant;
    case CompareFun::kLess:
      return value < constant;
    case CompareFun::kMoreOrEq:
      return value >= constant;
    case CompareFun::kLessOrEq:
      return value <= constant;
    case CompareFun::kRegexp:
      break;
  }
  return false;
}

CompareFun FunOf(schema::ConditionFun fun) {
  switch (fun) {
    case schema::CONDITION_FUN_NOT_EQ:
      return CompareFun::kNotEq;
    case schema::CONDITION_FUN_MORE:
      return CompareFun::kMore;
    case schema::CONDITION_FUN_LESS:
      return CompareFun::kLess;
    case schema::CONDITION_FUN_MORE_OR_EQ:
      return CompareFun::kMoreOrEq;
    case schema::CONDITION_FUN_LESS_OR_EQ:
      return CompareFun::kLessOrEq;
    case schema::CONDITION_FUN_REGEXP:
      return CompareFun::kRegexp;
    default:
      return CompareFun::kEq;
  }
}

class GoIfConst : public Logic {
 public:
  GoIfConst(std::vector<CompiledCondition> conditions, NodeHandle to)
      : conditions_(std::move(conditions)), to_(to) {}

  LogicResult Run(TaskContext& task) const override {
    for (const CompiledCondition& condition : conditions_) {
      bool holds;
      if (condition.numeric_path != nullptr) {
        holds = CompareNumberAt(task, condition);
      } else if (condition.value->is_constant()) {
        Value param = task.Evaluate(*condition.param);
        holds = Compare(param, condition.fun, condition.constant, condition.cast,
                        condition.regexp.get());
      } else {
        Value param = task.Evaluate(*condition.param);
        holds = Compare(param, condition.fun, task.Evaluate(*condition.value), condition.cast,
                        nullptr);
      }
      if (!holds) return LogicResult::Next();
    }
    return LogicResult::GoTo(to_);
  }
  absl::string_view error_family() const override { return "go_if_const"; }

 private:
  std::vector<CompiledCondition> conditions_;
  NodeHandle to_;
};

class GoIfConstFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "go_if_const"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    const schema::GoIfConst& config = spec.config->go_if_const();
    absl::StatusOr<NodeHandle> to = builder.Node(config.to_node_id());
    if (!to.ok()) return to.status();
    std::vector<CompiledCondition> conditions;
    conditions.reserve(config.conditions_size());
    for (int i = 0; i < config.conditions_size(); ++i) {
      const schema::Condition& source = config.conditions(i);
      CompiledCondition condition;
      condition.fun = FunOf(source.fun());
      condition.cast = ValueTypeOf(source.cast());
      absl::StatusOr<const Template*> param =
          builder.CompileTemplate(source.param(), TemplateMode::kParam);
      if (!param.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("conditions[", i, "].param: ", param.status().message()));
      }
      absl::StatusOr<const Template*> value =
          builder.CompileTemplate(source.value(), TemplateMode::kValue);
      if (!value.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("conditions[", i, "].const: ", value.status().message()));
      }
      condition.param = *param;
      condition.value = *value;
      if (condition.value->is_constant()) {
        condition.constant = condition.value->constant();
        if (condition.cast == Value::Type::kNumber) {
          absl::StatusOr<Value> number =
              internal::ConvertTo(condition.constant, Value::Type::kNumber);
          if (number.ok()) condition.constant = *std::move(number);
        }
      }
      if (condition.cast == Value::Type::kNumber && condition.fun != CompareFun::kRegexp &&
          condition.constant.type() == Value::Type::kNumber) {
        condition.numeric_path = condition.param->data_path();
      }
      if (condition.fun == CompareFun::kRegexp && condition.value->is_constant()) {
        condition.regexp =
            std::make_unique<re2::RE2>(condition.value->constant().ToText(), re2::RE2::Quiet);
        if (!condition.regexp->ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "conditions[", i, "].const: regexp does not compile: ", condition.regexp->error()));
        }
      }
      conditions.push_back(std::move(condition));
    }
    return std::unique_ptr<Logic>(new GoIfConst(std::move(conditions), *to));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewGoIfConstFactory() {
  return std::make_unique<GoIfConstFactory>();
}

}  // namespace logics
}  // namespace convey
