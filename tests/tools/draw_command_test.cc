// `convey draw`: choosing the process, reading counts, where the SVG goes,
// and every way the command line or its files can be wrong.
#include "tools/draw_command.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convey {
namespace tools {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr char kAllLinks[] = "tests/testdata/draw/all_links.json";   // process 9001
constexpr char kTwo[] = "tests/testdata/import/folder_export.json";  // 2001 and 2002

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

CommandResult Draw(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunDraw(args, out, err);
  return {code, out.str(), err.str()};
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

TEST(DrawCommand, DrawsTheOnlyProcessWithoutConv) {
  CommandResult run = Draw({kAllLinks});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "));
  EXPECT_THAT(run.out, HasSubstr("data-conv-id=\"9001\""));
  EXPECT_THAT(run.out, HasSubstr("</svg>\n"));
  EXPECT_THAT(run.out, Not(HasSubstr("class=\"count\"")));
  EXPECT_THAT(run.err, IsEmpty());
}

TEST(DrawCommand, ConvChoosesAmongSeveral) {
  CommandResult run = Draw({kTwo, "--conv", "2002"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("data-conv-id=\"2002\""));
  run = Draw({kTwo, kAllLinks, "--conv=9001"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("data-conv-id=\"9001\""));
}

TEST(DrawCommand, SeveralProcessesWithoutConvIsAUsageError) {
  CommandResult run = Draw({kTwo});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, HasSubstr("the files hold 2 processes; name one with --conv:\n"
                                 "  --conv 2001  \"Orders\"\n  --conv 2002  \"Copier\"\n"));
}

TEST(DrawCommand, UnknownConvListsWhatTheFilesHold) {
  CommandResult run = Draw({kTwo, kAllLinks, "--conv", "5"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(
                           "convey draw: no process 5 in the files; they hold:\n"
                           "  --conv 2001  \"Orders\"  (",
                           kTwo, ")\n  --conv 2002  \"Copier\"  (", kTwo,
                           ")\n  --conv 9001  \"Every link kind <drawn> & \\\"quoted\\\"\""
                           "  (",
                           kAllLinks, ")\n")));
}

TEST(DrawCommand, AFileThatDoesNotLoadShowsItsDiagnostics) {
  CommandResult run = Draw({kAllLinks, "tests/testdata/bad/no_start.json"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, HasSubstr("tests/testdata/bad/no_start.json: "));
  EXPECT_THAT(run.err, HasSubstr("has no start node"));
  run = Draw({"tests/testdata/bad/trailing_comma.json"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("invalid JSON"));
  run = Draw({TempPath("no-such-file.json")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("no-such-file.json: cannot open the file"));
}

TEST(DrawCommand, UsageErrors) {
  EXPECT_EQ(Draw({}).exit_code, 2);
  EXPECT_THAT(Draw({}).err, HasSubstr("no scheme file given"));
  EXPECT_EQ(Draw({kAllLinks, "--conv", "x"}).exit_code, 2);
  EXPECT_EQ(Draw({kAllLinks, "--conv", "0"}).exit_code, 2);
  EXPECT_EQ(Draw({kAllLinks, "--conv"}).exit_code, 2);
  EXPECT_EQ(Draw({kAllLinks, "--json"}).exit_code, 2);
  EXPECT_EQ(Draw({kAllLinks, "--conv", "1", "--conv", "2"}).exit_code, 2);
  EXPECT_EQ(Draw({kAllLinks, "--counts="}).exit_code, 2);
  CommandResult help = Draw({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: convey draw FILE..."));
  EXPECT_THAT(help.err, IsEmpty());
}

TEST(DrawCommand, OutputWritesTheFile) {
  const std::string path = TempPath("drawn.svg");
  CommandResult run = Draw({kAllLinks, "--output", path});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_EQ(ReadFile(path), Draw({kAllLinks}).out);
  run = Draw({kAllLinks, "--output", TempPath("no/such/dir/x.svg")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot open --output"));
}

TEST(DrawCommand, OutputNamingAnInputIsRefusedBeforeItIsTouched) {
  const std::string scheme = WriteTemp("scheme_copy.json", ReadFile(kAllLinks));
  const std::string counts = WriteTemp("counts_copy.jsonl", "");
  for (const std::string& output : {scheme, counts}) {
    CommandResult run = Draw({scheme, "--counts", counts, "--output", output});
    EXPECT_EQ(run.exit_code, 2) << output;
    EXPECT_THAT(run.err, HasSubstr("is the input file"));
  }
  EXPECT_EQ(ReadFile(scheme), ReadFile(kAllLinks));
}

TEST(DrawCommand, CountsShowTheTasksInEachNode) {
  const std::string counts = WriteTemp(
      "counts.jsonl",
      "{\"conv_id\":9001,\"ref\":\"1\",\"status\":\"processing\",\"node_id\":\"w\",\"data\":{}}\n"
      "\n"
      "\xEF\xBB\xBF{\"conv_id\":9001,\"status\":\"processing\",\"node_id\":\"w\"}\r\n"
      "{\"conv_id\":9001,\"status\":\"processed\",\"node_id\":\"f\"}\n"
      "{\"conv_id\":9001,\"status\":\"deleted\",\"node_id\":\"f\"}\n"
      "{\"conv_id\":7,\"status\":\"processed\",\"node_id\":\"f\"}\n"
      "{\"conv_id\":\"9001\",\"status\":\"error\",\"node_id\":\"a\"}");
  CommandResult run = Draw({kAllLinks, "--counts", counts});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(run.out, HasSubstr("<text class=\"count\" data-node-id=\"w\""));
  for (const char* badge : {"data-node-id=\"w\" x=", "data-node-id=\"f\" x=",
                            "data-node-id=\"a\" x=", "data-node-id=\"s\" x="}) {
    EXPECT_THAT(run.out, HasSubstr(badge));
  }
  EXPECT_THAT(run.out, HasSubstr("class=\"node wait has-tasks\" data-node-id=\"w\""));
  EXPECT_THAT(run.out, HasSubstr("class=\"node start\" data-node-id=\"s\""));
  // Tasks of the process in nodes it does not hold are reported, not drawn.
  const std::string stale = WriteTemp("stale.jsonl",
                                      "{\"conv_id\":9001,\"node_id\":\"old\"}\n"
                                      "{\"conv_id\":9001,\"node_id\":\"old\"}\n");
  run = Draw({kAllLinks, "--counts", stale});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("warning: 2 tasks are in nodes process 9001 does not hold"));
  run =
      Draw({kAllLinks, "--counts", WriteTemp("other.jsonl", "{\"conv_id\":1,\"node_id\":\"x\"}")});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.err, HasSubstr("holds no task of process 9001"));
  EXPECT_THAT(run.out, HasSubstr("class=\"count\""));  // zeros all round
}

TEST(ReadTaskCounts, CountsPerNodeOfOneProcess) {
  std::istringstream in(
      "{\"conv_id\":1,\"node_id\":\"a\"}\n{\"conv_id\":1,\"node_id\":\"a\"}\n"
      "{\"conv_id\":1,\"node_id\":\"b\",\"status\":\"processed\"}\n"
      "{\"conv_id\":2,\"node_id\":\"a\"}\n   \n{\"conv_id\":1.0,\"node_id\":\"b\"}");
  absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> counts = ReadTaskCounts(in, "f", 1);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_THAT(*counts, UnorderedElementsAre(Pair("a", 2), Pair("b", 2)));
}

TEST(ReadTaskCounts, AMalformedLineIsAnErrorNamingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"conv_id\":1,\"node_id\":\"a\"", "f:2: invalid JSON"},
      {"[1,2]", "f:2: a task line must be a JSON object, not an array"},
      {"{\"node_id\":\"a\"}", "f:2: the task has no conv_id"},
      {"{\"conv_id\":true,\"node_id\":\"a\"}", "f:2: conv_id must be a whole number, not true"},
      {"{\"conv_id\":1.5,\"node_id\":\"a\"}", "f:2: conv_id must be a whole number, not 1.5"},
      {"{\"conv_id\":1}", "f:2: the task has no node_id"},
      {"{\"conv_id\":1,\"node_id\":7}", "f:2: node_id must be a string, not a number"},
  };
  for (const auto& [line, message] : cases) {
    std::istringstream in("{\"conv_id\":1,\"node_id\":\"a\"}\n" + line + "\n");
    absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> counts = ReadTaskCounts(in, "f", 1);
    ASSERT_FALSE(counts.ok()) << line;
    EXPECT_THAT(std::string(counts.status().message()), HasSubstr(message)) << line;
  }
  // Through the command: exit 1, the file and line named.
  const std::string bad =
      WriteTemp("bad_counts.jsonl", "{\"conv_id\":9001,\"node_id\":\"w\"}\nnope\n");
  CommandResult run = Draw({kAllLinks, "--counts", bad});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat("convey draw: ", bad, ":2: invalid JSON")));
  run = Draw({kAllLinks, "--counts", TempPath("missing.jsonl")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot open --counts"));
}

}  // namespace
}  // namespace tools
}  // namespace convey
