// The summary `convey run` prints when the run is over: for the process
// tasks were created in and the others they reached, where tasks finished
// or still wait (and why), the sums, the errors, the clock and the speed;
// as text or, with --json, as one JSON object. docs/cli.md shows both.
// Separate from run_command.cc because the report's layout changes for
// other reasons than the run does, and reads best on its own.
#ifndef CONVEY_TOOLS_RUN_REPORT_H_
#define CONVEY_TOOLS_RUN_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "convey/engine.h"
#include "tools/run_flags.h"

namespace convey {
namespace tools {

struct RunSummary {
  std::vector<std::string> files;
  std::string file;  // the one the chosen process was deployed from
  int64_t conv_id = 0;
  std::string title;
  int64_t tasks_created = 0;
  int64_t input_errors = 0;
  size_t deploy_warnings = 0;
  size_t unresolved_references = 0;
  bool timed_out = false;
  absl::Duration elapsed;
  ClockKind clock = ClockKind::kVirtual;
  absl::Duration clock_time;  // on the engine's clock, jumps included
  EngineStats stats;
  // The selected process first, then the files' other processes that tasks
  // reached (through copy or rpc logics). Point into `stats`.
  std::vector<const ProcessStats*> processes;
};

// Sets `processes` and `title` from `stats`: the process `conv_id` first,
// then those of `deployed` (conv_id to file) that tasks reached.
void ChooseReportedProcesses(const std::map<int64_t, std::string>& deployed, RunSummary* summary);

void PrintSummaryText(const RunSummary& summary, std::ostream& out);
void PrintSummaryJson(const RunSummary& summary, std::ostream& out);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_RUN_REPORT_H_
