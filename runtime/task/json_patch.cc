#include "runtime/task/json_patch.h"

#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/json/json_types.h"
#include "runtime/json/repeated_keys.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

using Json = nlohmann::ordered_json;  // keeps the order of object members

// nlohmann's messages start with "[json.exception.<kind>.<id>] ".
absl::string_view WithoutPrefix(absl::string_view what) {
  if (!what.empty() && what.front() == '[') {
    const size_t end = what.find("] ");
    if (end != absl::string_view::npos) what.remove_prefix(end + 2);
  }
  return what;
}

// Checks the shape of one operation (RFC 6902 section 4), so that errors
// name the operation and the member at fault; `*name` gets "op path".
absl::Status CheckOperation(simdjson::dom::element op, size_t index, std::string* name) {
  const std::string where = absl::StrCat("JSON Patch operation ", index);
  simdjson::dom::object object;
  if (op.get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " must be an object, got ", JsonTypeName(op.type())));
  }
  std::string_view kind;
  if (object["op"].get(kind) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has no string \"op\""));
  }
  const bool needs_from = kind == "move" || kind == "copy";
  const bool needs_value = kind == "add" || kind == "replace" || kind == "test";
  if (!needs_from && !needs_value && kind != "remove") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": unknown op \"", std::string(kind),
                     "\"; expected add, remove, replace, move, copy or test"));
  }
  std::string_view path;
  if (object["path"].get(path) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " (", std::string(kind), ") has no string \"path\""));
  }
  *name = absl::StrCat(std::string(kind), " \"", std::string(path), "\"");
  std::string_view from;
  if (needs_from && object["from"].get(from) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(where, " (", *name, ") has no string \"from\""));
  }
  if (needs_value && object["value"].error() != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(where, " (", *name, ") has no \"value\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyJsonPatch(absl::string_view data_json, absl::string_view patch_json,
                            size_t max_depth, std::string* patched) {
  // simdjson checks the patch first: bounded depth (nlohmann's writer
  // recurses), valid UTF-8, and no member given twice with different values
  // (nlohmann would silently keep the last).
  thread_local simdjson::dom::parser checker;
  simdjson::dom::element patch_doc;
  if (simdjson::error_code error =
          checker.parse(patch_json.data(), patch_json.size()).get(patch_doc);
      error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("the JSON Patch is not valid JSON: ", simdjson::error_message(error)));
  }
  std::string collapsed;
  if (HasRepeatedKeys(patch_doc)) {
    if (absl::Status status = CollapseRepeatedKeys(patch_json, "the JSON Patch", &collapsed);
        !status.ok()) {
      return status;
    }
    patch_json = collapsed;
  }
  simdjson::dom::array operations;
  if (patch_doc.get(operations) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a JSON Patch must be an array of operations, got ", JsonTypeName(patch_doc.type())));
  }
  std::vector<std::string> names;
  size_t index = 0;
  for (simdjson::dom::element op : operations) {
    names.emplace_back();
    if (absl::Status status = CheckOperation(op, index++, &names.back()); !status.ok()) {
      return status;
    }
  }

  Json data;
  Json patch;
  try {
    data = Json::parse(data_json.begin(), data_json.end());
    patch = Json::parse(patch_json.begin(), patch_json.end());
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the task data or the patch: ", WithoutPrefix(e.what())));
  }
  // One operation at a time, on a copy: the failing one is named, and a
  // failure leaves the task's data as it was.
  for (size_t i = 0; i < patch.size(); ++i) {
    try {
      data.patch_inplace(Json::array({std::move(patch[i])}));
    } catch (const nlohmann::detail::other_error& e) {
      // 501: a `test` whose value differs.
      return absl::InvalidArgumentError(
          absl::StrCat("JSON Patch operation ", i, " (", names[i], ") failed: the value differs"));
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("JSON Patch operation ", i, " (", names[i],
                                                     ") failed: ", WithoutPrefix(e.what())));
    }
  }
  if (!data.is_object()) {
    const absl::string_view type = data.type_name();
    return absl::InvalidArgumentError(
        absl::StrCat("the patched task data must be a JSON object, got ",
                     type.front() == 'a' || type.front() == 'o' ? "an " : "a ", type));
  }
  std::string text;
  try {
    text = data.dump();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write the patched data: ", WithoutPrefix(e.what())));
  }
  // What a task holds must parse again (values moved under deep paths).
  thread_local simdjson::dom::parser depth_checker;
  if (depth_checker.max_depth() != max_depth &&
      depth_checker.allocate(text.size(), max_depth) != simdjson::SUCCESS) {
    return absl::ResourceExhaustedError("cannot allocate a parser for the patched data");
  }
  simdjson::dom::element reparsed;
  if (simdjson::error_code error = depth_checker.parse(text).get(reparsed);
      error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat("the patched task data does not parse again (",
                                                   simdjson::error_message(error), "): at most ",
                                                   max_depth, " levels of nesting are allowed"));
  }
  patched->swap(text);
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace convey
