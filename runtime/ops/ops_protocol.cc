#include "runtime/ops/ops_protocol.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/json/json_errors.h"
#include "runtime/json/json_types.h"
#include "runtime/json/json_writer.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/ops/op_reply.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

namespace dom = simdjson::dom;

constexpr absl::string_view kOk = "ok";
constexpr absl::string_view kError = "error";
constexpr absl::string_view kNotFound = "obj_id_not_found";
// User values quoted in descriptions are cut to this many bytes.
constexpr size_t kMaxQuotedValue = 64;

std::string Quoted(absl::string_view text) {
  std::string out;
  if (text.size() > kMaxQuotedValue) {
    // Cut on a UTF-8 character boundary so the reply stays valid UTF-8.
    size_t cut = kMaxQuotedValue;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    AppendJsonString(&out, text.substr(0, cut));
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

std::string FormatError(absl::string_view why) {
  JsonWriter out;
  out.BeginObject()
      .Key("request_proc")
      .String("format_error")
      .Key("description")
      .String(why)
      .Key("ops")
      .BeginArray()
      .EndArray()
      .EndObject();
  return out.Release();
}

enum class OpType { kCreate, kModify, kShow, kDelete };

// The keys of an op that convey reads. Others (company_id, ...) are ignored.
struct OpFields {
  std::optional<dom::element> id;
  std::optional<dom::element> type;
  std::optional<dom::element> obj;
  std::optional<dom::element> conv_id;
  std::optional<dom::element> obj_alias;
  std::optional<dom::element> ref;
  std::optional<dom::element> obj_id;
  std::optional<dom::element> node_id;
  std::optional<dom::element> data;
};

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
      if (type == OpType::kCreate) {
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

// A task as named by a modify, show or delete.
struct TaskName {
  TaskKey key;
  // Set when the op gave conv_id along with obj_id: the task must be in it.
  std::optional<int64_t> conv_id;
};

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

// Creates wait here until an op of another kind or process comes (or the
// request ends), then run as one Engine::CreateTasks: with a store, one
// write and one sync for all of them instead of one each. Ops still take
// effect in request order: every other op flushes the batch first.
class CreateBatch {
 public:
  explicit CreateBatch(Engine& engine) : engine_(engine) {}

  void Add(int64_t conv_id, std::string ref, std::string data, OpReply* reply) {
    if (!tasks_.empty() && conv_id != conv_id_) Flush();
    conv_id_ = conv_id;
    tasks_.push_back({std::move(ref), std::move(data)});
    replies_.push_back(reply);
  }
  void Flush() {
    if (tasks_.empty()) return;
    std::vector<absl::StatusOr<std::string>> results;
    if (tasks_.size() == 1) {
      results.push_back(engine_.CreateTask(conv_id_, tasks_[0].ref, tasks_[0].data_json));
    } else {
      results = engine_.CreateTasks(conv_id_, tasks_);
    }
    for (size_t i = 0; i < tasks_.size(); ++i) {
      if (results[i].ok()) {
        replies_[i]->AddStringOrNull("ref", tasks_[i].ref);
        replies_[i]->AddString("obj_id", *results[i]);
      } else {
        FailFromStatus(results[i].status(), OpType::kCreate, replies_[i]);
      }
    }
    tasks_.clear();
    replies_.clear();
  }

 private:
  Engine& engine_;
  int64_t conv_id_ = 0;
  std::vector<NewTask> tasks_;
  std::vector<OpReply*> replies_;
};

void RunCreate(const OpFields& fields, OpReply* reply, CreateBatch* batch) {
  if (!Present(fields.conv_id)) {
    reply->Fail(kError, "conv_id",
                Present(fields.obj_alias) ? "obj_alias is not supported: give conv_id"
                                          : "create needs conv_id");
    return;
  }
  int64_t conv_id = 0;
  std::string ref;
  std::string data;
  if (!ReadConvId(*fields.conv_id, &conv_id, reply)) return;
  if (Present(fields.ref) && !ReadRef(*fields.ref, &ref, reply)) return;
  if (!ReadData(fields.data, &data, reply)) return;
  batch->Add(conv_id, std::move(ref), std::move(data), reply);
}

// Modify and delete resolve the task first, so that the reply can give both
// its obj_id and ref whichever the op named it by, then act on its obj_id.
void RunModify(Engine& engine, const OpFields& fields, OpReply* reply) {
  std::optional<TaskName> name = ReadTaskName(fields, reply);
  if (!name) return;
  std::string data;
  if (!ReadData(fields.data, &data, reply)) return;
  absl::StatusOr<TaskSnapshot> task = Lookup(engine, *name);
  if (!task.ok()) {
    FailFromStatus(task.status(), OpType::kModify, reply);
    return;
  }
  absl::Status status = engine.ModifyTask(TaskKey::ByObjId(task->obj_id), data);
  if (!status.ok()) {
    FailFromStatus(status, OpType::kModify, reply);
    return;
  }
  reply->AddStringOrNull("ref", task->ref);
  reply->AddString("obj_id", task->obj_id);
}

void RunShow(Engine& engine, const OpFields& fields, OpReply* reply) {
  std::optional<TaskName> name = ReadTaskName(fields, reply);
  if (!name) return;
  absl::StatusOr<TaskSnapshot> task = Lookup(engine, *name);
  if (!task.ok()) {
    FailFromStatus(task.status(), OpType::kShow, reply);
    return;
  }
  reply->AddString("obj_id", task->obj_id);
  reply->AddString("task_id", task->obj_id);
  reply->AddStringOrNull("ref", task->ref);
  reply->AddString("status", TaskStatusName(task->status));
  reply->AddRaw("conv_id", absl::StrCat(task->conv_id));
  reply->AddStringOrNull("node_id", task->node_id);
  reply->AddStringOrNull("node_prev_id", task->node_prev_id);
  reply->AddRaw("create_time", absl::StrCat(absl::ToUnixSeconds(task->create_time)));
  reply->AddRaw("change_time", absl::StrCat(absl::ToUnixSeconds(task->change_time)));
  // The engine keeps data as a JSON object's text; embed it as the object.
  reply->AddRaw("data", task->data.empty() ? std::string("{}") : task->data);
}

void RunDelete(Engine& engine, const OpFields& fields, OpReply* reply) {
  std::optional<TaskName> name = ReadTaskName(fields, reply);
  if (!name) return;
  std::string node_id;
  if (Present(fields.node_id) && !ReadNodeId(*fields.node_id, &node_id, reply)) return;
  absl::StatusOr<TaskSnapshot> task = Lookup(engine, *name);
  if (!task.ok()) {
    FailFromStatus(task.status(), OpType::kDelete, reply);
    return;
  }
  absl::Status status = engine.DeleteTask(TaskKey::ByObjId(task->obj_id), node_id);
  if (!status.ok()) {
    FailFromStatus(status, OpType::kDelete, reply);
    return;
  }
  reply->AddString("obj_id", task->obj_id);
}

void RunOp(Engine& engine, const dom::element& op, OpReply* reply, CreateBatch* batch) {
  dom::object object;
  if (op.get(object) != simdjson::SUCCESS) {
    reply->Fail(kError, "",
                absl::StrCat("an op must be a JSON object, got ", JsonTypeName(op.type())));
    return;
  }
  OpFields fields;
  const std::pair<absl::string_view, std::optional<dom::element> OpFields::*> kKnown[] = {
      {"id", &OpFields::id},
      {"type", &OpFields::type},
      {"obj", &OpFields::obj},
      {"conv_id", &OpFields::conv_id},
      {"obj_alias", &OpFields::obj_alias},
      {"ref", &OpFields::ref},
      {"obj_id", &OpFields::obj_id},
      {"node_id", &OpFields::node_id},
      {"data", &OpFields::data},
  };
  // Keys are unique here: HandleOps collapsed the body's repeats.
  for (dom::key_value_pair field : object) {
    for (const auto& [name, member] : kKnown) {
      if (View(field.key) == name) fields.*member = field.value;
    }
  }
  // The id is echoed whatever else is wrong, so that the client can match
  // the result.
  if (fields.id) {
    reply->set_id_json(ToJson(*fields.id));
    const dom::element_type id_type = fields.id->type();
    if (id_type == dom::element_type::OBJECT || id_type == dom::element_type::ARRAY) {
      reply->Fail(kError, "id", "id must be a string, a number, a boolean or null");
      return;
    }
  }
  std::string_view obj_name;
  if (fields.obj && fields.obj->get(obj_name) == simdjson::SUCCESS) {
    reply->set_obj(std::string(obj_name));
  }
  if (!fields.type) {
    reply->Fail(kError, "type", "the op has no type (create, modify, show or delete)");
    return;
  }
  std::string_view type_name;
  if (fields.type->get(type_name) != simdjson::SUCCESS) {
    reply->Fail(kError, "type",
                absl::StrCat("type must be a string, got ", JsonTypeName(fields.type->type())));
    return;
  }
  OpType type;
  if (type_name == "create") {
    type = OpType::kCreate;
  } else if (type_name == "modify") {
    type = OpType::kModify;
  } else if (type_name == "show" || type_name == "get") {
    // Clients in the wild read a task with "get" as well as "show".
    type = OpType::kShow;
  } else if (type_name == "delete") {
    type = OpType::kDelete;
  } else {
    reply->Fail(kError, "type",
                absl::StrCat("unknown type ", Quoted(View(type_name)),
                             "; expected create, modify, show (or get) or delete"));
    return;
  }

  if (!fields.obj) {
    reply->Fail(kError, "obj", "the op has no obj (expected \"task\")");
    return;
  }
  std::string_view obj;
  if (fields.obj->get(obj) != simdjson::SUCCESS) {
    reply->Fail(kError, "obj",
                absl::StrCat("obj must be a string, got ", JsonTypeName(fields.obj->type())));
    return;
  }
  if (obj != "task") {
    reply->Fail(kError, "obj",
                absl::StrCat("unknown obj ", Quoted(View(obj)), "; only \"task\" is supported"));
    return;
  }

  if (type == OpType::kCreate) {
    RunCreate(fields, reply, batch);
    return;
  }
  batch->Flush();
  switch (type) {
    case OpType::kCreate:
      return;
    case OpType::kModify:
      RunModify(engine, fields, reply);
      return;
    case OpType::kShow:
      RunShow(engine, fields, reply);
      return;
    case OpType::kDelete:
      RunDelete(engine, fields, reply);
      return;
  }
}

}  // namespace

std::string CreateFromDirectUrl(Engine& engine, int64_t conv_id, absl::string_view ref,
                                absl::string_view data_json) {
  OpReply reply;
  reply.set_obj("task");
  CreateBatch batch(engine);
  batch.Add(conv_id, std::string(ref), std::string(data_json), &reply);
  batch.Flush();
  JsonWriter out;
  out.BeginObject().Key("request_proc").String(kOk).Key("ops").BeginArray();
  reply.WriteTo(out);
  out.EndArray().EndObject();
  return out.Release();
}

}  // namespace internal

std::string HandleOps(Engine& engine, absl::string_view body) {
  using namespace internal;  // NOLINT: this file's own helpers
  constexpr absl::string_view kExpected = "expected {\"ops\":[...]}";
  if (absl::StripAsciiWhitespace(body).empty()) {
    return FormatError(absl::StrCat("the body is empty; ", kExpected));
  }
  simdjson::padded_string padded(body.data(), body.size());
  // Bodies up to 1 MiB reuse a parser kept per thread (allocating one per
  // request showed in profiles); larger ones get their own, so that no
  // thread keeps a large one.
  constexpr size_t kReusedCapacity = size_t{1} << 20;
  thread_local dom::parser reused;
  dom::parser own;
  dom::parser& parser = body.size() <= kReusedCapacity ? reused : own;
  const size_t capacity = &parser == &reused ? kReusedCapacity : padded.size();
  if (parser.capacity() < capacity || parser.max_depth() != kOpsMaxDepth) {
    if (auto error = parser.allocate(capacity, kOpsMaxDepth)) {
      return FormatError(absl::StrCat("cannot parse a body of ", body.size(),
                                      " bytes: ", simdjson::error_message(error)));
    }
  }
  dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    const JsonErrorReport report = DescribeJsonError(padded, error, kOpsMaxDepth);
    std::string description = "the body is not valid JSON";
    if (report.offset) absl::StrAppend(&description, " at ", DescribeOffset(body, *report.offset));
    absl::StrAppend(&description, ": ", report.reason);
    return FormatError(description);
  }
  // A key repeated with the same value, anywhere in the body (op fields,
  // task data), counts once; with different values the request is
  // ambiguous (semantics A1).
  if (HasRepeatedKeys(root)) {
    std::string collapsed;
    if (absl::Status status = CollapseRepeatedKeys(body, "the body", &collapsed); !status.ok()) {
      return FormatError(status.message());
    }
    if (auto error = parser.parse(collapsed).get(root)) {
      return FormatError(absl::StrCat("cannot parse the body once its repeated keys collapsed: ",
                                      simdjson::error_message(error)));
    }
  }
  dom::object request;
  if (root.get(request) != simdjson::SUCCESS) {
    return FormatError(absl::StrCat("the body must be a JSON object, got ",
                                    JsonTypeName(root.type()), "; ", kExpected));
  }
  std::optional<dom::element> ops_value;
  for (dom::key_value_pair field : request) {
    if (field.key == "ops") ops_value = field.value;
  }
  if (!ops_value) return FormatError(absl::StrCat("the body has no \"ops\"; ", kExpected));
  dom::array ops;
  if (ops_value->get(ops) != simdjson::SUCCESS) {
    return FormatError(
        absl::StrCat("\"ops\" must be an array, got ", JsonTypeName(ops_value->type())));
  }
  const size_t count = ops.size();
  if (count == 0) return FormatError("\"ops\" is empty; give at least one op");
  if (count > kOpsMaxOps) {
    return FormatError(absl::StrCat("\"ops\" holds ", count, " ops; at most ", kOpsMaxOps,
                                    " are allowed per request"));
  }

  JsonWriter out;
  out.BeginObject().Key("request_proc").String(kOk).Key("ops").BeginArray();
  std::vector<OpReply> replies(count);
  CreateBatch batch(engine);
  size_t index = 0;
  for (dom::element op : ops) RunOp(engine, op, &replies[index++], &batch);
  batch.Flush();
  for (const OpReply& reply : replies) reply.WriteTo(out);
  out.EndArray().EndObject();
  return out.Release();
}

}  // namespace convey
