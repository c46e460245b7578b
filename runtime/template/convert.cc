// Values from simdjson elements, the strict number grammar, and the typed
// conversions of semantics A5.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/quote.h"
#include "runtime/json/minify.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/template/compare.h"
#include "runtime/template/expr.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {
namespace {

Value IntegerValue(int64_t v) {
  char buffer[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(v, buffer);
  return Value::NumberText(static_cast<double>(v), std::string(buffer, end));
}

Value UnsignedValue(uint64_t v) {
  char buffer[absl::numbers_internal::kFastToBufferSize];
  char* end = absl::numbers_internal::FastIntToBuffer(v, buffer);
  return Value::NumberText(static_cast<double>(v), std::string(buffer, end));
}

bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }

// Parses `text` as JSON and, when it is an object (want_object) or an array,
// stores its compact form; else returns why not. The original number texts
// are kept (minify only drops whitespace), so large integers survive. A key
// repeated with one value counts once; with two values the text is refused,
// as in any task data (semantics A1).
std::optional<std::string> ParseContainer(absl::string_view text, bool want_object,
                                          std::string* compact) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element element;
  const char* expected = want_object ? "expected a JSON object" : "expected a JSON array";
  if (parser.parse(text.data(), text.size(), true).get(element) != simdjson::SUCCESS) {
    return expected;
  }
  simdjson::dom::element_type want =
      want_object ? simdjson::dom::element_type::OBJECT : simdjson::dom::element_type::ARRAY;
  if (element.type() != want) return expected;
  if (HasRepeatedKeys(element)) {
    const absl::Status status = CollapseRepeatedKeys(text, "the text", compact);
    if (!status.ok()) return std::string(status.message());
    return std::nullopt;
  }
  if (MinifyText(text, compact) != simdjson::SUCCESS) return expected;
  return std::nullopt;
}

absl::Status ConvertError(const Value& value, Value::Type type, absl::string_view why) {
  // Task values can be large; the message shows their start.
  constexpr size_t kShown = 100;
  std::string text = value.ToText();
  absl::string_view shown = CutAtCharacter(text, kShown);
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot convert ", Value::TypeName(value.type()), " \"", shown,
      text.size() > kShown ? "...\" to " : "\" to ", Value::TypeName(type), ": ", why));
}

// The grammar check of ParseNumberText; *integer when there is neither a
// fraction nor an exponent.
bool ScanNumber(absl::string_view text, bool* integer) {
  size_t i = 0;
  const size_t n = text.size();
  if (i < n && text[i] == '-') ++i;
  size_t digits = i;
  while (i < n && IsDigit(text[i])) ++i;
  if (i == digits) return false;
  *integer = true;
  if (i < n && text[i] == '.') {
    ++i;
    size_t fraction = i;
    while (i < n && IsDigit(text[i])) ++i;
    if (i == fraction) return false;
    *integer = false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exponent = i;
    while (i < n && IsDigit(text[i])) ++i;
    if (i == exponent) return false;
    *integer = false;
  }
  return i == n;
}

}  // namespace

bool ParseNumberText(absl::string_view text, Value* out) {
  bool integer = false;
  if (!ScanNumber(text, &integer)) return false;
  if (integer) {
    int64_t v = 0;
    if (absl::SimpleAtoi(text, &v)) {
      *out = IntegerValue(v);
      return true;
    }
    uint64_t u = 0;
    if (text[0] != '-' && absl::SimpleAtoi(text, &u)) {
      *out = UnsignedValue(u);
      return true;
    }
  }
  double d = 0;
  if (!absl::SimpleAtod(text, &d) || !std::isfinite(d)) return false;
  *out = Value::Number(d);
  return true;
}

bool NumberOf(const Value& value, double* out) {
  if (value.type() == Value::Type::kNumber) {
    *out = value.number();
    return true;
  }
  // No Value is built: this runs per task in comparisons and $.math.
  bool integer = false;
  if (value.type() != Value::Type::kString || !ScanNumber(value.text(), &integer)) return false;
  double d = 0;
  if (!absl::SimpleAtod(value.text(), &d) || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

Value ValueFromElement(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::INT64: {
      int64_t v = 0;
      if (element.get_int64().get(v) != simdjson::SUCCESS) return Value::Missing();
      return IntegerValue(v);
    }
    case simdjson::dom::element_type::UINT64: {
      uint64_t v = 0;
      if (element.get_uint64().get(v) != simdjson::SUCCESS) return Value::Missing();
      return UnsignedValue(v);
    }
    case simdjson::dom::element_type::DOUBLE: {
      double v = 0;
      if (element.get_double().get(v) != simdjson::SUCCESS) return Value::Missing();
      return Value::Number(v);
    }
    case simdjson::dom::element_type::STRING: {
      std::string_view s;
      if (element.get_string().get(s) != simdjson::SUCCESS) return Value::Missing();
      return Value::String(std::string(s));
    }
    case simdjson::dom::element_type::BOOL: {
      bool b = false;
      if (element.get_bool().get(b) != simdjson::SUCCESS) return Value::Missing();
      return Value::Boolean(b);
    }
    case simdjson::dom::element_type::NULL_VALUE:
      return Value::Null();
    case simdjson::dom::element_type::OBJECT:
      return Value::Object(simdjson::to_string(element));
    case simdjson::dom::element_type::ARRAY:
      return Value::Array(simdjson::to_string(element));
  }
  return Value::Missing();
}

absl::StatusOr<Value> ConvertTo(const Value& value, Value::Type type) {
  switch (type) {
    case Value::Type::kString:
      if (value.type() == Value::Type::kString) return value;
      return Value::String(value.ToText());
    case Value::Type::kNumber: {
      if (value.type() == Value::Type::kNumber) return value;
      if (value.type() != Value::Type::kString) {
        return ConvertError(value, type, "only numbers and numeric strings convert");
      }
      Value number;
      if (!ParseNumberText(value.text(), &number)) {
        return ConvertError(value, type, "not a number");
      }
      return number;
    }
    case Value::Type::kBoolean:
      if (value.type() == Value::Type::kBoolean) return value;
      if (value.type() == Value::Type::kString) {
        if (value.text() == "true") return Value::Boolean(true);
        if (value.text() == "false") return Value::Boolean(false);
      }
      return ConvertError(value, type, "expected true or false");
    case Value::Type::kObject:
    case Value::Type::kArray: {
      if (value.type() == type) return value;
      const bool object = type == Value::Type::kObject;
      std::string compact;
      if (value.type() != Value::Type::kString) {
        return ConvertError(value, type,
                            object ? "expected a JSON object" : "expected a JSON array");
      }
      if (std::optional<std::string> why = ParseContainer(value.text(), object, &compact)) {
        return ConvertError(value, type, *why);
      }
      return object ? Value::Object(std::move(compact)) : Value::Array(std::move(compact));
    }
    case Value::Type::kMissing:
    case Value::Type::kNull:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("no conversion to ", Value::TypeName(type)));
}

}  // namespace internal
}  // namespace convey
