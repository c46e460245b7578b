#include "logics/conditions/conditions.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "logics/schema_types.h"
#include "runtime/json/path.h"
#include "runtime/template/template.h"

namespace convey {
namespace logics {
namespace {

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

}  // namespace

// Compare() for a number at a fixed path, without building a Value: a
// missing value makes every fun false; a value of another JSON type is "not
// equal" (only not_eq holds).
bool Conditions::CompareNumberAt(ValueSource& source, const Compiled& condition) {
  simdjson::dom::element element;
  if (!internal::FindPath(source.data(), *condition.numeric_path, &element)) return false;
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

absl::StatusOr<Conditions> Conditions::Compile(
    const google::protobuf::RepeatedPtrField<schema::Condition>& conditions,
    absl::string_view field, LogicBuilder& builder) {
  Conditions compiled;
  compiled.conditions_.reserve(conditions.size());
  for (int i = 0; i < conditions.size(); ++i) {
    const schema::Condition& source = conditions.Get(i);
    Compiled condition;
    condition.fun = FunOf(source.fun());
    condition.cast = ValueTypeOf(source.cast());
    absl::StatusOr<const Template*> param =
        builder.CompileTemplate(source.param(), TemplateMode::kParam);
    if (!param.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "].param: ", param.status().message()));
    }
    absl::StatusOr<const Template*> value =
        builder.CompileTemplate(source.value(), TemplateMode::kValue);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "].const: ", value.status().message()));
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
            field, "[", i, "].const: regexp does not compile: ", condition.regexp->error()));
      }
    }
    compiled.conditions_.push_back(std::move(condition));
  }
  return compiled;
}

bool Conditions::Hold(ValueSource& source) const {
  for (const Compiled& condition : conditions_) {
    bool holds;
    if (condition.numeric_path != nullptr) {
      holds = CompareNumberAt(source, condition);
    } else if (condition.value->is_constant()) {
      Value param = source.Evaluate(*condition.param);
      holds =
          Compare(param, condition.fun, condition.constant, condition.cast, condition.regexp.get());
    } else {
      Value param = source.Evaluate(*condition.param);
      holds =
          Compare(param, condition.fun, source.Evaluate(*condition.value), condition.cast, nullptr);
    }
    if (!holds) return false;
  }
  return true;
}

}  // namespace logics
}  // namespace convey
