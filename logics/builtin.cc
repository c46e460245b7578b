#include "logics/builtin.h"

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

namespace convey {
namespace logics {

absl::Status RegisterBuiltinLogics(LogicRegistry& registry) {
  // One line per logic type.
  for (auto* make :
       {&NewGoFactory, &NewGoIfConstFactory, &NewSetParamFactory, &NewApiSumFactory,
        &NewApiCallbackFactory, &NewApiCopyFactory, &NewApiRpcFactory, &NewApiRpcReplyFactory,
        &NewApiQueueFactory, &NewApiGetTaskFactory, &NewApiFactory, &NewApiCodeFactory}) {
    absl::Status status = registry.Register(make());
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace logics
}  // namespace convey
