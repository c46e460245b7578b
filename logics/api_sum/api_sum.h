// `api_sum`: adds numbers to per-(node, sum id) accumulators (Part A7).
#ifndef CONVEY_LOGICS_API_SUM_API_SUM_H_
#define CONVEY_LOGICS_API_SUM_API_SUM_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiSumFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_SUM_API_SUM_H_
