#include "absl/strings/str_cat.h"
#include "convey/logic.h"

namespace convey {

absl::Status LogicRegistry::Register(std::unique_ptr<LogicFactory> factory) {
  if (factory == nullptr) return absl::InvalidArgumentError("null logic factory");
  absl::string_view type = factory->type();
  if (type.empty()) return absl::InvalidArgumentError("a logic factory needs a type name");
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& existing : factories_) {
    if (existing->type() == type) {
      return absl::AlreadyExistsError(
          absl::StrCat("logic type \"", type, "\" is already registered"));
    }
  }
  factories_.push_back(std::move(factory));
  return absl::OkStatus();
}

const LogicFactory* LogicRegistry::Find(absl::string_view type) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& factory : factories_) {
    if (factory->type() == type) return factory.get();
  }
  return nullptr;
}

absl::Status LogicConfig::Failed() const {
  const int errors = error_count();
  return absl::InvalidArgumentError(absl::StrCat("the ", type(), " logic's configuration has ",
                                                 errors, errors == 1 ? " error" : " errors"));
}

std::vector<std::string> LogicRegistry::Types() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> types;
  for (const auto& factory : factories_) types.emplace_back(factory->type());
  return types;
}

}  // namespace convey
