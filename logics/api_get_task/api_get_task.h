// `api_get_task` (Get from Queue, Part B §3.11): takes the oldest (`order_by`
// ASC, the default) or newest (DESC) task waiting in queue node `node_id` of
// process `conv_id`; that task goes on in its own process. This task gets
// `__queue_task_id__` (the taken task's obj_id) and `__queue_task_data__`
// (its data with the queue node's `data` merged on top, top-level keys).
// Errors in family `get_task`; a `node_id` that is not a queue node fails in
// family `queue` (`queue_wrong_logic`).
//
// Decisions: an empty queue is `get_task_executing_error` with description
// `not_found_task`; an unknown process or node (and an `@alias`: convey has
// none) is `get_task_executing_error` with `access_denied: <why>`; any other
// engine failure is hardware `get_task_fatal_error`.
#ifndef CONVEY_LOGICS_API_GET_TASK_API_GET_TASK_H_
#define CONVEY_LOGICS_API_GET_TASK_API_GET_TASK_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiGetTaskFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_GET_TASK_API_GET_TASK_H_
