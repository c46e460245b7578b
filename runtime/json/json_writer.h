// A small streaming JSON writer (simdjson 3.0.1 has none).
//
// Produces compact RFC 8259 text: strings are escaped, doubles round-trip,
// commas are placed automatically. The caller is responsible for a
// well-formed sequence of calls (a key before every value in an object).
#ifndef CONVEY_RUNTIME_JSON_JSON_WRITER_H_
#define CONVEY_RUNTIME_JSON_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace convey {
namespace internal {

// Appends `text` as a quoted JSON string.
void AppendJsonString(std::string* out, absl::string_view text);

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
