#include "runtime/json/json_errors.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "runtime/base/quote.h"

namespace convey {
namespace internal {
namespace {

namespace od = simdjson::ondemand;

// Visits every value so that On-Demand validates the whole document and
// stops where the first problem is.
simdjson::error_code WalkAll(od::value value) {
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      for (auto field : object) {
        std::string_view key;
        if (auto error = field.unescaped_key().get(key)) return error;
        od::value child;
        if (auto error = field.value().get(child)) return error;
        if (auto error = WalkAll(child)) return error;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto element : array) {
        od::value child;
        if (auto error = element.get(child)) return error;
        if (auto error = WalkAll(child)) return error;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text);
    }
    case od::json_type::number: {
      od::number number;
      return value.get_number().get(number);
    }
    case od::json_type::boolean: {
      bool flag;
      return value.get_bool().get(flag);
    }
    case od::json_type::null: {
      bool is_null;
      if (auto error = value.is_null().get(is_null)) return error;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::SUCCESS;
}

// Byte scan outside strings: where nesting first exceeds `max_depth`, and
// where an unterminated string starts.
struct ScanResult {
  std::optional<size_t> too_deep_at;
  std::optional<size_t> unclosed_string_at;
};

ScanResult ScanStructure(absl::string_view text, int max_depth) {
  ScanResult result;
  int depth = 0;
  bool in_string = false;
  size_t string_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      string_start = i;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth && !result.too_deep_at) result.too_deep_at = i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  if (in_string) result.unclosed_string_at = string_start;
  return result;
}

// Offset of the first byte that is not part of well-formed UTF-8.
std::optional<size_t> FirstInvalidUtf8(absl::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    const uint8_t lead = bytes[i];
    size_t length;
    uint32_t code_point;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return i;
    }
    if (i + length > size) return i;
    for (size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (bytes[i + k] & 0x3F);
    }
    const bool overlong = (length == 2 && code_point < 0x80) ||
                          (length == 3 && code_point < 0x800) ||
                          (length == 4 && code_point < 0x10000);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (overlong || surrogate || code_point > 0x10FFFF) return i;
    i += length;
  }
  return std::nullopt;
}

// The first byte JSON never allows raw: a control character other than the
// whitespace between tokens (inside a string it must be escaped).
std::optional<size_t> FirstRawControl(absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r') return i;
  }
  return std::nullopt;
}

}  // namespace

std::string DescribeOffset(absl::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::StrCat("byte ", offset, " (line ", line, ", column ", offset - line_start + 1, ")");
}

namespace {

JsonErrorReport DescribeSimdjsonError(const simdjson::padded_string_view& json,
                                      simdjson::error_code error, int max_depth) {
  const absl::string_view text(json.data(), json.length());
  JsonErrorReport report;
  switch (error) {
    case simdjson::DEPTH_ERROR:
      report.offset = ScanStructure(text, max_depth).too_deep_at;
      report.reason = absl::StrCat("objects and arrays nested deeper than ", max_depth, " levels");
      return report;
    case simdjson::UNCLOSED_STRING:
      report.offset = ScanStructure(text, max_depth).unclosed_string_at;
      report.reason = "a string is opened but never closed";
      return report;
    case simdjson::UTF8_ERROR:
      report.offset = FirstInvalidUtf8(text);
      report.reason = "invalid UTF-8";
      return report;
    default:
      break;
  }
  report.reason = simdjson::error_message(error);

  // Re-walk with On-Demand to learn where the document goes wrong.
  od::parser parser;
  od::document document;
  if (parser.iterate(json).get(document) != simdjson::SUCCESS) return report;
  od::value root;
  simdjson::error_code walk_error = document.get_value().get(root);
  if (walk_error == simdjson::SCALAR_DOCUMENT_AS_VALUE) {
    // A scalar root: nothing to walk; whatever follows it is the problem.
    walk_error = simdjson::SUCCESS;
  } else if (walk_error == simdjson::SUCCESS) {
    walk_error = WalkAll(root);
  }
  const char* location = nullptr;
  if (document.current_location().get(location) == simdjson::SUCCESS && location >= json.data() &&
      location <= json.data() + json.length()) {
    report.offset = static_cast<size_t>(location - json.data());
  }
  if (walk_error == simdjson::SUCCESS) {
    report.reason = "unexpected content after the JSON value";
  } else if (walk_error == simdjson::INCORRECT_TYPE) {
    // On-Demand reports a bad atom (`tru`) as a type mismatch; the DOM
    // parser's message says what it is.
  } else {
    report.reason = simdjson::error_message(walk_error);
  }
  return report;
}

}  // namespace

JsonErrorReport DescribeJsonError(const simdjson::padded_string_view& json,
                                  simdjson::error_code error, int max_depth) {
  JsonErrorReport report = DescribeSimdjsonError(json, error, max_depth);
  // simdjson's messages for a raw control character do not name it (a NUL
  // even reads as an unclosed string).
  const absl::string_view text(json.data(), json.length());
  if (const std::optional<size_t> control = FirstRawControl(text);
      control && (!report.offset || *control <= *report.offset)) {
    report.offset = *control;
    report.reason =
        absl::StrCat("a raw control character ", EscapeControl(text.substr(*control, 1)),
                     " (JSON allows it only escaped, inside a string)");
  }
  return report;
}

}  // namespace internal
}  // namespace convey
