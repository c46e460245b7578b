// WriteElement and WriteElementAsSimdjson of dom_writer.h, with the writers
// for numbers and containers they inline: one template, the two differ only
// in how doubles are written.
#include "runtime/json/dom_writer.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "runtime/json/json_types.h"

namespace convey {
namespace internal {
namespace {

enum class DoubleStyle { kShortestWithPoint, kSimdjson };

template <typename Int>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void WriteInteger(Sink& sink, Int value) {
  sink.Reserve(24);
  std::to_chars_result r = std::to_chars(sink.cursor(), sink.limit(), value);
  sink.Advance(r.ptr);
}

// The shortest text that reads back as the same double. A double that looks
// like an integer gets ".0" so that the value is still written the way it
// was (a fraction or exponent in the source is why the DOM holds a double).
void WriteDouble(Sink& sink, double value) {
  if (!std::isfinite(value)) {  // JSON has no such numbers; the DOM never holds one
    sink.Put("null", 4);
    return;
  }
  sink.Reserve(32);
  char* begin = sink.cursor();
  std::to_chars_result r = std::to_chars(begin, sink.limit() - 2, value);
  bool has_point_or_exponent = false;
  for (char* q = begin; q < r.ptr; ++q) {
    if (*q == '.' || *q == 'e') {
      has_point_or_exponent = true;
      break;
    }
  }
  char* end = r.ptr;
  if (!has_point_or_exponent) {
    *end++ = '.';
    *end++ = '0';
  }
  sink.Advance(end);
}

// simdjson::minify's doubles: its own shortest form (Grisu2, decimal from
// 1e-4 up to 1e15 with ".0" on integral values, exponent form past that).
void WriteSimdjsonDouble(Sink& sink, double value) {
  sink.Reserve(32);
  // simdjson's to_chars writes at most 24 bytes and does not read `last`.
  sink.Advance(simdjson::internal::to_chars(sink.cursor(), sink.limit(), value));
}

template <DoubleStyle kDoubles>
void Write(Sink& sink, simdjson::dom::element element);

template <DoubleStyle kDoubles>
void WriteObject(Sink& sink, simdjson::dom::object object) {
  char comma = 0;
  sink.Put('{');
  for (simdjson::dom::key_value_pair field : object) {
    WriteQuoted(sink, comma, View(field.key), ':');
    comma = ',';
    Write<kDoubles>(sink, field.value);
  }
  sink.Put('}');
}

template <DoubleStyle kDoubles>
void WriteArray(Sink& sink, simdjson::dom::array array) {
  sink.Put('[');
  bool first = true;
  for (simdjson::dom::element item : array) {
    if (!first) sink.Put(',');
    first = false;
    Write<kDoubles>(sink, item);
  }
  sink.Put(']');
}

// Scalars are written in the caller's loop; only containers recurse. The
// element's type is known in each branch, so the unchecked getters are safe.
template <DoubleStyle kDoubles>
void Write(Sink& sink, simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::STRING:
      WriteString(sink, View(element.get_string().value_unsafe()));
      return;
    case simdjson::dom::element_type::INT64:
      WriteInteger(sink, element.get_int64().value_unsafe());
      return;
    case simdjson::dom::element_type::UINT64:
      WriteInteger(sink, element.get_uint64().value_unsafe());
      return;
    case simdjson::dom::element_type::DOUBLE:
      if (kDoubles == DoubleStyle::kSimdjson) {
        WriteSimdjsonDouble(sink, element.get_double().value_unsafe());
      } else {
        WriteDouble(sink, element.get_double().value_unsafe());
      }
      return;
    case simdjson::dom::element_type::BOOL:
      if (element.get_bool().value_unsafe()) {
        sink.Put("true", 4);
      } else {
        sink.Put("false", 5);
      }
      return;
    case simdjson::dom::element_type::NULL_VALUE:
      sink.Put("null", 4);
      return;
    case simdjson::dom::element_type::OBJECT:
      WriteObject<kDoubles>(sink, element.get_object().value_unsafe());
      return;
    case simdjson::dom::element_type::ARRAY:
      WriteArray<kDoubles>(sink, element.get_array().value_unsafe());
      return;
  }
}

}  // namespace

void WriteEscapedQuoted(Sink& sink, char prefix, absl::string_view s, char suffix) {
  sink.Reserve(JsonStringSize(s) + (prefix != 0) + (suffix != 0));
  char* p = sink.cursor();
  if (prefix != 0) *p++ = prefix;
  p = WriteJsonString(p, s);
  if (suffix != 0) *p++ = suffix;
  sink.Advance(p);
}

void WriteElement(Sink& sink, simdjson::dom::element element) {
  Write<DoubleStyle::kShortestWithPoint>(sink, element);
}

void WriteElementAsSimdjson(Sink& sink, simdjson::dom::element element) {
  Write<DoubleStyle::kSimdjson>(sink, element);
}

}  // namespace internal
}  // namespace convey
