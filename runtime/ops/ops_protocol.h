// The Corezoid task API ("ops protocol") over the public engine API.
//
// A request is `{"ops":[op, ...]}`; the reply is
// `{"request_proc":"ok","ops":[result, ...]}` with one result per op, in
// request order. A body that cannot be read as such a request (not JSON, not
// an object, no `ops` array, an empty `ops`, nesting deeper than
// kOpsMaxDepth, more than kOpsMaxOps ops) gives
// `{"request_proc":"format_error","description":"<why>","ops":[]}` and no op
// runs. Each op succeeds or fails on its own: a bad op never stops the others.
// docs/ops.md describes every field and status.
//
// Thread safety: HandleOpsRequest keeps no state; it may run concurrently
// with itself and with any other engine call. Ops of one request run one
// after the other, in order.
#ifndef CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_
#define CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "convey/engine.h"

namespace convey {
namespace internal {

// Requests nested deeper than this (objects and arrays, the body itself
// counting as level 1) are refused.
inline constexpr int kOpsMaxDepth = 64;
// Requests with more ops than this are refused.
inline constexpr size_t kOpsMaxOps = 10000;
// Longest `ref`, in bytes (Corezoid: 1-255).
inline constexpr size_t kOpsMaxRefSize = 255;

// Handles one `{"ops":[...]}` request against `engine`; returns the reply
// JSON. Never fails: every problem is reported inside the reply.
std::string HandleOpsRequest(Engine& engine, absl::string_view body);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_OPS_OPS_PROTOCOL_H_
