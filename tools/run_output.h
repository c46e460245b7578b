// `convey run --output FILE.jsonl`: after the run, every task the engine
// holds, one JSON object per line (conv_id, ref, obj_id, status, node_id,
// node_title, data). The file is opened before the run, so that a bad path
// fails at once, and written after the summary. Separate from
// run_command.cc because the line format is a contract of its own
// (docs/cli.md) that scripts read.
#ifndef CONVEY_TOOLS_RUN_OUTPUT_H_
#define CONVEY_TOOLS_RUN_OUTPUT_H_

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "convey/engine.h"

namespace convey {
namespace tools {

// Opens (and truncates) `path` into `file`. Returns why it cannot, or
// nullopt.
std::optional<std::string> OpenTaskOutput(const std::string& path, std::ofstream* file);

// Writes every task `engine` holds to `file` (opened from `path`), one JSON
// object per line. Returns why it failed, or nullopt.
std::optional<std::string> WriteTasks(Engine& engine, std::ofstream& file, const std::string& path);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_RUN_OUTPUT_H_
