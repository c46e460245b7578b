// Limits of the ops protocol (convey/ops.h, which is implemented here).
#ifndef CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_
#define CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "convey/ops.h"

namespace convey {
namespace internal {

// Requests nested deeper than this (objects and arrays, the body itself
// counting as level 1) are refused.
inline constexpr int kOpsMaxDepth = 64;
// Requests with more ops than this are refused.
inline constexpr size_t kOpsMaxOps = 10000;
// Longest `ref`, in bytes (Corezoid: 1-255).
inline constexpr size_t kOpsMaxRefSize = 255;

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_
