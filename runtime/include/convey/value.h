// A JSON value produced by a template or written by a logic.
//
// Contract: a plain value type (copyable, movable, no shared state). Strings
// hold their unescaped contents; objects and arrays hold compact JSON text;
// numbers hold both the double and the text they were written as, so that
// integers beyond 2^53 survive a round trip.
#ifndef CONVEY_VALUE_H_
#define CONVEY_VALUE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convey {

class Value {
 public:
  enum class Type { kMissing, kNull, kBoolean, kNumber, kString, kObject, kArray };

  Value() = default;  // missing
  static Value Missing() { return Value(); }
  static Value Null() { return Value(Type::kNull); }
  static Value Boolean(bool b);
  static Value Number(double d);  // text: shortest round-trip form
  static Value NumberText(double d, std::string text);
  static Value String(std::string s);
  // `json` must be a compact JSON object or array.
  static Value Object(std::string json);
  static Value Array(std::string json);

  Type type() const { return type_; }
  bool is_missing() const { return type_ == Type::kMissing; }
  bool boolean() const { return boolean_; }
  double number() const { return number_; }
  // kString: the contents; kNumber: the number's text; kObject/kArray: JSON.
  const std::string& text() const { return text_; }

  // The value as JSON text (missing: "null").
  std::string ToJson() const;
  // The value as it reads inside a larger string: strings as they are,
  // numbers and booleans as written, objects and arrays as compact JSON,
  // null as "null", missing as "".
  std::string ToText() const;

  static absl::string_view TypeName(Type type);

 private:
  explicit Value(Type type) : type_(type) {}
  Type type_ = Type::kMissing;
  bool boolean_ = false;
  double number_ = 0;
  std::string text_;
};

}  // namespace convey

#endif  // CONVEY_VALUE_H_
