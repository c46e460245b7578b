// `api_rpc_reply` (Reply to Process, Part B §3.8): answers the task that
// called this task's process (api_rpc) with `res_data` (mode `key_value`:
// typed templates; mode `keys`: listed task keys with their current values),
// and with `throw_exception` sends that caller to its error exit with
// `exception_reason`. This task always goes on with the node's next logic:
// a reply in a process that was not called is harmless. Errors (a value that
// does not convert) in family `rpc_reply`.
#ifndef CONVEY_LOGICS_API_RPC_REPLY_API_RPC_REPLY_H_
#define CONVEY_LOGICS_API_RPC_REPLY_API_RPC_REPLY_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiRpcReplyFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_RPC_REPLY_API_RPC_REPLY_H_
