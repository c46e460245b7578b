// Reading and checking --data and --input (run_input.h).
#include "tools/run_input.h"

#include <cerrno>
#include <cstring>
#include <fstream>
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
    if (ref.get_string().get(text) == simdjson::SUCCESS) {
      task.ref = std::string(text);
    } else if (ref.get_int64().get(number) == simdjson::SUCCESS) {
      task.ref = absl::StrCat(number);
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

std::optional<std::string> ReadInputFile(const std::string& path,
                                         const std::function<void(absl::string_view)>& report,
                                         std::vector<InputTask>* tasks) {
  std::ifstream in(path);
  if (!in.is_open()) {
    return absl::StrCat("cannot open --input ", path, ": ", std::strerror(errno));
  }
  simdjson::dom::parser parser;
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    absl::string_view text = line;
    if (line_number == 1) absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
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
  if (in.bad() || (!in.eof() && in.fail())) {
    return absl::StrCat("cannot read --input ", path, ": ", std::strerror(errno));
  }
  return std::nullopt;
}

}  // namespace tools
}  // namespace convey
