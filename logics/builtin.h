// convey's built-in logic types.
#ifndef CONVEY_LOGICS_BUILTIN_H_
#define CONVEY_LOGICS_BUILTIN_H_

#include "absl/status/status.h"
#include "convey/logic.h"

namespace convey {
namespace logics {

// Registers every built-in logic type in `registry`.
absl::Status RegisterBuiltinLogics(LogicRegistry& registry);

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_BUILTIN_H_
