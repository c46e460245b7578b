// Typed values (semantics A5): a TypedValueSpec list (set_param `extra`,
// api_copy `data`, api_rpc `extra`, api_queue `data`, api_rpc_reply
// `res_data`, as LogicConfig::ReadTypedValues reads them) compiled once at
// deploy and evaluated per task.
//
// Each key and value is a template; the value is converted to its declared
// type; keys are paths (`a.b`, `a[0]`, `a\.b`). Evaluation is
// all-or-nothing: the first value that does not convert stops it with the A5
// description `Param: <key>, Value: <value>, Try convert to: <type>`.
//
// Templates can be evaluated against the running task (TaskValueSource) or
// against another document (EnvValueSource over a TemplateEnv): stub mode
// evaluates a reply against the data an api_rpc would have sent.
//
// Compiled objects are immutable and may be used from many threads at once.
#ifndef CONVEY_LOGICS_COMMON_TYPED_VALUES_H_
#define CONVEY_LOGICS_COMMON_TYPED_VALUES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "runtime/template/template.h"
#include "simdjson.h"

namespace convey {
namespace logics {

// What templates read: a task's data and the rest of its environment.
class ValueSource {
 public:
  virtual ~ValueSource() = default;
  virtual simdjson::dom::element data() = 0;
  virtual Value Evaluate(const Template& compiled) = 0;
  // As TaskContext::EvaluateNumber.
  virtual NumberLookup EvaluateNumber(const Template& compiled, double* out) {
    const Value value = Evaluate(compiled);
    if (value.type() == Value::Type::kNumber) {
      *out = value.number();
      return NumberLookup::kNumber;
    }
    return value.is_missing() ? NumberLookup::kMissing : NumberLookup::kOther;
  }
};

// The running task.
class TaskValueSource : public ValueSource {
 public:
  explicit TaskValueSource(TaskContext& task) : task_(task) {}
  simdjson::dom::element data() override { return task_.data(); }
  Value Evaluate(const Template& compiled) override { return task_.Evaluate(compiled); }
  NumberLookup EvaluateNumber(const Template& compiled, double* out) override {
    return task_.EvaluateNumber(compiled, out);
  }

 private:
  TaskContext& task_;
};

// Any TemplateEnv (stub mode: the data that would have been sent).
class EnvValueSource : public ValueSource {
 public:
  explicit EnvValueSource(internal::TemplateEnv& env) : env_(env) {}
  simdjson::dom::element data() override { return env_.data(); }
  Value Evaluate(const Template& compiled) override { return compiled.Evaluate(env_); }

 private:
  internal::TemplateEnv& env_;
};

// One evaluated entry, its value converted to the declared type.
struct TypedEntry {
  std::string key;  // the key's text (a path)
  Value value;
  // The key parsed at deploy when it is a constant path; else null and
  // BuildObject parses `key`.
  const internal::Path* path = nullptr;
};

// A logic's evaluated entries, on its stack while there are few: most
// logics write a handful of keys, and a vector was one allocation per run
// (issue 17, B1).
using TypedEntries = absl::InlinedVector<TypedEntry, 4>;

// Objects built from typed values may not grow past this many bytes
// (BuildObject: OutOfRange). The engine applies its own, smaller
// max_task_size to whatever a logic sends; this bound only stops a path like
// `a[2000000000]` from padding an array in memory before that check.
inline constexpr size_t kMaxBuiltObjectBytes = size_t{64} << 20;

class TypedValues {
 public:
  TypedValues() = default;
  TypedValues(TypedValues&&) = default;
  TypedValues& operator=(TypedValues&&) = default;

  // Compiles every key and value. `field` names the list in messages
  // ("extra", "data", "res_data"). InvalidArgument for an empty key or a
  // template that does not compile, naming the field and the key.
  static absl::StatusOr<TypedValues> Compile(const std::vector<TypedValueSpec>& items,
                                             absl::string_view field, LogicBuilder& builder);

  // Compile, then CheckConstantKeys, for logics that build objects: the
  // first failure is reported as an error at `key` of `config`, and `*out`
  // is left as it was; false then.
  static bool CompileObject(const std::vector<TypedValueSpec>& items, absl::string_view field,
                            absl::string_view key, LogicConfig& config, LogicBuilder& builder,
                            TypedValues* out);

  // InvalidArgument naming the field and key for the first constant key that
  // is not a valid path. Logics that build objects call it at deploy;
  // set_param reports a bad key at run time (`set_param_wrong_key`).
  absl::Status CheckConstantKeys() const;

  // Appends one entry per item, in order. InvalidArgument whose message is
  // the A5 description when a value does not convert; `*out` may then hold
  // some entries.
  absl::Status Evaluate(ValueSource& source, TypedEntries* out) const;

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

 private:
  struct Item {
    const Template* key = nullptr;
    const Template* value = nullptr;
    Value::Type type = Value::Type::kString;
    bool key_parsed = false;  // `key_path` holds the constant key's path
    internal::Path key_path;
    absl::Status key_status;  // a constant key that is not a path
  };
  std::string field_;
  std::vector<Item> items_;
};

// "Param: KEY: why" for a key that is not a path; a hostile key (30 000
// steps, control characters) is shown cut short and escaped.
std::string WrongKeyMessage(absl::string_view key, const absl::Status& why);

// The A5 description of a failed conversion.
std::string ConvertFailure(absl::string_view key, const Value& value, Value::Type type);

// Writes `entries` at their key paths into `base` (an object; the text it was
// parsed from may be given as `base_text` for the fast path, or left empty)
// and stores the result in `*out`: missing containers are created, later
// entries win (internal::ApplyWrites). InvalidArgument
// `Param: <key>: <why>` for a key that is not a path; OutOfRange when the
// object would pass kMaxBuiltObjectBytes.
absl::Status BuildObject(simdjson::dom::element base, absl::string_view base_text,
                         const TypedEntries& entries, std::string* out);

// BuildObject over `{}`.
absl::Status BuildObject(const TypedEntries& entries, std::string* out);

// `key` as a path of one key (`.`, `[`, `]` and `\` escaped), for writing a
// top-level key through TaskContext::Set.
std::string EscapeKey(absl::string_view key);

}  // namespace logics
}  // namespace convey

#endif  // CONVEY_LOGICS_COMMON_TYPED_VALUES_H_
