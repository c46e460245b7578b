// `convey draw FILE... [--conv ID] [--counts FILE.jsonl] [--output FILE.svg]`:
// one process of the scheme files drawn as SVG (runtime/draw), with the
// number of tasks in each node when given a `convey run --output` file.
// See docs/cli.md.
#ifndef CONVEY_TOOLS_DRAW_COMMAND_H_
#define CONVEY_TOOLS_DRAW_COMMAND_H_

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace convey {
namespace tools {

// Returns the process exit code: 0 drawn, 1 a file does not load or cannot
// be read or written, an unknown --conv, a bad --counts line; 2 usage error.
int RunDraw(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Tasks of process `conv_id` per node id, read from `in`, lines in the
// format of `convey run --output` (one JSON object per line with a numeric
// `conv_id` and a string `node_id`; tasks with status "deleted" do not
// count; blank lines are skipped). A malformed line is an InvalidArgument
// error "NAME:LINE: why".
absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> ReadTaskCounts(std::istream& in,
                                                                         const std::string& name,
                                                                         int64_t conv_id);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_DRAW_COMMAND_H_
