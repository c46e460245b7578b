#include "runtime/engine/variables.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/template/template.h"

namespace convey {
namespace internal {
namespace {

// A value is JSON when it is an object or an array: the platform's JSON
// variables are. Any other text, even `42` or `"x"`, is a RAW string: a
// host that means the number writes it in a template that converts it.
bool LooksLikeJson(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  return !text.empty() && (text[0] == '{' || text[0] == '[');
}

// Parses `text` into a document of its own when it is a JSON object or
// array (repeated keys collapsed as in task data). Null when it is not;
// InvalidArgument when it repeats a key with different values.
absl::StatusOr<std::unique_ptr<simdjson::dom::document>> ParseJsonValue(
    absl::string_view name, absl::string_view text, simdjson::dom::parser& parser) {
  if (!LooksLikeJson(text)) return nullptr;
  auto document = std::make_unique<simdjson::dom::document>();
  simdjson::dom::element root;
  if (parser.parse_into_document(*document, text.data(), text.size()).get(root) !=
      simdjson::SUCCESS) {
    return nullptr;  // `{` that is not JSON: a string
  }
  if (!HasRepeatedKeys(root)) return document;
  std::string collapsed;
  absl::Status status =
      CollapseRepeatedKeys(text, absl::StrCat("project variable \"", name, "\""), &collapsed);
  if (!status.ok()) return status;
  if (parser.parse_into_document(*document, collapsed.data(), collapsed.size()).get(root) !=
      simdjson::SUCCESS) {
    return nullptr;
  }
  return document;
}

}  // namespace

absl::string_view VariableName(absl::string_view written) {
  if (!written.empty() && written[0] == '@') written.remove_prefix(1);
  return written;
}

absl::StatusOr<std::unique_ptr<ProjectVariables>> ProjectVariables::Create(
    const std::map<std::string, std::string>& values, VariableLookup lookup) {
  auto variables = std::unique_ptr<ProjectVariables>(new ProjectVariables());
  variables->lookup_ = std::move(lookup);
  simdjson::dom::parser parser;
  for (const auto& [written, text] : values) {
    const absl::string_view name = VariableName(written);
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("project variable \"", written, "\": the name is empty"));
    }
    Variable variable;
    variable.text = text;
    absl::StatusOr<std::unique_ptr<simdjson::dom::document>> json =
        ParseJsonValue(name, text, parser);
    if (!json.ok()) return json.status();
    variable.json = *std::move(json);
    if (!variables->values_.emplace(std::string(name), std::move(variable)).second) {
      return absl::InvalidArgumentError(absl::StrCat("project variable \"", name,
                                                     "\" is given twice (as \"", name, "\" and \"@",
                                                     name, "\")"));
    }
  }
  return variables;
}

Value ProjectVariables::ReadFrom(const Variable& variable, const Path& path) {
  if (variable.json == nullptr) {
    return path.empty() ? Value::String(variable.text) : Value::Missing();
  }
  simdjson::dom::element found;
  if (!FindPath(variable.json->root(), path, &found)) return Value::Missing();
  return ValueFromElement(found);
}

Value ProjectVariables::Read(absl::string_view written, const Path& path,
                             simdjson::dom::parser& scratch) const {
  const absl::string_view name = VariableName(written);
  if (name.empty()) return Value::Missing();
  auto it = values_.find(name);
  if (it != values_.end()) return ReadFrom(it->second, path);
  if (!lookup_) return Value::Missing();
  std::optional<std::string> text = lookup_(name);
  if (!text) return Value::Missing();
  Variable variable;
  variable.text = *std::move(text);
  absl::StatusOr<std::unique_ptr<simdjson::dom::document>> json =
      ParseJsonValue(name, variable.text, scratch);
  if (!json.ok()) return Value::Missing();  // ambiguous JSON reads as unset
  variable.json = *std::move(json);
  return ReadFrom(variable, path);
}

bool ProjectVariables::IsSet(absl::string_view written) const {
  const absl::string_view name = VariableName(written);
  if (name.empty()) return false;
  if (values_.contains(name)) return true;
  return lookup_ && lookup_(name).has_value();
}

std::vector<Diagnostic> UnsetVariableWarnings(absl::string_view file_name,
                                              const CompiledProcess& process,
                                              const ProjectVariables& variables) {
  std::vector<Diagnostic> warnings;
  absl::flat_hash_set<absl::string_view> seen;
  for (const auto& [node_id, written] : process.variables) {
    const absl::string_view name = VariableName(written);
    if (!seen.insert(name).second || variables.IsSet(name)) continue;
    Diagnostic warning;
    warning.severity = Diagnostic::Severity::kWarning;
    warning.file = std::string(file_name);
    warning.location = absl::StrCat("process ", process.conv_id);
    warning.node_id = node_id;
    warning.message =
        absl::StrCat("reads project variable \"", written,
                     "\", which is not set: it reads as a missing "
                     "value (set it with EngineOptions::variables, or convey run --env ",
                     name, "=VALUE)");
    warnings.push_back(std::move(warning));
  }
  return warnings;
}

}  // namespace internal
}  // namespace convey
