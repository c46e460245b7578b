// `api_queue` (Queue, Part B §3.11): the task waits in its node's queue
// until an api_get_task (in any process) takes it, or the node's time
// semaphore moves it. The node's `data` (typed, A5) is evaluated when the
// task enters and handed to the taker with the task's data. A value that
// does not convert fails in family `queue` (`queue_wrong_convert_param`);
// api_queue has no err_node_id, so the task then stops with status error.
// Its factory declares the node a queue (LogicBuilder::DeclareQueue).
#ifndef CONVEY_LOGICS_API_QUEUE_API_QUEUE_H_
#define CONVEY_LOGICS_API_QUEUE_API_QUEUE_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiQueueFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_QUEUE_API_QUEUE_H_
