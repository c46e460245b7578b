// Limits a host sets on what the engine accepts: scheme files at deploy
// (ImportLimits) and Code node executions (CodeLimits). Plain values, shared
// by the host API (convey/engine.h), inspection (convey/scheme.h) and the
// plugin API (convey/logic.h).
#ifndef CONVEY_LIMITS_H_
#define CONVEY_LIMITS_H_

#include <cstddef>

#include "absl/time/time.h"

namespace convey {

struct ImportLimits {
  // Larger inputs are refused with a located error before parsing.
  size_t max_file_size = size_t{512} << 20;
  // Objects and arrays nested deeper than this are refused.
  int max_depth = 64;
  // Diagnostics kept per file; the rest are only counted.
  size_t max_diagnostics = 1000;
};

// Limits of one execution of a Code node (`api_code`):
// EngineOptions::code_limits.
struct CodeLimits {
  // Past it the script is stopped: `hardware`, `code_timeout`.
  absl::Duration time_limit = absl::Seconds(1);
  // The JavaScript heap of a worker (objects and what they hold); past it
  // the script is stopped: `hardware`, `code_memory_limit`.
  size_t heap_limit_bytes = size_t{64} << 20;
};

}  // namespace convey

#endif  // CONVEY_LIMITS_H_
