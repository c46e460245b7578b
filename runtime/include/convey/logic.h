// Logic plugins: how a logic type (`go`, `set_param`, a host's own...) plugs
// into the engine.
//
// A LogicFactory is registered once by the platform's type name. When a
// process is deployed, the factory validates the logic's configuration and
// compiles it (templates, node links, sums) into a Logic. For every task that
// reaches the logic, Logic::Run reads the task through a TaskContext, records
// its writes there, and returns what happens next; it never moves the task
// itself.
//
// Contract: Run is called concurrently from the engine's worker threads for
// different tasks, so a Logic must be immutable after Create (or synchronise
// itself). Factories are called at deploy time, from the deploying thread.
// The registry is safe to use from any thread; a duplicate name is refused.
// Writes made through TaskContext::Set are applied only when Run returns
// Next or GoTo; on Fail the task's data is left as it was (all-or-nothing).
#ifndef CONVEY_LOGIC_H_
#define CONVEY_LOGIC_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/environment.h"
#include "convey/http.h"
#include "convey/limits.h"
#include "convey/value.h"
#include "simdjson.h"

namespace convey {

// A compiled template: an opaque handle, like leveldb::Snapshot. Logics get
// one from LogicBuilder::CompileTemplate and pass it to
// StepContext::Evaluate; the engine owns it for the process's life. Its
// definition is internal on purpose, so the template compiler can change
// without breaking host logics.
class Template;

// What TaskContext::EvaluateNumber found.
enum class NumberLookup {
  kNumber,   // a number
  kMissing,  // nothing
  kOther,    // a value of another type
};

// A node of the process being deployed, resolved once at load time.
struct NodeHandle {
  static constexpr uint32_t kNone = 0xffffffffu;
  uint32_t index = kNone;
  bool valid() const { return index != kNone; }
};

// An accumulator of an `api_sum` item in the node being deployed.
struct SumHandle {
  uint32_t index = 0;
};

// What a logic decided for its task.
struct LogicResult {
  enum class Kind {
    kNext,  // go on with the node's next logic
    kGoTo,  // move the task to `node`
    kFail,  // error: to `node` (the err_node_id) with the error parameters
    kPark,  // the task stays in the node until an event (`park`) releases
            // it; it then resumes with the node's next logic (kHttp: with
            // the same logic, which then reads TaskContext::HttpResult)
  };
  Kind kind = Kind::kNext;
  NodeHandle node;
  ParkReason park = ParkReason::kNone;  // kPark: kCallback, kReply, kQueue or kHttp
  // kFail: the `<family>` of the error parameters when not the logic's own
  // error_family() (an api_get_task aimed at a node that is no queue fails
  // in family `queue`).
  std::string family;
  bool hardware = false;    // kFail: `hardware` or `software`
  std::string tag;          // kFail: `__conveyor_<family>_return_type_tag__`
  std::string description;  // kFail: `..._return_description__`

  // User-provided, so that a result is built member by member: value-
  // initialising the aggregate zeroed all 120 bytes first with `rep stos`,
  // whose start-up cost showed in every logic's Run (B2).
  LogicResult() {}

  static LogicResult Next() { return LogicResult(); }
  static LogicResult GoTo(NodeHandle node) {
    LogicResult r;
    r.kind = Kind::kGoTo;
    r.node = node;
    return r;
  }
  static LogicResult Park(ParkReason reason = ParkReason::kCallback) {
    LogicResult r;
    r.kind = Kind::kPark;
    r.park = reason;
    return r;
  }
  // `err_node` may be invalid: the task then stops with status `error`.
  static LogicResult Fail(NodeHandle err_node, bool hardware, std::string tag,
                          std::string description) {
    LogicResult r;
    r.kind = Kind::kFail;
    r.node = err_node;
    r.hardware = hardware;
    r.tag = std::move(tag);
    r.description = std::move(description);
    return r;
  }
};

// Where a template's bare text is read from.
enum class TemplateMode {
  kValue,  // bare text is a literal ("amount" is the string "amount")
  kParam,  // bare text is a path into the task ("amount", "a.b[0]")
};

// The kind of node a logic sits in (the file's node `obj_type`).
enum class NodeKind {
  kNormal,      // 0
  kStart,       // 1
  kFinal,       // 2
  kEscalation,  // 3, runs like kNormal
  kStub,        // 4: a Call-a-Process node in stub mode (see LogicSpec::stub)
};

// One entry of a key -> value map with a declared type (`extra` +
// `extra_type`, `data` + `data_type`, `res_data` + `res_data_type`, ...).
struct TypedValueSpec {
  std::string key;    // a path, possibly a template
  std::string value;  // a template; a non-string JSON value as compact JSON
  Value::Type type = Value::Type::kString;
};

// The configuration of one logic as the scheme file holds it, read through
// typed calls whose problems become located diagnostics: the JSON path in
// the file (`[0].scheme.nodes[3].condition.logics[1].to_node_id`), the node
// id and the reason, exactly as the importer reports the file's structure.
//
// Reads never fail hard: a key that is absent or null returns false and
// reports nothing; a key of the wrong type returns false and reports an
// error; the factory goes on reading so that one deploy lists every problem,
// and returns `Failed()` (or its own error) when error_count() > 0.
// A LogicConfig handed to a visitor (ForEachObject, ReadObject) is valid
// during that call only. Not thread-safe: one factory call reads it.
class LogicConfig {
 public:
  virtual ~LogicConfig() = default;

  // The logic's type ("go_if_const", a host's own type, ...).
  virtual absl::string_view type() const = 0;
  // This object as compact JSON (repeated keys already collapsed; the
  // importer reported them) and parsed.
  virtual absl::string_view json() const = 0;
  virtual simdjson::dom::object object() const = 0;
  // Where this object is in the file.
  virtual std::string location() const = 0;

  // Present and not null.
  virtual bool Has(absl::string_view key) const = 0;
  // The keys in file order.
  virtual std::vector<std::string> Keys() const = 0;

  // A string. Other types: error.
  virtual bool ReadString(absl::string_view key, std::string* out) = 0;
  // Any value as text: a string as it is, anything else as compact JSON.
  virtual bool ReadText(absl::string_view key, std::string* out) = 0;
  // An integer, also written as a string ("42") or as 42.0.
  virtual bool ReadInt64(absl::string_view key, int64_t* out) = 0;
  // true/false, also "true"/"false" and 0/1.
  virtual bool ReadBool(absl::string_view key, bool* out) = 0;
  // A type name: string, number, boolean, object or array.
  virtual bool ReadValueType(absl::string_view key, Value::Type* out) = 0;
  // A link to a node of the same process (`to_node_id`, `err_node_id`),
  // resolved. Absent and `required`: error "<type> has no <key>". Empty:
  // false, with a warning when `required` (a task reaching it stops). A
  // name of no node: error. A resolved link is an edge for the deploy's
  // unreachable-node check.
  virtual bool ReadLink(absl::string_view key, bool required, NodeHandle* out) = 0;
  // The scalar elements of the array `key`, as ReadText gives them.
  virtual bool ReadTextList(absl::string_view key, std::vector<std::string>* out) = 0;
  // A key -> value map `values_key` (an object, or JSON text in a string as
  // older exports write it) typed by the map `types_key` (same forms).
  // A value with no type is a string (with a warning), a type with no value
  // is ignored (with a warning). An empty `types_key`: every value is a
  // string, no warning (header maps).
  virtual bool ReadTypedValues(absl::string_view values_key, absl::string_view types_key,
                               std::vector<TypedValueSpec>* out) = 0;
  // The object `key` (or JSON text in a string), visited as a LogicConfig.
  virtual bool ReadObject(absl::string_view key,
                          const std::function<void(LogicConfig&)>& visit) = 0;
  // Each element of the array `key`, visited as a LogicConfig; elements
  // that are not objects are reported and skipped.
  virtual bool ForEachObject(absl::string_view key,
                             const std::function<void(LogicConfig&)>& visit) = 0;

  // The factory's own findings, located at `key` ("" for this object).
  virtual void Error(absl::string_view key, std::string message) = 0;
  virtual void Warning(absl::string_view key, std::string message) = 0;
  // Errors reported so far through this configuration and those it visited.
  virtual int error_count() const = 0;
  // What a factory returns when error_count() > 0: the errors are already
  // reported, located; this status only carries the count.
  absl::Status Failed() const;
};

// The logic being deployed.
struct LogicSpec {
  absl::string_view type;  // "go_if_const", a host's own type, ...
  int64_t conv_id = 0;
  absl::string_view node_id;
  int index = 0;  // position in the node's `logics`
  // The logic object as written in the file. Never null.
  LogicConfig* config = nullptr;
  NodeKind node_kind = NodeKind::kNormal;
  // A stub-mode node's branches (`condition.stub.logics`, kStub only): each
  // branch's logics (go_if_const conditions, then an api_rpc_reply) in file
  // order.
  std::vector<std::vector<LogicConfig*>> stub;
  // `convey inspect`: the Logic is checked and thrown away, never run.
  bool validate_only = false;
};

// Load-time services for a factory.
class LogicBuilder {
 public:
  virtual ~LogicBuilder() = default;
  // A node of the same process; InvalidArgument naming the id if none.
  virtual absl::StatusOr<NodeHandle> Node(absl::string_view node_id) = 0;
  // Compiles `text` once; the template lives as long as the process.
  // InvalidArgument with the reason for a malformed template.
  virtual absl::StatusOr<const Template*> CompileTemplate(absl::string_view text,
                                                          TemplateMode mode) = 0;
  // The accumulator for one sum item of this node (same id: same handle).
  virtual SumHandle DeclareSum(absl::string_view id, absl::string_view name) = 0;
  // Declares that tasks may be sent to process `conv_id` (a constant
  // `conv_id` of api_copy, api_rpc, api_get_task): deploy warns when no
  // such process is deployed.
  virtual void ReferenceProcess(int64_t conv_id) = 0;
  // A deploy warning about this logic (it loads, but not all of it runs).
  virtual void Warn(std::string message) {}
  // The engine's limits for Code nodes.
  virtual CodeLimits code_limits() const { return CodeLimits{}; }
  // Declares that tasks wait in this node's queue (api_queue), where
  // TaskContext::EnterQueue puts them and api_get_task takes them.
  virtual void DeclareQueue() {}
};

// A task taken out of a queue node by TaskContext::TakeQueued.
struct QueuedTask {
  std::string obj_id;
  std::string data_json;   // its data when it was taken
  std::string extra_json;  // the queue node's `data` (api_queue), an object
};

// Run-time view of one task, valid during Logic::Run only.
class TaskContext {
 public:
  virtual ~TaskContext() = default;
  virtual int64_t conv_id() const = 0;
  virtual absl::string_view obj_id() const = 0;
  virtual absl::string_view ref() const = 0;
  virtual absl::string_view node_id() const = 0;
  virtual absl::Time now() const = 0;

  // The task's data as JSON text, and as a simdjson document parsed once
  // per activation (and again only after a logic wrote to it).
  virtual absl::string_view data_json() = 0;
  virtual simdjson::dom::element data() = 0;

  virtual Value Evaluate(const Template& compiled) = 0;

  // Records a write of `value` at `path` (`a.b`, `a[0]`, `a\.b`).
  // InvalidArgument for a malformed path. A key or string that is not UTF-8
  // is written with U+FFFD for each byte of a bad sequence (task data stays JSON).
  virtual absl::Status Set(absl::string_view path, Value value) = 0;

  // Adds `amount` to a node sum. False, with the sum unchanged, when the
  // sum would pass the largest double (it would print as infinity).
  virtual bool AddToSum(SumHandle sum, double amount) = 0;

  // The task's data becomes `data_json` (a JSON object) when the logic
  // returns Next or GoTo, replacing what Set recorded (a Code node's
  // result). InvalidArgument when it is not an object, nests too deep or
  // repeats a key with different values (one repeated with the same value
  // is kept once, as in created tasks).
  virtual absl::Status ReplaceData(std::string data_json) = 0;

  // --- Other tasks and processes (api_copy, api_rpc, api_queue, ...) ---
  // None of these waits for another task to stop running.

  // Starts a task of process `conv_id` at its start node. `ref` may be
  // empty. NotFound: no such process is deployed; AlreadyExists: `ref` is
  // active in it; InvalidArgument: `data_json` is not an object or too large;
  // ResourceExhausted: the run queue is full.
  virtual absl::StatusOr<std::string> StartTask(int64_t conv_id, absl::string_view ref,
                                                absl::string_view data_json) = 0;

  // Merges `data_json` into the active task `ref` of process `conv_id` and,
  // when it waits in an api_callback, releases it. NotFound: no such task.
  // With `only_if_waiting` (is_sync): FailedPrecondition when the task is not
  // waiting in an api_callback, Aborted when another modify has already
  // claimed this wait. The merge is applied asynchronously, in call order
  // per target.
  virtual absl::Status ModifyTask(int64_t conv_id, absl::string_view ref,
                                  absl::string_view data_json, bool only_if_waiting) = 0;

  // Starts a task of `conv_id` (as StartTask, no ref) whose api_rpc_reply
  // answers this task; the logic then returns Park(ParkReason::kReply).
  // Besides StartTask's errors: ResourceExhausted when calls are nested
  // deeper than EngineOptions::max_rpc_depth (a cycle of calls).
  virtual absl::StatusOr<std::string> CallProcess(int64_t conv_id, absl::string_view data_json) = 0;

  // Answers the task that called this one (CallProcess): `data_json` (an
  // object) is merged into it and it goes on; with `exception` it leaves by
  // its api_rpc's err_node_id with `reason`. Asynchronous; dropped when the
  // caller has stopped waiting. False when this task was not called.
  virtual bool Reply(absl::string_view data_json, bool exception, absl::string_view reason) = 0;

  // Puts this task in its node's queue with `extra_json` (an object, the
  // node's api_queue data); the logic then returns Park(ParkReason::kQueue).
  virtual void EnterQueue(std::string extra_json) = 0;

  // Takes the oldest (or newest) task waiting in queue node `node_id` of
  // process `conv_id`; that task goes on in its own process. NotFound: no
  // such process or node; OutOfRange: the queue is empty.
  virtual absl::StatusOr<QueuedTask> TakeQueued(int64_t conv_id, absl::string_view node_id,
                                                bool newest) = 0;

  // --- HTTP (api) ---

  // Sends `request` (method, url, headers, body, client certificate; the
  // engine sets the timeout, size cap, redirect and address rules from its
  // options); the logic then returns Park(ParkReason::kHttp). At most
  // `max_in_flight` requests of this logic are in flight at once (0: the
  // engine's default), also capped engine-wide; the others wait their turn
  // in order, and one that waited longer than its timeout for a turn
  // completes with Aborted (`api_expire_query`). When the answer arrives and
  // the task still waits in this node entry, the engine runs the same logic
  // again and HttpResult() returns the answer.
  virtual void SendHttp(HttpRequest request, int max_in_flight) = 0;
  // The answer to this logic's request when the task was resumed by it;
  // null on a logic's first run.
  virtual const absl::StatusOr<HttpResponse>* HttpResult() = 0;

  // Added after 0.2.0, at the end of the class: a host logic built against
  // 0.2.0 keeps its slots (docs/embedding.md, "ABI policy").
  // What `compiled` gives when a number is wanted (a condition comparing
  // numbers), without building a Value: kNumber with *out, kMissing when it
  // gives nothing, kOther for any other type. For a template that is one
  // path into the data, the engine reads the field without parsing the
  // whole data when it can.
  virtual NumberLookup EvaluateNumber(const Template& compiled, double* out) {
    const Value value = Evaluate(compiled);
    if (value.type() == Value::Type::kNumber) {
      *out = value.number();
      return NumberLookup::kNumber;
    }
    return value.is_missing() ? NumberLookup::kMissing : NumberLookup::kOther;
  }
};

class Logic {
 public:
  virtual ~Logic() = default;
  virtual LogicResult Run(TaskContext& task) const = 0;
  // The `<family>` of the error parameters this logic writes
  // (`__conveyor_<family>_return_type_error__`), e.g. "api", "set_param".
  virtual absl::string_view error_family() const = 0;
  // Where the task goes when the engine fails this logic itself (task size
  // overflow after its writes). Invalid: stop with status `error`.
  virtual NodeHandle error_node() const { return {}; }
};

class LogicFactory {
 public:
  virtual ~LogicFactory() = default;
  virtual absl::string_view type() const = 0;
  // Reads, validates and compiles one logic. Problems found while reading
  // spec.config are reported there, located; an error returned with none
  // reported is located at the logic. Either way the deploy fails.
  virtual absl::StatusOr<std::unique_ptr<Logic>> Create(const LogicSpec& spec,
                                                        LogicBuilder& builder) const = 0;
};

// Factories by type name.
class LogicRegistry {
 public:
  // An empty registry (no built-ins).
  LogicRegistry() = default;
  LogicRegistry(const LogicRegistry&) = delete;
  LogicRegistry& operator=(const LogicRegistry&) = delete;

  // The registry engines use by default: convey's built-in logics, plus
  // whatever hosts register in it before they open an engine.
  static LogicRegistry& Global();

  // AlreadyExists when the type is taken; InvalidArgument for a null or
  // unnamed factory.
  absl::Status Register(std::unique_ptr<LogicFactory> factory);
  // Null when no factory has that type.
  const LogicFactory* Find(absl::string_view type) const;
  std::vector<std::string> Types() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<LogicFactory>> factories_;  // guarded by mu_
};

// Registers convey's built-in logic types (go, go_if_const, set_param,
// api_sum, api_callback, api_copy, api_rpc, api_rpc_reply, api_queue,
// api_get_task, api, api_code) in `registry`: for a host that builds its own
// registry (EngineOptions::registry) with the built-ins beside its types.
// AlreadyExists when one of them is taken.
absl::Status RegisterBuiltinLogics(LogicRegistry& registry);

}  // namespace convey

#endif  // CONVEY_LOGIC_H_
