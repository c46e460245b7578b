// `go_if_const`: moves the task when all its conditions hold (Part A3): the
// `conditions` array, or the legacy flat shape (param, fun, const and cast on
// the logic itself).
#ifndef CONVEY_LOGICS_GO_IF_CONST_GO_IF_CONST_H_
#define CONVEY_LOGICS_GO_IF_CONST_GO_IF_CONST_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewGoIfConstFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_GO_IF_CONST_GO_IF_CONST_H_
