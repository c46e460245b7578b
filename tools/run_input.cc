// Reading and checking --data and --input (run_input.h).
#include "tools/run_input.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/json/json_errors.h"
#include "runtime/json/json_types.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"

namespace convey {
namespace tools {
namespace {

// Parses one JSON text. On failure returns why, with the column (1-based,
// in bytes) when simdjson can tell where.
std::optional<std::string> ParseJson(simdjson::dom::parser& parser, absl::string_view text,
                                     simdjson::padded_string& buffer,
                                     simdjson::dom::element& root) {
  buffer = simdjson::padded_string(text.data(), text.size());
  const simdjson::error_code error = parser.parse(buffer).get(root);
  if (error == simdjson::SUCCESS) return std::nullopt;
  const internal::JsonErrorReport report =
      internal::DescribeJsonError(buffer, error, static_cast<int>(simdjson::DEFAULT_MAX_DEPTH));
  if (report.offset) {
    return absl::StrCat("invalid JSON at column ", *report.offset + 1, ": ", report.reason);
  }
  return absl::StrCat("invalid JSON: ", report.reason);
}

// Parses one non-empty line. A line is `{"ref":...,"data":{...}}` when it is
// an object whose keys are only `ref` and/or `data` and whose `data` (when
// present) is an object; any other object is the task's data itself.
std::optional<std::string> ParseInputLine(simdjson::dom::parser& parser, absl::string_view line,
                                          InputTask& task) {
  simdjson::padded_string buffer;
  simdjson::dom::element root;
  if (auto problem = ParseJson(parser, line, buffer, root)) return problem;
  // A key repeated with one value counts once, also in the {"ref","data"}
  // wrapper; with different values the line is refused (semantics A1).
  std::string collapsed;
  if (internal::HasRepeatedKeys(root)) {
    const absl::Status status = internal::CollapseRepeatedKeys(line, "the line", &collapsed);
    if (!status.ok()) return std::string(status.message());
    if (auto problem = ParseJson(parser, collapsed, buffer, root)) return problem;
    line = collapsed;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return absl::StrCat("a task must be a JSON object, not ", internal::JsonTypeName(root.type()));
  }
  bool wrapped = object.size() > 0;
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key == "ref") continue;
    if (field.key == "data" && field.value.is_object()) continue;
    wrapped = false;
  }
  if (!wrapped) {
    task.data = std::string(line);
    return std::nullopt;
  }
  simdjson::dom::element ref;
  if (object.at_key("ref").get(ref) == simdjson::SUCCESS) {
    std::string_view text;
    int64_t number = 0;
    uint64_t large = 0;
    double real = 0;
    if (ref.get_string().get(text) == simdjson::SUCCESS) {
      task.ref = std::string(text);
    } else if (ref.get_int64().get(number) == simdjson::SUCCESS) {
      task.ref = absl::StrCat(number);
    } else if (ref.get_uint64().get(large) == simdjson::SUCCESS) {
      task.ref = absl::StrCat(large);
    } else if (ref.get_double().get(real) == simdjson::SUCCESS) {
      // 1e3 is the ref "1000"; 1.5, or a number past 2^53 (which a double
      // does not hold exactly: 20 digits), names no ref for sure.
      if (real != std::floor(real) || std::fabs(real) > 9007199254740992.0) {
        return absl::StrCat("\"ref\" ", simdjson::minify(ref),
                            " is not a whole number a double holds exactly; write it as a string");
      }
      task.ref = absl::StrCat(static_cast<int64_t>(real));
    } else {
      return absl::StrCat("\"ref\" must be a string or a whole number, not ",
                          internal::JsonTypeName(ref.type()));
    }
  }
  simdjson::dom::element data;
  task.data = object.at_key("data").get(data) == simdjson::SUCCESS ? simdjson::minify(data) : "{}";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ReadTaskData(const std::string& text, std::string* data) {
  simdjson::dom::parser parser;
  simdjson::padded_string buffer;
  simdjson::dom::element root;
  if (auto problem = ParseJson(parser, text, buffer, root)) {
    return absl::StrCat("--data is ", *problem);
  }
  if (!root.is_object()) {
    return absl::StrCat("--data must be a JSON object, not ", internal::JsonTypeName(root.type()));
  }
  if (!internal::HasRepeatedKeys(root)) {
    *data = text;
    return std::nullopt;
  }
  std::string collapsed;
  if (absl::Status status = internal::CollapseRepeatedKeys(text, "--data", &collapsed);
      !status.ok()) {
    return std::string(status.message());
  }
  *data = std::move(collapsed);
  return std::nullopt;
}

std::optional<std::string> ReadInputFile(const std::string& path, size_t max_line_bytes,
                                         const std::function<void(absl::string_view)>& report,
                                         std::vector<InputTask>* tasks) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::StrCat("cannot open --input ", path, ": ", std::strerror(errno));
  }
  simdjson::dom::parser parser;
  std::string line;
  int64_t line_number = 0;
  // A line longer than the limit is skipped without being held in memory:
  // its bytes past the limit are counted, not kept.
  size_t length = 0;
  int c = 0;
  while (c != EOF) {
    line.clear();
    length = 0;
    while ((c = getc_unlocked(file)) != EOF && c != '\n') {
      if (length++ < max_line_bytes) line.push_back(static_cast<char>(c));
    }
    if (c == EOF && length == 0) break;
    ++line_number;
    if (length > max_line_bytes) {
      report(absl::StrCat(path, ":", line_number, ": the line is ", length,
                          " bytes, over the limit of ", max_line_bytes,
                          " (the task size limit and 4 KiB for the ref)"));
      continue;
    }
    absl::string_view text = line;
    absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
    text = absl::StripAsciiWhitespace(text);
    if (text.empty()) continue;
    InputTask task;
    task.line = line_number;
    task.ref = absl::StrCat(line_number);
    if (auto problem = ParseInputLine(parser, text, task)) {
      report(absl::StrCat(path, ":", line_number, ": ", *problem));
      continue;
    }
    tasks->push_back(std::move(task));
  }
  const bool failed = std::ferror(file) != 0;
  const int code = errno;
  std::fclose(file);
  if (failed) return absl::StrCat("cannot read --input ", path, ": ", std::strerror(code));
  return std::nullopt;
}

}  // namespace tools
}  // namespace convey
