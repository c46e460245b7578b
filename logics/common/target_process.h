// The process a logic sends to (`conv_id` of api_copy, api_rpc and
// api_get_task; Part B §3.6): a positive integer, a template that gives one
// per task (`{{param}}`), or an `@alias` (also `@{{param}}`).
//
// convey has no process aliases (they live in the platform's projects, not
// in a scheme export): a task whose conv_id is an alias fails as if the
// process were not deployed, with a description naming the alias.
//
// Immutable after Compile; Resolve may run on many threads at once.
#ifndef CONVEY_LOGICS_COMMON_TARGET_PROCESS_H_
#define CONVEY_LOGICS_COMMON_TARGET_PROCESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "logics/common/typed_values.h"

namespace convey {
namespace logics {

class TargetProcess {
 public:
  // `text` as LogicConfig::ReadText gives it (a JSON number as its text).
  // A constant id is declared with LogicBuilder::ReferenceProcess when
  // `reference` is set. InvalidArgument `conv_id "<text>": <why>` for a constant that is
  // neither a positive integer nor an alias, or a template that does not
  // compile.
  static absl::StatusOr<TargetProcess> Compile(absl::string_view text, LogicBuilder& builder,
                                               bool reference = true);

  // The process id for this task. InvalidArgument whose message is the A5
  // description (`Param: conv_id, Value: <v>, Try convert to: number`) when
  // the template's value is not a positive integer; NotFound naming the
  // alias for an `@alias`.
  absl::StatusOr<int64_t> Resolve(ValueSource& source) const;

  bool is_constant() const { return conv_template_ == nullptr && alias_.empty(); }

 private:
  int64_t conv_id_ = 0;                      // a constant id
  std::string alias_;                        // a constant `@alias`
  const Template* conv_template_ = nullptr;  // else: evaluated per task
};

// `text` as a process id: a positive integer written with digits only.
bool ParseProcessId(absl::string_view text, int64_t* id);

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_COMMON_TARGET_PROCESS_H_
