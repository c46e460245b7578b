#include "logics/reply/reply.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "logics/schema_types.h"
#include "runtime/template/template.h"

namespace convey {
namespace logics {

absl::StatusOr<Reply> Reply::Compile(const schema::ApiRpcReply& config, absl::string_view prefix,
                                     LogicBuilder& builder) {
  Reply reply;
  const std::string field = absl::StrCat(prefix, "res_data");
  if (config.mode() == "keys") {
    reply.keys_mode_ = true;
  } else if (!config.mode().empty() && config.mode() != "key_value") {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "mode \"", config.mode(), "\": must be \"key_value\" or \"keys\""));
  }
  if (reply.keys_mode_) {
    for (const schema::TypedValue& item : config.res_data()) {
      absl::StatusOr<internal::Path> path = internal::ParsePath(item.key());
      if (!path.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, " key \"", item.key(), "\": ", path.status().message()));
      }
      reply.keys_.push_back({item.key(), *std::move(path), ValueTypeOf(item.type())});
    }
  } else {
    absl::StatusOr<TypedValues> values = TypedValues::Compile(config.res_data(), field, builder);
    if (!values.ok()) return values.status();
    absl::Status keys = values->CheckConstantKeys();
    if (!keys.ok()) return keys;
    reply.values_ = *std::move(values);
  }
  reply.throw_exception_ = config.throw_exception();
  absl::StatusOr<const Template*> reason =
      builder.CompileTemplate(config.exception_reason(), TemplateMode::kValue);
  if (!reason.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "exception_reason: ", reason.status().message()));
  }
  reply.reason_ = *reason;
  return reply;
}

absl::Status Reply::Build(ValueSource& source, std::string* json) const {
  std::vector<TypedEntry> entries;
  if (!keys_mode_) {
    entries.reserve(values_.size());
    absl::Status evaluated = values_.Evaluate(source, &entries);
    if (!evaluated.ok()) return evaluated;
    return BuildObject(entries, json);
  }
  entries.reserve(keys_.size());
  const simdjson::dom::element data = source.data();
  for (const Key& key : keys_) {
    simdjson::dom::element element;
    if (!internal::FindPath(data, key.path, &element)) continue;
    Value value = internal::ValueFromElement(element);
    if (key.type != Value::Type::kString) {
      absl::StatusOr<Value> converted = internal::ConvertTo(value, key.type);
      if (!converted.ok()) {
        return absl::InvalidArgumentError(ConvertFailure(key.text, value, key.type));
      }
      value = *std::move(converted);
    }
    entries.push_back({key.text, std::move(value), &key.path});
  }
  return BuildObject(entries, json);
}

std::string Reply::Reason(ValueSource& source) const {
  if (reason_->is_constant()) return reason_->constant().ToText();
  return source.Evaluate(*reason_).ToText();
}

}  // namespace logics
}  // namespace convey
