#include "runtime/template/compare.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "re2/re2.h"
#include "runtime/template/expr.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// For the functions that only know equal / not equal.
bool Equality(CompareFun fun, bool equal) {
  if (fun == CompareFun::kEq) return equal;
  if (fun == CompareFun::kNotEq) return !equal;
  return false;
}

// `cmp` < 0, 0, > 0: task value below, equal to, above the constant.
bool Ordering(CompareFun fun, int cmp) {
  switch (fun) {
    case CompareFun::kEq:
      return cmp == 0;
    case CompareFun::kNotEq:
      return cmp != 0;
    case CompareFun::kMore:
      return cmp > 0;
    case CompareFun::kLess:
      return cmp < 0;
    case CompareFun::kMoreOrEq:
      return cmp >= 0;
    case CompareFun::kLessOrEq:
      return cmp <= 0;
    case CompareFun::kRegexp:
      break;
  }
  return false;
}

bool IsNumber(element_type t) {
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

bool NumbersEqual(element a, element b) {
  element_type ta = a.type();
  element_type tb = b.type();
  if (ta != element_type::DOUBLE && tb != element_type::DOUBLE) {
    // Both integers: exact, across the signed/unsigned split.
    if (ta == tb && ta == element_type::INT64) {
      int64_t x = 0;
      int64_t y = 0;
      return a.get_int64().get(x) == simdjson::SUCCESS &&
             b.get_int64().get(y) == simdjson::SUCCESS && x == y;
    }
    if (ta == tb) {
      uint64_t x = 0;
      uint64_t y = 0;
      return a.get_uint64().get(x) == simdjson::SUCCESS &&
             b.get_uint64().get(y) == simdjson::SUCCESS && x == y;
    }
    // One signed, one unsigned: a UINT64 element is above INT64_MAX.
    return false;
  }
  double x = 0;
  double y = 0;
  if (a.get_double().get(x) != simdjson::SUCCESS || b.get_double().get(y) != simdjson::SUCCESS) {
    return false;
  }
  return x == y;
}

bool ElementsEqual(element a, element b) {
  element_type ta = a.type();
  element_type tb = b.type();
  if (IsNumber(ta) && IsNumber(tb)) return NumbersEqual(a, b);
  if (ta != tb) return false;
  switch (ta) {
    case element_type::STRING: {
      std::string_view x;
      std::string_view y;
      return a.get_string().get(x) == simdjson::SUCCESS &&
             b.get_string().get(y) == simdjson::SUCCESS && x == y;
    }
    case element_type::BOOL: {
      bool x = false;
      bool y = false;
      return a.get_bool().get(x) == simdjson::SUCCESS && b.get_bool().get(y) == simdjson::SUCCESS &&
             x == y;
    }
    case element_type::NULL_VALUE:
      return true;
    case element_type::ARRAY: {
      simdjson::dom::array x;
      simdjson::dom::array y;
      if (a.get_array().get(x) != simdjson::SUCCESS || b.get_array().get(y) != simdjson::SUCCESS ||
          x.size() != y.size()) {
        return false;
      }
      auto it = y.begin();
      for (element item : x) {
        if (!ElementsEqual(item, *it)) return false;
        ++it;
      }
      return true;
    }
    case element_type::OBJECT: {
      simdjson::dom::object x;
      simdjson::dom::object y;
      if (a.get_object().get(x) != simdjson::SUCCESS ||
          b.get_object().get(y) != simdjson::SUCCESS || x.size() != y.size()) {
        return false;
      }
      for (simdjson::dom::key_value_pair field : x) {
        element other;
        if (y.at_key(field.key).get(other) != simdjson::SUCCESS) return false;
        if (!ElementsEqual(field.value, other)) return false;
      }
      return true;
    }
    default:
      return false;  // numbers are handled above
  }
}

// Deep equality of two compact JSON texts of kind `kind` (the task's value
// is always well-formed; the constant may not be).
bool JsonEqual(const std::string& task_json, const std::string& constant_json, element_type kind) {
  thread_local simdjson::dom::parser task_parser;
  thread_local simdjson::dom::parser constant_parser;
  element task;
  element constant;
  if (constant_parser.parse(constant_json).get(constant) != simdjson::SUCCESS ||
      constant.type() != kind) {
    return false;
  }
  if (task_parser.parse(task_json).get(task) != simdjson::SUCCESS) return false;
  return ElementsEqual(task, constant);
}

bool Matches(const std::string& text, const Value& constant, const re2::RE2* compiled) {
  if (compiled != nullptr) return re2::RE2::PartialMatch(text, *compiled);
  re2::RE2 pattern(constant.ToText(), re2::RE2::Quiet);
  return pattern.ok() && re2::RE2::PartialMatch(text, pattern);
}

}  // namespace

bool Compare(const Value& task_value, CompareFun fun, const Value& constant, Value::Type cast,
             const re2::RE2* compiled_regexp) {
  if (task_value.is_missing()) return false;
  if (task_value.type() != cast) return fun == CompareFun::kNotEq;
  if (fun == CompareFun::kRegexp) return Matches(task_value.ToText(), constant, compiled_regexp);
  switch (cast) {
    case Value::Type::kNumber: {
      double c = 0;
      if (!internal::NumberOf(constant, &c)) {
        return fun == CompareFun::kNotEq;
      }
      double t = task_value.number();
      return Ordering(fun, t < c ? -1 : (t > c ? 1 : 0));
    }
    case Value::Type::kString: {
      int cmp = task_value.text().compare(constant.ToText());
      return Ordering(fun, cmp < 0 ? -1 : (cmp > 0 ? 1 : 0));
    }
    case Value::Type::kBoolean: {
      std::string text = constant.ToText();
      if (text != "true" && text != "false") return fun == CompareFun::kNotEq;
      return Equality(fun, task_value.boolean() == (text == "true"));
    }
    case Value::Type::kObject:
      return Equality(fun, JsonEqual(task_value.text(), constant.ToText(), element_type::OBJECT));
    case Value::Type::kArray:
      return Equality(fun, JsonEqual(task_value.text(), constant.ToText(), element_type::ARRAY));
    case Value::Type::kNull:
      return Equality(fun, constant.type() == Value::Type::kNull || constant.ToText() == "null");
    case Value::Type::kMissing:
      break;
  }
  return false;
}

absl::StatusOr<CompareFun> ParseCompareFun(absl::string_view name) {
  static constexpr CompareFun kAll[] = {
      CompareFun::kEq,       CompareFun::kNotEq,    CompareFun::kMore,  CompareFun::kLess,
      CompareFun::kMoreOrEq, CompareFun::kLessOrEq, CompareFun::kRegexp};
  for (CompareFun fun : kAll) {
    if (CompareFunName(fun) == name) return fun;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fun \"", name,
                   "\" (expected eq, not_eq, more, less, more_or_eq, less_or_eq or regexp)"));
}

absl::string_view CompareFunName(CompareFun fun) {
  switch (fun) {
    case CompareFun::kEq:
      return "eq";
    case CompareFun::kNotEq:
      return "not_eq";
    case CompareFun::kMore:
      return "more";
    case CompareFun::kLess:
      return "less";
    case CompareFun::kMoreOrEq:
      return "more_or_eq";
    case CompareFun::kLessOrEq:
      return "less_or_eq";
    case CompareFun::kRegexp:
      return "regexp";
  }
  return "unknown";
}

absl::StatusOr<Value::Type> ParseCast(absl::string_view name) {
  static constexpr Value::Type kAll[] = {Value::Type::kString, Value::Type::kNumber,
                                         Value::Type::kBoolean, Value::Type::kObject,
                                         Value::Type::kArray};
  for (Value::Type type : kAll) {
    if (Value::TypeName(type) == name) return type;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown cast \"", name, "\" (expected string, number, boolean, object or array)"));
}

}  // namespace internal
}  // namespace convey
