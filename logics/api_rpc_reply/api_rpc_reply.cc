#include "logics/api_rpc_reply/api_rpc_reply.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "logics/common/reply.h"
#include "logics/common/typed_values.h"
#include "runtime/base/status_macros.h"

namespace convey {
namespace logics {
namespace {

class ApiRpcReply : public Logic {
 public:
  ApiRpcReply(Reply reply, NodeHandle err_node) : reply_(std::move(reply)), err_node_(err_node) {}

  LogicResult Run(TaskContext& task) const override {
    TaskValueSource source(task);
    std::string json;
    absl::Status built = reply_.Build(source, &json);
    if (!built.ok()) {
      // Too large for any task: the caller could not take it either.
      return LogicResult::Fail(err_node_, false,
                               built.code() == absl::StatusCode::kOutOfRange
                                   ? "rpc_reply_size_overflow_limit"
                                   : "rpc_reply_wrong_convert_param",
                               std::string(built.message()));
    }
    // False when this task's process was not called: nothing to answer.
    task.Reply(json, reply_.throw_exception(),
               reply_.throw_exception() ? reply_.Reason(source) : std::string());
    return LogicResult::Next();
  }
  absl::string_view error_family() const override { return "rpc_reply"; }
  NodeHandle error_node() const override { return err_node_; }

 private:
  Reply reply_;
  NodeHandle err_node_;
};

class ApiRpcReplyFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api_rpc_reply"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    CONVEY_ASSIGN_OR_RETURN(Reply reply, Reply::Read(*spec.config, "", builder));
    const NodeHandle err_node = reply.err_node();
    return std::unique_ptr<Logic>(new ApiRpcReply(std::move(reply), err_node));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiRpcReplyFactory() {
  return std::make_unique<ApiRpcReplyFactory>();
}

}  // namespace logics
}  // namespace convey
