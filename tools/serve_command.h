// `convey serve`: deploys scheme files and serves the platform's HTTP API
// (runtime/serve) until SIGTERM or SIGINT. See docs/serve.md.
#ifndef CONVEY_TOOLS_SERVE_COMMAND_H_
#define CONVEY_TOOLS_SERVE_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace convey {
namespace tools {

// `args` are the words after `serve`. Returns the exit status. Blocks
// SIGTERM and SIGINT in the calling thread (and so in every thread it
// starts) and waits for one of them.
int RunServe(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_SERVE_COMMAND_H_
