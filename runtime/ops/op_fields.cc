#include "runtime/ops/op_fields.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/quote.h"
#include "runtime/json/json_types.h"
#include "runtime/json/json_writer.h"
#include "runtime/ops/ops_protocol.h"

namespace convey {
namespace internal {

std::string Quoted(absl::string_view text) {
  std::string out;
  if (text.size() > kMaxQuotedValue) {
    // Cut on a UTF-8 character boundary so the reply stays valid UTF-8.
    AppendJsonString(&out, CutAtCharacter(text, kMaxQuotedValue));
    out.insert(out.size() - 1, "...");
    return out;
  }
  AppendJsonString(&out, text);
  return out;
}

std::string ToJson(const dom::element& value) { return simdjson::to_string(value); }

bool IsNumber(dom::element_type type) {
  return type == dom::element_type::INT64 || type == dom::element_type::UINT64 ||
         type == dom::element_type::DOUBLE;
}

// Null is taken as absent for every optional field: clients often send
// `"ref": null` for "no ref".
bool Present(const std::optional<dom::element>& field) {
  return field.has_value() && !field->is_null();
}

// Reads a conv_id: a positive integer, as a JSON number or a decimal string.
bool ReadConvId(const dom::element& value, int64_t* conv_id, OpReply* reply) {
  constexpr absl::string_view kKey = "conv_id";
  switch (value.type()) {
    case dom::element_type::INT64: {
      int64_t number = 0;
      if (value.get(number) != simdjson::SUCCESS || number <= 0) {
        return reply->Fail(kError, kKey,
                           absl::StrCat("conv_id must be a positive integer, got ", number));
      }
      *conv_id = number;
      return true;
    }
    case dom::element_type::UINT64:
      return reply->Fail(kError, kKey, absl::StrCat("conv_id ", ToJson(value), " is out of range"));
    case dom::element_type::DOUBLE:
      return reply->Fail(kError, kKey,
                         absl::StrCat("conv_id must be an integer, got ", ToJson(value)));
    case dom::element_type::STRING: {
      std::string_view text;
      if (value.get(text) != simdjson::SUCCESS) text = {};
      const absl::string_view digits = View(text);
      bool all_digits = !digits.empty();
      for (char c : digits)
        all_digits = all_digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
      int64_t number = 0;
      if (!all_digits) {
        return reply->Fail(
            kError, kKey,
            absl::StrCat("conv_id must be a number or a string of decimal digits, got ",
                         Quoted(digits)));
      }
      if (!absl::SimpleAtoi(digits, &number)) {
        return reply->Fail(kError, kKey,
                           absl::StrCat("conv_id ", Quoted(digits), " is out of range"));
      }
      if (number == 0) {
        return reply->Fail(
            kError, kKey, absl::StrCat("conv_id must be a positive integer, got ", Quoted(digits)));
      }
      *conv_id = number;
      return true;
    }
    default:
      return reply->Fail(kError, kKey,
                         absl::StrCat("conv_id must be a number or a numeric string, got ",
                                      JsonTypeName(value.type())));
  }
}

// Reads a ref: a string of 1..kOpsMaxRefSize bytes, or a number (kept as
// its JSON text, so `"ref": 42` is the ref "42").
bool ReadRef(const dom::element& value, std::string* ref, OpReply* reply) {
  constexpr absl::string_view kKey = "ref";
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) {
    if (text.empty()) {
      return reply->Fail(kError, kKey,
                         "ref must not be empty (leave it out for a task without a ref)");
    }
    if (text.size() > kOpsMaxRefSize) {
      return reply->Fail(kError, kKey,
                         absl::StrCat("ref is ", text.size(), " bytes long; at most ",
                                      kOpsMaxRefSize, " are allowed"));
    }
    *ref = std::string(text);
    return true;
  }
  if (IsNumber(value.type())) {
    *ref = ToJson(value);
    return true;
  }
  return reply->Fail(
      kError, kKey,
      absl::StrCat("ref must be a string or a number, got ", JsonTypeName(value.type())));
}

// Reads an obj_id: 24 hex digits, as the engine makes them.
bool ReadObjId(const dom::element& value, std::string* obj_id, OpReply* reply) {
  constexpr absl::string_view kKey = "obj_id";
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) {
    return reply->Fail(kError, kKey,
                       absl::StrCat("obj_id must be a string, got ", JsonTypeName(value.type())));
  }
  bool hex = text.size() == 24;
  for (char c : text) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!hex) {
    return reply->Fail(kError, kKey,
                       absl::StrCat("obj_id must be 24 hex digits, got ", Quoted(View(text))));
  }
  *obj_id = std::string(text);
  return true;
}

bool ReadNodeId(const dom::element& value, std::string* node_id, OpReply* reply) {
  constexpr absl::string_view kKey = "node_id";
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) {
    return reply->Fail(kError, kKey,
                       absl::StrCat("node_id must be a string, got ", JsonTypeName(value.type())));
  }
  if (text.empty()) return reply->Fail(kError, kKey, "node_id must not be empty");
  *node_id = std::string(text);
  return true;
}

// Reads `data` as compact JSON text: an object; `[]`, null or no `data` is
// the empty object (Corezoid accepts `[]` for an empty task).
bool ReadData(const std::optional<dom::element>& value, std::string* json, OpReply* reply) {
  if (!Present(value)) {
    *json = "{}";
    return true;
  }
  if (value->type() == dom::element_type::OBJECT) {
    *json = ToJson(*value);
    return true;
  }
  dom::array array;
  if (value->get(array) == simdjson::SUCCESS) {
    if (array.begin() == array.end()) {
      *json = "{}";
      return true;
    }
    return reply->Fail(kError, "data", "data must be a JSON object, got a non-empty array");
  }
  return reply->Fail(kError, "data",
                     absl::StrCat("data must be a JSON object, got ", JsonTypeName(value->type())));
}

// Reports an engine failure. NotFound of a task is `obj_id_not_found`; every
// other code is `error` with a description that names the kind of failure
// and carries the engine's message.
void FailFromStatus(const absl::Status& status, OpType type, OpReply* reply) {
  absl::string_view proc = kError;
  absl::string_view key;
  absl::string_view what;
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      if (type == OpType::kCreate || type == OpType::kList || type == OpType::kPause) {
        what = "process not found";
        key = "conv_id";
      } else {
        what = "task not found";
        proc = kNotFound;
      }
      break;
    case absl::StatusCode::kAlreadyExists:
      // Corezoid's words for a duplicate ref (copy_task `not_unical_ref`).
      what = "not unical reference";
      key = "ref";
      break;
    case absl::StatusCode::kInvalidArgument:
      what = "invalid operation";
      break;
    case absl::StatusCode::kFailedPrecondition:
      what = "operation refused";
      break;
    case absl::StatusCode::kResourceExhausted:
      what = "engine overloaded, retry later";
      break;
    case absl::StatusCode::kUnavailable:
      what = "engine unavailable, retry later";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      what = "timed out";
      break;
    default:
      break;
  }
  std::string description =
      what.empty() ? absl::StrCat("internal error (", absl::StatusCodeToString(status.code()), ")")
                   : std::string(what);
  if (!status.message().empty()) absl::StrAppend(&description, ": ", status.message());
  reply->Fail(proc, key, description);
}

// Reads the task an op names: obj_id (then conv_id, if given, must be the
// task's process and ref is not used), else conv_id and ref.
std::optional<TaskName> ReadTaskName(const OpFields& fields, OpReply* reply) {
  std::optional<int64_t> conv_id;
  std::string ref;
  std::string obj_id;
  if (Present(fields.conv_id)) {
    int64_t value = 0;
    if (!ReadConvId(*fields.conv_id, &value, reply)) return std::nullopt;
    conv_id = value;
  }
  if (Present(fields.ref) && !ReadRef(*fields.ref, &ref, reply)) return std::nullopt;
  if (Present(fields.obj_id) && !ReadObjId(*fields.obj_id, &obj_id, reply)) return std::nullopt;

  if (!obj_id.empty()) return TaskName{TaskKey::ByObjId(std::move(obj_id)), conv_id};
  if (!ref.empty()) {
    if (!conv_id) {
      reply->Fail(kError, "conv_id",
                  Present(fields.obj_alias) ? "obj_alias is not supported: give conv_id with ref"
                                            : "a task named by ref needs conv_id");
      return std::nullopt;
    }
    return TaskName{TaskKey::ByRef(*conv_id, std::move(ref)), std::nullopt};
  }
  reply->Fail(kError, "obj_id", "the op names no task: give obj_id, or conv_id and ref");
  return std::nullopt;
}

// Looks the task up, checking the process when the op gave one with obj_id.
absl::StatusOr<TaskSnapshot> Lookup(Engine& engine, const TaskName& name) {
  absl::StatusOr<TaskSnapshot> snapshot = engine.ShowTask(name.key);
  if (snapshot.ok() && name.conv_id && snapshot->conv_id != *name.conv_id) {
    return absl::NotFoundError(
        absl::StrCat("task ", name.key.obj_id, " is not in process ", *name.conv_id));
  }
  return snapshot;
}

}  // namespace internal
}  // namespace convey
