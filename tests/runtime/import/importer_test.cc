#include "runtime/import/importer.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convey {
namespace internal {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadTestData(const std::string& name) {
  std::ifstream in("tests/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

ImportResult Import(const std::string& json, const ImportLimits& limits = {}) {
  return ImportScheme("test.json", json, limits);
}

std::vector<Diagnostic> Errors(const ImportResult& result) {
  std::vector<Diagnostic> errors;
  for (const Diagnostic& d : result.diagnostics) {
    if (d.is_error()) errors.push_back(d);
  }
  return errors;
}

std::vector<Diagnostic> Warnings(const ImportResult& result) {
  std::vector<Diagnostic> warnings;
  for (const Diagnostic& d : result.diagnostics) {
    if (!d.is_error()) warnings.push_back(d);
  }
  return warnings;
}

auto At(const std::string& location, const std::string& message) {
  return AllOf(Field(&Diagnostic::location, location),
               Field(&Diagnostic::message, HasSubstr(message)));
}

std::string AllText(const ImportResult& result) {
  std::string text;
  for (const Diagnostic& d : result.diagnostics) {
    absl::StrAppend(&text, d.ToString(), "\n");
  }
  return text;
}

// ---------------------------------------------------------------------------
// Container shapes and legacy forms

TEST(ImporterShapes, FolderExportWithNestedFoldersAndDashboard) {
  ImportResult result = Import(ReadTestData("import/folder_export.json"));
  ASSERT_TRUE(result.ok()) << AllText(result);
  ASSERT_EQ(result.scheme().processes_size(), 2);
  ASSERT_EQ(result.scheme().folders_size(), 2);
  EXPECT_EQ(result.scheme().folders(1).obj_id(), 2100);
  EXPECT_EQ(result.scheme().folders(0).parent_id(), 2100);

  const schema::Process& orders = result.scheme().processes(0);
  EXPECT_EQ(orders.conv_id(), 2001);
  EXPECT_EQ(orders.parent_id(), 2100);
  EXPECT_EQ(orders.status(), schema::PROCESS_STATUS_ACTIVE);  // "actived"
  EXPECT_TRUE(orders.ref_mask());
  ASSERT_EQ(orders.nodes_size(), 4);
  EXPECT_EQ(orders.nodes(0).kind(), schema::NODE_KIND_START);
  EXPECT_EQ(orders.nodes(0).options().json(),
            R"({"direct_url":true,"type_auth":"no_auth"})");
  const schema::GoIfConst& route = orders.nodes(1).logics(0).go_if_const();
  EXPECT_EQ(route.to_node_id(), "a00000000000000000000003");
  ASSERT_EQ(route.conditions_size(), 1);
  EXPECT_EQ(route.conditions(0).param(), "amount");
  EXPECT_EQ(route.conditions(0).fun(), schema::CONDITION_FUN_MORE);
  EXPECT_EQ(route.conditions(0).value(), "100");
  EXPECT_EQ(route.conditions(0).cast(), schema::VALUE_TYPE_NUMBER);
  EXPECT_TRUE(orders.nodes(2).options().save_task());
  EXPECT_TRUE(orders.nodes(3).options().has_save_task());
  EXPECT_FALSE(orders.nodes(3).options().save_task());

  const schema::ApiCopy& copy =
      result.scheme().processes(1).nodes(1).logics(0).api_copy();
  EXPECT_EQ(copy.mode(), "create");
  EXPECT_EQ(copy.conv_id(), "2001");
  EXPECT_EQ(copy.ref(), "{{root.ref}}");
  ASSERT_EQ(copy.data_size(), 1);
  EXPECT_EQ(copy.data(0).key(), "origin");
  EXPECT_EQ(copy.err_node_id(), "b00000000000000000000004");
}

TEST(ImporterShapes, SingleProcessObject) {
  ImportResult result = Import(ReadTestData("import/single_process.json"));
  ASSERT_TRUE(result.ok()) << AllText(result);
  ASSERT_EQ(result.scheme().processes_size(), 1);
  const schema::Process& process = result.scheme().processes(0);
  EXPECT_EQ(process.conv_type(), schema::CONV_TYPE_STATE);
  ASSERT_EQ(process.params_size(), 1);
  EXPECT_EQ(process.params(0).type(), schema::VALUE_TYPE_NUMBER);
  EXPECT_THAT(process.params(0).flags(), Contains("required"));
  const schema::Node& wait = process.nodes(1);
  EXPECT_TRUE(wait.logics(0).api_callback().is_sync());
  ASSERT_EQ(wait.semaphores_size(), 2);
  EXPECT_EQ(wait.semaphores(0).time().absolute_template(), "{{wake_at}}");
  EXPECT_EQ(wait.semaphores(1).count().value(), 30);  // "30" as a string
  EXPECT_EQ(wait.semaphores(1).count().esc_node_id(),
            "c00000000000000000000004");
}

TEST(ImporterShapes, BareSchemeGetsSyntheticIdWithWarning) {
  ImportResult result = Import(ReadTestData("import/bare_scheme.json"));
  ASSERT_TRUE(result.ok()) << AllText(result);
  ASSERT_EQ(result.scheme().processes_size(), 1);
  EXPECT_TRUE(result.scheme().processes(0).synthetic_conv_id());
  EXPECT_EQ(result.scheme().processes(0).conv_id(), 1);
  EXPECT_THAT(Warnings(result), Contains(At("$", "synthetic conv_id")));
}

TEST(ImporterShapes, KeysModeReplyKeepsDeclaredTypes) {
  ImportResult result = Import(R"j({"obj_type":1,"obj_id":5,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"r"}]}},
    {"id":"r","obj_type":0,"condition":{"logics":[
      {"type":"api_rpc_reply","mode":"keys","res_data":["n","s"],"res_data_type":{"n":"number"}},
      {"type":"go","to_node_id":"f"}]}},
    {"id":"f","obj_type":2,"condition":{"logics":[]}}]}})j");
  ASSERT_TRUE(result.ok()) << AllText(result);
  const schema::ApiRpcReply& reply =
      result.scheme().processes(0).nodes(1).logics(0).api_rpc_reply();
  ASSERT_EQ(reply.res_data_size(), 2);
  EXPECT_EQ(reply.res_data(0).key(), "n");
  EXPECT_EQ(reply.res_data(0).type(), schema::VALUE_TYPE_NUMBER);
  EXPECT_EQ(reply.res_data(1).key(), "s");
  EXPECT_EQ(reply.res_data(1).type(), schema::VALUE_TYPE_STRING);
}

TEST(ImporterShapes, SyntheticIdsAvoidRealOnes) {
  ImportResult result = Import(R"([
    {"obj_type":1,"scheme":{"nodes":[{"id":"s","obj_type":1}]}},
    {"obj_type":1,"obj_id":1,"scheme":{"nodes":[{"id":"s","obj_type":1}]}},
    {"obj_type":1,"obj_id":0,"scheme":{"nodes":[{"id":"s","obj_type":1}]}}])");
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_EQ(result.scheme().processes(0).conv_id(), 2);
  EXPECT_EQ(result.scheme().processes(1).conv_id(), 1);
  EXPECT_EQ(result.scheme().processes(2).conv_id(), 3);
}

TEST(ImporterShapes, Utf8ByteOrderMarkIsAccepted) {
  const std::string json = ReadTestData("import/bom.json");
  ASSERT_TRUE(absl::StartsWith(json, "\xEF\xBB\xBF"));
  ImportResult result = Import(json);
  EXPECT_TRUE(result.ok()) << AllText(result);
  EXPECT_EQ(result.scheme().processes_size(), 1);
}

TEST(ImporterShapes, LegacyForms) {
  ImportResult result = Import(ReadTestData("import/legacy_forms.json"));
  ASSERT_TRUE(result.ok()) << AllText(result);
  const schema::Process& process = result.scheme().processes(0);
  EXPECT_EQ(process.conv_id(), 4001);  // "4001"
  EXPECT_EQ(process.nodes(0).kind(), schema::NODE_KIND_START);  // "1"
  const schema::Node& node = process.nodes(1);
  const schema::GoIfConst& flat = node.logics(0).go_if_const();
  EXPECT_TRUE(flat.legacy_flat());
  ASSERT_EQ(flat.conditions_size(), 1);
  EXPECT_EQ(flat.conditions(0).param(), "res");
  EXPECT_EQ(flat.conditions(0).value(), "0");
  EXPECT_EQ(flat.conditions(0).cast(), schema::VALUE_TYPE_STRING);
  // extra/extra_type as JSON strings; quoted constants kept as written.
  const schema::SetParam& set = node.logics(1).set_param();
  ASSERT_EQ(set.values_size(), 1);
  EXPECT_EQ(set.values(0).key(), "AccountAlias");
  EXPECT_EQ(set.values(0).value(), "\"Demo Account\"");
  EXPECT_EQ(set.err_node_id(), "");
  // v1-era api: only format and url.
  EXPECT_EQ(node.logics(2).api().method(), "POST");
  EXPECT_EQ(node.logics(2).api().format(), "json");
  // A logic convey does not implement is kept, with its links.
  const schema::Unsupported& code = node.logics(3).unsupported();
  EXPECT_EQ(code.type(), "api_code");
  EXPECT_EQ(code.err_node_id(), "e00000000000000000000003");
  EXPECT_THAT(code.json(), HasSubstr(R"("src":"data.a = 1;")"));
  // A time semaphore without dimension, value as a string.
  const schema::TimeSemaphore& delay = process.nodes(3).semaphores(0).time();
  EXPECT_EQ(delay.relative(), 600);
  EXPECT_EQ(delay.dimension(), schema::TIME_DIMENSION_SEC);
  // Platform rules broken by old exports are warnings.
  EXPECT_THAT(Warnings(result),
              Contains(At("[0].scheme.nodes[1]", "3 action logics")));
}

TEST(ImporterShapes, SymbolicFunIsReadWithWarning) {
  ImportResult result = Import(R"({"obj_id":1,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[
      {"type":"go_if_const","to_node_id":"e","conditions":[
        {"param":"n","const":"0","fun":"<=","cast":"number"}]},
      {"type":"go","to_node_id":"e"}]}},
    {"id":"e","obj_type":2}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_EQ(result.scheme().processes(0)
                .nodes(0)
                .logics(0)
                .go_if_const()
                .conditions(0)
                .fun(),
            schema::CONDITION_FUN_LESS_OR_EQ);
  EXPECT_THAT(
      Warnings(result),
      Contains(At("scheme.nodes[0].condition.logics[0].conditions[0].fun",
                  "read as less_or_eq")));
}

TEST(ImporterShapes, EmptyIdsInTemplatesGetSyntheticIds) {
  ImportResult result = Import(R"({"obj_id":1,"scheme":{"nodes":[
    {"id":"","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":""}]}},
    {"id":"","obj_type":2}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_EQ(result.scheme().processes(0).nodes(0).id(), "unnamed_node_0");
  EXPECT_EQ(result.scheme().processes(0).nodes(1).id(), "unnamed_node_1");
  EXPECT_THAT(Warnings(result),
              Contains(At("scheme.nodes[0].condition.logics[0].to_node_id",
                          "go.to_node_id is empty")));
}

// ---------------------------------------------------------------------------
// Invalid JSON

TEST(ImporterBadInput, TrailingCommaHasByteOffset) {
  ImportResult result = Import(ReadTestData("bad/trailing_comma.json"));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(Errors(result), Contains(At("byte 56 (line 2, column 55)",
                                          "invalid JSON")));
}

TEST(ImporterBadInput, SyntaxErrorsAreLocated) {
  struct Case {
    std::string json;
    std::string location;
    std::string message;
  };
  const Case cases[] = {
      {R"({"a":tru})", "byte 5 (line 1, column 6)", "atom"},
      {"[1,2", "byte 3 (line 1, column 4)", "invalid JSON"},
      {"{\"a\":1} x", "byte 8 (line 1, column 9)", "after the JSON value"},
      {"{\n \"a\": \"x}", "byte 8 (line 2, column 7)", "never closed"},
      {"{\"a\":\"\xFF\"}", "byte 6 (line 1, column 7)", "UTF-8"},
      {"{\"a\" 1}", "byte 5 (line 1, column 6)", "invalid JSON"},
      {R"({"a":01})", "byte 5 (line 1, column 6)", "number"},
  };
  for (const Case& c : cases) {
    ImportResult result = Import(c.json);
    EXPECT_THAT(Errors(result), Contains(At(c.location, c.message)))
        << c.json << "\n"
        << AllText(result);
  }
}

TEST(ImporterBadInput, EmptyFile) {
  for (const std::string& json :
       {ReadTestData("bad/empty.json"), std::string(" \n\t "),
        std::string("\xEF\xBB\xBF")}) {
    ImportResult result = Import(json);
    EXPECT_THAT(Errors(result), Contains(At("$", "the file is empty")));
  }
}

TEST(ImporterBadInput, TopLevelScalar) {
  EXPECT_THAT(Errors(Import(ReadTestData("bad/scalar.json"))),
              Contains(At("$", "the document is a number")));
  EXPECT_THAT(Errors(Import("null")), Contains(At("$", "the document is null")));
  EXPECT_THAT(Errors(Import("\"x\"")),
              Contains(At("$", "the document is a string")));
  EXPECT_THAT(Errors(Import("[]")), Contains(At("$", "the array is empty")));
  EXPECT_THAT(Errors(Import("[1]")),
              Contains(At("[0]", "expected an object, found a number")));
}

TEST(ImporterBadInput, RepeatedKeyWithDifferentValuesFixture) {
  const std::string json = ReadTestData("bad/duplicate_keys.json");
  ImportResult result = Import(json);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(Errors(result),
              Contains(At("title", absl::StrCat("repeated key \"title\" with a different "
                                                "value: the values at byte ",
                                                json.find("\"title\""), " (line 1, column ",
                                                json.find("\"title\"") + 1, ") and at byte ",
                                                json.rfind("\"title\""), " (line 1, column ",
                                                json.rfind("\"title\"") + 1, ") disagree"))))
      << AllText(result);
}

// ---------------------------------------------------------------------------
// Repeated keys (semantics A1): same value loads with a warning at the
// repeat, a different value is an error naming both places.

// One process, one line (so that columns are byte offsets + 1). `top`,
// `condition`, `node` and `logic` are extra members of the process object,
// the start node's condition, the start node and its set_param; `value` is
// the set_param's object value.
std::string RepeatScheme(const std::string& top, const std::string& condition,
                         const std::string& node, const std::string& logic,
                         const std::string& value) {
  return absl::StrCat(
      R"([{"obj_type":1,"obj_id":7,"conv_type":"process","title":"t")", top,
      R"(,"scheme":{"nodes":[{"id":"s","obj_type":1,"title":"S")", node,
      R"(,"condition":{"semaphors":[])", condition, R"(,"logics":[{"type":"set_param")", logic,
      R"(,"extra":{"v":)", value, R"(},"extra_type":{"v":"object"}},)",
      R"({"type":"go","to_node_id":"f"}]}},{"id":"f","obj_type":2,"condition":{"logics":[]}}]}}])");
}

// `inner` members wrapped in `depth` objects: {"l1":{"l2":{...}}}.
std::string DeepObject(int depth, const std::string& inner) {
  std::string json = absl::StrCat("{", inner, "}");
  for (int i = depth; i >= 1; --i) json = absl::StrCat("{\"l", i, "\":", json, "}");
  return json;
}

TEST(ImporterRepeatedKeys, FourShapesAtEveryDepth) {
  struct Case {
    std::string name;
    std::string same;       // the scheme with a repeat of the same value
    std::string different;  // and of a different value
    std::string location;
    std::string key;  // appears exactly twice in both texts
  };
  const std::string kValue = "{}";
  const std::vector<Case> cases = {
      {"top level", RepeatScheme(R"(,"conv_type":"process")", "", "", "", kValue),
       RepeatScheme(R"(,"conv_type":"state")", "", "", "", kValue), "[0].conv_type",
       "conv_type"},
      {"nested object", RepeatScheme("", R"(,"semaphors":[])", "", "", kValue),
       RepeatScheme("", R"(,"semaphors":null)", "", "", kValue),
       "[0].scheme.nodes[0].condition.semaphors", "semaphors"},
      {"object in an array", RepeatScheme("", "", R"(,"x":10,"x":10)", "", kValue),
       RepeatScheme("", "", R"(,"x":10,"x":11)", "", kValue), "[0].scheme.nodes[0].x", "x"},
      {"logic in an array",
       RepeatScheme("", "", "", R"(,"err_node_id":"","err_node_id":"")", kValue),
       RepeatScheme("", "", "", R"(,"err_node_id":"","err_node_id":"f")", kValue),
       "[0].scheme.nodes[0].condition.logics[0].err_node_id", "err_node_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string quoted = absl::StrCat("\"", c.key, "\"");
    {
      const size_t first = c.same.find(quoted);
      const size_t second = c.same.rfind(quoted);
      ImportResult result = Import(c.same);
      ASSERT_TRUE(result.ok()) << AllText(result);
      EXPECT_THAT(Warnings(result),
                  Contains(At(c.location,
                              absl::StrCat("repeated key, same value as at byte ", first,
                                           " (line 1, column ", first + 1,
                                           "); the repeat at byte ", second,
                                           " (line 1, column ", second + 1, ") is ignored"))))
          << AllText(result);
      EXPECT_EQ(result.scheme().processes(0).nodes(0).title(), "S");
      EXPECT_EQ(result.scheme().processes(0).nodes(0).logics(0).config_case(),
                schema::Logic::kSetParam);
    }
    {
      const size_t first = c.different.find(quoted);
      const size_t second = c.different.rfind(quoted);
      ImportResult result = Import(c.different);
      EXPECT_FALSE(result.ok());
      EXPECT_THAT(Errors(result),
                  Contains(At(c.location, absl::StrCat("repeated key ", quoted,
                                                       " with a different value: the values at "
                                                       "byte ",
                                                       first, " (line 1, column ", first + 1,
                                                       ") and at byte ", second))))
          << AllText(result);
    }
  }
}

TEST(ImporterRepeatedKeys, InsideValuesKeptAsTextTenLevelsDown) {
  // extra.v is an object the task receives as it is: its repeats follow the
  // task data rule, located by the path inside the value.
  const std::string value_path = "[0].scheme.nodes[0].condition.logics[0].extra.v";
  ImportResult same = Import(RepeatScheme("", "", "", "", DeepObject(4, R"("k":[1],"k":[1])")));
  ASSERT_TRUE(same.ok()) << AllText(same);
  EXPECT_THAT(Warnings(same),
              Contains(At(value_path, "the value repeats the key \"k\" with the same value "
                                      "(at l1.l2.l3.l4.k); it is kept once")));
  EXPECT_EQ(same.scheme().processes(0).nodes(0).logics(0).set_param().values(0).value(),
            R"({"l1":{"l2":{"l3":{"l4":{"k":[1]}}}}})");
  ImportResult different =
      Import(RepeatScheme("", "", "", "", DeepObject(4, R"("k":[1],"k":[2])")));
  EXPECT_FALSE(different.ok());
  EXPECT_THAT(Errors(different),
              Contains(At(value_path, "the value repeats the key \"k\" with different values "
                                      "(at l1.l2.l3.l4.k)")));
}

TEST(ImporterRepeatedKeys, InsideJsonHeldInAString) {
  // Offsets count in the string's JSON text, where the key is.
  const std::string logic =
      R"({"obj_id":1,"scheme":{"nodes":[{"id":"s","obj_type":1,"condition":{"logics":[)"
      R"({"type":"set_param","extra":"{\"a\":\"1\",\"a\":\"X\"}","extra_type":{"a":"string"}},)"
      R"({"type":"go","to_node_id":"s"}]}}]}})";
  std::string same = logic;
  same.replace(same.find("\\\"X\\\""), 5, "\\\"1\\\"");
  ImportResult result = Import(same);
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_THAT(Warnings(result),
              Contains(At("scheme.nodes[0].condition.logics[0].extra.a",
                          "repeated key, same value as at byte 1 of the JSON text in the "
                          "string; the repeat at byte 9 of the JSON text in the string is "
                          "ignored")));
  result = Import(logic);
  EXPECT_THAT(Errors(result), Contains(At("scheme.nodes[0].condition.logics[0].extra.a",
                                          "the values at byte 1 of the JSON text in the "
                                          "string and at byte 9")));
}

TEST(ImporterRepeatedKeys, ARepeatedThreeTimesIsReportedTwice) {
  ImportResult result = Import(RepeatScheme(R"(,"conv_type":"process","conv_type":"process")",
                                            "", "", "", "{}"));
  ASSERT_TRUE(result.ok()) << AllText(result);
  int count = 0;
  for (const Diagnostic& d : Warnings(result)) count += d.location == "[0].conv_type";
  EXPECT_EQ(count, 2);
}

// 200 000 keys in one object the importer reads (a set_param's extra and
// extra_type) with a repeat at the end: linear, not quadratic (about 2 s in
// an unoptimised build; comparing every pair would take minutes).
TEST(ImporterRepeatedKeys, LargeObjectsStayLinear) {
  constexpr int kKeys = 200000;
  std::string extra, types;
  for (int i = 0; i < kKeys; ++i) {
    absl::StrAppend(&extra, "\"k", i, "\":\"", i, "\",");
    absl::StrAppend(&types, "\"k", i, "\":\"string\",");
  }
  const std::string json = absl::StrCat(
      R"({"obj_id":1,"scheme":{"nodes":[{"id":"s","obj_type":1,"condition":{"logics":[)",
      R"({"type":"set_param","extra":{)", extra, R"("k0":"0"},"extra_type":{)", types,
      R"("k0":"string"}},{"type":"go","to_node_id":"s"}]}}]}})");
  const auto start = std::chrono::steady_clock::now();
  ImportResult result = Import(json);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_EQ(result.scheme().processes(0).nodes(0).logics(0).set_param().values_size(), kKeys);
  EXPECT_EQ(Warnings(result).size(), 2u) << AllText(result);  // the two repeats
  EXPECT_LT(seconds, 15.0);
}

TEST(ImporterBadInput, NestingDeeperThan64) {
  std::string deep = R"({"obj_id":1,"scheme":{"nodes":[{"id":"s","obj_type":1,"x":)";
  const size_t prefix = deep.size();
  deep += std::string(100, '[') + std::string(100, ']') + "}]}}";
  ImportResult result = Import(deep);
  ASSERT_FALSE(result.ok());
  // Depth 64 is reached by the 60th '[' after the four enclosing levels.
  const size_t offset = prefix + 60;
  EXPECT_THAT(Errors(result),
              Contains(AllOf(Field(&Diagnostic::location,
                                   HasSubstr(absl::StrCat("byte ", offset))),
                             Field(&Diagnostic::message,
                                   HasSubstr("deeper than 64")))))
      << AllText(result);
  // Exactly 64 levels is fine.
  std::string ok = "[" + std::string(63, '[') + std::string(63, ']') + "]";
  EXPECT_THAT(Errors(Import(ok)), Not(Contains(Field(
                                      &Diagnostic::message,
                                      HasSubstr("deeper")))));
}

TEST(ImporterBadInput, FileOverTheSizeLimitIsRefused) {
  ImportLimits limits;
  limits.max_file_size = 100;
  ImportResult result =
      Import(ReadTestData("import/folder_export.json"), limits);
  EXPECT_THAT(Errors(result), Contains(At("$", "over the import limit")));
}

// A 50 MB export: thousands of processes. It loads, and every process is
// there.
TEST(ImporterBadInput, FiftyMegabyteFileLoads) {
  const std::string process = ReadTestData("import/bare_scheme.json");
  std::string json = "[";
  int count = 0;
  while (json.size() < (50u << 20)) {
    if (count > 0) json += ',';
    absl::StrAppend(&json, R"({"obj_type":1,"obj_id":)", ++count,
                    R"(,"title":")", std::string(400, 'x'), "\",",
                    process.substr(1));
  }
  json += ']';
  ImportResult result = Import(json);
  ASSERT_TRUE(result.ok()) << AllText(result).substr(0, 2000);
  EXPECT_EQ(result.scheme().processes_size(), count);
}

// ---------------------------------------------------------------------------
// Wrong types in structural fields

constexpr char kBase[] = R"({"obj_type":1,"obj_id":77,"title":"T","status":"active",
  "conv_type":"process","ref_mask":false,"params":[],
  "scheme":{"nodes":[
    {"id":"s","obj_type":1,"title":"Start","options":null,"extra":"{}",
     "condition":{"logics":[{"type":"go","to_node_id":"m"}],"semaphors":[]}},
    {"id":"m","obj_type":0,"title":"Mid",
     "condition":{"logics":[
        {"type":"go_if_const","to_node_id":"e","conditions":[
          {"param":"a","const":"1","fun":"eq","cast":"string"}]},
        {"type":"set_param","extra":{"k":"v"},"extra_type":{"k":"string"}},
        {"type":"go","to_node_id":"e"}],
      "semaphors":[{"type":"time","value":60,"dimension":"sec","to_node_id":"e"},
                   {"type":"count","value":10,"esc_node_id":"e"}]}},
    {"id":"e","obj_type":2,"title":"End","condition":{"logics":[],"semaphors":[]}}]}})";

TEST(ImporterWrongTypes, BaseIsValid) {
  ImportResult result = Import(kBase);
  EXPECT_TRUE(result.ok()) << AllText(result);
  EXPECT_TRUE(Warnings(result).empty()) << AllText(result);
}

TEST(ImporterWrongTypes, EveryStructuralFieldIsChecked) {
  struct Case {
    std::string from;
    std::string to;
    std::string location;
    std::string message;
  };
  const std::string logic = "scheme.nodes[1].condition.logics";
  const std::string semaphore = "scheme.nodes[1].condition.semaphors";
  const Case cases[] = {
      {R"("obj_id":77)", R"("obj_id":"abc")", "obj_id", "must be an integer"},
      {R"("obj_id":77)", R"("obj_id":[77])", "obj_id", "must be an integer"},
      {R"("title":"T")", R"("title":5)", "title", "must be a string"},
      {R"("status":"active")", R"("status":true)", "status",
       "must be a string"},
      {R"("conv_type":"process")", R"("conv_type":"queue")", "conv_type",
       "is not \"process\""},
      {R"("ref_mask":false)", R"("ref_mask":"maybe")", "ref_mask",
       "must be a boolean"},
      {R"("params":[])", R"("params":{})", "params", "must be an array"},
      // Substitutions keep the JSON balanced by parking the original value
      // under an ignored key.
      {R"("scheme":{"nodes":[)", R"("scheme":[1],"s":{"nodes":[)", "scheme",
       "expected an object, found an array"},
      {R"("scheme":{"nodes":[)", R"("scheme":{"nodes":{},"n":[)",
       "scheme.nodes", "must be an array"},
      {R"({"id":"s",)", R"(7,{"id":"s",)", "scheme.nodes[0]",
       "expected an object, found a number"},
      {R"("id":"m")", R"("id":5)", "scheme.nodes[1].id", "must be a string"},
      {R"("id":"m","obj_type":0)", R"("id":"m","obj_type":"x")",
       "scheme.nodes[1].obj_type", "must be an integer"},
      {R"("id":"m","obj_type":0)", R"("id":"m","obj_type":9)",
       "scheme.nodes[1].obj_type", "is not 0 (normal)"},
      {R"("options":null)", R"("options":"{not json")",
       "scheme.nodes[0].options", "not valid JSON"},
      {R"("options":null)", R"("options":[1])", "scheme.nodes[0].options",
       "expected an object"},
      {R"("extra":"{}")", R"("extra":12)", "scheme.nodes[0].extra",
       "must be a string or an object"},
      {R"("title":"Mid",
     "condition":{)",
       R"("title":"Mid",
     "condition":7,"c":{)",
       "scheme.nodes[1].condition", "expected an object, found a number"},
      {R"("logics":[],"semaphors":[])", R"("logics":{},"semaphors":[])",
       "scheme.nodes[2].condition.logics", "must be an array"},
      {R"("condition":{"logics":[{"type":"go","to_node_id":"m"}])",
       R"("condition":{"logics":{"type":"go","to_node_id":"m"})",
       "scheme.nodes[0].condition.logics", "must be an array"},
      {R"({"type":"go","to_node_id":"m"})", R"("go")",
       "scheme.nodes[0].condition.logics[0]", "expected an object"},
      {R"({"type":"go","to_node_id":"m"})", R"({"type":1,"to_node_id":"m"})",
       "scheme.nodes[0].condition.logics[0].type", "must be a string"},
      {R"({"type":"go","to_node_id":"m"})", R"({"to_node_id":"m"})",
       "scheme.nodes[0].condition.logics[0]", "has no type"},
      {R"({"type":"go","to_node_id":"m"})", R"({"type":"go","to_node_id":3})",
       "scheme.nodes[0].condition.logics[0].to_node_id", "must be a string"},
      {R"({"type":"go","to_node_id":"m"})", R"({"type":"go"})",
       "scheme.nodes[0].condition.logics[0]", "go has no to_node_id"},
      {R"("conditions":[)", R"("conditions":"none","c":[)",
       logic + "[0].conditions", "must be an array"},
      {R"({"param":"a",)", R"({)", logic + "[0].conditions[0]",
       "has no param"},
      {R"("fun":"eq")", R"("fun":["eq"])", logic + "[0].conditions[0].fun",
       "must be a string"},
      {R"("fun":"eq")", R"("fun":"ne")", logic + "[0].conditions[0].fun",
       "\"ne\" is not one of eq"},
      {R"("fun":"eq")", R"("fun":"not_in")",
       logic + "[0].conditions[0].fun", "is not one of"},
      {R"("cast":"string")", R"("cast":"int")",
       logic + "[0].conditions[0].cast", "\"int\" is not string"},
      {R"("fun":"eq")", R"("fun":"regexp")", "", ""},  // "1" compiles
      {R"("const":"1","fun":"eq")", R"("const":"(a","fun":"regexp")",
       logic + "[0].conditions[0].fun", "does not compile"},
      {R"("extra_type":{"k":"string"})", R"("extra_type":{"k":5})",
       logic + "[1].extra_type.k", "must be a string"},
      {R"("extra_type":{"k":"string"})", R"("extra_type":{"k":"text"})",
       logic + "[1].extra_type.k", "\"text\" is not string"},
      {R"("extra":{"k":"v"})", R"("extra":"[1,")", logic + "[1].extra",
       "not valid JSON"},
      {R"("logics":[],"semaphors":[])", R"("logics":[],"semaphors":5)",
       "scheme.nodes[2].condition.semaphors", "must be an array"},
      {R"("value":60)", R"("value":"abc")", semaphore + "[0].value",
       "\"abc\" is neither a number nor a template"},
      {R"("value":60)", R"("value":[60])", semaphore + "[0].value",
       "must be a number or a template"},
      {R"("value":60)", R"("value":-5)", semaphore + "[0].value",
       "is negative"},
      {R"("dimension":"sec")", R"("dimension":"week")",
       semaphore + "[0].dimension", "is not sec, min, hour or day"},
      {R"("type":"time")", R"("type":"clock")", semaphore + "[0].type",
       "is not \"time\" or \"count\""},
      {R"("value":10)", R"("value":0)", semaphore + "[1].value",
       "must be at least 1"},
      {R"("value":10)", R"("value":"abc")", semaphore + "[1].value",
       "must be an integer"},
      {R"("esc_node_id":"e")", R"("esc_node_id":"nowhere")",
       semaphore + "[1]", "names no node of process 77"},
  };
  for (const Case& c : cases) {
    const std::string json = absl::StrReplaceAll(kBase, {{c.from, c.to}});
    ASSERT_NE(json, kBase) << "case does not apply: " << c.from;
    ImportResult result = Import(json);
    if (c.location.empty()) {
      EXPECT_TRUE(result.ok()) << c.to << "\n" << AllText(result);
      continue;
    }
    EXPECT_THAT(Errors(result), Contains(At(c.location, c.message)))
        << c.to << "\n"
        << AllText(result);
  }
}

// ---------------------------------------------------------------------------
// Graph validation

TEST(ImporterGraph, DanglingLinkNamesTheProcess) {
  ImportResult result = Import(ReadTestData("bad/dangling_link.json"));
  ASSERT_FALSE(result.ok());
  const std::vector<Diagnostic> errors = Errors(result);
  ASSERT_EQ(errors.size(), 1u) << AllText(result);
  EXPECT_EQ(errors[0].ToString(),
            "test.json: [0].scheme.nodes[1].condition.logics[1]: "
            "go_if_const.to_node_id \"ffffffffffffffffffffffff\" names no "
            "node of process 1234 (node \"f00000000000000000000002\")");
}

TEST(ImporterGraph, TwoStartNodes) {
  ImportResult result = Import(ReadTestData("bad/two_starts.json"));
  EXPECT_THAT(Errors(result),
              Contains(At("[0].scheme.nodes",
                          "process 5 has 2 start nodes (obj_type 1), at "
                          "[0].scheme.nodes[0], [0].scheme.nodes[1]")));
}

TEST(ImporterGraph, NoStartNode) {
  ImportResult result = Import(ReadTestData("bad/no_start.json"));
  EXPECT_THAT(Errors(result),
              Contains(At("[0].scheme.nodes", "process 6 has no start node")));
}

TEST(ImporterGraph, DuplicateNodeIds) {
  ImportResult result = Import(R"({"obj_id":9,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"x"}]}},
    {"id":"x","obj_type":2},{"id":"x","obj_type":2}]}})");
  EXPECT_THAT(Errors(result),
              Contains(At("scheme.nodes[2]",
                          "duplicate node id \"x\" (also at scheme.nodes[1])")));
}

TEST(ImporterGraph, DuplicateProcessIds) {
  ImportResult result = Import(R"([
    {"obj_type":1,"obj_id":3,"scheme":{"nodes":[{"id":"s","obj_type":1}]}},
    {"obj_type":1,"obj_id":3,"scheme":{"nodes":[{"id":"s","obj_type":1}]}}])");
  EXPECT_THAT(Errors(result),
              Contains(At("[1].obj_id", "process 3 appears more than once")));
}

TEST(ImporterGraph, UnknownLogicTypeLoadsAsUnsupported) {
  ImportResult result = Import(R"({"obj_id":9,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[
      {"type":"teleport","where":"moon","err_node_id":"e"},
      {"type":"go","to_node_id":"e"}]}},
    {"id":"e","obj_type":2}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  const schema::Logic& logic = result.scheme().processes(0).nodes(0).logics(0);
  EXPECT_EQ(LogicTypeName(logic), "teleport");
  EXPECT_EQ(logic.unsupported().err_node_id(), "e");
  EXPECT_EQ(logic.unsupported().json(),
            R"({"type":"teleport","where":"moon","err_node_id":"e"})");
}

TEST(ImporterGraph, UnsupportedLogicLinksAreChecked) {
  ImportResult result = Import(R"({"obj_id":9,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[
      {"type":"db_call","err_node_id":"gone"},{"type":"go","to_node_id":"s"}]}}]}})");
  EXPECT_THAT(Errors(result),
              Contains(At("scheme.nodes[0].condition.logics[0]",
                          "db_call.err_node_id \"gone\" names no node")));
}

TEST(ImporterGraph, ShortStaticTimerIsAWarning) {
  const std::string json =
      absl::StrReplaceAll(kBase, {{R"("value":60)", R"("value":5)"}});
  ImportResult result = Import(json);
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_THAT(Warnings(result),
              Contains(At("scheme.nodes[1].condition.semaphors[0].value",
                          "under 30 s")));
}

TEST(ImporterGraph, StubNodeBranches) {
  ImportResult result = Import(R"({"obj_id":9,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"c"}]}},
    {"id":"c","obj_type":4,"condition":{"logics":[
       {"type":"api_rpc","conv_id":5,"extra":{"a":"{{a}}"},"extra_type":{"a":"string"},"err_node_id":"e"},
       {"type":"go","to_node_id":"e"}],
     "stub":{"logics":[
       [{"type":"go_if_const","conditions":[{"param":"a","const":"1","fun":"eq","cast":"string"}]},
        {"type":"api_rpc_reply","mode":"key_value","res_data":{"r":"one"},"res_data_type":{"r":"string"}}],
       [{"type":"api_rpc_reply","mode":"key_value","res_data":{"r":"other"},"res_data_type":{"r":"string"},"throw_exception":true}]]}}},
    {"id":"e","obj_type":2}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  const schema::Node& stub = result.scheme().processes(0).nodes(1);
  EXPECT_EQ(stub.kind(), schema::NODE_KIND_STUB);
  ASSERT_EQ(stub.stub_size(), 2);
  EXPECT_EQ(stub.stub(0).conditions_size(), 1);
  EXPECT_EQ(stub.stub(0).reply().res_data(0).value(), "one");
  EXPECT_TRUE(stub.stub(1).reply().throw_exception());
}

TEST(ImporterLimits, DiagnosticsAreCapped) {
  std::string json = R"({"obj_id":9,"scheme":{"nodes":[{"id":"s","obj_type":1,"condition":{"logics":[)";
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&json, i ? "," : "", R"({"type":"go","to_node_id":"nowhere"})");
  }
  json += "]}}]}}";
  ImportLimits limits;
  limits.max_diagnostics = 100;
  ImportResult result = Import(json, limits);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.diagnostics.size(), 100u);
  EXPECT_EQ(result.dropped_diagnostics, 2900u);
}

// The importer keeps per-thread parsers; concurrent imports of different
// inputs must not interfere (run under --config=tsan).
TEST(ImporterConcurrency, ThreadsImportIndependently) {
  const std::string good = ReadTestData("import/folder_export.json");
  const std::string bad = ReadTestData("bad/dangling_link.json");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const bool use_good = (i + t) % 2 == 0;
        ImportResult result = ImportScheme("t.json", use_good ? good : bad);
        if (result.ok() != use_good) ++failures[t];
        if (use_good && result.scheme().processes_size() != 2) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace internal
}  // namespace convey
