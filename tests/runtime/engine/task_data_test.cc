// Task data with repeated keys (semantics A1): through the host API and the
// ops protocol, a key repeated with the same value, at any depth, becomes
// one member before any logic reads the task; a repeat with a different
// value is refused, naming the key and where it is. And how logics read
// task data: every form as the document reads it.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "convey/ops.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::IfJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;
using ::testing::HasSubstr;

constexpr int64_t kConv = 100;

std::unique_ptr<Engine> OpenEngine() {
  EngineOptions options;
  options.worker_threads = 2;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return *std::move(engine);
}

// A repeated key "k" at one depth of task data.
struct Shape {
  std::string name;
  std::string path;                         // of "k", as a template reads it
  std::string (*wrap)(const std::string&);  // members of k's object -> data
};

std::string Top(const std::string& members) { return absl::StrCat("{", members, "}"); }
std::string InObject(const std::string& members) {
  return absl::StrCat(R"({"o":{)", members, "}}");
}
std::string InArray(const std::string& members) {
  return absl::StrCat(R"({"arr":[0,{)", members, "}]}");
}
std::string TenDeep(const std::string& members) {
  std::string json = absl::StrCat("{", members, "}");
  for (int i = 10; i >= 1; --i) json = absl::StrCat("{\"l", i, "\":", json, "}");
  return json;
}

const std::vector<Shape>& Shapes() {
  static const std::vector<Shape> shapes = {
      {"top level", "k", Top},
      {"nested object", "o.k", InObject},
      {"object in an array", "arr[1].k", InArray},
      {"ten levels down", "l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.k", TenDeep},
  };
  return shapes;
}

// start -> read: set_param copies `path` (a template), api_sum adds it, a
// condition on it routes to "five" (else "other").
std::string ReadingScheme(const std::string& path) {
  const std::string read = absl::StrCat(
      R"([{"type":"set_param","extra":{"copy":"{{)", path,
      R"(}}"},"extra_type":{"copy":"number"}},)",
      R"({"type":"api_sum","extra":[{"id":"total","name":"total","value":"{{)", path, R"(}}"}]},)",
      IfJson(path, "eq", "5", "number", "five"), ",", GoJson("other"), "]");
  return ProcessJson(kConv,
                     {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("read"), "]")),
                      NodeJson("read", Kind::kNormal, read), NodeJson("five", Kind::kFinal, "[]"),
                      NodeJson("other", Kind::kFinal, "[]")});
}

TEST(TaskDataRepeatedKeys, CreateCollapsesSameValuesAtEveryDepth) {
  for (const Shape& shape : Shapes()) {
    SCOPED_TRACE(shape.name);
    auto engine = OpenEngine();
    ASSERT_TRUE(engine->Deploy("test.json", ReadingScheme(shape.path)).ok());
    absl::StatusOr<std::string> id =
        engine->CreateTask(kConv, "", shape.wrap(R"("k":5, "j":[1], "k":5)"));
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
    EXPECT_EQ(task.node_id, "five");
    // One member left, compact; the set_param's write appended after it.
    const std::string collapsed = shape.wrap(R"("k":5,"j":[1])");
    EXPECT_EQ(task.data, absl::StrCat(collapsed.substr(0, collapsed.size() - 1), R"(,"copy":5})"));
    EXPECT_EQ(Field(task.data, "copy"), "5");
    EXPECT_EQ(engine->StatsFor(kConv)->nodes[1].sums[0].value, 5);  // added once
  }
}

TEST(TaskDataRepeatedKeys, CreateRefusesDifferentValuesAtEveryDepth) {
  for (const Shape& shape : Shapes()) {
    SCOPED_TRACE(shape.name);
    auto engine = OpenEngine();
    ASSERT_TRUE(engine->Deploy("test.json", ReadingScheme(shape.path)).ok());
    const std::string data = shape.wrap(R"("k":5,"k":6)");
    absl::StatusOr<std::string> id = engine->CreateTask(kConv, "r", data);
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(id.status().message(),
              absl::StrCat("task data repeats the key \"k\" with different values (at ", shape.path,
                           ", bytes ", data.find("\"k\""), " and ", data.rfind("\"k\""), ")"));
    EXPECT_EQ(engine->Stats().tasks_created, 0);
    // The ref was not taken.
    EXPECT_TRUE(engine->CreateTask(kConv, "r", shape.wrap(R"("k":5)")).ok());
  }
}

// start -> wait (no exit): modify merges into a parked task.
std::string WaitingScheme() {
  return ProcessJson(kConv,
                     {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("wait"), "]")),
                      NodeJson("wait", Kind::kNormal, "[]"), NodeJson("end", Kind::kFinal, "[]")});
}

TEST(TaskDataRepeatedKeys, ModifyFollowsTheSameRule) {
  for (const Shape& shape : Shapes()) {
    SCOPED_TRACE(shape.name);
    auto engine = OpenEngine();
    ASSERT_TRUE(engine->Deploy("test.json", WaitingScheme()).ok());
    ASSERT_TRUE(engine->CreateTask(kConv, "t", R"({"a":1})").ok());
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
    const TaskKey key = TaskKey::ByRef(kConv, "t");
    const std::string different = shape.wrap(R"("k":"x","k":"y")");
    absl::Status status = engine->ModifyTask(key, different);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(
        status.message(),
        HasSubstr(absl::StrCat("repeats the key \"k\" with different values (at ", shape.path)));
    EXPECT_EQ(engine->ShowTask(key)->data, R"({"a":1})");  // untouched

    ASSERT_TRUE(engine->ModifyTask(key, shape.wrap(R"("k":"x","k":"x")")).ok());
    const std::string merged = shape.wrap(R"("k":"x")");
    EXPECT_EQ(engine->ShowTask(key)->data, absl::StrCat(R"({"a":1,)", merged.substr(1)));
  }
}

TEST(TaskDataRepeatedKeys, DataWithoutRepeatsIsStoredAsBefore) {
  auto engine = OpenEngine();
  ASSERT_TRUE(engine->Deploy("test.json", WaitingScheme()).ok());
  // Compact, numbers and escapes as written: no re-serialisation.
  absl::StatusOr<std::string> id =
      engine->CreateTask(kConv, "", R"({ "n" : 1.50, "e" : 1E2, "s" : "\u00e9", "o" : {"k":1} })");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId(*id))->data,
            R"({"n":1.50,"e":1E2,"s":"\u00e9","o":{"k":1}})");
}

TEST(TaskDataRepeatedKeys, OpsCollapseSameValuesAndRefuseDifferentOnes) {
  auto engine = OpenEngine();
  ASSERT_TRUE(engine->Deploy("test.json", WaitingScheme()).ok());
  // Same value: the op's own keys and its data, at any depth.
  std::string reply = HandleOps(
      *engine, R"({"ops":[{"type":"create","type":"create","obj":"task","conv_id":100,"ref":"a",)"
               R"("data":{"o":[{"k":1,"k":1}],"o":[{"k":1}]}}]})");
  EXPECT_THAT(reply, HasSubstr(R"("request_proc":"ok")")) << reply;
  EXPECT_THAT(reply, HasSubstr(R"("proc":"ok")")) << reply;
  EXPECT_EQ(engine->ShowTask(TaskKey::ByRef(kConv, "a"))->data, R"({"o":[{"k":1}]})");
  // Different values: the whole request is a format_error naming the key.
  const std::string body =
      R"({"ops":[{"type":"modify","obj":"task","conv_id":100,"ref":"a","data":{"o":{"k":1,"k":2}}}]})";
  reply = HandleOps(*engine, body);
  EXPECT_THAT(reply, HasSubstr(R"("request_proc":"format_error")")) << reply;
  EXPECT_THAT(
      reply,
      HasSubstr(absl::StrCat(
          R"(the body repeats the key \"k\" with different values (at ops[0].data.o.k, bytes )",
          body.find("\"k\""), " and ", body.rfind("\"k\""), ")")))
      << reply;
  EXPECT_EQ(engine->ShowTask(TaskKey::ByRef(kConv, "a"))->data, R"({"o":[{"k":1}]})");
}

// Conditions and {{path}} templates read a few scalars through simdjson's
// structural index before any document is built (TaskDocument): every form
// of data reads as the document reads it, including what the index leaves
// to the document (a key or string written with escapes, a nested value, an
// integer past 18 digits, more lookups than the index serves).
TEST(TaskDataReads, EveryFormReadsAsTheDocumentReadsIt) {
  const std::string copies =
      R"j([{"type":"set_param","extra":{"c_k":"{{k}}","c_s":"{{s}}","c_o":"{{o}}","c_n":"{{n}}",)j"
      R"j("c_e":"{{e}}","c_big":"{{big}}","c_t":"{{t}}","c_deep":"{{o.x[1]}}","c_none":"{{none}}"},)j"
      R"j("extra_type":{"c_k":"number","c_s":"string","c_o":"object","c_n":"number","c_e":"number",)j"
      R"j("c_big":"string","c_t":"boolean","c_deep":"number","c_none":"string"}},)j";
  const std::string scheme = ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("read"), "]")),
              NodeJson("read", Kind::kNormal,
                       absl::StrCat(copies, IfJson("k", "eq", "5", "number", "five"), ",",
                                    GoJson("other"), "]")),
              NodeJson("five", Kind::kFinal, "[]"), NodeJson("other", Kind::kFinal, "[]")});
  auto engine = OpenEngine();
  ASSERT_TRUE(engine->Deploy("test.json", scheme).ok());
  absl::StatusOr<std::string> id = engine->CreateTask(
      kConv, "",
      R"({"\u006b":5,"s":"a\"b","o":{"x":[1,2]},"n":1.50,"e":1E2,"big":12345678901234567890,)"
      R"("t":true})");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  TaskSnapshot task = *engine->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task.node_id, "five") << task.data;  // the escaped key is "k"
  EXPECT_EQ(Field(task.data, "c_k"), "5") << task.data;
  EXPECT_EQ(Field(task.data, "c_s"), R"("a\"b")") << task.data;
  EXPECT_EQ(Field(task.data, "c_o"), R"({"x":[1,2]})") << task.data;
  EXPECT_EQ(Field(task.data, "c_n"), "1.5") << task.data;
  EXPECT_EQ(Field(task.data, "c_e"), "100") << task.data;
  EXPECT_EQ(Field(task.data, "c_big"), R"("12345678901234567890")") << task.data;
  EXPECT_EQ(Field(task.data, "c_t"), "true") << task.data;
  EXPECT_EQ(Field(task.data, "c_deep"), "2") << task.data;
  EXPECT_EQ(Field(task.data, "c_none"), R"("")") << task.data;
}

// A condition on a string, a missing field or a nested value routes as on
// the document; the one that holds is found through the index.
TEST(TaskDataReads, NumericConditionsOnOtherTypes) {
  const std::string conditions =
      absl::StrCat("[", IfJson("s", "not_eq", "1", "number", "string"), ",",
                   IfJson("none", "not_eq", "1", "number", "missing"), ",",
                   IfJson("o", "eq", "1", "number", "object"), ",",
                   IfJson("o.n", "more", "2", "number", "nested"), ",", GoJson("other"), "]");
  const std::string scheme = ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, absl::StrCat("[", GoJson("read"), "]")),
              NodeJson("read", Kind::kNormal, conditions), NodeJson("string", Kind::kFinal, "[]"),
              NodeJson("missing", Kind::kFinal, "[]"), NodeJson("object", Kind::kFinal, "[]"),
              NodeJson("nested", Kind::kFinal, "[]"), NodeJson("other", Kind::kFinal, "[]")});
  auto engine = OpenEngine();
  ASSERT_TRUE(engine->Deploy("test.json", scheme).ok());
  // A string is "not equal" to any number: the first condition holds.
  absl::StatusOr<std::string> a = engine->CreateTask(kConv, "", R"({"s":"1","o":{"n":3}})");
  // No string: the missing field matches nothing, not even not_eq; the
  // object is no number; o.n is 3 > 2.
  absl::StatusOr<std::string> b = engine->CreateTask(kConv, "", R"({"o":{"n":3}})");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(10)).ok());
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId(*a))->node_id, "string");
  EXPECT_EQ(engine->ShowTask(TaskKey::ByObjId(*b))->node_id, "nested");
}

}  // namespace
}  // namespace convey
