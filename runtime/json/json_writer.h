// A small streaming JSON writer (simdjson 3.0.1 has none).
//
// Produces compact RFC 8259 text: strings are escaped, doubles round-trip,
// commas are placed automatically. The caller is responsible for a
// well-formed sequence of calls (a key before every value in an object).
#ifndef CONVEY_RUNTIME_JSON_JSON_WRITER_H_
#define CONVEY_RUNTIME_JSON_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

// Appends `text` as a quoted JSON string: `"`, `\` and control characters
// escaped (\b \t \n \f \r, the rest \u00XX), as simdjson::minify writes them.
void AppendJsonString(std::string* out, absl::string_view text);

// The same in two steps, for writers that fill memory themselves: the size
// of `text` quoted and escaped, and writing it at `out`, which has room for
// that many bytes (returns the end of what was written).
size_t JsonStringSize(absl::string_view text);
char* WriteJsonString(char* out, absl::string_view text);

// Appends the code point `c` (at most 0x10FFFF) as UTF-8.
inline void AppendUtf8CodePoint(uint32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);  // non-finite values are written as null
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts already-serialised JSON as one value.
  JsonWriter& Raw(absl::string_view json);

  const std::string& str() const { return out_; }
  std::string Release() { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open container: true once it holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_JSON_WRITER_H_
