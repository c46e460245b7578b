#include "logics/common/target_process.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace convey {
namespace logics {
namespace {

absl::Status AliasError(absl::string_view alias) {
  return absl::NotFoundError(absl::StrCat("process alias \"", alias,
                                          "\" is not known: convey has no process aliases, "
                                          "give the process id"));
}

}  // namespace

bool ParseProcessId(absl::string_view text, int64_t* id) {
  if (text.empty() || text.find_first_not_of("0123456789") != absl::string_view::npos) {
    return false;
  }
  return absl::SimpleAtoi(text, id) && *id > 0;
}

absl::StatusOr<TargetProcess> TargetProcess::Compile(absl::string_view text, LogicBuilder& builder,
                                                     bool reference) {
  TargetProcess target;
  absl::StatusOr<const Template*> compiled = builder.CompileTemplate(text, TemplateMode::kValue);
  if (!compiled.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("conv_id \"", text, "\": ", compiled.status().message()));
  }
  if (!(*compiled)->is_constant()) {
    target.conv_template_ = *compiled;
    return target;
  }
  const std::string constant = (*compiled)->constant().ToText();
  if (!constant.empty() && constant[0] == '@') {
    target.alias_ = constant;
    return target;
  }
  if (!ParseProcessId(constant, &target.conv_id_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("conv_id \"", text,
                     "\": not a process id (a positive integer), an @alias or a {{template}}"));
  }
  if (reference) builder.ReferenceProcess(target.conv_id_);
  return target;
}

absl::StatusOr<int64_t> TargetProcess::Resolve(ValueSource& source) const {
  if (!alias_.empty()) return AliasError(alias_);
  if (conv_template_ == nullptr) return conv_id_;
  const Value value = source.Evaluate(*conv_template_);
  int64_t id = 0;
  if (value.type() == Value::Type::kNumber) {
    // An integer as written, or a double with an integral value (`12.0`).
    if (ParseProcessId(value.text(), &id)) return id;
    const double d = value.number();
    if (std::isfinite(d) && d >= 1 && d < 9007199254740992.0 && std::floor(d) == d) {
      return static_cast<int64_t>(d);
    }
  } else if (value.type() == Value::Type::kString) {
    if (!value.text().empty() && value.text()[0] == '@') return AliasError(value.text());
    if (ParseProcessId(value.text(), &id)) return id;
  }
  return absl::InvalidArgumentError(ConvertFailure("conv_id", value, Value::Type::kNumber));
}

}  // namespace logics
}  // namespace convey
