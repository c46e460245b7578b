// `api_rpc` (Call a Process, Part B §3.7): starts a task in process
// `conv_id` with `extra` (typed, A5; with `group: "all"` on top of a copy of
// this task's data) and parks this task until that process replies
// (api_rpc_reply). The reply's data are merged into this task, which goes on
// with the node's next logic; a reply with `throw_exception` sends it to
// `err_node_id`. Errors in family `rpc`.
//
// Stub mode (a node with obj_type 4, Part B §3.15): nothing is called. The
// node's stub branches are tried top to bottom, their conditions evaluated
// against the data that would have been sent (a branch without conditions
// always matches), and the first match's reply is applied as if the callee
// had sent it, with `__logic_stub_mode__: true`.
//
// Decisions where the platform's documentation is silent:
// - `conv_id` `@alias`: convey has no aliases; the task fails with
//   `rpc_task_fatal_error` naming the alias (as for a process that is not
//   deployed). `is_sync: false` is not documented: the task waits either way.
// - Stub mode: `conv_id` is not read (nor referenced). The stub reply's
//   templates, `exception_reason` included, read the data that would have
//   been sent (the called task's data); root fields, node counters and
//   state-diagram tasks read as missing there. A throwing reply writes its
//   data, `__logic_stub_mode__` and the three
//   `__conveyor_rpc_reply_return_*` parameters (software,
//   `rpc_reply_exception`, the reason) and goes to `err_node_id`; with none,
//   the task stops in family `rpc_reply`. A reply value that does not convert
//   fails in family `rpc_reply` (`rpc_reply_wrong_convert_param`), as the
//   called process's reply would have. No matching branch (or no branches):
//   `rpc_task_fatal_error` "no stub branch matched".
#ifndef CONVEY_LOGICS_API_RPC_API_RPC_H_
#define CONVEY_LOGICS_API_RPC_API_RPC_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiRpcFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_RPC_API_RPC_H_
