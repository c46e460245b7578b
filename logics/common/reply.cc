#include "logics/common/reply.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/base/quote.h"
#include "runtime/template/template.h"

namespace convey {
namespace logics {

namespace {

bool ParseValueType(absl::string_view text, Value::Type* type) {
  static constexpr struct {
    absl::string_view name;
    Value::Type type;
  } kTypes[] = {{"string", Value::Type::kString},
                {"number", Value::Type::kNumber},
                {"boolean", Value::Type::kBoolean},
                {"object", Value::Type::kObject},
                {"array", Value::Type::kArray}};
  for (const auto& candidate : kTypes) {
    if (candidate.name == text) {
      *type = candidate.type;
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Reply> Reply::Read(LogicConfig& config, absl::string_view prefix,
                                  LogicBuilder& builder) {
  const int errors = config.error_count();
  Reply reply;
  std::string mode = "key_value";
  config.ReadString("mode", &mode);
  if (mode != "key_value" && mode != "keys") {
    config.Error("mode", absl::StrCat("api_rpc_reply mode ", internal::Quote(mode),
                                      " is not \"key_value\" or \"keys\""));
  }
  reply.keys_mode_ = mode == "keys";

  // The map: res_data (in mode keys possibly an array of keys), else extra,
  // as some exports name it.
  std::vector<TypedValueSpec> items;
  std::string field = "res_data";
  simdjson::dom::element res_data;
  const bool has_res_data = config.Has("res_data");
  if (reply.keys_mode_ && has_res_data &&
      config.object().at_key("res_data").get(res_data) == simdjson::SUCCESS &&
      res_data.is_array()) {
    std::vector<std::string> keys;
    config.ReadTextList("res_data", &keys);
    // res_data_type, when an object, still types the returned keys.
    simdjson::dom::object types;
    const bool typed =
        config.object().at_key("res_data_type").get_object().get(types) == simdjson::SUCCESS;
    for (std::string& key : keys) {
      TypedValueSpec& item = items.emplace_back();
      item.key = std::move(key);
      std::string_view type_name;
      if (!typed || types.at_key(item.key).get_string().get(type_name) != simdjson::SUCCESS) {
        continue;
      }
      const absl::string_view name(type_name.data(), type_name.size());
      if (!ParseValueType(name, &item.type)) {
        config.Error("res_data_type",
                     absl::StrCat("type ", internal::Quote(name),
                                  " is not string, number, boolean, object or array"));
      }
    }
  } else if (has_res_data) {
    config.ReadTypedValues("res_data", "res_data_type", &items);
  } else {
    field = "extra";
    config.ReadTypedValues("extra", "extra_type", &items);
  }
  config.ReadBool("throw_exception", &reply.throw_exception_);
  std::string reason;
  config.ReadText("exception_reason", &reason);
  config.ReadLink("err_node_id", /*required=*/false, &reply.err_node_);
  if (config.error_count() > errors) return config.Failed();

  const std::string qualified = absl::StrCat(prefix, field);
  if (reply.keys_mode_) {
    for (const TypedValueSpec& item : items) {
      absl::StatusOr<internal::Path> path = internal::ParsePath(item.key);
      if (!path.ok()) {
        config.Error(field,
                     absl::StrCat(qualified, " key \"", item.key, "\": ", path.status().message()));
        continue;
      }
      reply.keys_.push_back({item.key, *std::move(path), item.type});
    }
  } else {
    TypedValues::CompileObject(items, qualified, field, config, builder, &reply.values_);
  }
  absl::StatusOr<const Template*> compiled_reason =
      builder.CompileTemplate(reason, TemplateMode::kValue);
  if (compiled_reason.ok()) {
    reply.reason_ = *compiled_reason;
  } else {
    config.Error("exception_reason",
                 absl::StrCat(prefix, "exception_reason: ", compiled_reason.status().message()));
  }
  if (config.error_count() > errors) return config.Failed();
  return reply;
}

absl::Status Reply::Build(ValueSource& source, std::string* json) const {
  TypedEntries entries;
  if (!keys_mode_) {
    entries.reserve(values_.size());
    CONVEY_RETURN_IF_ERROR(values_.Evaluate(source, &entries));
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
