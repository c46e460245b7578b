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
#include "runtime/ops/list_op.h"
#include "runtime/ops/op_fields.h"
#include "runtime/ops/op_reply.h"
#include "simdjson.h"

namespace convey {
namespace internal {
namespace {

namespace dom = simdjson::dom;

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

// Creates wait here until an op of another kind or process comes (or the
// request ends), then run as one Engine::CreateTasks: with a store, one
// write and one sync for all of them instead of one each. Ops still take
// effect in request order: every other op flushes the batch first.
class CreateBatch {
 public:
  explicit CreateBatch(Engine& engine) : engine_(engine) {}

  void Add(int64_t conv_id, NewTask task, OpReply* reply) {
    if (!tasks_.empty() && conv_id != conv_id_) Flush();
    conv_id_ = conv_id;
    tasks_.push_back(std::move(task));
    replies_.push_back(reply);
  }
  void Flush() {
    if (tasks_.empty()) return;
    std::vector<absl::StatusOr<std::string>> results;
    if (tasks_.size() == 1) {
      results.push_back(engine_.CreateTask(conv_id_, tasks_[0]));
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
  NewTask task(std::move(ref), std::move(data));
  if (Present(fields.idempotency_key)) {
    std::string_view key;
    if (fields.idempotency_key->get(key) != simdjson::SUCCESS || key.empty()) {
      reply->Fail(kError, "idempotency_key", "idempotency_key must be a non-empty string");
      return;
    }
    task.idempotency_key = std::string(key);
  }
  if (Present(fields.start_at)) {
    int64_t seconds = 0;
    if (fields.start_at->get(seconds) != simdjson::SUCCESS || seconds < 0) {
      reply->Fail(kError, "start_at",
                  absl::StrCat("start_at must be unix seconds (a non-negative integer), got ",
                               ToJson(*fields.start_at)));
      return;
    }
    task.start_at = absl::FromUnixSeconds(seconds);
  }
  batch->Add(conv_id, std::move(task), reply);
}

// Ops that change a task resolve it first, so that the reply can give both
// its obj_id and ref whichever the op named it by, then act on its obj_id:
// `change` makes the engine call.
template <typename Change>
void RunChange(Engine& engine, const OpFields& fields, OpType type, OpReply* reply, Change change) {
  std::optional<TaskName> name = ReadTaskName(fields, reply);
  if (!name) return;
  absl::StatusOr<TaskSnapshot> task = Lookup(engine, *name);
  if (!task.ok()) {
    FailFromStatus(task.status(), type, reply);
    return;
  }
  absl::Status status = change(TaskKey::ByObjId(task->obj_id));
  if (!status.ok()) {
    FailFromStatus(status, type, reply);
    return;
  }
  reply->AddStringOrNull("ref", task->ref);
  reply->AddString("obj_id", task->obj_id);
}

// {"type":"move","obj":"task",...,"to_conv_id":N,"to_node_id":"..."}
void RunMove(Engine& engine, const OpFields& fields, OpReply* reply) {
  if (!Present(fields.to_node_id)) {
    reply->Fail(kError, "to_node_id", "move needs to_node_id (and to_conv_id for another process)");
    return;
  }
  std::string node_id;
  if (!ReadNodeId(*fields.to_node_id, &node_id, reply)) return;
  int64_t to_conv_id = 0;
  if (Present(fields.to_conv_id) && !ReadConvId(*fields.to_conv_id, &to_conv_id, reply)) return;
  RunChange(engine, fields, OpType::kMove, reply, [&](const TaskKey& key) {
    // Without to_conv_id: a node of the task's own process.
    int64_t conv_id = to_conv_id;
    if (conv_id == 0) {
      absl::StatusOr<TaskSnapshot> task = engine.ShowTask(key);
      if (!task.ok()) return task.status();
      conv_id = task->conv_id;
    }
    return engine.MoveTask(key, conv_id, node_id);
  });
}

// {"type":"pause"|"resume","obj":"conv","conv_id":N}
void RunPauseOrResume(Engine& engine, const OpFields& fields, bool pause, OpReply* reply) {
  if (!Present(fields.conv_id)) {
    reply->Fail(kError, "conv_id", pause ? "pause needs conv_id" : "resume needs conv_id");
    return;
  }
  int64_t conv_id = 0;
  if (!ReadConvId(*fields.conv_id, &conv_id, reply)) return;
  absl::Status status = pause ? engine.PauseProcess(conv_id) : engine.ResumeProcess(conv_id);
  if (!status.ok()) {
    FailFromStatus(status, OpType::kPause, reply);
    return;
  }
  reply->AddRaw("conv_id", absl::StrCat(conv_id));
}

void RunModify(Engine& engine, const OpFields& fields, OpReply* reply) {
  std::string data;
  if (!ReadData(fields.data, &data, reply)) return;
  RunChange(engine, fields, OpType::kModify, reply,
            [&](const TaskKey& key) { return engine.ModifyTask(key, data); });
}

// {"type":"patch","obj":"task",...,"patch":[{"op":"replace","path":"/a","value":1}]}
void RunPatch(Engine& engine, const OpFields& fields, OpReply* reply) {
  if (!Present(fields.patch)) {
    reply->Fail(kError, "patch", "patch needs \"patch\": an array of JSON Patch operations");
    return;
  }
  if (fields.patch->type() != dom::element_type::ARRAY) {
    reply->Fail(kError, "patch",
                absl::StrCat("patch must be an array of JSON Patch operations, got ",
                             JsonTypeName(fields.patch->type())));
    return;
  }
  const std::string patch = ToJson(*fields.patch);
  RunChange(engine, fields, OpType::kPatch, reply,
            [&](const TaskKey& key) { return engine.PatchTask(key, patch); });
}

// {"type":"append_history","obj":"task",...,"text":"called the customer"}
void RunAppendHistory(Engine& engine, const OpFields& fields, OpReply* reply) {
  std::string_view text;
  if (!Present(fields.text) || fields.text->get(text) != simdjson::SUCCESS) {
    reply->Fail(kError, "text", "append_history needs \"text\": a string");
    return;
  }
  RunChange(engine, fields, OpType::kAppendHistory, reply,
            [&](const TaskKey& key) { return engine.AppendTaskHistory(key, View(text)); });
}

// The task's history: {"obj_id","ref","dropped","history":[{"time","kind",
// "node_id","text"}]}, times in RFC 3339 UTC with microseconds.
void RunHistory(Engine& engine, const OpFields& fields, OpReply* reply) {
  std::optional<TaskName> name = ReadTaskName(fields, reply);
  if (!name) return;
  absl::StatusOr<TaskSnapshot> task = Lookup(engine, *name);
  if (!task.ok()) {
    FailFromStatus(task.status(), OpType::kHistory, reply);
    return;
  }
  absl::StatusOr<TaskHistory> history = engine.GetTaskHistory(TaskKey::ByObjId(task->obj_id));
  if (!history.ok()) {
    FailFromStatus(history.status(), OpType::kHistory, reply);
    return;
  }
  reply->AddString("obj_id", task->obj_id);
  reply->AddStringOrNull("ref", task->ref);
  reply->AddRaw("dropped", absl::StrCat(history->dropped));
  JsonWriter entries;
  entries.BeginArray();
  for (const TaskHistoryEntry& entry : history->entries) {
    entries.BeginObject()
        .Key("time")
        .String(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", entry.time, absl::UTCTimeZone()))
        .Key("kind")
        .String(entry.kind);
    if (!entry.node_id.empty()) entries.Key("node_id").String(entry.node_id);
    if (!entry.text.empty()) entries.Key("text").String(entry.text);
    entries.EndObject();
  }
  entries.EndArray();
  reply->AddRaw("history", entries.Release());
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
      {"patch", &OpFields::patch},
      {"text", &OpFields::text},
      {"idempotency_key", &OpFields::idempotency_key},
      {"status", &OpFields::status},
      {"park_reason", &OpFields::park_reason},
      {"ref_prefix", &OpFields::ref_prefix},
      {"created_from", &OpFields::created_from},
      {"created_to", &OpFields::created_to},
      {"data_path", &OpFields::data_path},
      {"data_value", &OpFields::data_value},
      {"order", &OpFields::order},
      {"limit", &OpFields::limit},
      {"cursor", &OpFields::cursor},
      {"max_scanned", &OpFields::max_scanned},
      {"start_at", &OpFields::start_at},
      {"to_conv_id", &OpFields::to_conv_id},
      {"to_node_id", &OpFields::to_node_id},
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
    reply->Fail(kError, "type",
                "the op has no type (create, modify, patch, move, show, list, history, "
                "append_history, delete, pause or resume)");
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
  } else if (type_name == "patch") {
    type = OpType::kPatch;
  } else if (type_name == "history") {
    type = OpType::kHistory;
  } else if (type_name == "append_history") {
    type = OpType::kAppendHistory;
  } else if (type_name == "list") {
    type = OpType::kList;
  } else if (type_name == "move") {
    type = OpType::kMove;
  } else if (type_name == "pause") {
    type = OpType::kPause;
  } else if (type_name == "resume") {
    type = OpType::kResume;
  } else {
    reply->Fail(kError, "type",
                absl::StrCat("unknown type ", Quoted(View(type_name)),
                             "; expected create, modify, patch, move, show (or get), list, "
                             "history, append_history, delete, pause or resume"));
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
  // Pausing and resuming act on a process ("conv"), every other op on a task.
  const bool on_process = type == OpType::kPause || type == OpType::kResume;
  const absl::string_view expected = on_process ? "conv" : "task";
  if (View(obj) != expected) {
    reply->Fail(kError, "obj",
                obj == "task" || obj == "conv"
                    ? absl::StrCat(View(type_name), " acts on obj \"", expected, "\", not ",
                                   Quoted(View(obj)))
                    : absl::StrCat("unknown obj ", Quoted(View(obj)),
                                   "; expected \"task\" (or \"conv\" for pause and resume)"));
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
    case OpType::kPatch:
      RunPatch(engine, fields, reply);
      return;
    case OpType::kHistory:
      RunHistory(engine, fields, reply);
      return;
    case OpType::kAppendHistory:
      RunAppendHistory(engine, fields, reply);
      return;
    case OpType::kList:
      RunList(engine, fields, reply);
      return;
    case OpType::kMove:
      RunMove(engine, fields, reply);
      return;
    case OpType::kPause:
    case OpType::kResume:
      RunPauseOrResume(engine, fields, type == OpType::kPause, reply);
      return;
  }
}

}  // namespace

std::string CreateFromDirectUrl(Engine& engine, int64_t conv_id, absl::string_view ref,
                                absl::string_view data_json) {
  OpReply reply;
  reply.set_obj("task");
  CreateBatch batch(engine);
  batch.Add(conv_id, NewTask(std::string(ref), std::string(data_json)), &reply);
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
