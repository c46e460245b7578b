// `set_param`: typed, all-or-nothing writes to the task (Part A5).
#ifndef CONVEY_LOGICS_SET_PARAM_SET_PARAM_H_
#define CONVEY_LOGICS_SET_PARAM_SET_PARAM_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewSetParamFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_SET_PARAM_SET_PARAM_H_
