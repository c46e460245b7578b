// Conditions: go_if_const comparisons (runtime/template/compare.h) and
// condition sets read from a logic's configuration (logics/common/
// conditions, through the real go_if_const factory).
//
// Two input forms, by the first byte:
//
// `{` or `[`: a go_if_const logic. Line 1 is the logic object (`[...]` is
// taken as its `conditions` array); line 2, when it is a JSON object, is the
// task's data (else a fixed one). The logic is read and compiled by the
// go_if_const factory (LogicConfig over the importer's located reader,
// Conditions::Read, templates), and when it compiles it runs once on the
// task. Deploy errors are fine; crashes are not.
//
// Anything else: one comparison, four lines: fun name, cast name, the task's
// value (JSON; text that is not JSON is a string; no line: missing), the
// constant (as a string; also as its JSON value when it parses). Every fun
// is compared; the cast name goes through ParseCast, and an unknown one
// picks every cast in turn. Invariants for a task value that is not missing:
// - eq and not_eq disagree;
// - more_or_eq is more || eq, less_or_eq is less || eq, and more, less and
//   eq never hold two at once (numbers, strings);
// - a value equals its own text (number, string, object and array without
//   repeated keys) as constant: reflexivity;
// - object/array equality is symmetric.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "convey/logic.h"
#include "convey/value.h"
#include "runtime/import/logic_config.h"
#include "runtime/json/repeated_keys.h"
#include "runtime/template/compare.h"
#include "runtime/template/template.h"
#include "simdjson.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/logics/fakes.h"

namespace {

using convey::Value;
using convey::internal::CompareFun;

constexpr char kTask[] =
    R"({"amount":150,"price":"12.50","name":"Ann","flag":true,"off":"false","nothing":null,)"
    R"("list":[1,"two",{"three":3}],"obj":{"a":1,"b":[true,null]},"empty":"","neg":-0.0,)"
    R"("big":18446744073709551615,"small":-9223372036854775808,"re":"^[a-z]+$","key":"name"})";

constexpr CompareFun kFuns[] = {CompareFun::kEq,    CompareFun::kNotEq,    CompareFun::kMore,
                                CompareFun::kLess,  CompareFun::kMoreOrEq, CompareFun::kLessOrEq,
                                CompareFun::kRegexp};
constexpr Value::Type kCasts[] = {Value::Type::kString, Value::Type::kNumber, Value::Type::kBoolean,
                                  Value::Type::kObject, Value::Type::kArray};

bool HasRepeats(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS) return true;
  return convey::internal::HasRepeatedKeys(root);
}

bool Cmp(const Value& task, CompareFun fun, const Value& constant, Value::Type cast) {
  return convey::internal::Compare(task, fun, constant, cast, nullptr);
}

const char* FunName(CompareFun fun) { return convey::internal::CompareFunName(fun).data(); }

void CheckComparison(const Value& task, const Value& constant, Value::Type cast) {
  bool result[7];
  for (int i = 0; i < 7; ++i) result[i] = Cmp(task, kFuns[i], constant, cast);
  if (task.is_missing()) {
    for (int i = 0; i < 7; ++i) {
      FUZZ_CHECK(!result[i], "a missing value satisfies %s", FunName(kFuns[i]));
    }
    return;
  }
  const std::string where = absl::StrCat("task ", task.ToJson(), " cast ", Value::TypeName(cast),
                                         " constant ", constant.ToJson());
  const bool eq = result[0], ne = result[1], more = result[2], less = result[3],
             more_or_eq = result[4], less_or_eq = result[5];
  FUZZ_CHECK(eq != ne, "%s: eq %d, not_eq %d", where.c_str(), eq, ne);
  if (task.type() == cast && (cast == Value::Type::kNumber || cast == Value::Type::kString)) {
    FUZZ_CHECK(more_or_eq == (more || eq), "%s: more_or_eq %d, more %d, eq %d", where.c_str(),
               more_or_eq, more, eq);
    FUZZ_CHECK(less_or_eq == (less || eq), "%s: less_or_eq %d, less %d, eq %d", where.c_str(),
               less_or_eq, less, eq);
    FUZZ_CHECK(static_cast<int>(eq) + more + less <= 1, "%s: eq %d, more %d, less %d",
               where.c_str(), eq, more, less);
  }
}

void CheckReflexive(const Value& task) {
  switch (task.type()) {
    case Value::Type::kNumber:
    case Value::Type::kString:
      break;
    case Value::Type::kObject:
    case Value::Type::kArray:
      if (HasRepeats(task.text())) return;
      break;
    default:
      return;
  }
  FUZZ_CHECK(Cmp(task, CompareFun::kEq, Value::String(task.text()), task.type()),
             "%s is not eq to its own text as %s", task.ToJson().c_str(),
             Value::TypeName(task.type()).data());
}

void CheckSymmetric(const Value& a, const Value& b) {
  if (a.type() != b.type()) return;
  if (a.type() != Value::Type::kObject && a.type() != Value::Type::kArray) return;
  if (HasRepeats(a.text()) || HasRepeats(b.text())) return;
  const bool ab = Cmp(a, CompareFun::kEq, Value::String(b.text()), a.type());
  const bool ba = Cmp(b, CompareFun::kEq, Value::String(a.text()), a.type());
  FUZZ_CHECK(ab == ba, "%s eq %s is %d, the other way %d", a.ToJson().c_str(), b.ToJson().c_str(),
             ab, ba);
}

// A line as a Value: its JSON value when it parses, else a string.
Value ValueOf(absl::string_view line, simdjson::dom::parser& parser) {
  simdjson::dom::element element;
  if (parser.parse(line.data(), line.size()).get(element) == simdjson::SUCCESS) {
    return convey::internal::ValueFromElement(element);
  }
  return Value::String(std::string(line));
}

void FuzzCompare(absl::string_view input) {
  const std::vector<absl::string_view> lines = convey::fuzz::Lines(input);
  simdjson::dom::parser parser;
  // Every fun is compared (CheckComparison); the name only goes through the
  // parser, and back.
  if (absl::StatusOr<CompareFun> fun = convey::internal::ParseCompareFun(lines[0]); fun.ok()) {
    FUZZ_CHECK(convey::internal::CompareFunName(*fun) == lines[0], "fun name does not round-trip");
  }
  std::vector<Value::Type> casts;
  if (lines.size() > 1) {
    if (absl::StatusOr<Value::Type> cast = convey::internal::ParseCast(lines[1]); cast.ok()) {
      casts.push_back(*cast);
    }
  }
  if (casts.empty()) casts.assign(std::begin(kCasts), std::end(kCasts));
  const Value task = lines.size() > 2 ? ValueOf(lines[2], parser) : Value::Missing();
  std::vector<Value> constants;
  if (lines.size() > 3) {
    constants.push_back(Value::String(std::string(lines[3])));
    Value parsed = ValueOf(lines[3], parser);
    if (parsed.type() != Value::Type::kString) constants.push_back(parsed);
  } else {
    constants.push_back(Value::String(""));
  }
  for (Value::Type cast : casts) {
    for (const Value& constant : constants) {
      CheckComparison(task, constant, cast);
    }
  }
  CheckReflexive(task);
  for (const Value& constant : constants) CheckSymmetric(task, constant);
}

void FuzzGoIfConst(absl::string_view input) {
  const std::vector<absl::string_view> lines = convey::fuzz::Lines(input);
  std::string config = std::string(lines[0]);
  if (!config.empty() && config[0] == '[') {
    config = absl::StrCat(R"({"type":"go_if_const","to_node_id":"b","conditions":)", config, "}");
  }
  std::string data = kTask;
  if (lines.size() > 1) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(lines[1].data(), lines[1].size()).get(root) == simdjson::SUCCESS &&
        root.is_object() && !convey::internal::HasRepeatedKeys(root)) {
      data = std::string(lines[1]);
    }
  }
  static const convey::LogicFactory* factory = [] {
    static convey::LogicRegistry registry;
    if (!convey::RegisterBuiltinLogics(registry).ok()) std::abort();
    return registry.Find("go_if_const");
  }();
  convey::testing::FakeBuilder builder;
  absl::StatusOr<std::unique_ptr<convey::LogicConfig>> logic_config =
      convey::internal::NewLogicConfig(
          {"fuzz.json", "go_if_const", config, "[0].scheme.nodes[0].condition.logics[0]", "a", 1},
          &builder, &builder.diagnostics);
  if (!logic_config.ok()) return;
  convey::LogicSpec spec;
  spec.type = "go_if_const";
  spec.conv_id = 1;
  spec.node_id = "a";
  spec.config = logic_config->get();
  absl::StatusOr<std::unique_ptr<convey::Logic>> logic = factory->Create(spec, builder);
  if (!logic.ok()) return;
  convey::testing::FakeTask task(data);
  const convey::LogicResult result = (*logic)->Run(task);
  FUZZ_CHECK(result.kind == convey::LogicResult::Kind::kNext ||
                 result.kind == convey::LogicResult::Kind::kGoTo,
             "go_if_const returned kind %d", static_cast<int>(result.kind));
  FUZZ_CHECK(task.writes.empty(), "go_if_const wrote to the task");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = convey::fuzz::AsText(data, size);
  if (!input.empty() && (input[0] == '{' || input[0] == '[')) {
    FuzzGoIfConst(input);
  } else {
    FuzzCompare(input);
  }
  return 0;
}
