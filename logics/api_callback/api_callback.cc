#include "logics/api_callback/api_callback.h"

#include <string>

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
  absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                LogicBuilder&) const override {
    LogicConfig& config = *spec.config;
    // Read (their types checked) but without effect: both are about the
    // node's callback URL, which convey does not serve.
    bool is_sync = false;
    config.ReadBool("is_sync", &is_sync);
    std::string obj_id_path;
    config.ReadString("obj_id_path", &obj_id_path);
    if (config.error_count() > 0) return config.Failed();
    return std::unique_ptr<Logic>(new ApiCallback());
  }
};

}  // namespace

std::unique_ptr<LogicFactory> NewApiCallbackFactory() {
  return std::make_unique<ApiCallbackFactory>();
}

}  // namespace logics
}  // namespace convey
