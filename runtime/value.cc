#include "convey/value.h"

#include <cmath>

#include "runtime/json/json_writer.h"

namespace convey {

Value Value::Boolean(bool b) {
  Value v(Type::kBoolean);
  v.boolean_ = b;
  v.text_ = b ? "true" : "false";
  return v;
}

Value Value::Number(double d) {
  internal::JsonWriter writer;
  writer.Double(d);
  return NumberText(d, writer.Release());
}

Value Value::NumberText(double d, std::string text) {
  Value v(Type::kNumber);
  v.number_ = d;
  v.text_ = std::move(text);
  return v;
}

Value Value::String(std::string s) {
  Value v(Type::kString);
  v.text_ = std::move(s);
  return v;
}

Value Value::Object(std::string json) {
  Value v(Type::kObject);
  v.text_ = std::move(json);
  return v;
}

Value Value::Array(std::string json) {
  Value v(Type::kArray);
  v.text_ = std::move(json);
  return v;
}

std::string Value::ToJson() const {
  switch (type_) {
    case Type::kMissing:
    case Type::kNull:
      return "null";
    case Type::kString: {
      std::string out;
      internal::AppendJsonString(&out, text_);
      return out;
    }
    default:
      return text_;
  }
}

std::string Value::ToText() const {
  switch (type_) {
    case Type::kMissing:
      return "";
    case Type::kNull:
      return "null";
    default:
      return text_;
  }
}

absl::string_view Value::TypeName(Type type) {
  switch (type) {
    case Type::kMissing:
      return "missing";
    case Type::kNull:
      return "null";
    case Type::kBoolean:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kObject:
      return "object";
    case Type::kArray:
      return "array";
  }
  return "unknown";
}

}  // namespace convey
