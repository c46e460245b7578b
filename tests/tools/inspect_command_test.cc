#include "tools/inspect_command.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace convey {
namespace tools {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

CommandResult Inspect(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunInspect(args, out, err);
  return {code, out.str(), err.str()};
}

constexpr char kValid[] = "tests/testdata/import/legacy_forms.json";
constexpr char kDangling[] = "tests/testdata/bad/dangling_link.json";

TEST(InspectCommand, SummarisesALoadedFile) {
  CommandResult run = Inspect({kValid});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr(std::string(kValid) + ": loaded, 1 process, 1 warning, 0 errors"));
  EXPECT_THAT(run.out, HasSubstr("process 4001 \"Legacy\" [process, active]: 4 nodes"));
  EXPECT_THAT(run.out, HasSubstr("logics: api 1, api_code 1, go 2, go_if_const 1, "
                                 "set_param 1"));
  EXPECT_THAT(run.out, HasSubstr("semaphores: time 1"));
  // Code nodes run (JavaScript): nothing is unsupported.
  EXPECT_THAT(run.out, Not(HasSubstr("unsupported")));
  EXPECT_THAT(run.out, HasSubstr(": warning: the node holds 3 action logics"));
}

TEST(InspectCommand, CodeThatDoesNotCompileIsALocatedLoadError) {
  CommandResult run = Inspect({"tests/testdata/bad/code_syntax_error.json"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("FAILED"));
  EXPECT_THAT(run.out, HasSubstr("code_syntax_error.json: [0].scheme.nodes[1].condition.logics[0]"
                                 ".src: line 2, column 14: SyntaxError: expected expression, "
                                 "got ';' (node \"c00000000000000000000002\")"));
}

TEST(InspectCommand, FailedFileExitsOneWithLocatedErrors) {
  CommandResult run = Inspect({kValid, kDangling});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr(std::string(kDangling) +
                                 ": [0].scheme.nodes[1].condition.logics[1]: "
                                 "go_if_const.to_node_id \"ffffffffffffffffffffffff\" "
                                 "names no node of process 1234"));
}

// Hostile input (issue 12, row 9): names from the file reach the terminal
// escaped, so a title cannot clear the screen, set the terminal's title or
// forge a line of the summary.
TEST(InspectCommand, ControlCharactersInNamesAreEscaped) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/hostile_titles.json";
  std::ofstream(path) << R"([{"obj_type":1,"obj_id":77,"title":"\u001b[2J\nprocessed: 999",)"
                      << R"("conv_type":"process","scheme":{"nodes":[)"
                      << R"({"id":"s","obj_type":1,"title":"start","condition":{"logics":[)"
                      << R"({"type":"go","to_node_id":"\u001b]0;owned\u0007"}]}}]}}])";
  CommandResult run = Inspect({path});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(run.out, Not(HasSubstr("\x07")));
  EXPECT_THAT(run.out, Not(HasSubstr("\nprocessed: 999")));
  EXPECT_THAT(run.out, HasSubstr(R"(go.to_node_id "\u001b]0;owned\u0007" names no node)"));
}

TEST(InspectCommand, MissingFileIsAFailedLoad) {
  CommandResult run = Inspect({"tests/testdata/no_such_file.json"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("cannot open the file"));
}

TEST(InspectCommand, DirectoryIsAFailedLoad) {
  CommandResult run = Inspect({"tests/testdata"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("is a directory, not a scheme file"));
}

TEST(InspectCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(Inspect({}).exit_code, 2);
  EXPECT_EQ(Inspect({"--jsn", kValid}).exit_code, 2);
  CommandResult help = Inspect({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: convey inspect"));
}

TEST(InspectCommand, JsonIsOneObjectPerFile) {
  CommandResult run = Inspect({"--json", kValid, kDangling});
  EXPECT_EQ(run.exit_code, 1);
  std::istringstream lines(run.out);
  std::string line;
  std::vector<std::string> objects;
  while (std::getline(lines, line)) objects.push_back(line);
  ASSERT_EQ(objects.size(), 2u) << run.out;

  simdjson::dom::parser parser;
  simdjson::dom::element first = parser.parse(objects[0]).value();
  EXPECT_EQ(first["ok"].get_bool().value(), true);
  simdjson::dom::element process = first["processes"].at(0).value();
  EXPECT_EQ(process["conv_id"].get_int64().value(), 4001);
  EXPECT_EQ(process["node_count"].get_int64().value(), 4);
  EXPECT_EQ(process["logic_counts"]["go"].get_int64().value(), 2);
  EXPECT_EQ(process["semaphore_counts"]["time"].get_int64().value(), 1);
  EXPECT_EQ(process["unsupported_nodes"].get_array().size(), 0u);
  EXPECT_EQ(first["warnings"].get_array().size(), 1u);

  simdjson::dom::element second = parser.parse(objects[1]).value();
  EXPECT_EQ(second["ok"].get_bool().value(), false);
  simdjson::dom::element error = second["errors"].at(0).value();
  EXPECT_EQ(error["location"].get_string().value(), "[0].scheme.nodes[1].condition.logics[1]");
  EXPECT_EQ(error["node_id"].get_string().value(), "f00000000000000000000002");
}

}  // namespace
}  // namespace tools
}  // namespace convey
