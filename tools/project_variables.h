// `convey run --env NAME=VALUE` and `--env-file FILE`: the project variables
// (`{{env_var[@NAME]}}`) given to the engine (EngineOptions::variables).
#ifndef CONVEY_TOOLS_PROJECT_VARIABLES_H_
#define CONVEY_TOOLS_PROJECT_VARIABLES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace convey {
namespace tools {

// Names are kept without their `@` ("@NAME" and "NAME" are one variable).
using Variables = std::map<std::string, std::string>;

// Reads --env-file: a JSON object of names to values. A string value is the
// variable's text; an object or array is JSON (kept compact); a number or
// boolean is its JSON text; null leaves the variable unset. Returns why the
// file cannot be used (naming it), or nullopt.
std::optional<std::string> ReadVariablesFile(const std::string& path, Variables* variables);

// Applies the --env flags (`NAME=VALUE`, in order) over `variables`: a flag
// replaces what the file gave. Returns the usage error, or nullopt.
std::optional<std::string> ApplyVariableFlags(const std::vector<std::string>& flags,
                                              Variables* variables);

}  // namespace tools
}  // namespace convey

#endif  // CONVEY_TOOLS_PROJECT_VARIABLES_H_
