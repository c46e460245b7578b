#include "logics/api_callback/api_callback.h"

namespace convey {
namespace logics {
namespace {

class ApiCallback : public Logic {
 public:
  LogicResult Run(TaskContext&) const override { return LogicResult::Park(); }
  absl::string_view error_family() const override { return "callback"; }
};

class ApiCallbackFactory : public LogicFactory {
 public:
  absl::string_view type() const override { return "api_callback"; }
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec&, LogicBuilder&) const override {
    return std::unique_ptr<Logic>(new ApiCallback());
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiCallbackFactory() {
  return std::make_unique<ApiCallbackFactory>();
}

}  // namespace logics
}  // namespace convey
