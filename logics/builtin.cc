// The built-in logic types: RegisterBuiltinLogics and LogicRegistry::Global()
// (declared in convey/logic.h), one line per type.
#include "convey/logic.h"

#include <cstdlib>

#include "logics/api/api.h"
#include "logics/api_callback/api_callback.h"
#include "logics/api_code/api_code.h"
#include "logics/api_copy/api_copy.h"
#include "logics/api_get_task/api_get_task.h"
#include "logics/api_queue/api_queue.h"
#include "logics/api_rpc/api_rpc.h"
#include "logics/api_rpc_reply/api_rpc_reply.h"
#include "logics/api_sum/api_sum.h"
#include "logics/go/go.h"
#include "logics/go_if_const/go_if_const.h"
#include "logics/set_param/set_param.h"
#include "runtime/base/status_macros.h"

namespace convey {

absl::Status RegisterBuiltinLogics(LogicRegistry& registry) {
  // One line per logic type.
  for (auto* make :
       {&logics::NewGoFactory, &logics::NewGoIfConstFactory, &logics::NewSetParamFactory,
        &logics::NewApiSumFactory, &logics::NewApiCallbackFactory, &logics::NewApiCopyFactory,
        &logics::NewApiRpcFactory, &logics::NewApiRpcReplyFactory, &logics::NewApiQueueFactory,
        &logics::NewApiGetTaskFactory, &logics::NewApiFactory, &logics::NewApiCodeFactory}) {
    CONVEY_RETURN_IF_ERROR(registry.Register(make()));
  }
  return absl::OkStatus();
}

LogicRegistry& LogicRegistry::Global() {
  static LogicRegistry* registry = [] {
    auto* r = new LogicRegistry();
    absl::Status status = RegisterBuiltinLogics(*r);
    if (!status.ok()) std::abort();  // a duplicate among the built-ins: a bug
    return r;
  }();
  return *registry;
}

}  // namespace convey
