// Engine::Open's check of EngineOptions, apart from the engine because it
// is a table of rules, one per field, that grows with every option.
#ifndef CONVEY_RUNTIME_ENGINE_ENGINE_OPTIONS_H_
#define CONVEY_RUNTIME_ENGINE_ENGINE_OPTIONS_H_

#include "absl/status/status.h"
#include "convey/engine.h"

namespace convey {
namespace internal {

// InvalidArgument naming the first field that breaks the rule written on
// it in convey/engine.h (`EngineOptions::api_max_in_flight is 0: must be
// at least 1 (...)`).
absl::Status ValidateOptions(const EngineOptions& options);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_ENGINE_ENGINE_OPTIONS_H_
