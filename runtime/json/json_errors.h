// Turns a simdjson parse failure into a located, readable message.
//
// simdjson's DOM parser reports only an error code. This runs on the error
// path alone: it re-walks the document with simdjson On-Demand (which knows
// where it stopped) and, for the failures simdjson detects before it can
// walk (unclosed string, invalid UTF-8, nesting depth), scans the bytes.
#ifndef CONVEY_RUNTIME_JSON_JSON_ERRORS_H_
#define CONVEY_RUNTIME_JSON_JSON_ERRORS_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace convey {
namespace internal {

struct JsonErrorReport {
  std::optional<size_t> offset;  // byte offset of the problem, when known
  std::string reason;
};

// `json` must be the padded buffer that failed to parse with `error`.
JsonErrorReport DescribeJsonError(const simdjson::padded_string_view& json,
                                  simdjson::error_code error, int max_depth);

// "byte N (line L, column C)" for an offset into `text` (lines and columns
// count from 1; columns in bytes).
std::string DescribeOffset(absl::string_view text, size_t offset);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_JSON_JSON_ERRORS_H_
