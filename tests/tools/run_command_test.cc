#include "tools/run_command.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "simdjson.h"
#include "tests/runtime/http/loopback_server.h"

namespace convey {
namespace tools {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

CommandResult RunConvey(const std::vector<std::string>& args, bool show_progress = false) {
  std::ostringstream out, err;
  const int code = RunRun(args, out, err, show_progress);
  return {code, out.str(), err.str()};
}

constexpr char kRoute[] = "tests/testdata/run/route.json";
constexpr char kRouteTasks[] = "tests/testdata/run/route.tasks.jsonl";
constexpr char kTwoProcesses[] = "tests/testdata/run/two_processes.json";

std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// One --output line, parsed.
struct OutputTask {
  int64_t conv_id = 0;
  std::string obj_id;
  std::string status;
  std::string node_id;
  std::string node_title;
  std::string data;  // minified
};

// By ref. Fails the test on a malformed line or a repeated ref (tasks
// without a ref, "", may be many).
std::multimap<std::string, OutputTask> ReadOutput(const std::string& path) {
  std::multimap<std::string, OutputTask> tasks;
  simdjson::dom::parser parser;
  for (const std::string& line : ReadLines(path)) {
    simdjson::dom::element root;
    EXPECT_EQ(parser.parse(line).get(root), simdjson::SUCCESS) << line;
    simdjson::dom::object object;
    EXPECT_EQ(root.get_object().get(object), simdjson::SUCCESS) << line;
    EXPECT_EQ(object.size(), 7u) << line;
    std::string_view ref, obj_id, status, node_id, node_title;
    OutputTask task;
    simdjson::dom::object data;
    EXPECT_EQ(object["conv_id"].get(task.conv_id), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["ref"].get(ref), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["obj_id"].get(obj_id), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["status"].get(status), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["node_id"].get(node_id), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["node_title"].get(node_title), simdjson::SUCCESS) << line;
    EXPECT_EQ(object["data"].get(data), simdjson::SUCCESS) << line;
    task.obj_id = std::string(obj_id);
    task.status = std::string(status);
    task.node_id = std::string(node_id);
    task.node_title = std::string(node_title);
    task.data = simdjson::minify(data);
    EXPECT_EQ(task.obj_id.size(), 24u) << line;
    EXPECT_TRUE(ref.empty() || tasks.count(std::string(ref)) == 0) << "ref repeated: " << line;
    tasks.emplace(std::string(ref), task);
  }
  return tasks;
}

int64_t GetInt(simdjson::dom::element element, const char* key) {
  int64_t value = -1;
  EXPECT_EQ(element[key].get(value), simdjson::SUCCESS) << key;
  return value;
}

std::string GetString(simdjson::dom::element element, const char* key) {
  std::string_view value;
  EXPECT_EQ(element[key].get(value), simdjson::SUCCESS) << key;
  return std::string(value);
}

// A summary's `waiting` nodes by title: tasks, then the count per reason
// (callback, reply, queue, timer, no_exit, error, loop_stopped, other).
// Fails the test when a node's id is not 24 characters.
std::map<std::string, std::vector<int64_t>> Waiting(simdjson::dom::element process) {
  std::map<std::string, std::vector<int64_t>> waiting;
  for (simdjson::dom::element node : process["waiting"].get_array()) {
    EXPECT_EQ(GetString(node, "node_id").size(), 24u);
    std::vector<int64_t>& counts = waiting[GetString(node, "title")];
    for (const char* key : {"tasks", "callback", "reply", "queue", "timer", "no_exit", "error",
                            "loop_stopped", "other"}) {
      counts.push_back(GetInt(node, key));
    }
  }
  return waiting;
}

TEST(RunCommand, TextSummaryOfAnInputFile) {
  CommandResult run = RunConvey({kRoute, "--input", kRouteTasks, "--threads", "2"});
  // Four lines are refused; the other ten run.
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("process 5001 \"Route\": 10 tasks created\n"
                                 "  finished:\n"
                                 "         2  Done A\n"
                                 "         3  Done B\n"
                                 "         1  Other\n"
                                 "  still in a node:\n"
                                 "         2  Hold [c00000000000000000000007] "
                                 "(2 no_exit)\n"
                                 "         1  Compute [c00000000000000000000008] "
                                 "(1 error)\n"
                                 "         1  Spin [c00000000000000000000009] "
                                 "(1 loop_stopped)\n"
                                 "  sums:\n"
                                 "    Count A: a_count = 2\n"
                                 "    Count A: a_amount = 12.5\n"
                                 "errors: 4 input, 1 tasks stopped by an "
                                 "error, 1 by the loop guard\n"
                                 "virtual time: 0d 0h 0m 0s (timers: 0 fired, "
                                 "0 pending)\n"
                                 "elapsed "));
  EXPECT_THAT(run.out, AllOf(HasSubstr(" tasks/s, "), HasSubstr(" node transitions/s\n"),
                             Not(HasSubstr("timed out"))));
  const std::string file = kRouteTasks;
  EXPECT_EQ(run.err, file +
                         ":7: invalid JSON at column 13: The JSON document has an "
                         "improper structure: missing or superfluous commas, "
                         "braces, missing keys, etc.\n" +
                         file + ":8: a task must be a JSON object, not an array\n" + file +
                         ":9: \"ref\" must be a string or a whole number, not "
                         "an array\n" +
                         // Line 6's task holds the ref, parked in Hold.
                         file +
                         ":14: the engine refused the task: a task with ref "
                         "\"d1\" is already active in process 5001\n");
}

TEST(RunCommand, JsonSummaryHasTheSameCounts) {
  CommandResult run = RunConvey({kRoute, "--input", kRouteTasks, "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(run.out).get(root), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(GetString(root, "file"), kRoute);
  simdjson::dom::array files;
  ASSERT_EQ(root["files"].get(files), simdjson::SUCCESS);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files.at(0).get_string().value_unsafe(), kRoute);
  EXPECT_EQ(GetString(root, "clock"), "virtual");
  EXPECT_EQ(GetInt(root, "unresolved_references"), 0);
  EXPECT_EQ(GetInt(root, "timers_pending"), 0);
  EXPECT_EQ(GetInt(root, "timers_fired"), 0);
  double clock_seconds = -1;
  EXPECT_EQ(root["clock_seconds"].get(clock_seconds), simdjson::SUCCESS);
  EXPECT_EQ(clock_seconds, 0);  // no timer: the virtual clock stood still
  EXPECT_EQ(GetInt(root, "conv_id"), 5001);
  EXPECT_EQ(GetString(root, "title"), "Route");
  EXPECT_EQ(GetInt(root, "tasks_created"), 10);
  EXPECT_EQ(GetInt(root, "input_errors"), 4);
  EXPECT_EQ(GetInt(root, "deploy_warnings"), 0);
  EXPECT_EQ(root["timed_out"].get_bool().value_unsafe(), false);
  EXPECT_EQ(GetInt(root, "tasks_finished"), 6);
  EXPECT_EQ(GetInt(root, "tasks_errored"), 1);
  EXPECT_EQ(GetInt(root, "tasks_loop_stopped"), 1);
  EXPECT_EQ(GetInt(root, "tasks_queued"), 0);
  // Start -> Sort -> ... : at least two per task, 51 for the spinning one.
  EXPECT_GT(GetInt(root, "node_transitions"), 2 * 10 + 50);
  double elapsed = 0, tasks_per_second = 0, transitions_per_second = 0;
  EXPECT_EQ(root["elapsed_seconds"].get(elapsed), simdjson::SUCCESS);
  EXPECT_EQ(root["tasks_per_second"].get(tasks_per_second), simdjson::SUCCESS);
  EXPECT_EQ(root["transitions_per_second"].get(transitions_per_second), simdjson::SUCCESS);
  EXPECT_GT(elapsed, 0);
  EXPECT_NEAR(tasks_per_second * elapsed, 10, 0.01);
  EXPECT_GT(transitions_per_second, tasks_per_second);

  simdjson::dom::array processes;
  ASSERT_EQ(root["processes"].get(processes), simdjson::SUCCESS);
  ASSERT_EQ(processes.size(), 1u);
  simdjson::dom::element process = processes.at(0).value_unsafe();
  EXPECT_EQ(GetInt(process, "conv_id"), 5001);
  EXPECT_EQ(GetString(process, "title"), "Route");

  std::map<std::string, int64_t> finished;
  for (simdjson::dom::element node : process["finished"].get_array()) {
    EXPECT_EQ(GetString(node, "node_id").size(), 24u);
    finished[GetString(node, "title")] = GetInt(node, "count");
  }
  EXPECT_EQ(finished, (std::map<std::string, int64_t>{{"Done A", 2}, {"Done B", 3}, {"Other", 1}}));

  EXPECT_EQ(Waiting(process),
            (std::map<std::string, std::vector<int64_t>>{{"Hold", {2, 0, 0, 0, 0, 2, 0, 0, 0}},
                                                         {"Compute", {1, 0, 0, 0, 0, 0, 1, 0, 0}},
                                                         {"Spin", {1, 0, 0, 0, 0, 0, 0, 1, 0}}}));

  std::map<std::string, double> sums;
  for (simdjson::dom::element sum : process["sums"].get_array()) {
    EXPECT_EQ(GetString(sum, "node_title"), "Count A");
    EXPECT_EQ(GetString(sum, "node_id"), "c00000000000000000000003");
    EXPECT_EQ(GetString(sum, "id"), GetString(sum, "name"));
    double value = 0;
    EXPECT_EQ(sum["value"].get(value), simdjson::SUCCESS);
    sums[GetString(sum, "name")] = value;
  }
  EXPECT_EQ(sums, (std::map<std::string, double>{{"a_count", 2}, {"a_amount", 12.5}}));
}

TEST(RunCommand, OutputListsEveryTaskWhereItStopped) {
  const std::string output = TempPath("route_output.jsonl");
  CommandResult run = RunConvey({kRoute, "--input", kRouteTasks, "--output", output, "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::multimap<std::string, OutputTask> tasks = ReadOutput(output);
  struct Expected {
    const char* ref;
    const char* status;
    const char* node_title;
    const char* data;
  };
  const Expected kExpected[] = {
      {"1", "processed", "Done A", R"({"kind":"a","amount":10})"},
      {"second", "processed", "Done A", R"({"kind":"a","amount":2.5})"},
      {"4", "processed", "Done B", R"({"kind":"b"})"},
      // An object with keys besides ref and data is the data itself.
      {"5", "processing", "Hold", R"({"kind":"hold","ref":"x"})"},
      {"d1", "processing", "Hold", R"({"kind":"hold"})"},
      {"7", "processed", "Other", "{}"},
      {"", "processed", "Done B", R"({"kind":"b"})"},
      {"12", "error", "Compute", R"("kind":"fail")"},
      {"13", "loop_stopped", "Spin", R"({"kind":"loop"})"},
      {"15", "processed", "Done B", R"({"kind":"b"})"},
  };
  EXPECT_EQ(tasks.size(), std::size(kExpected));
  for (const Expected& expected : kExpected) {
    ASSERT_EQ(tasks.count(expected.ref), 1u) << expected.ref;
    const OutputTask& task = tasks.find(expected.ref)->second;
    EXPECT_EQ(task.conv_id, 5001);
    EXPECT_EQ(task.status, expected.status) << expected.ref;
    EXPECT_EQ(task.node_title, expected.node_title) << expected.ref;
    EXPECT_THAT(task.data, HasSubstr(expected.data)) << expected.ref;
  }
  EXPECT_EQ(tasks.find("4")->second.node_id, "c00000000000000000000005");
  // The failed logic's error parameters are in the data.
  EXPECT_THAT(tasks.find("12")->second.data, HasSubstr("__conveyor_set_param_return_type_tag__"));
}

TEST(RunCommand, TasksAreCopiesOfData) {
  const std::string output = TempPath("copies.jsonl");
  CommandResult run = RunConvey(
      {kRoute, "--tasks", "5", "--data", R"({"kind":"b","n":[1,2]})", "--output", output});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_THAT(run.out, HasSubstr("process 5001 \"Route\": 5 tasks created\n"
                                 "  finished:\n"
                                 "         5  Done B\n"
                                 "  sums:\n"
                                 "    Count A: a_count = 0\n"
                                 "    Count A: a_amount = 0\n"
                                 "errors: 0 input, 0 tasks stopped by an "
                                 "error, 0 by the loop guard\n"));
  std::multimap<std::string, OutputTask> tasks = ReadOutput(output);
  ASSERT_EQ(tasks.size(), 5u);
  for (const char* ref : {"1", "2", "3", "4", "5"}) {
    ASSERT_EQ(tasks.count(ref), 1u) << ref;
    const OutputTask& task = tasks.find(ref)->second;
    EXPECT_EQ(task.status, "processed") << ref;
    EXPECT_EQ(task.node_title, "Done B") << ref;
    EXPECT_EQ(task.data, R"({"kind":"b","n":[1,2]})") << ref;
  }
}

TEST(RunCommand, DefaultIsOneEmptyTask) {
  CommandResult run = RunConvey({kRoute});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(": 1 task created\n"
                                 "  finished:\n"
                                 "         1  Other\n"));
}

TEST(RunCommand, ZeroTasksRunsNothing) {
  CommandResult run = RunConvey({kRoute, "--tasks", "0", "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(R"("tasks_created":0,)"));
  EXPECT_THAT(run.out, HasSubstr(R"("finished":[],"waiting":[])"));
}

TEST(RunCommand, TasksCycleThroughTheInput) {
  const std::string output = TempPath("cycle.jsonl");
  // 11 lines parse; 22 tasks is two passes over them.
  CommandResult run =
      RunConvey({kRoute, "--input", kRouteTasks, "--tasks", "22", "--output", output, "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  // Line 14 is refused on both passes: its ref clashes with line 6's.
  EXPECT_THAT(run.out, HasSubstr(R"("tasks_created":20,"input_errors":5,)"));
  const std::string file = kRouteTasks;
  EXPECT_THAT(run.err, HasSubstr(file + ":14: the engine refused the task: "
                                        "a task with ref \"d1#2\" is "
                                        "already active"));
  std::multimap<std::string, OutputTask> tasks = ReadOutput(output);
  EXPECT_EQ(tasks.size(), 20u);
  EXPECT_EQ(tasks.count(""), 2u);  // line 11 has "ref":"" on both passes
  for (const char* ref : {"1", "1#2", "second", "second#2", "15#2"}) {
    ASSERT_EQ(tasks.count(ref), 1u) << ref;
    EXPECT_EQ(tasks.find(ref)->second.status, "processed") << ref;
  }
  ASSERT_EQ(tasks.count("d1#2"), 1u);
  EXPECT_EQ(tasks.find("d1#2")->second.node_title, "Hold");
  EXPECT_EQ(tasks.count("14"), 0u);
  EXPECT_EQ(tasks.count("14#2"), 0u);
  EXPECT_EQ(tasks.count("15#3"), 0u);

  // Fewer tasks than lines: the first ones only.
  run = RunConvey({kRoute, "--input", kRouteTasks, "--tasks", "3", "--output", output});
  EXPECT_EQ(run.exit_code, 1);  // the bad lines are still reported
  tasks = ReadOutput(output);
  EXPECT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks.count("1") + tasks.count("second") + tasks.count("4"), 3u);
}

TEST(RunCommand, ChoosingAProcess) {
  CommandResult several = RunConvey({kTwoProcesses});
  EXPECT_EQ(several.exit_code, 2);
  EXPECT_THAT(several.err,
              HasSubstr(std::string(kTwoProcesses) + " holds 3 processes; choose one with --conv:\n"
                                                     "  --conv 6001  \"Sender\"\n"
                                                     "  --conv 6002  \"Receiver\"\n"
                                                     "  --conv 6003  \"Idle\"\n"));
  EXPECT_EQ(several.out, "");

  CommandResult unknown = RunConvey({kTwoProcesses, "--conv", "6009"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("holds no process 6009; it holds:\n"
                                     "  --conv 6001  \"Sender\"\n"));

  CommandResult idle = RunConvey({kTwoProcesses, "--conv", "6003", "--tasks", "2"});
  EXPECT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_EQ(idle.out.find("process 6003 \"Idle\": 2 tasks created\n"
                          "  finished:\n"
                          "         2  End\n"),
            0u)
      << idle.out;
  EXPECT_THAT(idle.out, Not(HasSubstr("Sender")));
}

TEST(RunCommand, SummaryIncludesProcessesTheTasksReached) {
  CommandResult run = RunConvey({kTwoProcesses, "--conv=6001", "--tasks=3"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("process 6001 \"Sender\": 3 tasks created\n"
                                 "  finished:\n"
                                 "         3  Sent\n"
                                 "process 6002 \"Receiver\": reached by tasks "
                                 "of other processes\n"
                                 "  finished:\n"
                                 "         3  Received\n"));
  EXPECT_THAT(run.out, Not(HasSubstr("Idle")));
}

TEST(RunCommand, TasksParkedInACallbackAreCounted) {
  const std::string output = TempPath("callback.jsonl");
  CommandResult run =
      RunConvey({"tests/testdata/run/callback_forever.json", "--tasks", "3", "--output", output});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("  still in a node:\n"
                                 "         3  Wait for callback "
                                 "[b60000000000000000000002] (3 callback)\n"));
  EXPECT_THAT(run.out, HasSubstr("virtual time: 0d 0h 0m 0s (timers: 0 fired, "
                                 "0 pending)\n"));
  std::multimap<std::string, OutputTask> tasks = ReadOutput(output);
  EXPECT_EQ(tasks.size(), 3u);
  for (const auto& [ref, task] : tasks) {
    EXPECT_EQ(task.status, "processing") << ref;
    EXPECT_EQ(task.node_title, "Wait for callback") << ref;
  }
}

TEST(RunCommand, DeployWarningsAreShownCompactly) {
  const std::string file = "tests/testdata/run/warnings.json";
  CommandResult run = RunConvey({file, "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const std::string warning = ": warning: no link leads to this node; tasks can never reach it";
  EXPECT_EQ(run.err, file + ": 5 deploy warnings (`convey inspect " + file +
                         "` lists them all)\n"
                         "  " +
                         file + ": scheme.nodes[2]" + warning +
                         " (node \"a40000000000000000000010\")\n"
                         "  " +
                         file + ": scheme.nodes[3]" + warning +
                         " (node \"a40000000000000000000011\")\n"
                         "  " +
                         file + ": scheme.nodes[4]" + warning +
                         " (node \"a40000000000000000000012\")\n"
                         "  ... and 2 more\n");
  EXPECT_THAT(run.out, HasSubstr(R"("deploy_warnings":5,)"));
}

TEST(RunCommand, MissingSchemeFileExitsOne) {
  CommandResult run = RunConvey({"tests/testdata/run/no_such_file.json"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("tests/testdata/run/no_such_file.json"));
  EXPECT_EQ(run.out, "");
}

TEST(RunCommand, SchemeThatDoesNotLoadExitsOneWithLocatedErrors) {
  CommandResult run = RunConvey({"tests/testdata/bad/dangling_link.json"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("tests/testdata/bad/dangling_link.json: "
                                 "[0].scheme.nodes[1].condition.logics[1]: "));
  EXPECT_EQ(run.out, "");
}

TEST(RunCommand, MissingInputFileExitsOne) {
  CommandResult run = RunConvey({kRoute, "--input", "tests/testdata/run/none.jsonl"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot open --input tests/testdata/run/none.jsonl: "
                                 "No such file or directory"));
  EXPECT_EQ(run.out, "");
}

// Hostile input (issue 12, rows 4 and 15): an --input line had no length
// cap, and a BOM or NUL starting a later line was misreported.
TEST(RunCommand, InputLinesAreBoundedAndLaterBomsIgnored) {
  const std::string input = TempPath("bounded.jsonl");
  {
    std::ofstream out(input, std::ios::binary);
    out << "{\"kind\":\"a\",\"pad\":\"" << std::string(200000, 'x') << "\"}\n";
    out << "\xEF\xBB\xBF{\"kind\":\"b\"}\n";
    out << std::string("\0{\"kind\":\"a\"}\n", 14);
    out << "{\"kind\":\"b\"}";  // no newline at the end
  }
  CommandResult run = RunConvey({kRoute, "--input", input});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("2 tasks created"));
  EXPECT_EQ(run.err,
            input +
                ":1: the line is 200021 bytes, over the limit of 132096 (the task "
                "size limit and 4 KiB for the ref)\n" +
                input +
                ":3: invalid JSON at column 1: a raw control character \\u0000 (JSON allows it "
                "only escaped, inside a string)\n");
}

TEST(RunCommand, UnwritableOutputExitsOneBeforeRunning) {
  const std::string output = TempPath("no/such/folder/out.jsonl");
  CommandResult run = RunConvey({kRoute, "--output", output});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot open --output " + output + ": "));
  EXPECT_EQ(run.out, "");
}

// Hostile input (issue 12, row 7): `--input t.jsonl --output t.jsonl` used
// to truncate the input before reading it (0 tasks, exit 0), and naming the
// scheme file as --output overwrote it. Any spelling of an input is refused
// before anything is opened for writing.
TEST(RunCommand, OutputThatNamesAnInputIsRefusedBeforeAnythingIsWritten) {
  const std::string scheme = TempPath("own_scheme.json");
  const std::string input = TempPath("own_input.jsonl");
  const std::string env = TempPath("own.env");
  const std::string link = TempPath("own_input_link.jsonl");
  {
    std::ifstream from(kRoute);
    std::ofstream(scheme) << from.rdbuf();
    std::ifstream tasks(kRouteTasks);
    std::ofstream(input) << tasks.rdbuf();
    std::ofstream(env) << "A=1\n";
  }
  std::remove(link.c_str());
  ASSERT_EQ(::symlink(input.c_str(), link.c_str()), 0);
  const std::vector<std::string> input_lines = ReadLines(input);
  const std::vector<std::string> scheme_lines = ReadLines(scheme);
  const struct {
    std::vector<std::string> args;
    std::string named;
  } cases[] = {
      {{scheme, "--input", input, "--output", input}, input},
      {{scheme, "--input", input, "--output", link}, input},
      {{scheme, "--input", input, "--output", TempPath("./own_input.jsonl")}, input},
      {{scheme, "--output", scheme}, scheme},
      {{scheme, "--env-file", env, "--output", env}, env},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args.back());
    CommandResult run = RunConvey(c.args);
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_THAT(run.err, HasSubstr("is the input file " + c.named));
    EXPECT_EQ(run.out, "");
  }
  EXPECT_EQ(ReadLines(input), input_lines);
  EXPECT_EQ(ReadLines(scheme), scheme_lines);
  EXPECT_FALSE(input_lines.empty());
}

TEST(RunCommand, UsageErrorsExitTwo) {
  const struct {
    std::vector<std::string> args;
    const char* message;
  } kCases[] = {
      {{}, "no scheme file given"},
      {{"--json"}, "no scheme file given"},
      {{kRoute, "--clock", "bogus"}, "--clock wants virtual or real, not \"bogus\""},
      {{kRoute, "--clock=Real"}, "--clock wants virtual or real, not \"Real\""},
      {{kRoute, "--clock"}, "--clock needs a value"},
      {{kRoute, "--clock", "real", "--clock=virtual"}, "--clock is given twice"},
      {{kRoute, "--bogus"}, "unknown option --bogus"},
      {{kRoute, "-t"}, "unknown option -t"},
      {{kRoute, "--bogus=1"}, "unknown option --bogus"},
      {{kRoute, "--tasks"}, "--tasks needs a value"},
      {{kRoute, "--tasks", "--json"}, "--tasks needs a value"},
      {{kRoute, "--tasks", "ten"}, "--tasks wants a whole number >= 0, not \"ten\""},
      {{kRoute, "--tasks", "-1"}, "--tasks wants a whole number >= 0, not \"-1\""},
      {{kRoute, "--tasks", "+5"}, "--tasks wants a whole number"},
      {{kRoute, "--tasks", "1e3"}, "--tasks wants a whole number"},
      {{kRoute, "--tasks", "99999999999999999999"}, "--tasks wants a whole number"},
      {{kRoute, "--tasks", "1", "--tasks", "2"}, "--tasks is given twice"},
      {{kRoute, "--conv", "0"}, "--conv wants a process id"},
      {{kRoute, "--conv", "x"}, "--conv wants a process id"},
      {{kRoute, "--threads", "2000"}, "--threads wants a whole number from 0 to 1024"},
      {{kRoute, "--timeout", "0"}, "--timeout wants a number of seconds > 0"},
      {{kRoute, "--timeout", "-3"}, "--timeout wants a number of seconds > 0"},
      {{kRoute, "--timeout", "soon"}, "--timeout wants a number of seconds > 0"},
      {{kRoute, "--timeout", "nan"}, "--timeout wants a number of seconds > 0"},
      {{kRoute, "--timeout", "inf"}, "--timeout wants a number of seconds > 0"},
      {{kRoute, "--json=yes"}, "--json takes no value"},
      {{kRoute, "--data="}, "--data needs a value"},
      {{kRoute, "--output"}, "--output needs a value"},
      {{kRoute, "--data", "{}", "--input", kRouteTasks},
       "--data and --input both give the tasks' data; use one"},
      {{kRoute, "--data", "[1]"}, "--data must be a JSON object, not an array"},
      {{kRoute, "--data", "7"}, "--data must be a JSON object, not a number"},
      {{kRoute, "--data", R"({"a":})"}, "--data is invalid JSON at column 6: "},
  };
  for (const auto& test : kCases) {
    CommandResult run = RunConvey(test.args);
    const std::string args = ::testing::PrintToString(test.args);
    EXPECT_EQ(run.exit_code, 2) << args;
    EXPECT_THAT(run.err, HasSubstr(std::string("convey run: ") + test.message)) << args;
    EXPECT_THAT(run.err, HasSubstr("usage: convey run FILE")) << args;
    EXPECT_EQ(run.out, "") << args;
  }
}

TEST(RunCommand, HelpGoesToStdout) {
  CommandResult run = RunConvey({kRoute, "--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(run.out, HasSubstr("usage: convey run FILE"));
  EXPECT_EQ(run.err, "");
}

TEST(RunCommand, ShortRunDrawsNoProgressLine) {
  CommandResult run = RunConvey({kRoute, "--tasks", "3"}, /*show_progress=*/true);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "");
}

// Creating a trillion tasks never ends, whatever the engine's speed, so the
// timeout always comes first (here, while tasks are being created).
TEST(RunCommand, TimeoutStopsARunThatWouldNotEnd) {
  const std::string output = TempPath("drop.jsonl");
  CommandResult run = RunConvey({"tests/testdata/run/drop.json", "--tasks", "1000000000000",
                                 "--timeout", "1.2", "--json", "--output", output},
                                /*show_progress=*/true);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  // The run lasted over a second: a progress line was drawn, then erased
  // before the message.
  EXPECT_THAT(run.err, HasSubstr("\r\033[Ktasks: "));
  EXPECT_THAT(run.err, HasSubstr(" created, "));
  EXPECT_THAT(run.err, HasSubstr("\r\033[Kconvey run: timed out after 1.2s "
                                 "while creating tasks ("));
  EXPECT_THAT(run.err, HasSubstr(" of 1000000000000 created)\n"));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(run.out).get(root), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(root["timed_out"].get_bool().value_unsafe(), true);
  const int64_t created = GetInt(root, "tasks_created");
  EXPECT_GT(created, 0);
  EXPECT_LT(created, 1000000000000);
  double elapsed = 0;
  EXPECT_EQ(root["elapsed_seconds"].get(elapsed), simdjson::SUCCESS);
  EXPECT_GE(elapsed, 1.2);
  EXPECT_LT(elapsed, 10);
  // Finished tasks are dropped (save_task false): only those still moving
  // when the engine stopped are listed.
  std::multimap<std::string, OutputTask> tasks = ReadOutput(output);
  EXPECT_EQ(static_cast<int64_t>(tasks.size()), created - GetInt(root, "tasks_finished"));
  for (const auto& [ref, task] : tasks) {
    EXPECT_EQ(task.status, "processing") << ref;
  }

  CommandResult text =
      RunConvey({"tests/testdata/run/drop.json", "--tasks", "1000000000000", "--timeout", "0.2"});
  EXPECT_EQ(text.exit_code, 3);
  EXPECT_THAT(text.out, HasSubstr("node transitions/s (timed out)\n"));
  EXPECT_THAT(text.err, AllOf(HasSubstr("convey run: timed out after 200ms "
                                        "while creating tasks ("),
                              HasSubstr(" of 1000000000000 created)\n")));
}

// The task of endless.json waits a minute, then goes back to wait again:
// on the virtual clock time jumps from one timer to the next for ever, the
// engine never goes idle, and the timeout ends the wait.
TEST(RunCommand, TimeoutStopsWaitingForAProcessThatNeverEnds) {
  CommandResult run = RunConvey({"tests/testdata/run/endless.json", "--timeout", "0.5", "--json"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(run.out).get(root), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(root["timed_out"].get_bool().value_unsafe(), true);
  EXPECT_EQ(GetInt(root, "tasks_created"), 1);
  EXPECT_EQ(GetInt(root, "tasks_finished"), 0);
  const int64_t fired = GetInt(root, "timers_fired");
  EXPECT_GT(fired, 10);
  double clock_seconds = 0;
  EXPECT_EQ(root["clock_seconds"].get(clock_seconds), simdjson::SUCCESS);
  // A minute per timer that fired (the last may not have moved its task
  // when the engine stopped).
  EXPECT_GE(clock_seconds, 60.0 * fired);
  EXPECT_LE(clock_seconds, 60.0 * (fired + 1));
  EXPECT_EQ(run.err,
            "convey run: timed out after 500ms waiting for the "
            "tasks to stop moving\n");
}

// The example that ./run.sh runs: small orders are accepted, bad ones
// rejected, and big ones wait for a reviewer who never comes: an hour later,
// on the virtual clock, the review's timer approves them.
TEST(RunCommand, OrdersExample) {
  CommandResult run = RunConvey(
      {"examples/orders.conv.json", "--input", "examples/orders.tasks.jsonl", "--tasks", "80"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("process 1001 \"Order routing\": 80 tasks created\n"
                                 "  finished:\n"
                                 "        20  Reviewed\n"
                                 "        40  Accepted\n"
                                 "        20  Bad input\n"
                                 "  sums:\n"
                                 "    Count big orders: big_orders = 20\n"
                                 "    Count big orders: big_total = 25000\n"
                                 "    Count small orders: small_orders = 40\n"
                                 "errors: 0 input, 0 tasks stopped by an error, 0 by "
                                 "the loop guard\n"
                                 "virtual time: 0d 1h 0m "));
  EXPECT_THAT(run.out, HasSubstr(" (timers: 20 fired, 0 pending)\n"));
  EXPECT_THAT(run.out, Not(HasSubstr("still in a node")));

  // On the real clock the reviews would take an hour: the timeout ends the
  // wait with the big orders still waiting for their callback.
  run = RunConvey({"examples/orders.conv.json", "--input", "examples/orders.tasks.jsonl", "--tasks",
                   "80", "--clock", "real", "--timeout", "0.2"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.out, HasSubstr("  still in a node:\n"
                                 "        20  Manual review "
                                 "[6808a919513aa065de250005] (20 callback)\n"));
  EXPECT_THAT(run.out, HasSubstr("real time: 0d 0h 0m 0."));
  EXPECT_THAT(run.out, HasSubstr(" (timers: 0 fired, 20 pending)\n"));
}

// The example that `./run.sh api` runs (README): 1000 payments through an
// `api` node with the 4-node error pattern. run.sh serves the API with nginx
// (examples/api/nginx.conf) on 127.0.0.1:18089; here a loopback server on a
// free port answers the same way, and the scheme, copied, points at it:
// approved, declined for the card "expired", 503 with an HTML body for
// "flaky" (retried after 30 s three times, then "Charge error").
TEST(RunCommand, ApiExample) {
  convey::testing::LoopbackServer server;
  std::atomic<int> requests{0};
  server.server().Get("/charge", [&requests](const httplib::Request& request,
                                             httplib::Response& response) {
    requests.fetch_add(1);
    // As nginx.conf: `default_type application/json` for all three.
    const std::string card = request.get_param_value("card");
    if (card == "expired") {
      response.set_content(R"({"status":"declined","reason":"card expired"})", "application/json");
    } else if (card == "flaky") {
      response.status = 503;
      response.set_content("<html><body>busy, try later</body></html>", "application/json");
    } else {
      response.set_content(
          R"({"status":"approved","charge_id":"ch_)" + std::to_string(requests.load()) + R"("})",
          "application/json");
    }
  });
  ASSERT_TRUE(server.Start().ok());

  std::ifstream in("examples/api/payments.conv.json");
  ASSERT_TRUE(in.is_open());
  std::string scheme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string nginx = "http://127.0.0.1:18089/charge";
  const size_t at = scheme.find(nginx);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(scheme.find(nginx, at + 1), std::string::npos);
  scheme.replace(at, nginx.size(), server.Url("/charge"));
  const std::string copy = TempPath("payments.conv.json");
  std::ofstream(copy) << scheme;

  // run.sh passes --allow-net=127.0.0.1/32 too: convey run refuses private
  // addresses unless allowed.
  CommandResult run = RunConvey({copy, "--input", "examples/api/payments.tasks.jsonl", "--tasks",
                                 "1000", "--allow-net=127.0.0.1/32"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // The README's lines, but for elapsed.
  EXPECT_THAT(run.out, HasSubstr("process 2001 \"Card payment (api)\": 1000 tasks created\n"
                                 "  finished:\n"
                                 "       500  Approved\n"
                                 "       250  Declined\n"
                                 "       250  Charge error\n"
                                 "errors: 0 input, 0 tasks stopped by an error, 0 by "
                                 "the loop guard\n"
                                 "virtual time: 0d 0h 1m 30s (timers: 750 fired, 0 "
                                 "pending)\n"
                                 "elapsed "))
      << run.err;
  EXPECT_THAT(run.out, Not(HasSubstr("still in a node")));
  // 750 approved or declined at once; 250 flaky, each called four times.
  EXPECT_EQ(requests.load(), 750 + 250 * 4);
}

// Hostile input (issue 12, row 11): after --timeout, a task waiting for an
// HTTP answer was reported as `other`: closing the engine cancelled the
// request, and the cancellation moved the task. It stays in `http`.
TEST(RunCommand, TimeoutReportsTasksWaitingForAnswersAsHttp) {
  convey::testing::LoopbackServer server;
  std::atomic<bool> release{false};
  server.server().Get("/charge", [&release](const httplib::Request&, httplib::Response& response) {
    for (int i = 0; i < 1000 && !release.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    response.set_content("{}", "application/json");
  });
  ASSERT_TRUE(server.Start().ok());
  std::ifstream in("examples/api/payments.conv.json");
  std::string scheme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string nginx = "http://127.0.0.1:18089/charge";
  const size_t at = scheme.find(nginx);
  ASSERT_NE(at, std::string::npos);
  scheme.replace(at, nginx.size(), server.Url("/charge"));
  const std::string copy = TempPath("payments_hanging.conv.json");
  std::ofstream(copy) << scheme;

  CommandResult run = RunConvey({copy, "--tasks", "2", "--data", R"({"card":"ok","amount":1})",
                                 "--timeout", "0.5", "--allow-net=127.0.0.1/32"});
  release = true;
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.out, HasSubstr("(2 http)\n")) << run.out;
  EXPECT_THAT(run.out, Not(HasSubstr("other"))) << run.out;
}

// --- Several files, clocks and parked tasks ---

constexpr char kCaller[] = "tests/testdata/run/rpc_caller.json";
constexpr char kCallee[] = "tests/testdata/run/rpc_callee.json";
constexpr char kSilent[] = "tests/testdata/run/rpc_silent.json";
constexpr char kThirtyDays[] = "tests/testdata/run/delay_30_days.json";
constexpr char kOneSecond[] = "tests/testdata/run/delay_1_second.json";

// How many times `needle` occurs in `text`.
size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// The caller's api_rpc names process 7002, which only the second file holds:
// deployed together, the call is answered and no reference is unresolved.
TEST(RunCommand, CallAcrossFiles) {
  const std::string output = TempPath("rpc.jsonl");
  CommandResult run =
      RunConvey({kCaller, kCallee, "--conv", "7001", "--tasks", "2", "--output", output});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out.find("process 7001 \"Caller\": 2 tasks created\n"
                         "  finished:\n"
                         "         2  Got reply\n"
                         "process 7002 \"Callee\": reached by tasks of other "
                         "processes\n"
                         "  finished:\n"
                         "         2  Replied\n"
                         "errors: 0 input, 0 tasks stopped by an error, 0 by "
                         "the loop guard\n"),
            0u)
      << run.out;
  std::multimap<std::string, OutputTask> tasks = ReadOutput(output);
  for (const char* ref : {"1", "2"}) {
    ASSERT_EQ(tasks.count(ref), 1u) << ref;
    const OutputTask& task = tasks.find(ref)->second;
    EXPECT_EQ(task.conv_id, 7001) << ref;
    EXPECT_EQ(task.status, "processed") << ref;
    EXPECT_EQ(task.node_title, "Got reply") << ref;
    EXPECT_THAT(task.data, AllOf(HasSubstr(R"("answer":"pong")"), HasSubstr(R"("echo":"ping")")))
        << ref;
  }

  // The order of the files does not matter: references are resolved once
  // all of them are deployed.
  CommandResult reversed = RunConvey({kCallee, kCaller, "--conv=7001", "--json"});
  EXPECT_EQ(reversed.exit_code, 0) << reversed.err;
  EXPECT_EQ(reversed.err, "");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(reversed.out).get(root), simdjson::SUCCESS) << reversed.out;
  EXPECT_EQ(GetString(root, "file"), kCaller);
  simdjson::dom::array files;
  ASSERT_EQ(root["files"].get(files), simdjson::SUCCESS);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files.at(0).get_string().value_unsafe(), kCallee);
  EXPECT_EQ(files.at(1).get_string().value_unsafe(), kCaller);
  EXPECT_EQ(GetInt(root, "unresolved_references"), 0);
  EXPECT_EQ(GetInt(root, "tasks_finished"), 2);  // caller and callee
}

TEST(RunCommand, ATaskWaitingForAReplyIsCounted) {
  CommandResult run = RunConvey({kCaller, kSilent, "--conv", "7001"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find("process 7001 \"Caller\": 1 task created\n"
                         "  still in a node:\n"
                         "         1  Call callee [b10000000000000000000002] "
                         "(1 reply)\n"
                         "process 7002 \"Silent callee\": reached by tasks of "
                         "other processes\n"
                         "  finished:\n"
                         "         1  Ignored\n"),
            0u)
      << run.out;

  CommandResult json = RunConvey({kCaller, kSilent, "--conv", "7001", "--json"});
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json.out).get(root), simdjson::SUCCESS) << json.out;
  simdjson::dom::array processes;
  ASSERT_EQ(root["processes"].get(processes), simdjson::SUCCESS);
  ASSERT_EQ(processes.size(), 2u);
  EXPECT_EQ(
      Waiting(processes.at(0).value_unsafe()),
      (std::map<std::string, std::vector<int64_t>>{{"Call callee", {1, 0, 1, 0, 0, 0, 0, 0, 0}}}));
}

// Deployed alone (or with a file that does not hold 7002), the caller's
// reference is reported once, after every file is deployed, and the call
// fails at run time.
TEST(RunCommand, AnUnresolvedReferenceIsReportedOnce) {
  CommandResult run = RunConvey({kCaller, kRoute, "--conv", "7001", "--json"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find("1 unresolved process reference (no file given names "
                         "the process; a task sent there fails)\n"
                         "  " +
                         std::string(kCaller) + ": "),
            0u)
      << run.err;
  EXPECT_EQ(Occurrences(run.err, "\n"), 2u) << run.err;
  EXPECT_EQ(Occurrences(run.err, "7002"), 1u) << run.err;
  EXPECT_THAT(run.err, HasSubstr(": warning: "));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(run.out).get(root), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(GetInt(root, "unresolved_references"), 1);
  EXPECT_EQ(GetInt(root, "deploy_warnings"), 0);
  EXPECT_THAT(run.out, HasSubstr(R"({"node_id":"b10000000000000000000004",)"
                                 R"("title":"Call failed","count":1})"));
}

TEST(RunCommand, ChoosingAProcessAmongSeveralFiles) {
  CommandResult several = RunConvey({kRoute, kThirtyDays});
  EXPECT_EQ(several.exit_code, 2);
  EXPECT_THAT(several.err, HasSubstr("convey run: the files hold 2 processes; choose one "
                                     "with --conv:\n"
                                     "  --conv 5001  \"Route\"  (" +
                                     std::string(kRoute) +
                                     ")\n"
                                     "  --conv 7101  \"Long delay\"  (" +
                                     kThirtyDays + ")\n"));
  EXPECT_EQ(several.out, "");

  CommandResult unknown = RunConvey({kRoute, kThirtyDays, "--conv", "7001"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("convey run: none of the files holds "
                                     "process 7001; they hold:\n"
                                     "  --conv 5001  \"Route\"  ("));

  // The same process in two files: the later one is deployed, and it is
  // still one process to choose from.
  CommandResult twice = RunConvey({kRoute, kRoute, "--data", R"({"kind":"b"})"});
  EXPECT_EQ(twice.exit_code, 0) << twice.err;
  EXPECT_THAT(twice.out, HasSubstr("process 5001 \"Route\": 1 task created\n"
                                   "  finished:\n"
                                   "         1  Done B\n"));

  CommandResult missing = RunConvey({kRoute, "tests/testdata/run/no_such_file.json"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("tests/testdata/run/no_such_file.json"));
  EXPECT_EQ(missing.out, "");
}

// The virtual clock jumps to each timer once nothing else can move: thirty
// days pass in the blink of an eye. It stands still while the tasks are
// created, so they all start, and wake, at the same virtual instant.
TEST(RunCommand, VirtualClockRunsAThirtyDayDelayAtOnce) {
  const auto started = std::chrono::steady_clock::now();
  CommandResult run = RunConvey({kThirtyDays, "--tasks", "200", "--threads", "2", "--json"});
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_LT(wall, 10);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(run.out).get(root), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(GetString(root, "clock"), "virtual");
  EXPECT_EQ(GetInt(root, "timers_fired"), 200);
  EXPECT_EQ(GetInt(root, "timers_pending"), 0);
  EXPECT_EQ(GetInt(root, "tasks_finished"), 200);
  EXPECT_THAT(run.out, HasSubstr(R"("title":"Woke up","count":200})"));
  double clock_seconds = 0, elapsed = 0;
  EXPECT_EQ(root["clock_seconds"].get(clock_seconds), simdjson::SUCCESS);
  EXPECT_EQ(root["elapsed_seconds"].get(elapsed), simdjson::SUCCESS);
  EXPECT_GE(clock_seconds, 30 * 86400.0);
  EXPECT_LT(clock_seconds, 30 * 86400.0 + 1);
  EXPECT_LT(elapsed, 10);

  CommandResult text = RunConvey({kThirtyDays});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("  finished:\n"
                                  "         1  Woke up\n"
                                  "errors: 0 input, 0 tasks stopped by an "
                                  "error, 0 by the loop guard\n"
                                  "virtual time: 30d 0h 0m "));
  EXPECT_THAT(text.out, HasSubstr(" (timers: 1 fired, 0 pending)\n"));
}

// A timer on a node where tasks wait for a callback releases them.
TEST(RunCommand, VirtualClockFiresTheTimerOfACallbackNode) {
  CommandResult run = RunConvey({"tests/testdata/run/callback.json", "--tasks", "3"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("process 8001 \"Callback\": 3 tasks created\n"
                                 "  finished:\n"
                                 "         3  Called back\n"
                                 "errors: 0 input, 0 tasks stopped by an "
                                 "error, 0 by the loop guard\n"
                                 "virtual time: 0d 1h 0m "));
  EXPECT_THAT(run.out, HasSubstr(" (timers: 3 fired, 0 pending)\n"));
}

// On the real clock the run waits for the timer: about a second.
TEST(RunCommand, RealClockWaitsForTimers) {
  const auto started = std::chrono::steady_clock::now();
  CommandResult run = RunConvey({kOneSecond, "--clock", "real", "--timeout", "5", "--json"});
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr(std::string(kOneSecond) + ": 1 deploy warning\n"));
  EXPECT_THAT(run.err, HasSubstr("warning: a 1 s timer: "));
  EXPECT_GE(wall, 0.95);
  EXPECT_LT(wall, 3);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(run.out).get(root), simdjson::SUCCESS) << run.out;
  EXPECT_EQ(GetString(root, "clock"), "real");
  EXPECT_EQ(GetInt(root, "deploy_warnings"), 1);
  EXPECT_EQ(GetInt(root, "timers_fired"), 1);
  EXPECT_EQ(GetInt(root, "timers_pending"), 0);
  EXPECT_THAT(run.out, HasSubstr(R"("title":"Done","count":1})"));
  double clock_seconds = 0;
  EXPECT_EQ(root["clock_seconds"].get(clock_seconds), simdjson::SUCCESS);
  EXPECT_GE(clock_seconds, 0.95);
  EXPECT_LT(clock_seconds, 3);
}

// Cut short, a real-clock run shows the task waiting for its timer.
TEST(RunCommand, RealClockTimeoutLeavesATaskWaitingForItsTimer) {
  CommandResult run = RunConvey({kOneSecond, "--clock", "real", "--timeout", "0.3"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("convey run: timed out after 300ms waiting "
                                 "for the tasks to stop moving\n"));
  EXPECT_THAT(run.out, HasSubstr("  still in a node:\n"
                                 "         1  Wait a second "
                                 "[b50000000000000000000002] (1 timer)\n"));
  EXPECT_THAT(run.out, HasSubstr("real time: 0d 0h 0m 0."));
  EXPECT_THAT(run.out, HasSubstr(" (timers: 0 fired, 1 pending)\n"));
  EXPECT_THAT(run.out, HasSubstr("node transitions/s (timed out)\n"));

  // The same file on the virtual clock needs no wall time at all.
  CommandResult virtual_run = RunConvey({kOneSecond, "--timeout", "5"});
  EXPECT_EQ(virtual_run.exit_code, 0) << virtual_run.err;
  EXPECT_THAT(virtual_run.out, HasSubstr("virtual time: 0d 0h 0m 1"));
  EXPECT_THAT(virtual_run.out, HasSubstr(" (timers: 1 fired, 0 pending)\n"));
}

}  // namespace
}  // namespace tools
}  // namespace convey

namespace convey {
namespace tools {
namespace {

std::string FreshDirectory(const std::string& name) {
  const std::string path = TempPath(name);
  std::system(("rm -rf '" + path + "'").c_str());
  return path;
}

// --store: a run cut short leaves its task in the store; a second run with
// --tasks 0 resumes it, and its timer fires at the original deadline.
TEST(RunCommand, StoreResumesATaskWaitingForItsTimer) {
  const std::string store = FreshDirectory("store_timer");
  CommandResult first =
      RunConvey({kOneSecond, "--clock", "real", "--timeout", "0.3", "--store", store});
  EXPECT_EQ(first.exit_code, 3) << first.err;
  EXPECT_THAT(first.out, HasSubstr(" (timers: 0 fired, 1 pending)\n"));

  const std::string output = TempPath("store_timer.jsonl");
  CommandResult second = RunConvey({kOneSecond, "--clock", "real", "--tasks", "0", "--timeout", "5",
                                    "--store", store, "--output", output});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("convey run: resumed 1 task from " + store + "\n"));
  EXPECT_THAT(second.out, HasSubstr(" (timers: 1 fired, 0 pending)\n"));
  std::multimap<std::string, OutputTask> tasks = ReadOutput(output);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks.begin()->second.status, "processed");
  EXPECT_EQ(tasks.begin()->second.node_title, "Done");
}

TEST(RunCommand, StoreKeepsTasksWaitingForACallbackWithTheirRefs) {
  const std::string store = FreshDirectory("store_callback");
  const std::string input = TempPath("store_callback_tasks.jsonl");
  std::ofstream(input) << R"({"ref":"a","data":{"n":1}})"
                          "\n"
                          R"({"ref":"b","data":{"n":2}})"
                          "\n";
  CommandResult first = RunConvey({"tests/testdata/run/callback_forever.json", "--input", input,
                                   "--store", store, "--durability", "async"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  const std::string output = TempPath("store_callback.jsonl");
  CommandResult second = RunConvey({"tests/testdata/run/callback_forever.json", "--tasks", "0",
                                    "--store", store, "--output", output});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("resumed 2 tasks"));
  std::multimap<std::string, OutputTask> tasks = ReadOutput(output);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks.count("a"), 1u);
  EXPECT_EQ(tasks.count("b"), 1u);
  for (const auto& [ref, task] : tasks) EXPECT_EQ(task.node_title, "Wait for callback") << ref;
  // Refs stay unique across runs.
  CommandResult third =
      RunConvey({"tests/testdata/run/callback_forever.json", "--input", input, "--store", store});
  EXPECT_EQ(third.exit_code, 1) << third.err;
  EXPECT_THAT(third.err, HasSubstr("already active"));
}

TEST(RunCommand, StoreSaysWhenTheFileChangedBetweenRuns) {
  const std::string store = FreshDirectory("store_changed");
  const std::string scheme = TempPath("store_changed.json");
  std::string text;
  {
    std::ifstream in(kOneSecond);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::ofstream(scheme) << text;
  CommandResult first =
      RunConvey({scheme, "--clock", "real", "--timeout", "0.2", "--store", store});
  EXPECT_EQ(first.exit_code, 3) << first.err;
  std::ofstream(scheme, std::ios::trunc) << text << "\n";
  CommandResult second =
      RunConvey({scheme, "--clock", "real", "--tasks", "0", "--timeout", "5", "--store", store});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("the file changed since the store " + store));
  EXPECT_THAT(second.out, HasSubstr(" (timers: 1 fired, 0 pending)\n"));
}

TEST(RunCommand, StoreThatIsNotADirectoryExitsOne) {
  const std::string file = TempPath("store_file");
  std::ofstream(file) << "x";
  CommandResult run = RunConvey({kRoute, "--store", file});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("cannot start the engine: store " + file + " is not a directory"));
  CommandResult usage = RunConvey({kRoute, "--durability", "sync"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("--durability needs --store DIR"));
}

}  // namespace
}  // namespace tools
}  // namespace convey
