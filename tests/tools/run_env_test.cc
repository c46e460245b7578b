// `convey run --env` / `--env-file` (project variables), repeated keys in
// what `convey run` reads, and what `convey inspect` says about both.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tools/inspect_command.h"
#include "tools/run_command.h"

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

CommandResult RunConvey(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunRun(args, out, err, /*show_progress=*/false);
  return {code, out.str(), err.str()};
}

// A platform export (conv_type written twice) that reads @API_URL,
// @limits.max[1] (a number) and, in a condition, @LIMIT: amount > LIMIT
// goes to "Big", else "Small".
constexpr char kVariables[] = "tests/testdata/run/variables.json";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// "byte N (line L, column C)" of the `n`-th (from 0) `needle` in `text`.
std::string Where(const std::string& text, const std::string& needle, int n) {
  size_t at = text.find(needle);
  for (int i = 0; i < n; ++i) at = text.find(needle, at + 1);
  const size_t line_start = text.rfind('\n', at);
  const size_t column = line_start == std::string::npos ? at + 1 : at - line_start;
  size_t line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return absl::StrCat("byte ", at, " (line ", line, ", column ", column, ")");
}

// The one task of an --output file: where it ended, its status and data.
struct Ended {
  std::string node_title;
  std::string status;
  std::string data;
};
Ended ReadOnlyTask(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  Ended ended;
  if (parser.parse(line).get(root) != simdjson::SUCCESS) {
    ADD_FAILURE() << "not JSON: " << line;
    return ended;
  }
  std::string_view title, status;
  simdjson::dom::element data;
  EXPECT_EQ(root["node_title"].get(title), simdjson::SUCCESS);
  EXPECT_EQ(root["status"].get(status), simdjson::SUCCESS);
  EXPECT_EQ(root["data"].get(data), simdjson::SUCCESS);
  ended.node_title = std::string(title);
  ended.status = std::string(status);
  ended.data = simdjson::minify(data);
  return ended;
}

TEST(RunEnv, WithoutVariablesDeployWarnsAndTheyReadAsMissing) {
  const std::string scheme = ReadFile(kVariables);
  const std::string output = ::testing::TempDir() + "/no_env.jsonl";
  CommandResult run = RunConvey({kVariables, "--data", R"({"amount":150})", "--output", output});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // The repeated conv_type, then one warning per unset variable.
  EXPECT_THAT(run.err, HasSubstr(std::string(kVariables) + ": 4 deploy warnings"));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(
                           kVariables, ": [0].conv_type: warning: repeated key, same value as at ",
                           Where(scheme, "\"conv_type\"", 0), "; the repeat at ",
                           Where(scheme, "\"conv_type\"", 1), " is ignored")));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat(
                           kVariables,
                           ": process 4001: warning: reads project variable \"@API_URL\", which "
                           "is not set: it reads as a missing value (set it with "
                           "EngineOptions::variables, or convey run --env API_URL=VALUE) (node "
                           "\"e00000000000000000000002\")")));
  EXPECT_THAT(run.err, HasSubstr("... and 1 more"));  // @LIMIT
  // A missing value typed as a number fails the set_param, as a missing
  // parameter would.
  const Ended ended = ReadOnlyTask(output);
  EXPECT_EQ(ended.status, "error");
  EXPECT_THAT(ended.data, HasSubstr("set_param_wrong_convert_param"));
}

TEST(RunEnv, VariablesFromFlagsAndAFile) {
  const std::string env_file = WriteFile(
      "vars.json", R"({"limits": {"max": [1, 250]}, "@LIMIT": 1000, "API_URL": "https://file"})");
  const std::string output = ::testing::TempDir() + "/env.jsonl";
  // --env overrides the file (LIMIT 100 rather than 1000), @ or not.
  CommandResult run = RunConvey({kVariables, "--env-file", env_file, "--env", "@LIMIT=100", "--env",
                                 "API_URL=https://pay.example.com", "--data", R"({"amount":150})",
                                 "--output", output, "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr(": 1 deploy warning\n"));  // the repeated key only
  EXPECT_THAT(run.err, Not(HasSubstr("project variable")));
  EXPECT_THAT(run.out, HasSubstr(R"("deploy_warnings":1,)"));
  const Ended ended = ReadOnlyTask(output);
  EXPECT_EQ(ended.node_title, "Big");
  EXPECT_EQ(ended.data, R"({"amount":150,"url":"https://pay.example.com/charge","max":250})");

  // The file alone: LIMIT 1000.
  run = RunConvey(
      {kVariables, "--env-file=" + env_file, "--data", R"({"amount":150})", "--output", output});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReadOnlyTask(output).node_title, "Small");
  EXPECT_THAT(ReadOnlyTask(output).data, HasSubstr(R"("url":"https://file/charge")"));
}

TEST(RunEnv, BadFlagsAreUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"--env", "NOEQUALS"}, "--env wants NAME=VALUE, not \"NOEQUALS\""},
      {{"--env", "=x"}, "--env wants NAME=VALUE, not \"=x\""},
      {{"--env", "@=x"}, "--env wants NAME=VALUE, not \"@=x\""},
      {{"--env", "A=1", "--env", "@A=2"}, "--env A is given twice"},
      {{"--env"}, "--env needs a value"},
      {{"--env-file", "a.json", "--env-file", "b.json"}, "--env-file is given twice"},
      {{"--data", R"({"a":{"k":1,"k":2}})"},
       "--data repeats the key \"k\" with different values (at a.k, bytes 6 and 12)"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {kVariables};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CommandResult run = RunConvey(args);
    EXPECT_EQ(run.exit_code, 2) << c.error;
    EXPECT_THAT(run.err, HasSubstr("convey run: " + c.error)) << run.err;
  }
}

TEST(RunEnv, BadEnvFilesAreNamed) {
  const std::string missing = ::testing::TempDir() + "/no_such_vars.json";
  const std::string bad_json = WriteFile("bad_vars.json", "{\"A\": \"1\",\n \"B\": }");
  const std::string array = WriteFile("array_vars.json", R"(["A", "B"])");
  const std::string ambiguous = WriteFile("ambiguous_vars.json", R"({"A": "1", "A": "2"})");
  const std::string twice = WriteFile("twice_vars.json", R"({"A": "1", "@A": "1"})");
  const std::string empty_name = WriteFile("empty_name_vars.json", R"({"@": "1"})");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {missing, "cannot open --env-file " + missing + ": No such file or directory"},
      {bad_json, "--env-file " + bad_json + " is not valid JSON at byte 17 (line 2, column 7): "},
      {array, "--env-file " + array +
                  " must hold a JSON object of variable names to values, not an array"},
      {ambiguous, "--env-file " + ambiguous +
                      " repeats the key \"A\" with different values (at A, bytes 1 and 11)"},
      {twice, "--env-file " + twice + ": variable \"A\" is given twice (as \"A\" and \"@A\")"},
      {empty_name, "--env-file " + empty_name + ": a variable name is empty"},
  };
  for (const auto& [file, error] : cases) {
    CommandResult run = RunConvey({kVariables, "--env-file", file});
    EXPECT_EQ(run.exit_code, 1) << error;
    EXPECT_THAT(run.err, ::testing::StartsWith("convey run: " + error));
    EXPECT_EQ(run.err.back(), '\n');
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_EQ(run.out, "");
  }
}

TEST(RunEnv, RepeatedKeysInTaskData) {
  const std::string output = ::testing::TempDir() + "/repeated_out.jsonl";
  const std::string limits = R"(limits={"max":[0,7]})";
  // --data: the same value collapses once, for every task.
  CommandResult run =
      RunConvey({kVariables, "--env", "LIMIT=10", "--env", limits, "--data",
                 R"({"amount":150,"o":{"k":[1],"k":[1]},"amount":150})", "--output", output});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(ReadOnlyTask(output).data, HasSubstr(R"({"amount":150,"o":{"k":[1]},"url")"));

  // --input: per line, also in the {"ref","data"} wrapper.
  const std::string input =
      WriteFile("repeated.jsonl",
                "{\"ref\":\"a\",\"ref\":\"a\",\"data\":{\"amount\":150,\"amount\":150}}\n"
                "{\"amount\":1,\"amount\":2}\n");
  run = RunConvey(
      {kVariables, "--env", "LIMIT=10", "--env", limits, "--input", input, "--output", output});
  EXPECT_EQ(run.exit_code, 1);  // the second line
  EXPECT_THAT(run.err, HasSubstr(input + ":2: the line repeats the key \"amount\" with different "
                                         "values (at amount, bytes 1 and 12)"));
  EXPECT_THAT(run.out, HasSubstr("1 task created"));
  EXPECT_THAT(ReadOnlyTask(output).data, HasSubstr(R"({"amount":150,"url")"));
}

TEST(InspectEnv, NamesRepeatedKeysAndTheVariablesAProcessReads) {
  std::ostringstream out, err;
  EXPECT_EQ(RunInspect({kVariables}, out, err), 0) << out.str() << err.str();
  EXPECT_THAT(out.str(), HasSubstr(": loaded, 1 process, 4 warnings, 0 errors"));
  EXPECT_THAT(out.str(), HasSubstr("[0].conv_type: warning: repeated key, same value as at byte"));
  for (const char* name : {"@API_URL", "@limits", "@LIMIT"}) {
    EXPECT_THAT(out.str(),
                HasSubstr(absl::StrCat("process 4001: warning: reads project variable \"", name,
                                       "\", which is not set")));
  }
}

}  // namespace
}  // namespace tools
}  // namespace convey
