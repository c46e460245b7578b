// `api_callback` (Waiting for Callback): the task waits in the node until it
// is modified (Part A8); the modify's data is merged and the node's next
// logic runs.
#ifndef CONVEY_LOGICS_API_CALLBACK_API_CALLBACK_H_
#define CONVEY_LOGICS_API_CALLBACK_API_CALLBACK_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiCallbackFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_CALLBACK_API_CALLBACK_H_
