// Templates (semantics Part A4): `{{path}}`, `root.*`, `node[ID].count`,
// `node[ID].<sum id>`, `conv[ID]...`, and `$.` functions, compiled once when a
// process is deployed and evaluated per task against its simdjson document.
//
// A template that is exactly one `{{...}}` (or one function call) keeps the
// value's JSON type; mixed with text it produces a string (objects and arrays
// as compact JSON). A missing value is an empty string inside text, and
// Value::Missing() when it is the whole template. Evaluation never executes
// code, never recurses without bound, and reads only what TemplateEnv gives.
// A compiled Template is immutable: Evaluate may run on many threads at
// once, each with its own TemplateEnv. Full rules: docs/templates.md.
#ifndef CONVEY_RUNTIME_TEMPLATE_TEMPLATE_H_
#define CONVEY_RUNTIME_TEMPLATE_TEMPLATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/logic.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "simdjson.h"

namespace convey {
namespace internal {

// What a template can read. Implemented by the engine per task (and by
// tests).
class TemplateEnv {
 public:
  virtual ~TemplateEnv() = default;
  // The task's data (a JSON object).
  virtual simdjson::dom::element data() = 0;
  // The value at `path` in data(), Missing when absent. The engine
  // overrides it to read a few fields without building the document
  // (runtime/task/task_document.h); the same Value either way.
  virtual Value DataAt(const internal::Path& path);
  // `root.<field>`: task_id, obj_id, ref, conv_id, node_id, prev_node_id,
  // create_time, change_time, ... Missing when unknown.
  virtual Value Root(absl::string_view field) = 0;
  // `node[ID].<field>` (conv_id empty: the task's process) or
  // `conv[CONV].node[ID].<field>`: `count` or a sum id/name.
  virtual Value NodeField(absl::string_view conv_id, absl::string_view node_id,
                          absl::string_view field) = 0;
  // `conv[CONV].ref[REF]` (path empty: the whole task data as an object) or
  // `conv[CONV].ref[REF].<path>`.
  virtual Value StateTask(absl::string_view conv_id, absl::string_view ref,
                          const internal::Path& path) = 0;
  // `env_var[NAME]` (path empty) or `env_var[NAME].<path>`: a stage
  // variable. Stage variables are not part of a scheme export, so the
  // default has none (Missing); a host that has them overrides this.
  virtual Value EnvVar(absl::string_view name, const internal::Path& path) {
    return Value::Missing();
  }
  virtual absl::Time Now() = 0;
  virtual uint64_t Random() = 0;
};

// Templates over a JSON document that is not a task (the data an api_rpc
// would send, an HTTP answer): paths read `document`; task metadata, node
// counters and state-diagram tasks read as missing.
class DocumentEnv : public TemplateEnv {
 public:
  DocumentEnv(simdjson::dom::element document, absl::Time now) : document_(document), now_(now) {}
  simdjson::dom::element data() override { return document_; }
  Value Root(absl::string_view) override { return Value::Missing(); }
  Value NodeField(absl::string_view, absl::string_view, absl::string_view) override {
    return Value::Missing();
  }
  Value StateTask(absl::string_view, absl::string_view, const internal::Path&) override {
    return Value::Missing();
  }
  absl::Time Now() override { return now_; }
  uint64_t Random() override;

 private:
  simdjson::dom::element document_;
  absl::Time now_;
};

// The "}}" closing a "{{" whose body starts at `body` in `text`, honouring
// nested "{{...}}" and `\` escapes; npos when there is none. For code that
// splits template text the way the compiler does (the api logic's URLs).
size_t ReferenceEnd(absl::string_view text, size_t body);

// A "$.name(" call at `at` in `text`: its name and the position of "(".
bool FunctionAt(absl::string_view text, size_t at, absl::string_view* name, size_t* open);

// The ")" matching the "(" at `open` in `text`, skipping "{{...}}" groups
// (an unclosed "{{" is text) and `\` escapes; npos when unbalanced. Linear
// in the text (ReferenceEnds below, for many calls on one text).
size_t ParenEnd(absl::string_view text, size_t open);

// ReferenceEnd and ParenEnd for many positions of one text: one pass reads
// the text's tokens and depths, after which finding where a "{{" closes is
// a lookup, so that a text of many "{{" that never close costs linear time,
// not quadratic (each ReferenceEnd of an unclosed one scans to the end).
// `text` must outlive it.
class ReferenceEnds {
 public:
  explicit ReferenceEnds(absl::string_view text);
  // ReferenceEnd(text.substr(0, end), body).
  size_t Find(size_t body, size_t end = absl::string_view::npos) const;
  // ParenEnd(text.substr(0, end), open).
  size_t ParenEnd(size_t open, size_t end = absl::string_view::npos) const;

 private:
  static constexpr int32_t kNotAToken = INT32_MIN;
  absl::string_view text_;
  // Per byte: the depth before the token starting there, or kNotAToken.
  std::vector<int32_t> depth_;
  // The positions of the "}}" tokens, by the depth before them, in order.
  absl::flat_hash_map<int32_t, std::vector<size_t>> closes_at_depth_;
};
}  // namespace internal

class Template {
 public:
  // InvalidArgument with the reason and byte offset for an empty `{{}}`, a
  // malformed path, an unknown `$.` function, a `$.map` / `$.filter`
  // (Erlang funs are not supported), a malformed function argument, or
  // nesting deeper than 16. A `{{` with no matching `}}` is literal text:
  // exports the platform runs contain `"{{url}"`.
  // kParam: text without `{{` or a `$.name(` call is a path (internal::
  // ParsePath); kValue: it is a literal string.
  static absl::StatusOr<std::unique_ptr<Template>> Compile(absl::string_view text,
                                                           TemplateMode mode);
  ~Template();

  Value Evaluate(internal::TemplateEnv& env) const;

  // True when the template reads nothing (a literal); constant() is then its value.
  bool is_constant() const;
  const Value& constant() const;
  const std::string& source() const;
  // The names of the project variables it reads (`env_var[@NAME]` gives
  // "@NAME", `env_var[ID]` "ID"), as written, in order; names computed by a
  // template (`env_var[{{x}}]`) are not known until run time and not listed.
  const std::vector<std::string>& env_var_names() const;
  // The path when the template is one fixed path into the task's data
  // (`amount`, `{{a.b[0]}}`), so a caller can read the element itself.
  // Kept beside the handle: conditions read it on every step (B2).
  const internal::Path* data_path() const { return data_path_; }

 private:
  Template();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const internal::Path* data_path_ = nullptr;  // in impl_'s expression
};

namespace internal {

// The JSON value at `element` as a Value.
Value ValueFromElement(simdjson::dom::element element);

// Typed conversion of semantics A5 (`set_param` and friends). Returns
// InvalidArgument when `value` does not convert to `type` (the caller builds
// the `Param: <key>, Value: <value>, Try convert to: <type>` description).
absl::StatusOr<Value> ConvertTo(const Value& value, Value::Type type);

}  // namespace internal
}  // namespace convey

#endif  // CONVEY_RUNTIME_TEMPLATE_TEMPLATE_H_
