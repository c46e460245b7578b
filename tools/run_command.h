// `convey run FILE... [options]`: deploy scheme files into one engine,
// create tasks in one of their processes, run them until nothing can move
// (under a virtual clock by default, so timers fire at once) and summarise
// where they ended. See docs/cli.md for the options and the exact output.
#ifndef CONVEY_TOOLS_RUN_COMMAND_H_
#define CONVEY_TOOLS_RUN_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

namespace convey {
namespace tools {

// `args` are the words after `run`. The summary goes to `out`; diagnostics
// (deploy warnings, bad input lines, refused tasks) go to `err`. When
// `show_progress` is true (the caller passes whether stderr is a terminal), a
// run that lasts longer than a second draws a progress line on `err`,
// rewritten in place and cleared at the end.
//
// Returns the process exit code: 0 ok; 1 a scheme did not deploy, an input
// line or task was refused, or a file could not be read or written; 2 usage
// error; 3 the run did not finish within --timeout.
int RunRun(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           bool show_progress = false);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_RUN_COMMAND_H_
