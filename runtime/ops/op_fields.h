// Reading the fields of one op of the ops protocol, and replying with
// what the engine said (runtime/ops/ops_protocol.cc and task_ops.cc).
#ifndef CONVEY_RUNTIME_OPS_OP_FIELDS_H_
#define CONVEY_RUNTIME_OPS_OP_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/engine.h"
#include "runtime/ops/op_reply.h"
#include "simdjson.h"

namespace convey {
namespace internal {

namespace dom = simdjson::dom;

inline constexpr absl::string_view kOk = "ok";
inline constexpr absl::string_view kError = "error";
inline constexpr absl::string_view kNotFound = "obj_id_not_found";
// User values quoted in descriptions are cut to this many bytes.
inline constexpr size_t kMaxQuotedValue = 64;

enum class OpType {
  kCreate,
  kModify,
  kShow,
  kDelete,
  kPatch,
  kHistory,
  kAppendHistory,
  kList,
  kMove,
  kPause,
  kResume,
};

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
  std::optional<dom::element> patch;            // patch: the JSON Patch
  std::optional<dom::element> text;             // append_history
  std::optional<dom::element> idempotency_key;  // create
  // list:
  std::optional<dom::element> status;
  std::optional<dom::element> park_reason;
  std::optional<dom::element> ref_prefix;
  std::optional<dom::element> created_from;
  std::optional<dom::element> created_to;
  std::optional<dom::element> data_path;
  std::optional<dom::element> data_value;
  std::optional<dom::element> order;
  std::optional<dom::element> limit;
  std::optional<dom::element> cursor;
  std::optional<dom::element> max_scanned;
  std::optional<dom::element> start_at;    // create: unix seconds
  std::optional<dom::element> to_conv_id;  // move
  std::optional<dom::element> to_node_id;  // move
};

// A task as named by a modify, show or delete.
struct TaskName {
  TaskKey key;
  // Set when the op gave conv_id along with obj_id: the task must be in it.
  std::optional<int64_t> conv_id;
};

// `text` as a JSON string, cut to kMaxQuotedValue bytes (on a UTF-8
// character boundary) with "..." when longer: user values in descriptions.
std::string Quoted(absl::string_view text);
std::string ToJson(const dom::element& value);
bool IsNumber(dom::element_type type);

// Null is taken as absent for every optional field: clients often send
// `"ref": null` for "no ref".
bool Present(const std::optional<dom::element>& field);

// Reads a conv_id: a positive integer, as a JSON number or a decimal string.
bool ReadConvId(const dom::element& value, int64_t* conv_id, OpReply* reply);

// Reads a ref: a string of 1..kOpsMaxRefSize bytes, or a number (kept as
// its JSON text, so `"ref": 42` is the ref "42").
bool ReadRef(const dom::element& value, std::string* ref, OpReply* reply);

// Reads an obj_id: 24 hex digits, as the engine makes them.
bool ReadObjId(const dom::element& value, std::string* obj_id, OpReply* reply);

bool ReadNodeId(const dom::element& value, std::string* node_id, OpReply* reply);

// Reads `data` as compact JSON text: an object; `[]`, null or no `data` is
// the empty object (Corezoid accepts `[]` for an empty task).
bool ReadData(const std::optional<dom::element>& value, std::string* json, OpReply* reply);

// Reports an engine failure. NotFound of a task is `obj_id_not_found`; every
// other code is `error` with a description that names the kind of failure
// and carries the engine's message.
void FailFromStatus(const absl::Status& status, OpType type, OpReply* reply);

// Reads the task an op names: obj_id (then conv_id, if given, must be the
// task's process and ref is not used), else conv_id and ref.
std::optional<TaskName> ReadTaskName(const OpFields& fields, OpReply* reply);

// Looks the task up, checking the process when the op gave one with obj_id.
absl::StatusOr<TaskSnapshot> Lookup(Engine& engine, const TaskName& name);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_OPS_OP_FIELDS_H_
