// Limits of the ops protocol (convey/ops.h, which is implemented here).
#ifndef CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_
#define CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
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

// A create that did not come as an op (`convey serve`'s direct URL: the
// body is the task's data): runs it and answers as HandleOps would answer
// a request holding just that create, failures described the same way.
std::string CreateFromDirectUrl(Engine& engine, int64_t conv_id, absl::string_view ref,
                                absl::string_view data_json);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_
