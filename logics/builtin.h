// convey's built-in logic types: RegisterBuiltinLogics and
// LogicRegistry::Global() (convey/logic.h) are defined in builtin.cc.
#ifndef CONVEY_LOGICS_BUILTIN_H_
#define CONVEY_LOGICS_BUILTIN_H_

#include "absl/status/status.h"
#include "convey/logic.h"

namespace convey {
namespace logics {

// convey::RegisterBuiltinLogics, under the name convey's own tests use.
inline absl::Status RegisterBuiltinLogics(LogicRegistry& registry) {
  return convey::RegisterBuiltinLogics(registry);
}

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_BUILTIN_H_
