#include "logics/common/conditions.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/quote.h"
#include "runtime/template/template.h"

namespace convey {
namespace logics {
namespace {

// `{{...}}` or a `$.` function: compiled as a template, not checked as a
// regexp when read.
bool IsTemplate(absl::string_view text) {
  return absl::StrContains(text, "{{") || absl::StartsWith(text, "$.");
}

struct FunName {
  absl::string_view name;
  internal::CompareFun fun;
  bool canonical;
};
constexpr FunName kFuns[] = {
    {"eq", internal::CompareFun::kEq, true},
    {"not_eq", internal::CompareFun::kNotEq, true},
    {"more", internal::CompareFun::kMore, true},
    {"less", internal::CompareFun::kLess, true},
    {"more_or_eq", internal::CompareFun::kMoreOrEq, true},
    {"less_or_eq", internal::CompareFun::kLessOrEq, true},
    {"regexp", internal::CompareFun::kRegexp, true},
    // Symbolic spellings found in hand-written exports; unambiguous, so
    // accepted with a warning.
    {"==", internal::CompareFun::kEq, false},
    {"!=", internal::CompareFun::kNotEq, false},
    {">", internal::CompareFun::kMore, false},
    {"<", internal::CompareFun::kLess, false},
    {">=", internal::CompareFun::kMoreOrEq, false},
    {"<=", internal::CompareFun::kLessOrEq, false},
};

}  // namespace

// Compare() for a number at a fixed path, without building a Value: a
// missing value makes every fun false; a value of another JSON type is "not
// equal" (only not_eq holds).
bool Conditions::CompareNumber(NumberLookup found, double value, const Compiled& condition) {
  if (found == NumberLookup::kMissing) return false;
  if (found == NumberLookup::kOther) {
    return condition.fun == internal::CompareFun::kNotEq;  // another JSON type: not equal
  }
  const double constant = condition.constant.number();
  switch (condition.fun) {
    case internal::CompareFun::kEq:
      return value == constant;
    case internal::CompareFun::kNotEq:
      return value != constant;
    case internal::CompareFun::kMore:
      return value > constant;
    case internal::CompareFun::kLess:
      return value < constant;
    case internal::CompareFun::kMoreOrEq:
      return value >= constant;
    case internal::CompareFun::kLessOrEq:
      return value <= constant;
    case internal::CompareFun::kRegexp:
      break;
  }
  return false;
}

absl::StatusOr<Conditions> Conditions::Read(LogicConfig& config, LogicBuilder& builder) {
  const int errors = config.error_count();
  Conditions conditions;
  if (config.Has("conditions")) {
    conditions.ReadList(config, builder);
  } else {
    // The legacy flat shape: param/fun on the logic itself (even null).
    bool flat = false;
    for (const std::string& key : config.Keys()) flat = flat || key == "param" || key == "fun";
    if (flat) conditions.ReadOne(config, builder);
  }
  if (conditions.empty() && config.error_count() == errors) {
    config.Warning("", "go_if_const has no conditions: it always matches");
  }
  if (config.error_count() > errors) return config.Failed();
  return conditions;
}

bool Conditions::ReadList(LogicConfig& config, LogicBuilder& builder) {
  const int errors = config.error_count();
  config.ForEachObject("conditions", [&](LogicConfig& condition) { ReadOne(condition, builder); });
  return config.error_count() == errors;
}

void Conditions::ReadOne(LogicConfig& config, LogicBuilder& builder) {
  const int errors = config.error_count();
  std::string param;
  if (!config.ReadText("param", &param)) config.Error("", "the condition has no param");
  std::string value;
  config.ReadText("const", &value);
  Compiled condition;
  config.ReadValueType("cast", &condition.cast);

  std::string fun;
  if (!config.ReadString("fun", &fun)) {
    if (!config.Has("fun")) config.Error("", "the condition has no fun");
    return;
  }
  const FunName* found = nullptr;
  for (const FunName& candidate : kFuns) {
    if (candidate.name == fun) found = &candidate;
  }
  if (found == nullptr) {
    config.Error("fun", absl::StrCat("go_if_const fun ", internal::Quote(fun),
                                     " is not one of eq, not_eq, more, less, more_or_eq, "
                                     "less_or_eq, regexp"));
    return;
  }
  condition.fun = found->fun;
  if (!found->canonical) {
    config.Warning("fun", absl::StrCat("go_if_const fun ", internal::Quote(fun), " read as ",
                                       internal::CompareFunName(found->fun)));
  }
  if (condition.fun == internal::CompareFun::kRegexp && !IsTemplate(value)) {
    re2::RE2 regex(value, re2::RE2::Quiet);
    if (!regex.ok()) {
      config.Error("fun", absl::StrCat("regexp ", internal::Quote(value),
                                       " does not compile: ", regex.error()));
      return;
    }
  }
  if (config.error_count() > errors) return;

  absl::StatusOr<const Template*> param_template =
      builder.CompileTemplate(param, TemplateMode::kParam);
  if (!param_template.ok()) {
    config.Error("param", std::string(param_template.status().message()));
  }
  absl::StatusOr<const Template*> value_template =
      builder.CompileTemplate(value, TemplateMode::kValue);
  if (!value_template.ok()) {
    config.Error("const", std::string(value_template.status().message()));
  }
  if (!param_template.ok() || !value_template.ok()) return;
  condition.param = *param_template;
  condition.value = *value_template;
  if (condition.value->is_constant()) {
    condition.constant = condition.value->constant();
    if (condition.cast == Value::Type::kNumber) {
      absl::StatusOr<Value> number = internal::ConvertTo(condition.constant, Value::Type::kNumber);
      if (number.ok()) condition.constant = *std::move(number);
    }
  }
  if (condition.cast == Value::Type::kNumber && condition.fun != internal::CompareFun::kRegexp &&
      condition.constant.type() == Value::Type::kNumber) {
    condition.numeric = condition.param->data_path() != nullptr;
  }
  if (condition.fun == internal::CompareFun::kRegexp && condition.value->is_constant()) {
    condition.regexp =
        std::make_unique<re2::RE2>(condition.value->constant().ToText(), re2::RE2::Quiet);
    if (!condition.regexp->ok()) {
      config.Error("const",
                   absl::StrCat("regexp ", internal::Quote(condition.value->constant().ToText()),
                                " does not compile: ", condition.regexp->error()));
      return;
    }
  }
  numeric_only_ = numeric_only_ && condition.numeric;
  conditions_.push_back(std::move(condition));
}

bool Conditions::Hold(ValueSource& source) const {
  for (const Compiled& condition : conditions_) {
    bool holds;
    if (condition.numeric) {
      double number = 0;
      const NumberLookup found = source.EvaluateNumber(*condition.param, &number);
      holds = CompareNumber(found, number, condition);
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

bool Conditions::Hold(TaskContext& task) const {
  if (!numeric_only_ || conditions_.empty()) {
    TaskValueSource source(task);
    return Hold(source);
  }
  for (const Compiled& condition : conditions_) {
    double number = 0;
    const NumberLookup found = task.EvaluateNumber(*condition.param, &number);
    if (!CompareNumber(found, number, condition)) return false;
  }
  return true;
}

}  // namespace logics
}  // namespace convey
