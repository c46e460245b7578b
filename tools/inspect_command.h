// `convey inspect FILE... [--json]`: load scheme files and report what they
// hold. See docs/cli.md.
#ifndef CONVEY_TOOLS_INSPECT_COMMAND_H_
#define CONVEY_TOOLS_INSPECT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace convey {
namespace tools {

// Returns the process exit code: 0 when every file loaded, 1 when any
// failed, 2 on a usage error.
int RunInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_INSPECT_COMMAND_H_
