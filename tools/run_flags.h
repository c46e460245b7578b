// `convey run`'s command line: the usage text, the options it takes and
// their parsing, with every check that needs neither a file nor the
// engine. Separate from run_command.cc so that the steps of a run read
// without two hundred lines of option handling in the way.
#ifndef CONVEY_TOOLS_RUN_FLAGS_H_
#define CONVEY_TOOLS_RUN_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convey {
namespace tools {

// The text printed for --help and after a usage error.
extern const char kRunUsage[];

enum class ClockKind { kVirtual, kReal };

// "virtual" or "real", as --clock takes it.
absl::string_view ClockName(ClockKind kind);

struct RunFlags {
  std::vector<std::string> files;  // in the order given
  ClockKind clock = ClockKind::kVirtual;
  std::optional<int64_t> conv_id;
  std::optional<int64_t> tasks;
  std::optional<std::string> data;
  std::optional<std::string> input;
  std::optional<int64_t> threads;
  std::optional<std::string> output;
  bool json = false;
  std::optional<absl::Duration> timeout;
  std::vector<std::string> env;  // NAME=VALUE, in order
  std::optional<std::string> env_file;
};

// Returns the usage error, or nullopt when `args` (the words after `run`)
// are well formed. `help` is set when -h/--help was given.
std::optional<std::string> ParseRunFlags(const std::vector<std::string>& args, RunFlags& flags,
                                         bool& help);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_RUN_FLAGS_H_
