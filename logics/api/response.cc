#include "logics/api/response.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "logics/api/xml.h"
#include "logics/common/typed_values.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

ApiFailure Software(absl::string_view tag, std::string description) {
  return ApiFailure{false, std::string(tag), std::move(description)};
}

bool OnlySpace(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The start of a body for a message: at most 64 bytes, valid UTF-8.
std::string Excerpt(absl::string_view body) {
  constexpr size_t kShown = 64;
  std::string shown = ValidUtf8(body.substr(0, kShown));
  if (body.size() > kShown) shown.append("...");
  return shown;
}

absl::string_view KindName(simdjson::dom::element_type type) {
  switch (type) {
    case simdjson::dom::element_type::STRING:
      return "string";
    case simdjson::dom::element_type::BOOL:
      return "boolean";
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    case simdjson::dom::element_type::OBJECT:
      return "object";
    case simdjson::dom::element_type::ARRAY:
      return "array";
    default:
      return "number";
  }
}

// Parses an answer's JSON `text` into `*root`. An answer holds one value per
// key, as task data does (semantics A1): keys repeated with one value count
// once (the text is collapsed into `*collapsed` and parsed from there); with
// different values the answer is ambiguous: `*ambiguous` says where.
simdjson::error_code ParseAnswer(simdjson::dom::parser& parser, absl::string_view text,
                                 std::string* collapsed, simdjson::dom::element* root,
                                 std::optional<std::string>* ambiguous) {
  const simdjson::error_code error = parser.parse(text.data(), text.size()).get(*root);
  if (error != simdjson::SUCCESS || !HasRepeatedKeys(*root)) return error;
  const absl::Status status = CollapseRepeatedKeys(text, "the answer", collapsed);
  if (!status.ok()) {
    *ambiguous = std::string(status.message());
    return simdjson::SUCCESS;
  }
  return parser.parse(*collapsed).get(*root);
}

std::optional<ApiFailure> MergeObject(simdjson::dom::object object, ApiWrites* out) {
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key.empty()) {
      return Software("api_bad_answer",
                      "the answer has the key \"\", which cannot be a task parameter");
    }
    out->emplace_back(logics::EscapeKey(absl::string_view(field.key.data(), field.key.size())),
                      ValueFromElement(field.value));
  }
  return std::nullopt;
}

// The `proc` (or `request_proc`) text of `object`, "" when absent or not a
// string.
std::string ProcOf(simdjson::dom::object object, const char* key) {
  std::string_view proc;
  if (object[key].get_string().get(proc) != simdjson::SUCCESS) return "";
  return ValidUtf8(absl::string_view(proc.data(), proc.size()));
}

}  // namespace

bool IsSuccessStatus(int status) { return status == 200 || status == 201 || status == 202; }

ApiFailure TransportFailure(const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kAborted:
      return ApiFailure{true, "api_expire_query", message};
    case absl::StatusCode::kUnavailable:
      return Software("api_bad_answer", absl::StrCat("failed_connect: ", message));
    case absl::StatusCode::kDeadlineExceeded:
      return Software("api_bad_answer", "timeout");
    case absl::StatusCode::kPermissionDenied:
      return Software("api_bad_answer", absl::StrCat("refused_address: ", message));
    case absl::StatusCode::kInvalidArgument:
      return Software("api_bad_answer", message);
    case absl::StatusCode::kResourceExhausted:
      return Software("api_bad_answer", absl::StrCat("response too large: ", message));
    default:
      return ApiFailure{
          true, "api_fatal_error",
          message.empty() ? std::string(absl::StatusCodeToString(status.code())) : message};
  }
}

void ErrorBodyWrites(absl::string_view body, ApiWrites* out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string collapsed;
  std::optional<std::string> ambiguous;
  simdjson::dom::object object;
  if (ParseAnswer(parser, body, &collapsed, &root, &ambiguous) != simdjson::SUCCESS || ambiguous ||
      root.get_object().get(object) != simdjson::SUCCESS) {
    return;
  }
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key.empty()) continue;
    out->emplace_back(logics::EscapeKey(absl::string_view(field.key.data(), field.key.size())),
                      ValueFromElement(field.value));
  }
}

std::optional<ApiFailure> ReadBody(absl::string_view body, bool xml, bool body_required,
                                   ApiWrites* out) {
  if (OnlySpace(body)) {
    if (body_required) return Software("api_no_valid_json", "the answer has no body");
    return std::nullopt;
  }
  std::string converted;
  absl::string_view json = body;
  if (xml) {
    absl::Status status = XmlToJson(body, &converted);
    if (!status.ok()) {
      return Software("api_no_valid_json", absl::StrCat("the body is not valid XML (",
                                                        status.message(), "): ", Excerpt(body)));
    }
    json = converted;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string collapsed;
  std::optional<std::string> ambiguous;
  const simdjson::error_code error = ParseAnswer(parser, json, &collapsed, &root, &ambiguous);
  if (error != simdjson::SUCCESS) {
    return Software("api_no_valid_json",
                    absl::StrCat("the body is not valid JSON (", simdjson::error_message(error),
                                 "): ", Excerpt(body)));
  }
  if (ambiguous) return Software("api_bad_answer", *std::move(ambiguous));
  switch (root.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object object;
      if (root.get_object().get(object) != simdjson::SUCCESS) break;
      return MergeObject(object, out);
    }
    case simdjson::dom::element_type::ARRAY:
      out->emplace_back("__conveyor_api_array__", Value::Array(simdjson::to_string(root)));
      return std::nullopt;
    default:
      break;
  }
  return Software("api_no_valid_json", absl::StrCat("the body is a JSON ", KindName(root.type()),
                                                    ", not an object or array: ", Excerpt(body)));
}

std::optional<ApiFailure> ReadConveyorBody(absl::string_view body, ApiWrites* out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string collapsed;
  std::optional<std::string> ambiguous;
  const simdjson::error_code error = ParseAnswer(parser, body, &collapsed, &root, &ambiguous);
  if (error != simdjson::SUCCESS) {
    return Software("api_no_valid_json",
                    absl::StrCat("the body is not valid JSON (", simdjson::error_message(error),
                                 "): ", Excerpt(body)));
  }
  if (ambiguous) return Software("api_bad_answer", *std::move(ambiguous));
  simdjson::dom::object reply;
  if (root.get_object().get(reply) != simdjson::SUCCESS) {
    return Software("api_no_request_proc", "the answer is not a JSON object");
  }
  const std::string request_proc = ProcOf(reply, "request_proc");
  if (request_proc != "ok") {
    return Software("api_no_request_proc",
                    request_proc.empty()
                        ? std::string("the answer has no request_proc")
                        : absl::StrCat("request_proc is \"", request_proc, "\", not \"ok\""));
  }
  simdjson::dom::array ops;
  if (reply["ops"].get_array().get(ops) != simdjson::SUCCESS) {
    return Software("api_no_ops", "the answer has no ops list");
  }
  simdjson::dom::element first;
  if (ops.at(0).get(first) != simdjson::SUCCESS) {
    return Software("api_no_ops", "the answer's ops list is empty");
  }
  simdjson::dom::object op;
  if (first.get_object().get(op) != simdjson::SUCCESS) {
    return Software("api_bad_res_data", "ops[0] is not an object");
  }
  const std::string proc = ProcOf(op, "proc");
  if (proc != "ok") {
    std::string description = proc.empty()
                                  ? std::string("ops[0] has no proc")
                                  : absl::StrCat("ops[0].proc is \"", proc, "\", not \"ok\"");
    const std::string why = ProcOf(op, "description");
    if (!why.empty()) absl::StrAppend(&description, ": ", why);
    return Software("api_bad_res_data", std::move(description));
  }
  simdjson::dom::element res_data;
  if (op["res_data"].get(res_data) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object data;
  if (res_data.get_object().get(data) != simdjson::SUCCESS) {
    return Software("api_bad_res_data", absl::StrCat("ops[0].res_data is a ",
                                                     KindName(res_data.type()), ", not an object"));
  }
  return MergeObject(data, out);
}

std::string BodyDocument(absl::string_view body, bool xml) {
  if (OnlySpace(body)) return "\"\"";
  if (xml) {
    std::string converted;
    if (XmlToJson(body, &converted).ok()) return converted;
  } else {
    // An ambiguous body (a key repeated with different values) is text.
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string collapsed;
    std::optional<std::string> ambiguous;
    if (ParseAnswer(parser, body, &collapsed, &root, &ambiguous) == simdjson::SUCCESS &&
        !ambiguous) {
      return collapsed.empty() ? std::string(body) : collapsed;
    }
  }
  std::string text;
  AppendJsonString(&text, ValidUtf8(body));
  return text;
}

std::string HeaderDocument(const HttpHeaders& headers) {
  std::vector<std::pair<std::string, std::string>> merged;  // in order of first appearance
  absl::flat_hash_map<std::string, size_t> index;
  for (const auto& [name, value] : headers) {
    std::string lower = absl::AsciiStrToLower(name);
    auto [it, inserted] = index.try_emplace(lower, merged.size());
    if (inserted) {
      merged.emplace_back(std::move(lower), value);
    } else {
      absl::StrAppend(&merged[it->second].second, ", ", value);
    }
  }
  JsonWriter out;
  out.BeginObject();
  for (const auto& [name, value] : merged) out.Key(ValidUtf8(name)).String(ValidUtf8(value));
  out.EndObject();
  return out.Release();
}

}  // namespace internal
}  // namespace convey
