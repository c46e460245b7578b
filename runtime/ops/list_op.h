// The ops protocol's `list` op: Engine::SearchTasks over the task API.
#ifndef CONVEY_RUNTIME_OPS_LIST_OP_H_
#define CONVEY_RUNTIME_OPS_LIST_OP_H_

#include "convey/engine.h"
#include "runtime/ops/op_fields.h"
#include "runtime/ops/op_reply.h"

namespace convey {
namespace internal {

// {"type":"list","obj":"task","conv_id":..., filters..., "limit", "cursor"}
// -> {"tasks":[...], "next_cursor": "..." or null, "scanned": N}.
void RunList(Engine& engine, const OpFields& fields, OpReply* reply);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_OPS_LIST_OP_H_
