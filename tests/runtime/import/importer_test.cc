#include "runtime/import/importer.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "convey/logic.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/process.h"
#include "runtime/import/scheme_locations.h"
#include "tests/runtime/import/import_test_util.h"

namespace convey {
namespace internal {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

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
  EXPECT_EQ(orders.nodes(0).options().json(), R"({"direct_url":true,"type_auth":"no_auth"})");
  // Logics are kept whole (editor-only keys too) for their factories.
  const schema::Logic& route = orders.nodes(1).logics(0);
  EXPECT_EQ(route.type(), "go_if_const");
  EXPECT_EQ(LogicLocation(NodeLocation(orders, 1), 0), "[0].scheme.nodes[1].condition.logics[0]");
  EXPECT_THAT(route.json(), HasSubstr(R"("to_node_id":"a00000000000000000000003")"));
  EXPECT_THAT(route.json(),
              HasSubstr(R"("conditions":[{"param":"amount","const":"100","fun":"more",)"
                        R"("cast":"number"}])"));
  EXPECT_EQ(orders.location(), "[0]");
  EXPECT_EQ(NodeLocation(orders, 1), "[0].scheme.nodes[1]");
  EXPECT_TRUE(orders.nodes(2).options().save_task());
  EXPECT_TRUE(orders.nodes(3).options().has_save_task());
  EXPECT_FALSE(orders.nodes(3).options().save_task());

  const schema::Logic& copy = result.scheme().processes(1).nodes(1).logics(0);
  EXPECT_EQ(copy.type(), "api_copy");
  EXPECT_EQ(LogicLocation(NodeLocation(result.scheme().processes(1), 1), 0),
            "[1].scheme.nodes[1].condition.logics[0]");
  EXPECT_THAT(copy.json(), HasSubstr(R"("mode":"create","conv_id":2001,"ref":"{{root.ref}}")"));
  EXPECT_THAT(copy.json(), HasSubstr(R"("data":{"origin":"copy"})"));
  EXPECT_THAT(copy.json(), HasSubstr(R"("err_node_id":"b00000000000000000000004")"));
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
  EXPECT_EQ(wait.logics(0).type(), "api_callback");
  EXPECT_THAT(wait.logics(0).json(), HasSubstr(R"("is_sync":true)"));
  ASSERT_EQ(wait.semaphores_size(), 2);
  EXPECT_EQ(wait.semaphores(0).time().absolute_template(), "{{wake_at}}");
  EXPECT_EQ(wait.semaphores(1).count().value(), 30);  // "30" as a string
  EXPECT_EQ(wait.semaphores(1).count().esc_node_id(), "c00000000000000000000004");
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
  // The api_rpc_reply factory accepts it (no diagnostic at all); how it
  // reads the key list and its types is covered by tests/logics.
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_TRUE(result.diagnostics.empty()) << AllText(result);
  const schema::Logic& reply = result.scheme().processes(0).nodes(1).logics(0);
  EXPECT_EQ(reply.type(), "api_rpc_reply");
  EXPECT_THAT(reply.json(),
              HasSubstr(R"("mode":"keys","res_data":["n","s"],"res_data_type":{"n":"number"})"));
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
  EXPECT_EQ(process.conv_id(), 4001);                           // "4001"
  EXPECT_EQ(process.nodes(0).kind(), schema::NODE_KIND_START);  // "1"
  const schema::Node& node = process.nodes(1);
  // Each legacy logic is kept as written and its factory accepts it (the
  // factory tests in tests/logics cover how each is read: the flat
  // go_if_const, extra/extra_type as JSON strings with quoted constants
  // kept, the v1-era api with only format and url).
  const schema::Logic& flat = node.logics(0);
  EXPECT_EQ(flat.type(), "go_if_const");
  EXPECT_THAT(flat.json(), HasSubstr(R"("param":"res","fun":"eq","const":"0")"));
  EXPECT_THAT(flat.json(), Not(HasSubstr("conditions")));
  const schema::Logic& set = node.logics(1);
  EXPECT_EQ(set.type(), "set_param");
  EXPECT_THAT(set.json(), HasSubstr(R"("extra":"{\"AccountAlias\":\"\\\"Demo Account\\\"\"}")"));
  EXPECT_THAT(set.json(), HasSubstr(R"("err_node_id":"")"));
  EXPECT_EQ(node.logics(2).type(), "api");
  EXPECT_EQ(node.logics(2).json(),
            R"({"type":"api","format":"json","url":"http://localhost:1/v1"})");
  const schema::Logic& code = node.logics(3);
  EXPECT_EQ(code.type(), "api_code");
  EXPECT_THAT(code.json(), HasSubstr(R"("src":"data.a = 1;")"));
  EXPECT_THAT(code.json(), HasSubstr(R"("err_node_id":"e00000000000000000000003")"));
  // A time semaphore without dimension, value as a string.
  const schema::TimeSemaphore& delay = process.nodes(3).semaphores(0).time();
  EXPECT_EQ(delay.relative(), 600);
  EXPECT_EQ(delay.dimension(), schema::TIME_DIMENSION_SEC);
  // Platform rules broken by old exports are warnings.
  EXPECT_THAT(Warnings(result), Contains(At("[0].scheme.nodes[1]", "3 action logics")));
}

TEST(ImporterShapes, SymbolicFunIsReadWithWarning) {
  ImportResult result = Import(R"({"obj_id":1,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[
      {"type":"go_if_const","to_node_id":"e","conditions":[
        {"param":"n","const":"0","fun":"<=","cast":"number"}]},
      {"type":"go","to_node_id":"e"}]}},
    {"id":"e","obj_type":2}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  // Kept as written; the go_if_const factory reads it, with a warning.
  EXPECT_THAT(result.scheme().processes(0).nodes(0).logics(0).json(), HasSubstr(R"("fun":"<=")"));
  EXPECT_THAT(Warnings(result), Contains(At("scheme.nodes[0].condition.logics[0].conditions[0].fun",
                                            "go_if_const fun \"<=\" read as less_or_eq")));
  EXPECT_THAT(Warnings(ImportScheme("test.json", R"({"obj_id":1,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[
      {"type":"go_if_const","to_node_id":"e","conditions":[
        {"param":"n","const":"0","fun":"<=","cast":"number"}]},
      {"type":"go","to_node_id":"e"}]}},
    {"id":"e","obj_type":2}]}})")),
              Not(Contains(Field(&Diagnostic::message, HasSubstr("read as")))));
}

TEST(ImporterShapes, EmptyIdsInTemplatesGetSyntheticIds) {
  ImportResult result = Import(R"({"obj_id":1,"scheme":{"nodes":[
    {"id":"","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":""}]}},
    {"id":"","obj_type":2}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_EQ(result.scheme().processes(0).nodes(0).id(), "unnamed_node_0");
  EXPECT_EQ(result.scheme().processes(0).nodes(1).id(), "unnamed_node_1");
  EXPECT_THAT(Warnings(result), Contains(At("scheme.nodes[0].condition.logics[0].to_node_id",
                                            "go.to_node_id is empty")));
}

// The editor's x/y are kept for pictures: numbers and numeric strings; any
// other value leaves them unset, without a diagnostic.
TEST(ImporterShapes, EditorCoordinatesAreReadLeniently) {
  ImportResult result = ImportScheme("test.json", R"({"obj_id":1,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"x":100,"y":-52.5,
     "condition":{"logics":[{"type":"go","to_node_id":"e"}]}},
    {"id":"e","obj_type":2,"x":" 12.25 ","y":"1e3"},
    {"id":"n","obj_type":2,"x":null,"y":true},
    {"id":"o","obj_type":2,"x":"left","y":{"v":1}},
    {"id":"p","obj_type":2,"x":[1],"y":"nan"},
    {"id":"q","obj_type":2}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_THAT(result.diagnostics, IsEmpty()) << AllText(result);
  const schema::Process& process = result.scheme().processes(0);
  ASSERT_EQ(process.nodes_size(), 6);
  EXPECT_EQ(process.nodes(0).x(), 100);
  EXPECT_EQ(process.nodes(0).y(), -52.5);
  EXPECT_EQ(process.nodes(1).x(), 12.25);
  EXPECT_EQ(process.nodes(1).y(), 1000);
  for (int i = 2; i < 6; ++i) {
    EXPECT_FALSE(process.nodes(i).has_x()) << process.nodes(i).id();
    EXPECT_FALSE(process.nodes(i).has_y()) << process.nodes(i).id();
  }
}

// The editor's form mode (`extra.modeForm`), for pictures too: JSON in a
// string as exports write it, or an object; anything else leaves it unset.
TEST(ImporterShapes, EditorFormModeIsReadLeniently) {
  ImportResult result = ImportScheme("test.json", R"({"obj_id":1,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"extra":"{\"modeForm\":\"collapse\",\"icon\":\"\"}",
     "condition":{"logics":[{"type":"go","to_node_id":"e"}]}},
    {"id":"e","obj_type":2,"extra":{"modeForm":"expand"}},
    {"id":"n","obj_type":2,"extra":"{ \"modeForm\" : \"collapse\" }"},
    {"id":"o","obj_type":2,"extra":"{\"icon\":\"success\"}"},
    {"id":"p","obj_type":2,"extra":"not json"},
    {"id":"q","obj_type":2,"extra":{"modeForm":7}},
    {"id":"r","obj_type":2,"extra":"{\"modeForm\":\"sideways\"}"}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_THAT(result.diagnostics, IsEmpty()) << AllText(result);
  const schema::Process& process = result.scheme().processes(0);
  EXPECT_TRUE(process.nodes(0).collapsed());
  EXPECT_TRUE(process.nodes(1).has_collapsed());
  EXPECT_FALSE(process.nodes(1).collapsed());
  EXPECT_TRUE(process.nodes(2).collapsed());
  for (int i = 3; i < 7; ++i) EXPECT_FALSE(process.nodes(i).has_collapsed()) << i;
}

// ---------------------------------------------------------------------------
// Invalid JSON

TEST(ImporterBadInput, TrailingCommaHasByteOffset) {
  ImportResult result = Import(ReadTestData("bad/trailing_comma.json"));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(Errors(result), Contains(At("byte 56 (line 2, column 55)", "invalid JSON")));
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
    EXPECT_THAT(Errors(result), Contains(At(c.location, c.message))) << c.json << "\n"
                                                                     << AllText(result);
  }
}

TEST(ImporterBadInput, EmptyFile) {
  for (const std::string& json :
       {ReadTestData("bad/empty.json"), std::string(" \n\t "), std::string("\xEF\xBB\xBF")}) {
    ImportResult result = Import(json);
    EXPECT_THAT(Errors(result), Contains(At("$", "the file is empty")));
  }
}

TEST(ImporterBadInput, TopLevelScalar) {
  EXPECT_THAT(Errors(Import(ReadTestData("bad/scalar.json"))),
              Contains(At("$", "the document is a number")));
  EXPECT_THAT(Errors(Import("null")), Contains(At("$", "the document is null")));
  EXPECT_THAT(Errors(Import("\"x\"")), Contains(At("$", "the document is a string")));
  EXPECT_THAT(Errors(Import("[]")), Contains(At("$", "the array is empty")));
  EXPECT_THAT(Errors(Import("[1]")), Contains(At("[0]", "expected an object, found a number")));
}

// Hostile input (issue 12, row 15, and fuzz findings 5 and 6): files that
// loaded with a confusing message, or inspected as loading although Deploy
// refused them.
TEST(ImporterBadInput, WhatHoldsNoProcessIsAnError) {
  // `{}` warned about a synthetic id, then said "process 0 has no scheme".
  ImportResult empty_object = Import("{}");
  EXPECT_THAT(Errors(empty_object), ElementsAre(At("$", "neither obj_type nor scheme")));
  EXPECT_THAT(Warnings(empty_object), IsEmpty());
  // Only folders and dashboards: inspect said "loaded", Deploy refused.
  EXPECT_THAT(Errors(Import(R"([{"obj_type":0,"obj_id":5},{"obj_type":2}])")),
              ElementsAre(At("$", "the file holds no process")));
}

TEST(ImporterBadInput, ObjIdZeroWrittenAsARealIsRefused) {
  // 1e-400 (which underflows to 0) and 0.0 made the id synthetic, while
  // 100.5 was refused as "not a number". -0 is the integer 0, like 0.
  for (const std::string id : {"1e-400", "0.0", "100.5"}) {
    SCOPED_TRACE(id);
    ImportResult result = Import(
        absl::StrCat(R"({"obj_type":1,"obj_id":)", id, R"(,"title":"t","scheme":{"nodes":[]}})"));
    EXPECT_THAT(Errors(result), Contains(At("obj_id", "obj_id must be an integer, not ")))
        << AllText(result);
  }
  EXPECT_THAT(AllText(Import(R"({"obj_type":1,"obj_id":100.5,"title":"t","scheme":{"nodes":[]}})")),
              HasSubstr("obj_id must be an integer, not 100.5"));
  ImportResult zero = Import(R"({"obj_type":1,"obj_id":-0,"title":"t","scheme":{"nodes":[]}})");
  EXPECT_THAT(Warnings(zero), Contains(At("$", "synthetic conv_id"))) << AllText(zero);
  ImportResult whole = Import(R"({"obj_type":1,"obj_id":1e3,"title":"t","scheme":{"nodes":[]}})");
  ASSERT_EQ(whole.scheme().processes_size(), 1);
  EXPECT_EQ(whole.scheme().processes(0).conv_id(), 1000);
}

TEST(ImporterBadInput, ARawControlCharacterIsLocatedToItsByte) {
  // Located only as `$` before.
  ImportResult result = Import(std::string("[{\"obj_type\":1,\"title\":\"a\0b\"}]", 31));
  EXPECT_THAT(
      Errors(result),
      ElementsAre(AllOf(Field(&Diagnostic::location, HasSubstr("byte 25 (line 1, column 26)")),
                        Field(&Diagnostic::message, HasSubstr("\\u0000")))))
      << AllText(result);
}

// The diagnostics cap counted warnings and errors together: 1999 repeated
// keys filled it and the file's one error was dropped, so inspect said
// "loaded" and Deploy refused with an empty message. The first error is
// kept past the cap.
TEST(ImporterBadInput, AnErrorBehindTheDiagnosticsCapIsKept) {
  std::string json = R"([{"obj_type":1,"obj_id":5)";
  for (int i = 0; i < 2000; ++i) json += R"(,"title":"t")";
  json += "}]";
  ImportResult result = Import(json);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(Errors(result), ElementsAre(At("[0]", "process 5 has no scheme")))
      << AllText(result).substr(0, 300);
  EXPECT_EQ(result.diagnostics.size(), ImportLimits{}.max_diagnostics + 1);
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

TEST(ImporterBadInput, NestingDeeperThan64) {
  std::string deep = R"({"obj_id":1,"scheme":{"nodes":[{"id":"s","obj_type":1,"x":)";
  const size_t prefix = deep.size();
  deep += std::string(100, '[') + std::string(100, ']') + "}]}}";
  ImportResult result = Import(deep);
  ASSERT_FALSE(result.ok());
  // Depth 64 is reached by the 60th '[' after the four enclosing levels.
  const size_t offset = prefix + 60;
  EXPECT_THAT(Errors(result),
              Contains(AllOf(Field(&Diagnostic::location, HasSubstr(absl::StrCat("byte ", offset))),
                             Field(&Diagnostic::message, HasSubstr("deeper than 64")))))
      << AllText(result);
  // Exactly 64 levels is fine.
  std::string ok = "[" + std::string(63, '[') + std::string(63, ']') + "]";
  EXPECT_THAT(Errors(Import(ok)), Not(Contains(Field(&Diagnostic::message, HasSubstr("deeper")))));
}

TEST(ImporterBadInput, FileOverTheSizeLimitIsRefused) {
  ImportLimits limits;
  limits.max_file_size = 100;
  ImportResult result = Import(ReadTestData("import/folder_export.json"), limits);
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
    absl::StrAppend(&json, R"({"obj_type":1,"obj_id":)", ++count, R"(,"title":")",
                    std::string(400, 'x'), "\",", process.substr(1));
  }
  json += ']';
  ImportResult result = Import(json);
  ASSERT_TRUE(result.ok()) << AllText(result).substr(0, 2000);
  EXPECT_EQ(result.scheme().processes_size(), count);
}

// ---------------------------------------------------------------------------
// Wrong types in structural fields

TEST(ImporterWrongTypes, BaseIsValid) {
  ImportResult result = Import(kBase);
  EXPECT_TRUE(result.ok()) << AllText(result);
  EXPECT_TRUE(Warnings(result).empty()) << AllText(result);
}

// kBase with `params` (a JSON array) as the process's parameters.
std::string BaseWithParams(absl::string_view params) {
  std::string json = kBase;
  const absl::string_view empty = R"("params":[])";
  json.replace(json.find(empty.data(), 0, empty.size()), empty.size(),
               absl::StrCat(R"("params":)", params));
  return json;
}

TEST(ImporterWrongTypes, ParameterRegexesRe2ParsesLoad) {
  ImportResult result = Import(BaseWithParams(
      R"([{"name":"code","regex":"^.{1,255}$"},{"name":"id","regex":"^[a-f0-9]{8}-\\d+$"},
          {"name":"free","regex":""}])"));
  ASSERT_TRUE(result.ok()) << AllText(result);
  const schema::Process& process = result.scheme().processes(0);
  ASSERT_EQ(process.params_size(), 3);
  EXPECT_EQ(process.params(0).regex(), "^.{1,255}$");
  EXPECT_EQ(process.params(1).regex(), "^[a-f0-9]{8}-\\d+$");
}

// The platform checks parameters with PCRE; convey keeps the regex and
// never runs it, so one RE2 cannot parse is a warning, not a refusal.
TEST(ImporterWrongTypes, ParameterRegexesRe2CannotParseAreWarnings) {
  struct Case {
    std::string regex;
    std::string message;
  };
  const Case cases[] = {
      {"(a", R"(regex "(a" is not RE2 syntax (missing ): (a))"},
      {"x{1001}", "invalid repetition size"},
      {"(?<=x)y", "invalid perl operator"},  // PCRE lookbehind
  };
  for (const Case& c : cases) {
    ImportResult result =
        Import(BaseWithParams(absl::StrCat(R"([{"name":"code","regex":")", c.regex, R"("}])")));
    EXPECT_TRUE(result.ok()) << AllText(result);
    EXPECT_THAT(Warnings(result), Contains(At("params[0].regex", c.message))) << AllText(result);
    ASSERT_EQ(result.scheme().processes(0).params_size(), 1);
    EXPECT_EQ(result.scheme().processes(0).params(0).regex(), c.regex);
  }
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
      {R"("status":"active")", R"("status":true)", "status", "must be a string"},
      {R"("conv_type":"process")", R"("conv_type":"queue")", "conv_type", "is not \"process\""},
      {R"("ref_mask":false)", R"("ref_mask":"maybe")", "ref_mask", "must be a boolean"},
      {R"("params":[])", R"("params":{})", "params", "must be an array"},
      // Substitutions keep the JSON balanced by parking the original value
      // under an ignored key.
      {R"("scheme":{"nodes":[)", R"("scheme":[1],"s":{"nodes":[)", "scheme",
       "expected an object, found an array"},
      {R"("scheme":{"nodes":[)", R"("scheme":{"nodes":{},"n":[)", "scheme.nodes",
       "must be an array"},
      {R"({"id":"s",)", R"(7,{"id":"s",)", "scheme.nodes[0]", "expected an object, found a number"},
      {R"("id":"m")", R"("id":5)", "scheme.nodes[1].id", "must be a string"},
      {R"("id":"m","obj_type":0)", R"("id":"m","obj_type":"x")", "scheme.nodes[1].obj_type",
       "must be an integer"},
      {R"("id":"m","obj_type":0)", R"("id":"m","obj_type":9)", "scheme.nodes[1].obj_type",
       "is not 0 (normal)"},
      {R"("options":null)", R"("options":"{not json")", "scheme.nodes[0].options",
       "not valid JSON"},
      {R"("options":null)", R"("options":[1])", "scheme.nodes[0].options", "expected an object"},
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
      {R"({"type":"go","to_node_id":"m"})", R"("go")", "scheme.nodes[0].condition.logics[0]",
       "expected an object"},
      {R"({"type":"go","to_node_id":"m"})", R"({"type":1,"to_node_id":"m"})",
       "scheme.nodes[0].condition.logics[0].type", "must be a string"},
      {R"({"type":"go","to_node_id":"m"})", R"({"to_node_id":"m"})",
       "scheme.nodes[0].condition.logics[0]", "has no type"},
      {R"({"type":"go","to_node_id":"m"})", R"({"type":"go","to_node_id":3})",
       "scheme.nodes[0].condition.logics[0].to_node_id", "must be a string"},
      {R"({"type":"go","to_node_id":"m"})", R"({"type":"go"})",
       "scheme.nodes[0].condition.logics[0]", "go has no to_node_id"},
      {R"("conditions":[)", R"("conditions":"none","c":[)", logic + "[0].conditions",
       "must be an array"},
      {R"({"param":"a",)", R"({)", logic + "[0].conditions[0]", "has no param"},
      {R"("fun":"eq")", R"("fun":["eq"])", logic + "[0].conditions[0].fun", "must be a string"},
      {R"("fun":"eq")", R"("fun":"ne")", logic + "[0].conditions[0].fun",
       "\"ne\" is not one of eq"},
      {R"("fun":"eq")", R"("fun":"not_in")", logic + "[0].conditions[0].fun", "is not one of"},
      {R"("cast":"string")", R"("cast":"int")", logic + "[0].conditions[0].cast",
       "\"int\" is not string"},
      {R"("fun":"eq")", R"("fun":"regexp")", "", ""},  // "1" compiles
      {R"("const":"1","fun":"eq")", R"("const":"(a","fun":"regexp")",
       logic + "[0].conditions[0].fun", "does not compile"},
      {R"("extra_type":{"k":"string"})", R"("extra_type":{"k":5})", logic + "[1].extra_type.k",
       "must be a string"},
      {R"("extra_type":{"k":"string"})", R"("extra_type":{"k":"text"})", logic + "[1].extra_type.k",
       "\"text\" is not string"},
      {R"("extra":{"k":"v"})", R"("extra":"[1,")", logic + "[1].extra", "not valid JSON"},
      {R"("logics":[],"semaphors":[])", R"("logics":[],"semaphors":5)",
       "scheme.nodes[2].condition.semaphors", "must be an array"},
      {R"("value":60)", R"("value":"abc")", semaphore + "[0].value",
       "\"abc\" is neither a number nor a template"},
      {R"("value":60)", R"("value":[60])", semaphore + "[0].value",
       "must be a number or a template"},
      {R"("value":60)", R"("value":-5)", semaphore + "[0].value", "is negative"},
      {R"("dimension":"sec")", R"("dimension":"week")", semaphore + "[0].dimension",
       "is not sec, min, hour or day"},
      {R"("type":"time")", R"("type":"clock")", semaphore + "[0].type",
       "is not \"time\" or \"count\""},
      {R"("value":10)", R"("value":0)", semaphore + "[1].value", "must be at least 1"},
      {R"("value":10)", R"("value":"abc")", semaphore + "[1].value", "must be an integer"},
      {R"("esc_node_id":"e")", R"("esc_node_id":"nowhere")", semaphore + "[1]",
       "names no node of process 77"},
  };
  for (const Case& c : cases) {
    const std::string json = absl::StrReplaceAll(kBase, {{c.from, c.to}});
    ASSERT_NE(json, kBase) << "case does not apply: " << c.from;
    ImportResult result = Import(json);
    if (c.location.empty()) {
      EXPECT_TRUE(result.ok()) << c.to << "\n" << AllText(result);
      continue;
    }
    EXPECT_THAT(Errors(result), Contains(At(c.location, c.message))) << c.to << "\n"
                                                                     << AllText(result);
  }
}

TEST(ImporterLimits, DiagnosticsAreCapped) {
  // 3000 logic objects without a type: import errors, so compile never runs.
  std::string json =
      R"({"obj_id":9,"scheme":{"nodes":[{"id":"s","obj_type":1,"condition":{"logics":[)";
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&json, i ? "," : "", R"({"to_node_id":"s"})");
  }
  json += "]}}]}}";
  ImportLimits limits;
  limits.max_diagnostics = 100;
  ImportResult result = Import(json, limits);
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 100u);
  EXPECT_EQ(result.dropped_diagnostics, 2900u);
  EXPECT_THAT(result.diagnostics[99], At("scheme.nodes[0].condition.logics[99]", "has no type"));
}

TEST(ImporterLimits, CompileDiagnosticsAreCapped) {
  // 3000 go logics to no node: the import is clean, each link is an error
  // at compile.
  std::string json =
      R"({"obj_id":9,"scheme":{"nodes":[{"id":"s","obj_type":1,"condition":{"logics":[)";
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&json, i ? "," : "", R"({"type":"go","to_node_id":"nowhere"})");
  }
  json += "]}}]}}";
  ImportResult imported = ImportScheme("test.json", json);
  ASSERT_TRUE(imported.ok()) << AllText(imported).substr(0, 2000);
  EXPECT_TRUE(imported.diagnostics.empty()) << AllText(imported).substr(0, 2000);
  CompileOptions options;
  options.max_diagnostics = 100;
  std::vector<Diagnostic> diagnostics(1);  // one already there: the cap is per call
  diagnostics[0].message = "earlier";
  absl::StatusOr<std::unique_ptr<CompiledProcess>> compiled = CompileProcess(
      "test.json", imported.scheme().processes(0), BuiltinRegistry(), options, &diagnostics);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(diagnostics.size(), 101u);
  EXPECT_THAT(diagnostics[100], At("scheme.nodes[0].condition.logics[99]",
                                   "go.to_node_id \"nowhere\" names no node of process 9"));
  const std::string message(compiled.status().message());
  EXPECT_THAT(message, HasSubstr("(2900 more errors not listed)")) << message.substr(0, 300);
  EXPECT_THAT(message, Not(HasSubstr("earlier")));
  EXPECT_THAT(message, HasSubstr("test.json: scheme.nodes[0].condition.logics[0]: go.to_node_id "
                                 "\"nowhere\" names no node of process 9 (node \"s\")"));
  // Through the deploy path: the import's limit caps the compile too.
  ImportLimits limits;
  limits.max_diagnostics = 100;
  ImportResult result = Import(json, limits);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.diagnostics.size(), 100u);
}

// The importer keeps per-thread parsers; concurrent imports of different
// inputs must not interfere (run under --config=tsan).
TEST(ImporterConcurrency, ThreadsImportIndependently) {
  const std::string good = ReadTestData("import/folder_export.json");
  // Fails at import (a logic's dangling link only fails at compile).
  const std::string bad = ReadTestData("bad/two_starts.json");
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
