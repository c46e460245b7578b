// Values of the command line's options, checked the same way by every
// command (`convey run`, `convey serve`).
#ifndef CONVEY_TOOLS_FLAG_VALUES_H_
#define CONVEY_TOOLS_FLAG_VALUES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convey {
namespace tools {

// A whole number of decimal digits (no sign, no spaces) in [min, max].
bool ParseWholeNumber(absl::string_view text, int64_t min, int64_t max, int64_t* value);

// A number of seconds > 0 (fractions allowed), at most 10^9.
bool ParseSeconds(absl::string_view text, absl::Duration* value);

// A DNS host name.
bool IsHostName(absl::string_view text);

// One --allow-net entry: a network or address, or a host name. Else the
// usage problem.
std::optional<std::string> CheckAllowNetEntry(const std::string& entry);

// Why `output` must not be written: it is one of `inputs` (scheme files,
// --input, --env-file, --counts), compared by file identity so that another
// spelling (`./t.jsonl`, a symlink, a hard link) is caught too. nullopt when
// it is none of them. Checked before anything is opened for writing:
// opening truncates.
std::optional<std::string> OutputNamesAnInput(const std::string& output,
                                              const std::vector<std::string>& inputs);

// The words of a command line, sorted: positional ones (files; "-" too) and
// options, "--name=value" or "--name value" for `value_flags`, bare for
// `switches` (their value is empty). Returns the usage error (an unknown
// option, a value missing or given to a switch, an option given twice that
// is not in `repeatable`), or nullopt; `help` is set, and nothing else
// read, at -h/--help. A value is never taken from a following "--" word:
// `--tasks --json` is a missing value, not a bad number.
struct CommandLine {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // in order
  bool help = false;
};
std::optional<std::string> SplitCommandLine(const std::vector<std::string>& args,
                                            const std::vector<absl::string_view>& value_flags,
                                            const std::vector<absl::string_view>& switches,
                                            const std::vector<absl::string_view>& repeatable,
                                            CommandLine* line);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_FLAG_VALUES_H_
