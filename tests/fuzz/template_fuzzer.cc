// Templates and `$.` functions (runtime/template).
//
// The input is a template's text (valid UTF-8, as every JSON string of a
// scheme file is; other inputs are skipped), after fuzz::Expand (NUL-
// separated repetition groups, up to 256 KiB: long `$.math` chains). It is compiled in both modes
// (kValue: bare text is a literal; kParam: bare text is a path) and, when it compiles, evaluated
// against a fixed task document through a TemplateEnv that also answers `root.*`, `node[...]`,
// `conv[...].ref[...]` and `env_var[...]`, with a fixed clock and a scripted random source.
// Invariants:
// - the result's JSON (Value::ToJson) is JSON (a number never prints as
//   `inf` or `nan`, a string is escaped), and objects and arrays hold JSON
//   of their kind;
// - a constant template evaluates to its constant();
// - a template that is one fixed path (data_path()) evaluates to the
//   element at that path;
// - every typed conversion (internal::ConvertTo) that succeeds gives the
//   requested type, as valid JSON;
// - the splitting helpers (ReferenceEnd, ParenEnd, FunctionAt) stay inside
//   the text;
// - a path that parses (internal::ParsePath) prints (PathToString) to a
//   text that parses to the same path.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "convey/value.h"
#include "runtime/json/path.h"
#include "runtime/template/template.h"
#include "simdjson.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using convey::TemplateMode;
using convey::Value;

constexpr char kTask[] = R"({
  "amount": 150, "big": 12345678901234567890, "neg": -42, "pi": 3.25, "name": "Ann",
  "flag": true, "nothing": null, "empty": "", "zero": 0, "tiny": 1e-300, "huge": 1.7e308,
  "a": {"b": {"c": "deep"}, "list": [10, 20, {"x": "y"}]},
  "arr": ["zero", "one", "two"], "i": 1, "si": "2", "key": "b", "field": "name",
  "half": 1.5, "idx": [2, 0], "date": "2024-01-05 10:00:00", "ts": 1704448800,
  "dot.key": "dotted", "br[0]": "bracketed", "a]b": "closing", "back\\slash": "bs",
  "esc": "quote\" and \\ back", "uni": "h\u00e9", "ctl": "tab\there\u0001",
  "nid": "node1", "cid": "77", "r": "ref-1", "f": "task_id", "expr": "1+2*3",
  "nums": "12.5", "neg_s": "-7", "obj_s": "{\"k\":[1,2]}", "arr_s": "[1,{\"a\":2}]"
})";

constexpr char kState[] = R"({"status":"ok","n":5,"items":[{"id":1},{"id":2}]})";
constexpr char kVariables[] =
    R"({"URL":"https://example.com/api","limits":{"max":[1,250]},"@raw":"{not json"})";

simdjson::dom::element Parsed(simdjson::dom::parser& parser, const char* json) {
  simdjson::dom::element element;
  if (parser.parse(json, std::char_traits<char>::length(json)).get(element) != simdjson::SUCCESS) {
    std::abort();
  }
  return element;
}

// What templates read: a fixed task, its metadata, counters, one state
// task and two project variables. Deterministic.
class FuzzEnv : public convey::internal::TemplateEnv {
 public:
  FuzzEnv()
      : task_(Parsed(task_parser_, kTask)),
        state_(Parsed(state_parser_, kState)),
        variables_(Parsed(variables_parser_, kVariables)) {}

  simdjson::dom::element data() override { return task_; }

  Value Root(absl::string_view field) override {
    if (field == "task_id" || field == "obj_id") return Value::String("65a1b2c3d4e5f60718293a4b");
    if (field == "ref") return Value::String("ref-1");
    if (field == "conv_id") return Value::Number(77);
    if (field == "node_id") return Value::String("node1");
    if (field == "prev_node_id" || field == "node_prev_id") return Value::String("node0");
    if (field == "create_time" || field == "change_time") return Value::Number(1704448800);
    return Value::Missing();
  }

  Value NodeField(absl::string_view conv_id, absl::string_view node_id,
                  absl::string_view field) override {
    if (node_id.empty()) return Value::Missing();
    if (field == "count") return Value::Number(static_cast<double>(node_id.size()));
    if (field == "sum" || field == "total") return Value::Number(12.5);
    return Value::Missing();
  }

  Value StateTask(absl::string_view conv_id, absl::string_view ref,
                  const convey::internal::Path& path) override {
    if (ref != "ref-1" && ref != "1") return Value::Missing();
    if (path.empty()) return convey::internal::ValueFromElement(state_);
    simdjson::dom::element found;
    if (!convey::internal::FindPath(state_, path, &found)) return Value::Missing();
    return convey::internal::ValueFromElement(found);
  }

  Value EnvVar(absl::string_view name, const convey::internal::Path& path) override {
    if (!name.empty() && name[0] == '@') name.remove_prefix(1);
    simdjson::dom::element value;
    if (variables_.at_key(std::string_view(name.data(), name.size())).get(value) !=
        simdjson::SUCCESS) {
      return Value::Missing();
    }
    if (path.empty()) return convey::internal::ValueFromElement(value);
    simdjson::dom::element found;
    if (!convey::internal::FindPath(value, path, &found)) return Value::Missing();
    return convey::internal::ValueFromElement(found);
  }

  absl::Time Now() override { return absl::FromUnixSeconds(1704448800) + absl::Milliseconds(123); }

  uint64_t Random() override {
    random_ = random_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return random_;
  }

 private:
  simdjson::dom::parser task_parser_;
  simdjson::dom::parser state_parser_;
  simdjson::dom::parser variables_parser_;
  simdjson::dom::element task_;
  simdjson::dom::element state_;
  simdjson::dom::element variables_;
  uint64_t random_ = 42;
};

const char* TypeName(Value::Type type) { return Value::TypeName(type).data(); }

void CheckValue(const Value& value, absl::string_view source, const char* what) {
  const std::string json = value.ToJson();
  simdjson::dom::element_type type;
  bool too_deep = false;
  FUZZ_CHECK(convey::fuzz::ParsesAsJson(json, &type, &too_deep) || too_deep,
             "%s of template \"%.*s\": a %s whose JSON is not JSON: %.300s", what,
             static_cast<int>(source.size()), source.data(), TypeName(value.type()), json.c_str());
  if (too_deep) return;
  switch (value.type()) {
    case Value::Type::kObject:
      FUZZ_CHECK(type == simdjson::dom::element_type::OBJECT, "%s: an object holding %.300s", what,
                 json.c_str());
      break;
    case Value::Type::kArray:
      FUZZ_CHECK(type == simdjson::dom::element_type::ARRAY, "%s: an array holding %.300s", what,
                 json.c_str());
      break;
    case Value::Type::kString:
      FUZZ_CHECK(type == simdjson::dom::element_type::STRING, "%s: a string printing as %.300s",
                 what, json.c_str());
      break;
    case Value::Type::kNumber:
      FUZZ_CHECK(type == simdjson::dom::element_type::INT64 ||
                     type == simdjson::dom::element_type::UINT64 ||
                     type == simdjson::dom::element_type::DOUBLE,
                 "%s: a number printing as %.300s", what, json.c_str());
      break;
    default:
      break;
  }
}

void RunTemplate(absl::string_view text, TemplateMode mode) {
  absl::StatusOr<std::unique_ptr<convey::Template>> compiled =
      convey::Template::Compile(text, mode);
  if (!compiled.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(compiled.status()), "Compile failed with %s",
               compiled.status().ToString().c_str());
    return;
  }
  const convey::Template& tmpl = **compiled;
  FuzzEnv env;
  const Value value = tmpl.Evaluate(env);
  CheckValue(value, text, "the result");
  if (tmpl.is_constant()) {
    FUZZ_CHECK(tmpl.constant().type() == value.type() && tmpl.constant().ToJson() == value.ToJson(),
               "constant template \"%.*s\": constant() %s, Evaluate %s",
               static_cast<int>(text.size()), text.data(), tmpl.constant().ToJson().c_str(),
               value.ToJson().c_str());
  }
  if (const convey::internal::Path* path = tmpl.data_path()) {
    simdjson::dom::element found;
    const Value direct = convey::internal::FindPath(env.data(), *path, &found)
                             ? convey::internal::ValueFromElement(found)
                             : Value::Missing();
    FUZZ_CHECK(direct.type() == value.type() && direct.ToJson() == value.ToJson(),
               "template \"%.*s\" with data_path %s: element %s, Evaluate %s",
               static_cast<int>(text.size()), text.data(),
               convey::internal::PathToString(*path).c_str(), direct.ToJson().c_str(),
               value.ToJson().c_str());
  }
  static const Value::Type kTypes[] = {Value::Type::kString, Value::Type::kNumber,
                                       Value::Type::kBoolean, Value::Type::kObject,
                                       Value::Type::kArray};
  for (Value::Type type : kTypes) {
    absl::StatusOr<Value> converted = convey::internal::ConvertTo(value, type);
    if (!converted.ok()) continue;
    FUZZ_CHECK(converted->type() == type, "ConvertTo(%s, %s) gave a %s", value.ToJson().c_str(),
               TypeName(type), TypeName(converted->type()));
    CheckValue(*converted, text, "a conversion");
  }
}

// At the first 64 "{{" and "$." (each call is linear: checking them all
// would make long inputs quadratic here, not in the product).
void CheckSplitters(absl::string_view text) {
  int budget = 64;
  const convey::internal::ReferenceEnds ends(text);
  for (size_t at = text.find("{{"); at != absl::string_view::npos && budget-- > 0;
       at = text.find("{{", at + 1)) {
    const size_t end = convey::internal::ReferenceEnd(text, at + 2);
    FUZZ_CHECK(ends.Find(at + 2) == end, "ReferenceEnds(%zu) = %zu, ReferenceEnd = %zu", at + 2,
               ends.Find(at + 2), end);
    FUZZ_CHECK(end == absl::string_view::npos ||
                   (end >= at + 2 && end + 2 <= text.size() && text.substr(end, 2) == "}}"),
               "ReferenceEnd(%zu) = %zu in a text of %zu bytes", at + 2, end, text.size());
  }
  budget = 64;
  for (size_t at = text.find("$."); at != absl::string_view::npos && budget-- > 0;
       at = text.find("$.", at + 1)) {
    absl::string_view name;
    size_t open = 0;
    if (!convey::internal::FunctionAt(text, at, &name, &open)) continue;
    FUZZ_CHECK(open > at && open < text.size() && text[open] == '(',
               "FunctionAt(%zu): \"(\" at %zu in a text of %zu bytes", at, open, text.size());
    const size_t close = ends.ParenEnd(open);
    FUZZ_CHECK(close == absl::string_view::npos ||
                   (close > open && close < text.size() && text[close] == ')'),
               "ParenEnd(%zu) = %zu in a text of %zu bytes", open, close, text.size());
  }
}

void CheckPath(absl::string_view text) {
  absl::StatusOr<convey::internal::Path> path = convey::internal::ParsePath(text);
  if (!path.ok()) return;
  const std::string printed = convey::internal::PathToString(*path);
  absl::StatusOr<convey::internal::Path> again = convey::internal::ParsePath(printed);
  FUZZ_CHECK(again.ok(), "path \"%.*s\" prints as \"%s\", which does not parse: %s",
             static_cast<int>(text.size()), text.data(), printed.c_str(),
             again.status().ToString().c_str());
  FUZZ_CHECK(convey::internal::PathToString(*again) == printed,
             "path \"%s\" does not print as itself", printed.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Repetition groups (fuzz::Expand) stand for long texts: up to 256 KiB.
  const std::string expanded = convey::fuzz::Expand(convey::fuzz::AsText(data, size), 256 << 10);
  const absl::string_view text = expanded;
  // Templates come from JSON strings of a scheme file: valid UTF-8.
  if (!convey::fuzz::IsUtf8(text)) return 0;
  RunTemplate(text, TemplateMode::kValue);
  RunTemplate(text, TemplateMode::kParam);
  CheckSplitters(text);
  CheckPath(text);
  return 0;
}
