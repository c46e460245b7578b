#include "tools/project_variables.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/json/json_errors.h"
#include "runtime/json/json_types.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"

namespace convey {
namespace tools {
namespace {

absl::string_view WithoutAt(absl::string_view name) {
  absl::ConsumePrefix(&name, "@");
  return name;
}

}  // namespace

std::optional<std::string> ReadVariablesFile(const std::string& path, Variables* variables) {
  const std::string what = absl::StrCat("--env-file ", path);
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::StrCat("cannot open ", what, ": ", std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::StrCat("cannot read ", what, ": ", std::strerror(errno));
  const std::string text = contents.str();
  absl::string_view json = text;
  absl::ConsumePrefix(&json, "\xEF\xBB\xBF");

  simdjson::padded_string padded(json.data(), json.size());
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    const internal::JsonErrorReport report =
        internal::DescribeJsonError(padded, error, static_cast<int>(simdjson::DEFAULT_MAX_DEPTH));
    return absl::StrCat(
        what, " is not valid JSON",
        report.offset ? absl::StrCat(" at ", internal::DescribeOffset(json, *report.offset)) : "",
        ": ", report.reason);
  }
  if (!root.is_object()) {
    return absl::StrCat(what, " must hold a JSON object of variable names to values, not ",
                        internal::JsonTypeName(root.type()));
  }
  // The same rule as for any JSON convey reads: a name given twice with one
  // value counts once, with two values it is ambiguous.
  std::string collapsed;
  if (internal::HasRepeatedKeys(root)) {
    const absl::Status status = internal::CollapseRepeatedKeys(json, what, &collapsed);
    if (!status.ok()) return std::string(status.message());
    if (parser.parse(collapsed).get(root) != simdjson::SUCCESS) {
      return absl::StrCat(what, " cannot be read once its repeated keys collapsed");
    }
  }
  Variables from_file;
  // A named object: iterating the temporary simdjson_result dangles (GCC -O2).
  const simdjson::dom::object object = root.get_object().value_unsafe();
  for (simdjson::dom::key_value_pair field : object) {
    const absl::string_view key(field.key.data(), field.key.size());
    const std::string name(WithoutAt(key));
    if (name.empty()) return absl::StrCat(what, ": a variable name is empty");
    if (field.value.is_null()) continue;  // unset
    std::string_view string_value;
    std::string value = field.value.get_string().get(string_value) == simdjson::SUCCESS
                            ? std::string(string_value)
                            : simdjson::minify(field.value);
    if (!from_file.emplace(name, std::move(value)).second) {
      return absl::StrCat(what, ": variable \"", name, "\" is given twice (as \"", name,
                          "\" and \"@", name, "\")");
    }
  }
  for (auto& [name, value] : from_file) (*variables)[name] = std::move(value);
  return std::nullopt;
}

std::optional<std::string> ApplyVariableFlags(const std::vector<std::string>& flags,
                                              Variables* variables) {
  std::set<std::string> seen;
  for (const std::string& flag : flags) {
    const size_t eq = flag.find('=');
    const std::string name(WithoutAt(absl::string_view(flag).substr(0, eq)));
    if (eq == std::string::npos || name.empty()) {
      return absl::StrCat("--env wants NAME=VALUE, not \"", flag, "\"");
    }
    if (!seen.insert(name).second) return absl::StrCat("--env ", name, " is given twice");
    (*variables)[name] = flag.substr(eq + 1);
  }
  return std::nullopt;
}

}  // namespace tools
}  // namespace convey
