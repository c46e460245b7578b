// Project variables (`{{env_var[@NAME]}}`): given in EngineOptions (a map
// and a lookup), read by every template, warned about at deploy when unset.
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "convey/scheme.h"
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
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kConv = 100;

std::unique_ptr<Engine> OpenEngine(EngineOptions options) {
  options.worker_threads = 2;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return *std::move(engine);
}

// start: set_param `extra` (JSON object text, all typed `types`), then
// amount > {{env_var[@LIMIT]}} (number) -> big, else small.
std::string Scheme(const std::string& extra, const std::string& types) {
  const std::string start = absl::StrCat(
      R"([{"type":"set_param","extra":)", extra, R"(,"extra_type":)", types, "},",
      IfJson("amount", "more", "{{env_var[@LIMIT]}}", "number", "big"), ",", GoJson("small"), "]");
  return ProcessJson(kConv,
                     {NodeJson("start", Kind::kStart, start), NodeJson("big", Kind::kFinal, "[]"),
                      NodeJson("small", Kind::kFinal, "[]")});
}

std::vector<std::string> Messages(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> messages;
  for (const Diagnostic& diagnostic : diagnostics) messages.push_back(diagnostic.message);
  return messages;
}

TaskSnapshot RunOne(Engine& engine, const std::string& data) {
  absl::StatusOr<std::string> id = engine.CreateTask(kConv, "", data);
  EXPECT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(engine.WaitIdle(absl::Seconds(10)).ok());
  return *engine.ShowTask(TaskKey::ByObjId(*id));
}

TEST(ProjectVariables, SetParamAndConditionsReadThem) {
  EngineOptions options;
  options.variables = {
      {"@API_URL", "https://pay.example.com"},              // given with its @
      {"LIMIT", "100"},                                     // and without
      {"limits", R"( {"max":[10,{"p":250}],"on":true} )"},  // JSON
      {"12345", "by id"},
      {"raw", "{not json"},  // RAW text that looks like JSON
  };
  auto engine = OpenEngine(options);
  const std::string extra = R"({
      "url":"{{env_var[@API_URL]}}/charge",
      "url2":"{{env_var[API_URL]}}",
      "p":"{{env_var[@limits].max[1].p}}",
      "limits":"{{env_var[@limits]}}",
      "on":"{{env_var[@limits].on}}",
      "id":"{{env_var[12345]}}",
      "raw":"{{env_var[@raw]}}",
      "unset":"<{{env_var[@NOPE]}}>",
      "missing":"<{{nope}}>",
      "path_in_raw":"<{{env_var[@raw].x}}>"})";
  const std::string types = R"({"url":"string","url2":"string","p":"number",
      "limits":"object","on":"boolean","id":"string","raw":"string","unset":"string",
      "missing":"string","path_in_raw":"string"})";
  absl::StatusOr<DeployResult> deployed = engine->Deploy("test.json", Scheme(extra, types));
  ASSERT_TRUE(deployed.ok()) << deployed.status();

  TaskSnapshot task = RunOne(*engine, R"({"amount":150})");
  EXPECT_EQ(task.node_id, "big");  // 150 > LIMIT (100)
  EXPECT_EQ(Field(task.data, "url"), R"("https://pay.example.com/charge")");
  EXPECT_EQ(Field(task.data, "url2"), R"("https://pay.example.com")");
  EXPECT_EQ(Field(task.data, "p"), "250");
  EXPECT_EQ(Field(task.data, "limits"), R"({"max":[10,{"p":250}],"on":true})");
  EXPECT_EQ(Field(task.data, "on"), "true");
  EXPECT_EQ(Field(task.data, "id"), R"("by id")");
  EXPECT_EQ(Field(task.data, "raw"), R"("{not json")");
  // An unset variable reads like a missing parameter.
  EXPECT_EQ(Field(task.data, "unset"), R"("<>")");
  EXPECT_EQ(Field(task.data, "unset"), Field(task.data, "missing"));
  EXPECT_EQ(Field(task.data, "path_in_raw"), R"("<>")");
  EXPECT_EQ(RunOne(*engine, R"({"amount":50})").node_id, "small");
}

TEST(ProjectVariables, UnsetVariablesInAConditionAreMissing) {
  // No LIMIT: the condition compares with a missing value, as with a
  // missing parameter, and does not hold.
  auto engine = OpenEngine(EngineOptions{});
  ASSERT_TRUE(engine->Deploy("test.json", Scheme(R"({"a":"1"})", R"({"a":"string"})")).ok());
  EXPECT_EQ(RunOne(*engine, R"({"amount":150})").node_id, "small");
}

TEST(ProjectVariables, BadNamesAndValuesAreRefusedAtOpen) {
  auto refused = [](std::map<std::string, std::string> variables) {
    EngineOptions options;
    options.variables = std::move(variables);
    return Engine::Open(options).status();
  };
  absl::Status twice = refused({{"@A", "1"}, {"A", "1"}});
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(twice.message(), HasSubstr("\"A\" is given twice"));
  EXPECT_EQ(refused({{"", "1"}}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused({{"@", "1"}}).code(), absl::StatusCode::kInvalidArgument);
  absl::Status ambiguous = refused({{"J", R"({"a":1,"a":2})"}});
  EXPECT_EQ(ambiguous.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ambiguous.message(),
              HasSubstr("project variable \"J\" repeats the key \"a\" with different values"));
  // The same value twice collapses.
  EngineOptions options;
  options.variables = {{"J", R"({"a":1,"a":1})"}};
  auto engine = OpenEngine(options);
  ASSERT_TRUE(
      engine->Deploy("test.json", Scheme(R"({"j":"{{env_var[@J]}}"})", R"({"j":"object"})")).ok());
  EXPECT_EQ(Field(RunOne(*engine, "{}").data, "j"), R"({"a":1})");
}

TEST(ProjectVariables, LookupAnswersWhatTheMapDoesNotHold) {
  std::atomic<int> calls{0};
  EngineOptions options;
  options.variables = {{"LIMIT", "10"}};
  options.variable_lookup = [&calls](absl::string_view name) -> std::optional<std::string> {
    ++calls;
    if (name == "DYN") return std::string(R"({"a":[1,2]})");
    if (name == "LIMIT") return std::string("1000");  // never asked: the map wins
    return std::nullopt;
  };
  auto engine = OpenEngine(options);
  absl::StatusOr<DeployResult> deployed = engine->Deploy(
      "test.json", Scheme(R"({"a":"{{env_var[@DYN].a[1]}}","u":"<{{env_var[@U]}}>"})",
                          R"({"a":"number","u":"string"})"));
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  // Deploy asked about DYN and U (U unset: warned); not about LIMIT.
  ASSERT_EQ(deployed->warnings.size(), 1u);
  EXPECT_THAT(deployed->warnings[0].message, HasSubstr("\"@U\""));
  const int at_deploy = calls.load();
  EXPECT_EQ(at_deploy, 2);
  TaskSnapshot task = RunOne(*engine, R"({"amount":50})");
  EXPECT_EQ(task.node_id, "big");  // 50 > 10
  EXPECT_EQ(Field(task.data, "a"), "2");
  EXPECT_EQ(Field(task.data, "u"), R"("<>")");
  EXPECT_EQ(calls.load(), at_deploy + 2);  // DYN and U, once each
}

TEST(ProjectVariables, DeployWarnsOnceAboutEachUnsetVariable) {
  EngineOptions options;
  options.variables = {{"SET", "x"}};
  auto engine = OpenEngine(options);
  const std::string first = R"([{"type":"set_param","extra":{"a":"{{env_var[@SET]}}",
      "b":"{{env_var[@MISSING]}}","c":"{{env_var[{{name}}]}}"},
      "extra_type":{"a":"string","b":"string","c":"string"}},{"type":"go","to_node_id":"second"}])";
  const std::string second = R"([{"type":"set_param","extra":{"b":"{{env_var[MISSING]}}",
      "d":"{{env_var[777]}}"},"extra_type":{"b":"string","d":"string"}},
      {"type":"go","to_node_id":"end"}])";
  const std::string scheme = ProcessJson(
      kConv, {NodeJson("start", Kind::kStart, first), NodeJson("second", Kind::kNormal, second),
              NodeJson("end", Kind::kFinal, "[]")});
  absl::StatusOr<DeployResult> deployed = engine->Deploy("vars.json", scheme);
  ASSERT_TRUE(deployed.ok()) << deployed.status();
  std::vector<std::string> warned;
  for (const Diagnostic& warning : deployed->warnings) {
    EXPECT_EQ(warning.file, "vars.json");
    EXPECT_EQ(warning.location, "process 100");
    warned.push_back(absl::StrCat(warning.node_id, ": ", warning.message));
  }
  // SET is set; the computed name cannot be known; MISSING once, at the
  // first node reading it.
  EXPECT_THAT(warned,
              ElementsAre(AllOf(HasSubstr("start: reads project variable \"@MISSING\", which is "
                                          "not set: it reads as a missing value"),
                                HasSubstr("--env MISSING=VALUE")),
                          HasSubstr("second: reads project variable \"777\"")));

  // Inspecting has no variables: each one read is named.
  SchemeReport report = InspectScheme("vars.json", scheme);
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(Messages(report.warnings),
              ElementsAre(HasSubstr("\"@SET\""), HasSubstr("\"@MISSING\""), HasSubstr("\"777\"")));
  // One variable, and a file that reads none.
  EXPECT_THAT(
      Messages(InspectScheme("plain.json", Scheme(R"({"a":"1"})", R"({"a":"string"})")).warnings),
      ElementsAre(HasSubstr("\"@LIMIT\"")));
  EXPECT_THAT(InspectScheme("plain.json",
                            ProcessJson(kConv, {NodeJson("start", Kind::kStart,
                                                         absl::StrCat("[", GoJson("end"), "]")),
                                                NodeJson("end", Kind::kFinal, "[]")}))
                  .warnings,
              IsEmpty());
}

}  // namespace
}  // namespace convey
