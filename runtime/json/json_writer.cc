#include "runtime/json/json_writer.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace convey {
namespace internal {

namespace {

// The bytes each byte adds when written inside a JSON string: 0 for itself,
// 1 for a short escape (\n), 5 for \u00XX.
constexpr uint8_t EscapeExtra(unsigned char c) {
  return c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r' ? 1
         : c < 0x20                                                                             ? 5
                                                                                                : 0;
}

struct EscapeTable {
  uint8_t extra[256];
  constexpr EscapeTable() : extra() {
    for (int c = 0; c < 256; ++c) extra[c] = EscapeExtra(static_cast<unsigned char>(c));
  }
};
constexpr EscapeTable kEscapes;

}  // namespace

size_t JsonStringSize(absl::string_view text) {
  size_t size = text.size() + 2;
  for (char c : text) size += kEscapes.extra[static_cast<unsigned char>(c)];
  return size;
}

char* WriteJsonString(char* out, absl::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '"';
  for (char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (kEscapes.extra[byte] == 0) {
      *out++ = c;
      continue;
    }
    *out++ = '\\';
    switch (c) {
      case '"':
      case '\\':
        *out++ = c;
        break;
      case '\b':
        *out++ = 'b';
        break;
      case '\t':
        *out++ = 't';
        break;
      case '\n':
        *out++ = 'n';
        break;
      case '\f':
        *out++ = 'f';
        break;
      case '\r':
        *out++ = 'r';
        break;
      default:
        std::memcpy(out, "u00", 3);
        out[3] = kHex[byte >> 4];
        out[4] = kHex[byte & 0xF];
        out += 5;
    }
  }
  *out++ = '"';
  return out;
}

void AppendJsonString(std::string* out, absl::string_view text) {
  const size_t start = out->size();
  out->resize(start + JsonStringSize(text));
  WriteJsonString(&(*out)[start], text);
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_.push_back(',');
    has_element_.back() = true;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_.push_back('}');
  has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_.push_back(']');
  has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(absl::string_view key) {
  BeforeValue();
  AppendJsonString(&out_, key);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view value) {
  BeforeValue();
  AppendJsonString(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_.append("null");
    return *this;
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    absl::StrAppend(&out_, static_cast<int64_t>(value));
    return *this;
  }
  // %.17g always round-trips; prefer the shortest form that does.
  char buffer[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  out_.append(buffer);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::Raw(absl::string_view json) {
  BeforeValue();
  out_.append(json.data(), json.size());
  return *this;
}

}  // namespace internal
}  // namespace convey
