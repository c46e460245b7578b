// `go`: moves the task to `to_node_id` unconditionally (Part B §3.1).
#ifndef CONVEY_LOGICS_GO_GO_H_
#define CONVEY_LOGICS_GO_GO_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewGoFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_GO_GO_H_
