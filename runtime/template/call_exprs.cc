// Evaluation of the `$.name(...)` call nodes declared in call_exprs.h.
#include "runtime/template/call_exprs.h"

#include <algorithm>
#include <cmath>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "runtime/template/compare.h"
#include "runtime/template/functions.h"

namespace convey {
namespace internal {

bool MathNode::ReadsEnv() const {
  switch (op) {
    case Op::kOperand:
      return operand->ReadsEnv();
    case Op::kNegate:
      return first->ReadsEnv();
    case Op::kChain:
      if (first->ReadsEnv()) return true;
      for (const Step& step : steps) {
        if (step.term->ReadsEnv()) return true;
      }
      return false;
    default:
      return false;
  }
}

bool MathNode::Eval(internal::TemplateEnv& env, double* out) const {
  switch (op) {
    case Op::kNumber:
      *out = number;
      return true;
    case Op::kOperand:
      return NumberOf(operand->Eval(env), out);
    case Op::kNegate: {
      double a = 0;
      if (!first->Eval(env, &a)) return false;
      *out = -a;
      return true;
    }
    case Op::kChain:
      break;
    default:
      return false;  // a Step's op, never a node's
  }
  double result = 0;
  if (!first->Eval(env, &result)) return false;
  for (const Step& step : steps) {
    double b = 0;
    if (!step.term->Eval(env, &b)) return false;
    switch (step.op) {
      case Op::kAdd:
        result += b;
        break;
      case Op::kSubtract:
        result -= b;
        break;
      case Op::kMultiply:
        result *= b;
        break;
      default:
        if (b == 0) return false;
        result /= b;
        break;
    }
    if (!std::isfinite(result)) return false;
  }
  *out = result;
  return true;
}

Value MathCall::Eval(internal::TemplateEnv& env) const {
  double result = 0;
  if (!root_->Eval(env, &result)) return Value::Missing();
  return Value::Number(result == 0 ? 0 : result);  // no "-0"
}

Value TimeCall::Eval(internal::TemplateEnv& env) const {
  absl::TimeZone zone = zone_;
  if (dynamic_zone_ != nullptr) {
    std::string name;
    dynamic_zone_->AppendText(env, &name);
    absl::StatusOr<absl::TimeZone> resolved = ResolveTimeZone(name);
    if (!resolved.ok()) return Value::Missing();
    zone = *resolved;
  }
  // Wall-clock time in the zone; with `.tz` the unix time is that wall
  // clock counted as if it were UTC (the platform's `.tz` shifts by the
  // zone's offset).
  absl::CivilSecond now = absl::ToCivilSecond(env.Now(), zone);
  std::string format;
  if (format_ != nullptr) format_->AppendText(env, &format);
  if (kind_ == Kind::kDate) {
    // `$.date()` prints the default layout; a format that evaluates to
    // nothing is a missing value, like any other failed call.
    if (format_ == nullptr) format = "%y-%m-%d %h:%i:%s";
    if (format.empty()) return Value::Missing();
    absl::StatusOr<std::string> text = FormatDate(format, now);
    if (!text.ok()) return Value::Missing();
    return Value::String(std::move(*text));
  }
  if (format_ == nullptr) {
    return Value::Number(static_cast<double>(now - absl::CivilSecond(1970, 1, 1, 0, 0, 0)));
  }
  absl::StatusOr<int64_t> seconds = UnixtimeFromText(format, now);
  if (!seconds.ok()) return Value::Missing();
  return Value::NumberText(static_cast<double>(*seconds), absl::StrCat(*seconds));
}

bool IntegerOf(const Value& value, int64_t* out) {
  Value number = value;
  if (value.type() == Value::Type::kString && !ParseNumberText(value.text(), &number)) {
    return false;
  }
  if (number.type() != Value::Type::kNumber) return false;
  if (absl::SimpleAtoi(number.text(), out)) return true;
  double d = number.number();
  if (d != std::trunc(d)) return false;
  if (d >= 9223372036854775807.0) {
    *out = INT64_MAX;
  } else if (d <= -9223372036854775808.0) {
    *out = INT64_MIN;
  } else {
    *out = static_cast<int64_t>(d);
  }
  return true;
}

Value RandomCall::Eval(internal::TemplateEnv& env) const {
  int64_t a = 0;
  if (!IntegerOf(first_->Eval(env), &a)) return Value::Missing();
  int64_t lo = 0;
  int64_t hi = 0;
  if (second_ != nullptr) {
    int64_t b = 0;
    if (!IntegerOf(second_->Eval(env), &b)) return Value::Missing();
    lo = std::min(a, b);
    hi = std::max(a, b);
  } else if (a > 0) {
    lo = 1;
    hi = a;
  } else if (a < 0) {
    lo = a;
    hi = -1;
  }
  int64_t r = lo == hi ? lo : RandomBetween(lo, hi, [&env] { return env.Random(); });
  return Value::NumberText(static_cast<double>(r), absl::StrCat(r));
}

Value DigestCall::Eval(internal::TemplateEnv& env) const {
  std::string input;
  if (arg_ != nullptr) arg_->AppendText(env, &input);
  return Value::String(function_(input));
}

Value ConvertCall::Eval(internal::TemplateEnv& env) const {
  Value input = arg_ != nullptr ? arg_->Eval(env) : Value::String("");
  absl::StatusOr<Value> converted = ConvertTo(input, type_);
  if (!converted.ok()) return Value::Missing();
  return std::move(*converted);
}

}  // namespace internal
}  // namespace convey
