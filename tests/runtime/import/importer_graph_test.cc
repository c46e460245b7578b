// The importer's checks of a process as a graph: node links, start nodes,
// duplicate ids, stub branches, and what deploy adds (unreachable nodes,
// diagnostics at each part's place in the file).
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/import/scheme_locations.h"
#include "tests/runtime/import/import_test_util.h"

namespace convey {
namespace internal {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

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
  EXPECT_THAT(Errors(result), Contains(At("[0].scheme.nodes",
                                          "process 5 has 2 start nodes (obj_type 1), at "
                                          "[0].scheme.nodes[0], [0].scheme.nodes[1]")));
}

TEST(ImporterGraph, NoStartNode) {
  ImportResult result = Import(ReadTestData("bad/no_start.json"));
  EXPECT_THAT(Errors(result), Contains(At("[0].scheme.nodes", "process 6 has no start node")));
}

TEST(ImporterGraph, DuplicateNodeIds) {
  ImportResult result = Import(R"({"obj_id":9,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"x"}]}},
    {"id":"x","obj_type":2},{"id":"x","obj_type":2}]}})");
  EXPECT_THAT(Errors(result),
              Contains(At("scheme.nodes[2]", "duplicate node id \"x\" (also at scheme.nodes[1])")));
}

TEST(ImporterGraph, DuplicateProcessIds) {
  ImportResult result = Import(R"([
    {"obj_type":1,"obj_id":3,"scheme":{"nodes":[{"id":"s","obj_type":1}]}},
    {"obj_type":1,"obj_id":3,"scheme":{"nodes":[{"id":"s","obj_type":1}]}}])");
  EXPECT_THAT(Errors(result), Contains(At("[1].obj_id", "process 3 appears more than once")));
}

TEST(ImporterGraph, UnknownLogicTypeLoadsAsUnsupported) {
  ImportResult result = Import(R"({"obj_id":9,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[
      {"type":"teleport","where":"moon","err_node_id":"e"},
      {"type":"go","to_node_id":"e"}]}},
    {"id":"e","obj_type":2}]}})");
  ASSERT_TRUE(result.ok()) << AllText(result);
  const schema::Logic& logic = result.scheme().processes(0).nodes(0).logics(0);
  EXPECT_EQ(logic.type(), "teleport");
  EXPECT_EQ(result.scheme().processes(0).location(), "");
  EXPECT_EQ(LogicLocation(NodeLocation(result.scheme().processes(0), 0), 0),
            "scheme.nodes[0].condition.logics[0]");
  EXPECT_EQ(logic.json(), R"({"type":"teleport","where":"moon","err_node_id":"e"})");
  EXPECT_THAT(Warnings(result), Contains(At("scheme.nodes[0].condition.logics[0]",
                                            "logic type \"teleport\" is not supported")));
}

TEST(ImporterGraph, UnsupportedLogicLinksAreChecked) {
  ImportResult result = Import(R"({"obj_id":9,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[
      {"type":"db_call","err_node_id":"gone"},{"type":"go","to_node_id":"s"}]}}]}})");
  EXPECT_THAT(Errors(result), Contains(At("scheme.nodes[0].condition.logics[0]",
                                          "db_call.err_node_id \"gone\" names no node")));
}

TEST(ImporterGraph, ShortStaticTimerIsAWarning) {
  const std::string json = absl::StrReplaceAll(kBase, {{R"("value":60)", R"("value":5)"}});
  ImportResult result = Import(json);
  ASSERT_TRUE(result.ok()) << AllText(result);
  EXPECT_THAT(Warnings(result),
              Contains(At("scheme.nodes[1].condition.semaphors[0].value", "under 30 s")));
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
  ASSERT_EQ(stub.stub(0).logics_size(), 2);
  EXPECT_EQ(stub.stub(0).logics(0).type(), "go_if_const");
  EXPECT_EQ(StubLogicLocation(NodeLocation(result.scheme().processes(0), 1), 0, 0),
            "scheme.nodes[1].condition.stub.logics[0][0]");
  EXPECT_THAT(stub.stub(0).logics(0).json(), HasSubstr(R"("param":"a","const":"1")"));
  EXPECT_EQ(stub.stub(0).logics(1).type(), "api_rpc_reply");
  EXPECT_THAT(stub.stub(0).logics(1).json(), HasSubstr(R"("res_data":{"r":"one"})"));
  ASSERT_EQ(stub.stub(1).logics_size(), 1);
  EXPECT_EQ(stub.stub(1).logics(0).type(), "api_rpc_reply");
  EXPECT_EQ(StubLogicLocation(NodeLocation(result.scheme().processes(0), 1), 1, 0),
            "scheme.nodes[1].condition.stub.logics[1][0]");
  EXPECT_THAT(stub.stub(1).logics(0).json(), HasSubstr(R"("throw_exception":true)"));
}

// Deploy renders a logic's path from its process's and its place
// (scheme_locations.h): a factory's error names the logic where the file has
// it, in the second process of an array, in a stub branch after another.
TEST(ImporterGraph, CompileDiagnosticsAreAtTheirPlaceInTheFile) {
  ImportResult result = Import(R"([
    {"obj_type":1,"obj_id":1,"scheme":{"nodes":[
      {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"e"}]}},
      {"id":"e","obj_type":2}]}},
    {"obj_type":1,"obj_id":2,"scheme":{"nodes":[
      {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"c"}]}},
      {"id":"c","obj_type":4,"condition":{"logics":[
         {"type":"api_rpc","conv_id":5,"extra":{"a":"{{a}}"},"extra_type":{"a":"string"},"err_node_id":"e"},
         {"type":"go","to_node_id":"gone"}],
       "stub":{"logics":[
         [{"type":"go_if_const","conditions":[{"param":"a","const":"1","fun":"eq","cast":"string"}]},
          {"type":"api_rpc_reply","mode":"key_value","res_data":{"r":"one"},"res_data_type":{"r":"string"}}],
         [{"type":"api_rpc_reply","mode":"key_value","res_data":{"r":"two"},"res_data_type":{"r":"bogus"}}]]}}},
      {"id":"e","obj_type":2}]}},
    {"obj_type":1,"obj_id":3,"scheme":{"nodes":[
      {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"e"}]}},
      {"id":"e","obj_type":2},
      {"id":"lonely","obj_type":2}]}}])");
  EXPECT_THAT(Errors(result),
              Contains(Field(&Diagnostic::location, "[1].scheme.nodes[1].condition.logics[1]")))
      << AllText(result);
  EXPECT_THAT(Errors(result),
              Contains(Field(&Diagnostic::location,
                             HasSubstr("[1].scheme.nodes[1].condition.stub.logics[1][0]"))))
      << AllText(result);
  EXPECT_THAT(Warnings(result), Contains(At("[2].scheme.nodes[2]", "no link leads to this node")))
      << AllText(result);
}

TEST(ImporterGraph, UnreachableNodeIsWarnedAtCompile) {
  const std::string lonely = R"({"obj_id":9,"scheme":{"nodes":[
    {"id":"s","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"e"}]}},
    {"id":"x","obj_type":0,"condition":{"logics":[{"type":"go","to_node_id":"e"}]}},
    {"id":"e","obj_type":2}]}})";
  const auto unreachable = Field(&Diagnostic::message, HasSubstr("no link leads to this node"));
  // The importer no longer decides it: a logic's links are read at compile.
  ImportResult imported = ImportScheme("test.json", lonely);
  ASSERT_TRUE(imported.ok()) << AllText(imported);
  EXPECT_THAT(imported.diagnostics, Not(Contains(unreachable))) << AllText(imported);
  ImportResult result = Import(lonely);
  ASSERT_TRUE(result.ok()) << AllText(result);
  const std::vector<Diagnostic> warnings = Warnings(result);
  ASSERT_THAT(warnings, Contains(unreachable)) << AllText(result);
  EXPECT_THAT(
      warnings,
      Contains(AllOf(At("scheme.nodes[1]", "no link leads to this node; tasks can never reach it"),
                     Field(&Diagnostic::node_id, "x"))));
  int count = 0;
  for (const Diagnostic& d : warnings) count += absl::StrContains(d.message, "no link leads");
  EXPECT_EQ(count, 1) << AllText(result);

  // A logic's link (to_node_id of a go_if_const, err_node_id of a
  // set_param) reaches it: no warning.
  for (const std::string& link :
       {std::string(R"({"type":"go_if_const","to_node_id":"x","conditions":[)"
                    R"({"param":"a","const":"1","fun":"eq","cast":"string"}]},)"),
        std::string(R"({"type":"set_param","extra":{"a":"1"},"extra_type":{"a":"string"},)"
                    R"("err_node_id":"x"},)")}) {
    const std::string linked =
        absl::StrReplaceAll(lonely, {{R"("condition":{"logics":[{"type":"go","to_node_id":"e"}]}},
    {"id":"x")",
                                      absl::StrCat(R"("condition":{"logics":[)", link,
                                                   R"({"type":"go","to_node_id":"e"}]}},
    {"id":"x")")}});
    ASSERT_NE(linked, lonely);
    ImportResult reached = Import(linked);
    ASSERT_TRUE(reached.ok()) << AllText(reached);
    EXPECT_THAT(reached.diagnostics, Not(Contains(unreachable))) << link << AllText(reached);
  }
}

}  // namespace
}  // namespace internal
}  // namespace convey
