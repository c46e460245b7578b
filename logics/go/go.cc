#include "logics/go/go.h"

namespace convey {
namespace logics {
namespace {

class Go : public Logic {
 public:
  explicit Go(NodeHandle to) : to_(to) {}
  LogicResult Run(TaskContext&) const override { return LogicResult::GoTo(to_); }
  absl::string_view error_family() const override { return "go"; }

 private:
  NodeHandle to_;
};

class GoFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "go"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder& builder) const override {
    LogicConfig& config = *spec.config;
    // Empty: a warning, and a task reaching it stops (an invalid node).
    NodeHandle to;
    config.ReadLink("to_node_id", /*required=*/true, &to);
    if (config.error_count() > 0) return config.Failed();
    return std::unique_ptr<Logic>(new Go(to));
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewGoFactory() { return std::make_unique<GoFactory>(); }

}  // namespace logics
}  // namespace convey
