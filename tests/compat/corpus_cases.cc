// The documented runs of corpus files; see corpus_cases.h.
#include "tests/compat/corpus_cases.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convey/logic.h"
#include "convey/scheme.h"

namespace convey {
namespace compat {
namespace {

constexpr char kCaller[] = "tests/compat/rpc_caller.json";
constexpr int64_t kCallerConv = 9001;
constexpr char kCallerReplied[] = "c0c0000000000000000000c3";

// Task data for 051 (its declared params) and the ops a local server
// answers with.
constexpr char kNodeList[] =
    R"({"api_login":"12345","api_secret":"s3cret","workspaceId":"w-1","processId":"1866481",)"
    R"("nodeId":"6a33e2cde552e8da3dcb1602","limit":"10","offset":"0"})";
constexpr char kNodeListOps[] =
    R"([{"proc":"ok","obj":"node","list":[{"obj_id":"6a33e2cde552e8da3dcb1602",)"
    R"("title":"Corezoid API - Get Node List","obj_type":0}]}])";

std::string CallerData(int64_t callee, const std::string& rest = "") {
  return absl::StrCat(R"({"callee":)", callee, rest.empty() ? "" : ",", rest, "}");
}

// The corpus file whose name starts with `number` and `_`; empty if none
// or several.
std::string CorpusFile(const std::string& number) {
  std::string found;
  for (const std::string& name : CorpusFiles()) {
    if (!absl::StartsWith(name, number + "_")) continue;
    if (!found.empty()) return "";
    found = name;
  }
  return found;
}

std::string CountsText(const std::map<std::string, int>& counts) {
  if (counts.empty()) return "—";
  std::vector<std::string> parts;
  for (const auto& [type, count] : counts) parts.push_back(absl::StrCat(type, " ", count));
  return absl::StrJoin(parts, ", ");
}

}  // namespace

void PrintTo(const Case& c, std::ostream* os) { *os << "case " << c.name; }

// Platform behaviour and deviations are discussed per case in
// docs/compatibility.md.
const std::vector<Case>& CorpusCases() {
  // clang-format off
  static const auto* cases = new std::vector<Case>{
      // Copies itself: each copy copies again. convey ends the chain after
      // loop_limit (50) copies; the copy that would be the 51st fails.
      {"027", "027", {"027"}, 123, "{}", "",
       {{123, "aabbccddaabbccddaabb0003", "processed", "", 50},
        {123, "aabbccddaabbccddaabb0002", "error", "copy_task_fatal_error", 1}},
       {{123, "aabbccddaabbccddaabb0003", "copy_conv_id", "123", 49}}},
      {"028", "028", {"028"}, 1, R"({"data":{"result":"r-1"}})", "",
       {{1, "aabbccddeeff001122330003", "processed", "", 1}}, {}},
      {"028 called", "028", {kCaller, "028"}, kCallerConv,
       CallerData(1, R"("data":{"result":"r-1"})"), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "aabbccddeeff001122330003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "result", R"("r-1")", 1},
        {kCallerConv, kCallerReplied, "status", R"("success")", 1}}},
      {"029", "029", {"029"}, 1, R"({"data":{"result":"r-1"}})", "",
       {{1, "aabbccddeeff001122330003", "processed", "", 1}}, {}},
      {"029 called", "029", {kCaller, "029"}, kCallerConv,
       CallerData(1, R"("data":{"result":"r-1"})"), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "aabbccddeeff001122330003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "result", R"("r-1")", 1},
        {kCallerConv, kCallerReplied, "status", R"("success")", 1}}},
      // set_param in the legacy `params` list shape.
      {"030", "030", {"030"}, 1, "{}", "",
       {{1, "ddaabbccddaabbccddaa0003", "processed", "", 1}},
       {{1, "ddaabbccddaabbccddaa0003", "x", R"("1")", 1}}},
      {"030 called", "030", {kCaller, "030"}, kCallerConv, CallerData(1), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "ddaabbccddaabbccddaa0003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "status", R"("ok")", 1},
        {kCallerConv, kCallerReplied, "x", kMissing, 1},
        {1, "ddaabbccddaabbccddaa0003", "x", R"("1")", 1}}},
      {"031", "031", {"031"}, 1, "{}", "",
       {{1, "ddaabbccddaabbccddaa0003", "processed", "", 1}},
       {{1, "ddaabbccddaabbccddaa0003", "x", R"("1")", 1}}},
      {"031 called", "031", {kCaller, "031"}, kCallerConv, CallerData(1), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "ddaabbccddaabbccddaa0003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "status", R"("ok")", 1},
        {1, "ddaabbccddaabbccddaa0003", "x", R"("1")", 1}}},
      {"032", "032", {"032"}, 1, "{}", "",
       {{1, "ccddaabbccddeeff00112203", "processed", "", 1}}, {}},
      {"033", "033", {"033"}, 1, "{}", "",
       {{1, "aabbccddeeff00112233aa02", "processed", "", 1}}, {}},
      // Calls process 12345, which no file holds: the rpc fails and the
      // task takes the escalation route.
      {"034", "034", {"034"}, 1, "{}", "",
       {{1, "aabbccddaabbccddaabbcc04", "processed", "rpc_task_fatal_error", 1}}, {}},
      {"035", "035", {"035"}, 1, "{}", "",
       {{1, "bbbb0003513aa075cf400003", "processed", "", 1}}, {}},
      // The caller gets the first reply; the second finds no caller waiting.
      {"035 called", "035", {kCaller, "035"}, kCallerConv, CallerData(1), "",
       {{kCallerConv, kCallerReplied, "processed", "", 1},
        {1, "bbbb0003513aa075cf400003", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "links", "[]", 1},
        {kCallerConv, kCallerReplied, "chars", "0", 1},
        {kCallerConv, kCallerReplied, "note", R"("plain strings are fine")", 1},
        {kCallerConv, kCallerReplied, "meta", kMissing, 1}}},
      // Stub mode: one task per stub branch.
      {"036", "036", {"036"}, 1, "", "tests/compat/tasks/036.jsonl",
       {{1, "cccccccccccccccccccccccc", "processed", "", 1},
        {1, "dddddddddddddddddddddddd", "processed", "rpc_reply_exception", 1}},
       {{1, "cccccccccccccccccccccccc", "stub_node_response", R"("fine")", 1},
        {1, "cccccccccccccccccccccccc", "__logic_stub_mode__", "true", 1},
        {1, "dddddddddddddddddddddddd", "status", R"("error")", 1},
        {1, "dddddddddddddddddddddddd", "__logic_stub_mode__", "true", 1}}},
      {"037", "037", {"037"}, 1, R"({"email":"ada@example.com"})", "",
       {{1, "ccddaabbccddaabbccdd0002", "processed", "", 1}}, {}},
      {"038", "038", {"038"}, 1, R"({"user_id":"u-1"})", "",
       {{1, "bbccddaabbccddaabbcc0002", "processed", "", 1}}, {}},
      // Pulls from node "Charge" of process 100 (file 039), which is no
      // queue node.
      // `{{env_var[@STRIPE_URL]}}/charge`: convey has no environment
      // variables, so the URL is "/charge" and the call fails before any
      // request (no err_node_id).
      {"039", "039", {"039"}, 100, R"({"amount":1500})", "",
       {{100, "aaaa000000000000000000a2", "error", "api_bad_answer", 1}},
       {{100, "aaaa000000000000000000a2", "__conveyor_api_return_description__",
         R"("no_scheme")", 1}}},
      {"040", "040", {"039", "040"}, 200, "{}", "",
       {{200, "bbbb000000000000000000b2", "error", "queue_wrong_logic", 1}}, {}},
      // A state diagram: the task stays in its state.
      {"041", "041", {"041"}, 300, "{}", "",
       {{300, "cccc000000000000000000c2", "no_exit", "", 1}},
       {{300, "cccc000000000000000000c2", "state", R"("created")", 1}}},
      {"042", "042", {"042"}, 400, "{}", "",
       {{400, "dddd000000000000000000d2", "processed", "", 1}}, {}},
      // A and B call each other: the call 33 deep fails (max_rpc_depth 32);
      // the 32 callers above it keep waiting for a reply.
      {"043", "043", {"043", "044"}, 600, "{}", "",
       {{600, "ffff000000000000000000f2", "reply", "", 16},
        {600, "ffff000000000000000000f2", "error", "rpc_task_fatal_error", 1},
        {601, "0011000000000000000000f2", "reply", "", 16}}, {}},
      {"044", "044", {"044", "043"}, 601, "{}", "",
       {{601, "0011000000000000000000f2", "reply", "", 16},
        {601, "0011000000000000000000f2", "error", "rpc_task_fatal_error", 1},
        {600, "ffff000000000000000000f2", "reply", "", 16}}, {}},
      {"045", "045", {"045"}, 602, "{}", "",
       {{602, "0022000000000000000000f2", "reply", "", 32},
        {602, "0022000000000000000000f2", "error", "rpc_task_fatal_error", 1}}, {}},
      {"047", "047", {"047"}, 500, "{}", "",
       {{500, "eeee000000000000000000e2", "processed", "", 1}}, {}},
      // first_name given, empty, missing (a missing param makes `eq ""`
      // false: Part A3).
      // https://api.example.com, unreachable here: the call fails, and with
      // no err_node_id the task stops.
      {"048", "048", {"048"}, 700, "{}", "",
       {{700, "0033000000000000000000g2", "error", "api_bad_answer", 1}}, {}},
      // The same call answered by a local server: the node has no `go`, so
      // the task stays there.
      {"048 routed", "048", {"048"}, 700, "{}", "",
       {{700, "0033000000000000000000g2", "no_exit", "", 1}},
       {{700, "0033000000000000000000g2", "accepted", "true", 1}}, 0,
       LocalHttp{true, "POST", "https://api.example.com",
                 R"({"token":"FAKE_abcdefghij_012345_secret_value"})", R"({"accepted":true})", 1}},
      {"053", "053", {"053"}, 1758522, "", "tests/compat/tasks/053.jsonl",
       {{1758522, "68ff35aee552e819080577ba", "processed", "", 2},
        {1758522, "68ff7b76e552e81908288df2", "processed", "", 1}}, {}},
      {"053 called", "053", {kCaller, "053"}, kCallerConv, "",
       "tests/compat/tasks/053_called.jsonl",
       {{kCallerConv, kCallerReplied, "processed", "", 2},
        {1758522, "68ff35aee552e819080577ba", "processed", "", 1},
        {1758522, "68ff7b76e552e81908288df2", "processed", "", 1}},
       {{kCallerConv, kCallerReplied, "status", R"("ok")", 1},
        {kCallerConv, kCallerReplied, "user_id", "13214", 1},
        {kCallerConv, kCallerReplied, "status", R"("error")", 1},
        {kCallerConv, kCallerReplied, "description", R"("first_name is requred")", 1}}},
      // api.corezoid.com is unreachable: the error exit replies with an
      // exception and ends in "Error".
      {"051", "051", {"051"}, 1866481, kNodeList, "",
       {{1866481, "6a33e2cde552e8da3dcb161a", "processed", "api_bad_answer", 1}},
       {{1866481, "6a33e2cde552e8da3dcb161a", "__conveyor_api_return_type_error__",
         R"("software")", 1}}},
      // Answered by a local server as the Corezoid API would.
      {"051 routed", "051", {"051"}, 1866481, kNodeList, "",
       {{1866481, "6a33e2cde552e8da3dcb160c", "processed", "", 1}},
       {{1866481, "6a33e2cde552e8da3dcb160c", "request_proc", R"("ok")", 1},
        {1866481, "6a33e2cde552e8da3dcb160c", "ops", kNodeListOps, 1}}, 0,
       LocalHttp{true, "POST", "https://api.corezoid.com/api/2/json/12345", "",
                 absl::StrCat(R"({"request_proc":"ok","ops":)", kNodeListOps, "}"), 1}},
      // Nothing listens on port 1: refused, a software error, no retry.
      {"056", "056", {"056"}, 1, R"({"url":"http://127.0.0.1:1/health"})", "",
       {{1, "aabc000000000000000000006", "processed", "api_bad_answer", 1}},
       {{1, "aabc000000000000000000006", "__conveyor_api_return_type_error__",
         R"("software")", 1}}},
      {"056 served", "056", {"056"}, 1, R"({"url":"{server}/health"})", "",
       {{1, "aabc000000000000000000007", "processed", "", 1}},
       {{1, "aabc000000000000000000007", "status", R"("up")", 1}}, 0,
       LocalHttp{false, "GET", "{server}/health", "", R"({"status":"up"})", 1}},
      // amount 0, then 1500: `{{env_var[@payment-api-url]}}/charge` is
      // "/charge" (no environment variables), a software error.
      {"057", "057", {"057"}, 1, "", "tests/compat/tasks/057.jsonl",
       {{1, "erh000000000000000000000a", "processed", "", 1},
        {1, "erh000000000000000000000a", "processed", "api_bad_answer", 1}},
       {{1, "erh000000000000000000000a", "__conveyor_api_return_description__",
         R"("no_scheme")", 1}}},
      {"058", "058", {"058"}, 1, "", "tests/compat/tasks/057.jsonl",
       {{1, "erh000000000000000000000a", "processed", "", 1},
        {1, "erh000000000000000000000a", "processed", "api_bad_answer", 1}},
       {{1, "erh000000000000000000000a", "__conveyor_api_return_description__",
         R"("no_scheme")", 1}}},
  };
  // clang-format on
  return *cases;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> files;
  DIR* dir = opendir(kCorpusDir);
  if (dir == nullptr) return files;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (absl::EndsWith(name, ".json")) files.push_back(name);
  }
  closedir(dir);
  std::sort(files.begin(), files.end());
  return files;
}

bool IsCorpusNumber(const std::string& file) {
  return file.size() == 3 && std::all_of(file.begin(), file.end(), absl::ascii_isdigit);
}

std::string PathOf(const std::string& file) {
  if (!IsCorpusNumber(file)) return file;
  const std::string name = CorpusFile(file);
  return name.empty() ? "" : kCorpusDir + name;
}

std::vector<std::string> TaskData(const Case& c) {
  if (c.input.empty()) return {c.data};
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(c.input));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> RunArgs(const Case& c, const std::string& dir) {
  std::vector<std::string> args;
  for (const std::string& file : c.files) {
    if (!IsCorpusNumber(file)) {
      args.push_back(file);
    } else if (dir == kDocCorpusDir) {
      args.push_back(absl::StrCat(dir, file, "_*.json"));
    } else {
      args.push_back(dir + CorpusFile(file));
    }
  }
  args.push_back("--conv");
  args.push_back(absl::StrCat(c.conv_id));
  if (c.input.empty()) {
    args.push_back("--data");
    args.push_back(c.data);
  } else {
    args.push_back("--input");
    args.push_back(c.input);
  }
  return args;
}

std::string DocCommand(const Case& c) {
  std::vector<std::string> words = RunArgs(c, kDocCorpusDir);
  for (std::string& word : words) {
    if (absl::StartsWith(word, "{")) word = absl::StrCat("'", word, "'");
  }
  return absl::StrCat("bazel-bin/tools/convey run ", absl::StrJoin(words, " "));
}

absl::StatusOr<FileRow> InspectCorpusFile(const std::string& name) {
  absl::StatusOr<SchemeReport> report = InspectSchemeFile(kCorpusDir + name);
  if (!report.ok()) return report.status();
  if (!report->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " does not load: ", report->errors.front().ToString()));
  }
  std::vector<std::string> convs;
  std::map<std::string, int> logics, semaphores;
  std::set<std::string> missing;
  for (const ProcessSummary& process : report->processes) {
    convs.push_back(absl::StrCat(process.conv_id, process.synthetic_conv_id ? " (synthetic)" : ""));
    for (const auto& [type, count] : process.logic_counts) {
      logics[type] += count;
      // unsupported_nodes lists the types the importer cannot read; a type
      // it reads may still have no factory (a task reaching it fails with
      // `logic_not_supported`), so ask the registry too.
      if (LogicRegistry::Global().Find(type) == nullptr) missing.insert(type);
    }
    for (const auto& [type, count] : process.semaphore_counts) semaphores[type] += count;
    for (const UnsupportedNode& node : process.unsupported_nodes) {
      missing.insert(node.logic_types.begin(), node.logic_types.end());
    }
  }
  FileRow row;
  row.conv = absl::StrJoin(convs, ", ");
  row.logics = CountsText(logics);
  row.semaphores = CountsText(semaphores);
  row.missing = missing.empty() ? "—" : absl::StrJoin(missing, ", ");
  row.eligible = !report->processes.empty() && missing.empty();
  return row;
}

}  // namespace compat
}  // namespace convey
