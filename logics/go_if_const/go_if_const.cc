#include "logics/go_if_const/go_if_const.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
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
};

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
      Value param = task.Evaluate(*condition.param);
      bool holds;
      if (condition.value->is_constant()) {
        holds = Compare(param, condition.fun, condition.constant, condition.cast,
                        condition.regexp.get());
      } else {
        holds = Compare(param, condition.fun, task.Evaluate(*condition.value),
                                  condition.cast, nullptr);
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
