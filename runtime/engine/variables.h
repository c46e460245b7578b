// Project variables: what `{{env_var[@NAME]}}` reads (semantics B4; the
// platform's stage variables, RAW or JSON). Scheme exports do not carry
// them, so the host gives them (EngineOptions::variables and
// EngineOptions::variable_lookup).
#ifndef CONVEY_RUNTIME_ENGINE_VARIABLES_H_
#define CONVEY_RUNTIME_ENGINE_VARIABLES_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/scheme.h"
#include "convey/value.h"
#include "runtime/engine/process.h"
#include "runtime/json/path.h"
#include "simdjson.h"

namespace convey {
namespace internal {

using VariableLookup = std::function<std::optional<std::string>(absl::string_view name)>;

// The variable a template names: `@NAME` (the short name) and `NAME` are
// the same variable; ids (`env_var[12345]`) are names too.
absl::string_view VariableName(absl::string_view written);

// Immutable once built: read by every worker at once without locks.
class ProjectVariables {
 public:
  // InvalidArgument for an empty name or one given twice (`@A` and `A`).
  static absl::StatusOr<std::unique_ptr<ProjectVariables>> Create(
      const std::map<std::string, std::string>& values, VariableLookup lookup);

  // The variable `name` (as written, `@` or not), or at `path` inside it.
  // A value that is a JSON object or array is that JSON; any other value is
  // the string as given (a path into it reads as missing). Unset: missing.
  // `scratch` parses what the lookup answers.
  Value Read(absl::string_view name, const Path& path, simdjson::dom::parser& scratch) const;

  bool IsSet(absl::string_view name) const;

 private:
  struct Variable {
    std::string text;
    std::unique_ptr<simdjson::dom::document> json;  // when an object or array
  };
  static Value ReadFrom(const Variable& variable, const Path& path);

  absl::flat_hash_map<std::string, Variable> values_;
  VariableLookup lookup_;
};

// One warning per variable `process` reads that is not set: at deploy a
// task would read it as a missing value.
std::vector<Diagnostic> UnsetVariableWarnings(absl::string_view file_name,
                                              const CompiledProcess& process,
                                              const ProjectVariables& variables);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_VARIABLES_H_
