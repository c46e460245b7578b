#include "logics/go_if_const/go_if_const.h"

#include <utility>

#include "logics/conditions/conditions.h"
#include "logics/typed_values/typed_values.h"
#include "schema/process.pb.h"

namespace convey {
namespace logics {
namespace {

class GoIfConst : public Logic {
 public:
  GoIfConst(Conditions conditions, NodeHandle to) : conditions_(std::move(conditions)), to_(to) {}

  LogicResult Run(TaskContext& task) const override {
    TaskValueSource source(task);
    return conditions_.Hold(source) ? LogicResult::GoTo(to_) : LogicResult::Next();
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
    const schema::GoIfConst& config = spec.config->go_if_const();
    absl::StatusOr<NodeHandle> to = builder.Node(config.to_node_id());
    if (!to.ok()) return to.status();
    absl::StatusOr<Conditions> conditions =
        Conditions::Compile(config.conditions(), "conditions", builder);
    if (!conditions.ok()) return conditions.status();
    return std::unique_ptr<Logic>(new GoIfConst(*std::move(conditions), *to));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewGoIfConstFactory() { return std::make_unique<GoIfConstFactory>(); }

}  // namespace logics
}  // namespace convey
