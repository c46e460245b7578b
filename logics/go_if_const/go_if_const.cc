#include "logics/go_if_const/go_if_const.h"

#include <utility>

#include "logics/common/conditions.h"
#include "runtime/base/status_macros.h"

namespace convey {
namespace logics {
namespace {

class GoIfConst : public Logic {
 public:
  GoIfConst(Conditions conditions, NodeHandle to) : conditions_(std::move(conditions)), to_(to) {}

  LogicResult Run(TaskContext& task) const override {
    return conditions_.Hold(task) ? LogicResult::GoTo(to_) : LogicResult::Next();
  }
  absl::string_view error_family() const override { return "go_if_const"; }

 private:
  Conditions conditions_;
  NodeHandle to_;
};

class GoIfConstFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "go_if_const"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    LogicConfig& config = *spec.config;
    NodeHandle to;
    config.ReadLink("to_node_id", /*required=*/true, &to);
    absl::StatusOr<Conditions> conditions = Conditions::Read(config, builder);
    if (config.error_count() > 0) return config.Failed();
    CONVEY_RETURN_IF_ERROR(conditions.status());
    return std::unique_ptr<Logic>(new GoIfConst(*std::move(conditions), to));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewGoIfConstFactory() { return std::make_unique<GoIfConstFactory>(); }

}  // namespace logics
}  // namespace convey
