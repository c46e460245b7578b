#include "runtime/import/located_reader.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/json/minify.h"

namespace convey {
namespace internal {

using simdjson::dom::element;

bool IsTemplate(absl::string_view text) {
  return absl::StrContains(text, "{{") || absl::StartsWith(text, "$.");
}

bool Fields::Add(absl::string_view key, element value) {
  if (index.empty()) {
    const uint64_t bit = KeyBit(key);
    if ((bits & bit) != 0) {
      for (const auto& [name, unused] : entries) {
        if (SameKey(name, key)) return false;
      }
    }
    bits |= bit;
    entries.emplace_back(key, value);
    if (entries.size() > kLinear) {
      for (size_t i = 0; i < entries.size(); ++i) {
        index.emplace(entries[i].first, static_cast<uint32_t>(i));
      }
    }
    return true;
  }
  if (!index.emplace(key, static_cast<uint32_t>(entries.size())).second) {
    return false;
  }
  entries.emplace_back(key, value);
  return true;
}

std::optional<element> Fields::Find(absl::string_view key) const {
  if (!index.empty()) {
    auto it = index.find(key);
    if (it == index.end()) return std::nullopt;
    return entries[it->second].second;
  }
  if ((bits & KeyBit(key)) == 0) return std::nullopt;  // most absent keys
  for (const auto& [name, value] : entries) {
    if (SameKey(name, key)) return value;
  }
  return std::nullopt;
}

LocatedReader::LocatedReader(absl::string_view file_name, int max_depth, size_t max_diagnostics,
                             std::vector<Diagnostic>* out)
    : file_name_(file_name), max_depth_(max_depth), max_diagnostics_(max_diagnostics), out_(*out) {}

void LocatedReader::SetText(absl::string_view text) {
  text_ = text;
  text_root_size_ = path_.raw().size();
  text_repeats_ = RepeatIndex();
  line_starts_.clear();
}

bool HoldsError(const std::vector<Diagnostic>& diagnostics, size_t first) {
  return std::any_of(diagnostics.begin() + static_cast<std::ptrdiff_t>(first), diagnostics.end(),
                     [](const Diagnostic& d) { return d.is_error(); });
}

void LocatedReader::Report(Diagnostic::Severity severity, std::string location,
                           std::string message) {
  const bool error = severity == Diagnostic::Severity::kError;
  if (error) ++error_count_;
  // Past the cap an error is still kept when no error is: a file that fails
  // says why, however many warnings came before.
  if (out_.size() >= max_diagnostics_ && !(error && !HoldsError(out_, 0))) {
    ++dropped_;
    return;
  }
  Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.file = file_name_;
  diagnostic.location = std::move(location);
  diagnostic.node_id = node_id_;
  diagnostic.message = std::move(message);
  out_.push_back(std::move(diagnostic));
}

bool LocatedReader::AsObject(element value, Fields* fields, bool report_repeats) {
  simdjson::dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    Error(absl::StrCat("expected an object, found ", JsonTypeName(value.type())));
    return false;
  }
  fields->Clear();
  // Keys met again so far, with how often: rare, so a short list.
  absl::InlinedVector<std::pair<absl::string_view, int>, 2> repeated;
  for (simdjson::dom::key_value_pair field : object) {
    const absl::string_view key = View(field.key);
    if (fields->Add(key, field.value) || !report_repeats) continue;
    int occurrence = 1;
    auto it = std::find_if(repeated.begin(), repeated.end(),
                           [&](const auto& entry) { return entry.first == key; });
    if (it == repeated.end()) {
      repeated.emplace_back(key, 1);
    } else {
      occurrence = ++it->second;
    }
    ReportRepeatedKey(key, occurrence, *fields->Find(key), field.value);
  }
  return true;
}

void LocatedReader::BuildIndex(RepeatIndex& index, absl::string_view text) {
  if (index.built) return;
  index.built = true;
  std::vector<RepeatedKey> repeats;
  FindRepeatedKeys(text, &repeats);
  for (RepeatedKey& repeat : repeats) {
    index.by_path[repeat.path].push_back(std::move(repeat));
  }
}

void LocatedReader::ReportRepeatedKey(absl::string_view key, int occurrence, element first,
                                      element again) {
  PathScope scope(path_, key);
  const bool embedded = !embedded_text_.empty();
  RepeatIndex& index = embedded ? embedded_repeats_ : text_repeats_;
  BuildIndex(index, embedded ? embedded_text_ : text_);
  // Paths in the index start at their text's root.
  absl::string_view path = path_.raw();
  path.remove_prefix(std::min(embedded ? embedded_path_size_ : text_root_size_, path.size()));
  absl::ConsumePrefix(&path, ".");
  const RepeatedKey* found = nullptr;
  auto it = index.by_path.find(path);
  if (it != index.by_path.end() && static_cast<size_t>(occurrence) <= it->second.size()) {
    found = &it->second[occurrence - 1];
  }
  if (found == nullptr) {
    // Not expected (the scan and simdjson agree on keys); still decide.
    if (simdjson::minify(first) == simdjson::minify(again)) {
      Warning("repeated key, same value as before; the repeat is ignored");
    } else {
      Error(absl::StrCat("repeated key ", Quote(key),
                         " with a different value: the file is ambiguous"));
    }
    return;
  }
  ReportRepeat(*found);
}

void LocatedReader::ReportRepeat(const RepeatedKey& repeat) {
  if (repeat.same_value) {
    Warning(absl::StrCat("repeated key, same value as at ", Where(repeat.first_offset),
                         "; the repeat at ", Where(repeat.offset), " is ignored"));
  } else {
    Error(absl::StrCat("repeated key ", Quote(repeat.key),
                       " with a different value: the values at ", Where(repeat.first_offset),
                       " and at ", Where(repeat.offset), " disagree, so the file is ambiguous"));
  }
}

void LocatedReader::ReportRepeatsUnder(absl::string_view path_prefix) {
  BuildIndex(text_repeats_, text_);
  std::vector<const RepeatedKey*> nested;
  for (const auto& [path, repeats] : text_repeats_.by_path) {
    if (!absl::StartsWith(path, path_prefix) || path.size() == path_prefix.size()) continue;
    absl::string_view rest = absl::string_view(path).substr(path_prefix.size());
    if (rest[0] != '.' && rest[0] != '[') continue;
    // A member of the object itself was reported by AsObject: only paths
    // with a second step are nested.
    rest.remove_prefix(1);
    if (rest.find_first_of(".[") == absl::string_view::npos) continue;
    for (const RepeatedKey& repeat : repeats) nested.push_back(&repeat);
  }
  std::sort(nested.begin(), nested.end(),
            [](const RepeatedKey* a, const RepeatedKey* b) { return a->offset < b->offset; });
  const std::string saved = path_.raw();
  const std::string root = saved.substr(0, text_root_size_);
  for (const RepeatedKey* repeat : nested) {
    path_.Reset(root.empty() || repeat->path[0] == '[' ? root + repeat->path
                                                       : absl::StrCat(root, ".", repeat->path));
    ReportRepeat(*repeat);
  }
  path_.Reset(saved);
}

std::string LocatedReader::Where(size_t offset) {
  if (!embedded_text_.empty()) {
    return absl::StrCat("byte ", offset, " of the JSON text in the string");
  }
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    for (const char* p = begin;
         (p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr;) {
      line_starts_.push_back(static_cast<size_t>(++p - begin));
    }
  }
  // The same words as DescribeOffset.
  const size_t line =
      std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - line_starts_.begin();
  return absl::StrCat("byte ", offset, " (line ", line, ", column ",
                      offset - line_starts_[line - 1] + 1, ")");
}

std::string LocatedReader::ValueText(element value, absl::string_view map_key,
                                     absl::string_view key) {
  std::string text = ScalarText(value);
  if ((!value.is_object() && !value.is_array()) || !HasRepeatedKeys(value)) {
    return text;
  }
  PathScope scope(path_, map_key);
  PathScope key_scope(path_, key);
  std::vector<RepeatedKey> repeats;
  std::string collapsed;
  if (!FindRepeatedKeys(text, &repeats, &collapsed)) return text;
  for (const RepeatedKey& repeat : repeats) {
    if (repeat.same_value) {
      Warning(absl::StrCat("the value repeats the key ", Quote(repeat.key),
                           " with the same value (at ", repeat.path, "); it is kept once"));
    } else {
      Error(absl::StrCat("the value repeats the key ", Quote(repeat.key),
                         " with different values (at ", repeat.path, "): it is ambiguous"));
    }
  }
  return collapsed;
}

bool LocatedReader::ReadObject(const Fields& fields, absl::string_view key, Fields* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  PathScope scope(path_, key);
  return AsObject(*value, out);
}

bool LocatedReader::ReadArray(const Fields& fields, absl::string_view key,
                              simdjson::dom::array* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  if (value->get_array().get(*out) == simdjson::SUCCESS) return true;
  PathScope scope(path_, key);
  Error(absl::StrCat(key, " must be an array, not ", JsonTypeName(value->type())));
  return false;
}

bool LocatedReader::ReadString(const Fields& fields, absl::string_view key, std::string* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  std::string_view text;
  if (value->get_string().get(text) == simdjson::SUCCESS) {
    out->assign(text.data(), text.size());
    return true;
  }
  PathScope scope(path_, key);
  Error(absl::StrCat(key, " must be a string, not ", JsonTypeName(value->type())));
  return false;
}

std::string LocatedReader::ScalarText(element value) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    return std::string(text);
  }
  if (value.is_null()) return "";
  return Minify(value);
}

bool LocatedReader::ReadLinkTarget(const Fields& fields, absl::string_view owner,
                                   absl::string_view key, bool required, std::string* out) {
  if (!fields.FindSet(key)) {
    if (required) Error(absl::StrCat(owner, " has no ", key));
    return false;
  }
  if (!ReadString(fields, key, out)) return false;
  if (!out->empty()) return true;
  // An empty err_node_id is how exports say "no error exit".
  if (required) {
    PathScope scope(path_, key);
    Warning(absl::StrCat(owner, ".", key, " is empty: a task reaching it stops there"));
  }
  return false;
}

bool LocatedReader::ReadText(const Fields& fields, absl::string_view key, std::string* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  *out = ScalarText(*value);
  return true;
}

bool LocatedReader::ReadInt64(const Fields& fields, absl::string_view key, int64_t* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  PathScope scope(path_, key);
  int64_t number;
  std::string_view text;
  double real;
  if (value->get_int64().get(number) == simdjson::SUCCESS) {
    *out = number;
    return true;
  }
  if (value->get_string().get(text) == simdjson::SUCCESS) {
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(View(text)), &number)) {
      *out = number;
      return true;
    }
    Error(absl::StrCat(key, " must be an integer, not the string ", Quote(View(text))));
    return false;
  }
  // A whole number written as 1e3 counts; 0 written as a real (-0, 0.0,
  // 1e-400, which underflows) does not: 0 would make an id synthetic.
  if (value->get_double().get(real) == simdjson::SUCCESS && real == std::floor(real) &&
      std::fabs(real) < 9.0e18 && real != 0) {
    *out = static_cast<int64_t>(real);
    return true;
  }
  if (value->is_number()) {
    Error(absl::StrCat(key, " must be an integer, not ", simdjson::minify(*value)));
    return false;
  }
  Error(absl::StrCat(key, " must be an integer, not ", JsonTypeName(value->type())));
  return false;
}

bool LocatedReader::ReadBool(const Fields& fields, absl::string_view key, bool* out) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  if (value->get_bool().get(*out) == simdjson::SUCCESS) return true;
  std::string_view text;
  if (value->get_string().get(text) == simdjson::SUCCESS && (text == "true" || text == "false")) {
    *out = text == "true";
    return true;
  }
  int64_t number;
  if (value->get_int64().get(number) == simdjson::SUCCESS && (number == 0 || number == 1)) {
    *out = number == 1;
    return true;
  }
  PathScope scope(path_, key);
  Error(absl::StrCat(key, " must be a boolean, not ", JsonTypeName(value->type())));
  return false;
}

bool LocatedReader::ReadEmbeddedObject(const Fields& fields, absl::string_view key, Fields* out,
                                       element* raw, int slot) {
  auto value = fields.FindSet(key);
  if (!value) return false;
  std::string_view text;
  if (value->get_string().get(text) != simdjson::SUCCESS) {
    if (raw != nullptr) *raw = *value;
    return ReadObject(fields, key, out);
  }
  PathScope scope(path_, key);
  if (absl::StripAsciiWhitespace(View(text)).empty()) return false;
  simdjson::dom::parser& parser = embedded_parsers_[slot];
  if (parser.max_depth() != static_cast<size_t>(max_depth_)) {
    constexpr size_t kEmbeddedCapacity = 4096;  // grows on demand
    if (auto error = parser.allocate(kEmbeddedCapacity, max_depth_); error != simdjson::SUCCESS) {
      Error(absl::StrCat("cannot allocate a parser: ", simdjson::error_message(error)));
      return false;
    }
  }
  element embedded;
  auto error = parser.parse(text.data(), text.size(), true).get(embedded);
  if (error != simdjson::SUCCESS) {
    Error(absl::StrCat(key,
                       " holds a string that is not valid JSON: ", simdjson::error_message(error)));
    return false;
  }
  if (raw != nullptr) *raw = embedded;
  // Only the embedded object's own keys are read as fields: the text and
  // its repeats matter for this one call.
  embedded_text_ = View(text);
  embedded_path_size_ = path_.raw().size();
  embedded_repeats_ = RepeatIndex();
  const bool is_object = AsObject(embedded, out);
  embedded_text_ = {};
  return is_object;
}

bool LocatedReader::ParseValueType(absl::string_view text, Value::Type* type) {
  if (text == "string") {
    *type = Value::Type::kString;
  } else if (text == "number") {
    *type = Value::Type::kNumber;
  } else if (text == "boolean") {
    *type = Value::Type::kBoolean;
  } else if (text == "object") {
    *type = Value::Type::kObject;
  } else if (text == "array") {
    *type = Value::Type::kArray;
  } else {
    Error(absl::StrCat("type ", Quote(text), " is not string, number, boolean, object or array"));
    return false;
  }
  return true;
}

bool LocatedReader::ReadTypedValues(const Fields& fields, absl::string_view values_key,
                                    absl::string_view types_key, std::vector<TypedValueSpec>* out) {
  Fields values;
  if (!ReadEmbeddedObject(fields, values_key, &values)) return false;
  if (types_key.empty()) {
    for (const auto& [key, value] : values.entries) {
      out->push_back({std::string(key), ValueText(value, values_key, key), Value::Type::kString});
    }
    return true;
  }
  Fields types;
  const bool has_types = ReadEmbeddedObject(fields, types_key, &types, nullptr, /*slot=*/1);
  for (const auto& [key, value] : values.entries) {
    TypedValueSpec& typed = out->emplace_back();
    typed.key = std::string(key);
    typed.value = ValueText(value, values_key, key);
    auto type_json = has_types ? types.FindSet(key) : std::nullopt;
    if (!type_json) {
      PathScope scope(path_, values_key);
      PathScope key_scope(path_, key);
      Warning(
          absl::StrCat(types_key, " has no entry for ", Quote(key), "; it is written as a string"));
      continue;
    }
    PathScope scope(path_, types_key);
    PathScope key_scope(path_, key);
    std::string_view type_name;
    if (type_json->get_string().get(type_name) != simdjson::SUCCESS) {
      Error(absl::StrCat("the type must be a string, not ", JsonTypeName(type_json->type())));
      continue;
    }
    ParseValueType(View(type_name), &typed.type);
  }
  for (const auto& [key, unused] : types.entries) {
    if (!values.Find(key)) {
      PathScope scope(path_, types_key);
      PathScope key_scope(path_, key);
      Warning(absl::StrCat(Quote(key), " has a type but no value in ", values_key, "; ignored"));
    }
  }
  return true;
}

}  // namespace internal
}  // namespace convey
