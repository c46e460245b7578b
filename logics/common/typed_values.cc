#include "logics/common/typed_values.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/quote.h"
#include "runtime/task/write_set.h"

namespace convey {
namespace logics {
namespace {

// `{}` parsed once; a parsed document is only read, so threads may share it.
simdjson::dom::element EmptyObject() {
  static simdjson::dom::parser* parser = new simdjson::dom::parser();
  static const simdjson::dom::element empty = [] {
    simdjson::dom::element element;
    if (parser->parse("{}", 2).get(element) != simdjson::SUCCESS) std::abort();
    return element;
  }();
  return empty;
}

}  // namespace

absl::StatusOr<TypedValues> TypedValues::Compile(const std::vector<TypedValueSpec>& items,
                                                 absl::string_view field, LogicBuilder& builder) {
  TypedValues compiled;
  compiled.field_ = std::string(field);
  compiled.items_.reserve(items.size());
  for (const TypedValueSpec& item : items) {
    if (item.key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": a parameter has an empty name"));
    }
    absl::StatusOr<const Template*> key = builder.CompileTemplate(item.key, TemplateMode::kValue);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " key \"", item.key, "\": ", key.status().message()));
    }
    absl::StatusOr<const Template*> value =
        builder.CompileTemplate(item.value, TemplateMode::kValue);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", item.key, ": ", value.status().message()));
    }
    Item compiled_item;
    compiled_item.key = *key;
    compiled_item.value = *value;
    compiled_item.type = item.type;
    if ((*key)->is_constant()) {
      absl::StatusOr<internal::Path> path = internal::ParsePath((*key)->constant().ToText());
      if (path.ok()) {
        compiled_item.key_path = *std::move(path);
        compiled_item.key_parsed = true;
      } else {
        compiled_item.key_status = path.status();
      }
    }
    compiled.items_.push_back(std::move(compiled_item));
  }
  return compiled;
}

bool TypedValues::CompileObject(const std::vector<TypedValueSpec>& items, absl::string_view field,
                                absl::string_view key, LogicConfig& config, LogicBuilder& builder,
                                TypedValues* out) {
  absl::StatusOr<TypedValues> values = Compile(items, field, builder);
  if (!values.ok()) {
    config.Error(key, std::string(values.status().message()));
    return false;
  }
  if (absl::Status keys = values->CheckConstantKeys(); !keys.ok()) {
    config.Error(key, std::string(keys.message()));
    return false;
  }
  *out = *std::move(values);
  return true;
}

absl::Status TypedValues::CheckConstantKeys() const {
  for (const Item& item : items_) {
    if (!item.key_status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field_, " key \"", item.key->source(), "\": ", item.key_status.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status TypedValues::Evaluate(ValueSource& source, TypedEntries* out) const {
  for (const Item& item : items_) {
    TypedEntry entry;
    entry.key = item.key->is_constant() ? item.key->constant().ToText()
                                        : source.Evaluate(*item.key).ToText();
    if (item.key_parsed) entry.path = &item.key_path;
    Value raw = item.value->is_constant() ? item.value->constant() : source.Evaluate(*item.value);
    absl::StatusOr<Value> converted = internal::ConvertTo(raw, item.type);
    if (!converted.ok()) {
      return absl::InvalidArgumentError(ConvertFailure(entry.key, raw, item.type));
    }
    entry.value = *std::move(converted);
    out->push_back(std::move(entry));
  }
  return absl::OkStatus();
}

std::string WrongKeyMessage(absl::string_view key, const absl::Status& why) {
  constexpr size_t kMaxShown = 120;
  const bool cut = key.size() > kMaxShown;
  return absl::StrCat("Param: ", internal::EscapeControl(internal::CutAtCharacter(key, kMaxShown)),
                      cut ? "...: " : ": ", why.message());
}

std::string ConvertFailure(absl::string_view key, const Value& value, Value::Type type) {
  return absl::StrCat("Param: ", key, ", Value: ", value.ToText(),
                      ", Try convert to: ", Value::TypeName(type));
}

absl::Status BuildObject(simdjson::dom::element base, absl::string_view base_text,
                         const TypedEntries& entries, std::string* out) {
  internal::WriteSet writes;
  writes.reserve(entries.size());
  for (const TypedEntry& entry : entries) {
    internal::Write write;
    if (entry.path != nullptr) {
      write.path = *entry.path;
    } else {
      absl::StatusOr<internal::Path> path = internal::ParsePath(entry.key);
      if (!path.ok()) {
        return absl::InvalidArgumentError(WrongKeyMessage(entry.key, path.status()));
      }
      write.path = *std::move(path);
    }
    write.value = entry.value;
    writes.push_back(std::move(write));
  }
  std::string built;
  const bool fits = base_text.empty()
                        ? internal::ApplyWritesWithin(base, writes, kMaxBuiltObjectBytes, &built)
                        : internal::ApplyWritesToTextWithin(base_text, base, internal::TextIndex{},
                                                            writes, kMaxBuiltObjectBytes, &built);
  if (!fits) {
    return absl::OutOfRangeError(
        absl::StrCat("the data would pass ", kMaxBuiltObjectBytes, " bytes"));
  }
  *out = std::move(built);
  return absl::OkStatus();
}

absl::Status BuildObject(const TypedEntries& entries, std::string* out) {
  if (entries.empty()) {
    *out = "{}";
    return absl::OkStatus();
  }
  return BuildObject(EmptyObject(), "{}", entries, out);
}

std::string EscapeKey(absl::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '.' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace logics
}  // namespace convey
