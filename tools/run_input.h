// Where `convey run` gets its tasks' data: --data (one JSON object for
// every task) and --input (a JSONL file, one task per line). Both are read
// and checked before any task is created, with messages that name the
// line and column. Separate from run_command.cc because reading and
// checking user input is a job of its own, with its own failure messages;
// the run only consumes the result.
#ifndef CONVEY_TOOLS_RUN_INPUT_H_
#define CONVEY_TOOLS_RUN_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace convey {
namespace tools {

// One task read from --input.
struct InputTask {
  int64_t line = 0;
  std::string ref;
  std::string data;  // a JSON object
};

// Checks --data `text`: it must be a JSON object; a key repeated with one
// value is collapsed once here rather than by the engine for every task.
// Sets `*data` and returns nullopt, or returns the usage error.
std::optional<std::string> ReadTaskData(const std::string& text, std::string* data);

// Reads the --input file at `path`: one task per non-empty line (a UTF-8
// BOM at the start of a line, as left by concatenated files, and
// surrounding whitespace are ignored). A line is
// `{"ref":...,"data":{...}}` when it is an object whose keys are only `ref`
// and/or `data` and whose `data` (when present) is an object; any other
// object is the task's data itself, and its ref is the line number. A bad
// line, or one longer than `max_line_bytes` (which is never held in
// memory whole), is passed to `report` as "PATH:LINE: why" and skipped.
// Returns why
// the file cannot be opened or read, or nullopt.
std::optional<std::string> ReadInputFile(const std::string& path, size_t max_line_bytes,
                                         const std::function<void(absl::string_view)>& report,
                                         std::vector<InputTask>* tasks);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_RUN_INPUT_H_
