#include "runtime/ops/list_op.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/base/enum_names.h"
#include "runtime/json/json_types.h"
#include "runtime/json/json_writer.h"

namespace convey {
namespace internal {
namespace {

// A string field, if present: false (reply failed) when it is not a string.
bool ReadOptionalString(const std::optional<dom::element>& value, absl::string_view key,
                        std::string* out, OpReply* reply) {
  if (!Present(value)) return true;
  std::string_view text;
  if (value->get(text) != simdjson::SUCCESS) {
    return reply->Fail(kError, key,
                       absl::StrCat(key, " must be a string, got ", JsonTypeName(value->type())));
  }
  *out = std::string(text);
  return true;
}

// A non-negative integer field, if present.
bool ReadOptionalCount(const std::optional<dom::element>& value, absl::string_view key,
                       int64_t* out, OpReply* reply) {
  if (!Present(value)) return true;
  int64_t number = 0;
  if (value->get(number) != simdjson::SUCCESS || number < 0) {
    return reply->Fail(kError, key,
                       absl::StrCat(key, " must be a non-negative integer, got ", ToJson(*value)));
  }
  *out = number;
  return true;
}

}  // namespace

void RunList(Engine& engine, const OpFields& fields, OpReply* reply) {
  if (!Present(fields.conv_id)) {
    reply->Fail(kError, "conv_id", "list needs conv_id");
    return;
  }
  TaskQuery query;
  if (!ReadConvId(*fields.conv_id, &query.conv_id, reply)) return;
  if (Present(fields.node_id) && !ReadNodeId(*fields.node_id, &query.node_id, reply)) return;
  std::string status, park_reason, order;
  if (!ReadOptionalString(fields.status, "status", &status, reply) ||
      !ReadOptionalString(fields.park_reason, "park_reason", &park_reason, reply) ||
      !ReadOptionalString(fields.ref_prefix, "ref_prefix", &query.ref_prefix, reply) ||
      !ReadOptionalString(fields.data_path, "data_path", &query.data_path, reply) ||
      !ReadOptionalString(fields.order, "order", &order, reply) ||
      !ReadOptionalString(fields.cursor, "cursor", &query.cursor, reply)) {
    return;
  }
  if (!status.empty()) {
    TaskStatus parsed;
    if (!EnumFromName(status, TaskStatusName, &parsed)) {
      reply->Fail(kError, "status",
                  absl::StrCat("unknown status ", Quoted(status),
                               "; expected processing, processed, error, loop_stopped or deleted"));
      return;
    }
    query.status = parsed;
  }
  if (!park_reason.empty()) {
    ParkReason parsed;
    if (!EnumFromName(park_reason, ParkReasonName, &parsed)) {
      reply->Fail(kError, "park_reason", absl::StrCat("unknown park_reason ", Quoted(park_reason)));
      return;
    }
    query.park_reason = parsed;
  }
  if (order == "desc") {
    query.descending = true;
  } else if (!order.empty() && order != "asc") {
    reply->Fail(kError, "order",
                absl::StrCat("order must be \"asc\" or \"desc\", got ", Quoted(order)));
    return;
  }
  if (Present(fields.data_value)) query.data_value_json = ToJson(*fields.data_value);
  int64_t from = -1, to = -1, limit = -1, max_scanned = -1;
  if (!ReadOptionalCount(fields.created_from, "created_from", &from, reply) ||
      !ReadOptionalCount(fields.created_to, "created_to", &to, reply) ||
      !ReadOptionalCount(fields.limit, "limit", &limit, reply) ||
      !ReadOptionalCount(fields.max_scanned, "max_scanned", &max_scanned, reply)) {
    return;
  }
  if (from >= 0) query.created_from = absl::FromUnixSeconds(from);
  if (to >= 0) query.created_to = absl::FromUnixSeconds(to);
  if (limit >= 0) query.limit = static_cast<size_t>(limit);
  if (max_scanned >= 0) query.max_scanned = static_cast<size_t>(max_scanned);

  absl::StatusOr<TaskPage> page = engine.SearchTasks(query);
  if (!page.ok()) {
    FailFromStatus(page.status(), OpType::kList, reply);
    return;
  }
  JsonWriter tasks;
  tasks.BeginArray();
  for (const TaskSnapshot& task : page->tasks) {
    tasks.BeginObject()
        .Key("obj_id")
        .String(task.obj_id)
        .Key("ref")
        .String(task.ref)
        .Key("status")
        .String(TaskStatusName(task.status))
        .Key("park_reason")
        .String(ParkReasonName(task.park_reason))
        .Key("node_id")
        .String(task.node_id)
        .Key("node_title")
        .String(task.node_title)
        .Key("create_time")
        .Int(absl::ToUnixSeconds(task.create_time))
        .Key("change_time")
        .Int(absl::ToUnixSeconds(task.change_time))
        .Key("data")
        .Raw(task.data.empty() ? "{}" : task.data)
        .EndObject();
  }
  tasks.EndArray();
  reply->AddRaw("conv_id", absl::StrCat(query.conv_id));
  reply->AddRaw("tasks", tasks.Release());
  reply->AddStringOrNull("next_cursor", page->next_cursor);
  reply->AddRaw("scanned", absl::StrCat(page->scanned));
}

}  // namespace internal
}  // namespace convey
