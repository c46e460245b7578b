// `api_code` (Code nodes, semantics §3.5): JavaScript on SpiderMonkey, see
// runtime/script/js_runner.h. Errors are of family `code`.
#ifndef CONVEY_LOGICS_API_CODE_API_CODE_H_
#define CONVEY_LOGICS_API_CODE_API_CODE_H_

#include <memory>

#include "convey/logic.h"

namespace convey {
namespace logics {

std::unique_ptr<LogicFactory> NewApiCodeFactory();

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_API_CODE_API_CODE_H_
