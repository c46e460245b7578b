// Runs every corpus file whose logics convey implements (see
// docs/compatibility.md) and pins where each of its tasks ends.
//
// Each case (corpus_cases.cc) deploys corpus files (and, for processes meant
// to be called, tests/compat/rpc_caller.json), creates tasks shaped like the
// process's declared params, runs them to the end on a virtual clock and
// compares the tasks the engine holds, counted per (process, node, status or
// park reason, error tag), with the case; a few data values are checked too.
// The same case then runs through `convey run` (tools/run_command) with the
// arguments docs/compatibility.md prints. A last test fails when a corpus
// file becomes runnable (a logic type gets implemented) without a case.
//
// `api` calls go to hosts unreachable here: a case either takes the error
// route with the real transport (DNS failure, refused connection, a URL an
// unset project variable leaves without a scheme) or is answered by a
// loopback server (LocalHttp), which only the Engine run can reach. A case
// may give project variables (`--env`, EngineOptions::variables).
#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/environment.h"
#include "convey/http.h"
#include "convey/logic.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "simdjson.h"
#include "tests/compat/corpus_cases.h"
#include "tools/run_command.h"

namespace convey {
namespace compat {
namespace {

// The error tags in a task's data.
std::string Tags(simdjson::dom::object data) {
  std::vector<std::string> tags;
  for (auto field : data) {
    if (!absl::EndsWith(std::string(field.key), "_return_type_tag__")) continue;
    std::string_view tag;
    tags.push_back(field.value.get_string().get(tag) == simdjson::SUCCESS ? std::string(tag)
                                                                          : "<not a string>");
  }
  return absl::StrJoin(tags, ",");
}

std::string OutcomeKey(int64_t conv_id, const std::string& node_id, const std::string& state,
                       const std::string& tag) {
  return absl::StrCat(conv_id, " ", node_id, " ", state, tag.empty() ? "" : " ", tag);
}

// "KEY xCOUNT" lines, sorted: compared as a whole so a failure shows both.
std::vector<std::string> Lines(const std::map<std::string, int>& counts) {
  std::vector<std::string> lines;
  for (const auto& [key, count] : counts) lines.push_back(absl::StrCat(key, " x", count));
  return lines;
}

// For `convey run --output`, which reports the status but not the reason a
// processing task waits.
std::string StatusOf(const std::string& state) {
  return state == "processed" || state == "error" || state == "loop_stopped" ? state : "processing";
}

std::vector<std::string> ExpectedLines(const Case& c, bool status_only) {
  std::map<std::string, int> counts;
  for (const Outcome& o : c.outcomes) {
    counts[OutcomeKey(o.conv_id, o.node_id, status_only ? StatusOf(o.state) : o.state, o.tag)] +=
        o.count;
  }
  return Lines(counts);
}

// One task where the run left it.
struct Ended {
  int64_t conv_id;
  std::string node_id;
  std::string state;
  std::string data;
};

// Compares where the tasks ended and the data checks with the case.
void ExpectOutcomes(const Case& c, const std::vector<Ended>& tasks, bool status_only) {
  std::map<std::string, int> counts;
  std::map<std::string, int> checked;  // check index -> tasks that pass
  simdjson::dom::parser parser;
  for (const Ended& task : tasks) {
    simdjson::dom::object data;
    ASSERT_EQ(parser.parse(task.data).get(data), simdjson::SUCCESS) << task.data;
    counts[OutcomeKey(task.conv_id, task.node_id, task.state, Tags(data))]++;
    for (size_t i = 0; i < c.checks.size(); ++i) {
      const DataCheck& check = c.checks[i];
      if (check.conv_id != task.conv_id || check.node_id != task.node_id) continue;
      simdjson::dom::element value;
      const std::string found = data.at_key(check.key).get(value) == simdjson::SUCCESS
                                    ? simdjson::minify(value)
                                    : kMissing;
      if (found == check.json) checked[absl::StrCat(i)]++;
    }
  }
  EXPECT_EQ(Lines(counts), ExpectedLines(c, status_only)) << "case " << c.name;
  for (size_t i = 0; i < c.checks.size(); ++i) {
    const DataCheck& check = c.checks[i];
    EXPECT_EQ(checked[absl::StrCat(i)], check.count)
        << "case " << c.name << ": tasks in " << check.conv_id << " " << check.node_id << " with "
        << check.key << " = " << check.json;
  }
}

// Short, so that a call that cannot connect never holds a run for 60 s.
constexpr absl::Duration kApiTimeout = absl::Seconds(2);

// One request as it was made.
struct Request {
  std::string method;
  std::string url;  // as the task asked for it, before any routing
  std::string body;
};

// A loopback server answering every path, recording what arrives: the n-th
// request gets answers[n] (the last one once they run out).
class LocalServer {
 public:
  explicit LocalServer(std::vector<std::string> answers) : answers_(std::move(answers)) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(2); };
    // Else headers and body go out in two segments and the second waits for
    // the client's delayed ACK (40 ms).
    server_.set_tcp_nodelay(true);
    const auto handle = [this](const httplib::Request& request, httplib::Response& response) {
      std::string answer;
      {
        std::lock_guard<std::mutex> lock(mu_);
        answer = answers_[std::min(received_.size(), answers_.size() - 1)];
        received_.push_back({request.method, request.path, request.body});
      }
      response.set_content(answer, "application/json");
    };
    server_.Get(".*", handle);
    server_.Post(".*", handle);
    server_.Put(".*", handle);
    server_.Delete(".*", handle);
    server_.Patch(".*", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  bool ok() const { return port_ > 0; }
  std::string base() const { return absl::StrCat("http://127.0.0.1:", port_); }
  // The requests that arrived (url: the path only).
  std::vector<Request> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  const std::vector<std::string> answers_;  // not empty
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Request> received_;
};

// Sends every request to `base` (keeping its path and query) through the
// real transport, recording the URL the task asked for.
class RoutingTransport : public HttpTransport {
 public:
  RoutingTransport(std::string base, std::unique_ptr<HttpTransport> real)
      : base_(std::move(base)), real_(std::move(real)) {}

  void Send(HttpRequest request, HttpDone done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sent_.push_back({request.method, request.url, request.body});
    }
    // The path starts at the first '/' after "scheme://".
    const size_t host = request.url.find("://");
    const size_t path =
        host == std::string::npos ? std::string::npos : request.url.find('/', host + 3);
    request.url = base_ + (path == std::string::npos ? "/" : request.url.substr(path));
    real_->Send(std::move(request), std::move(done));
  }

  std::vector<Request> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

 private:
  const std::string base_;
  const std::unique_ptr<HttpTransport> real_;
  std::mutex mu_;
  std::vector<Request> sent_;
};

std::string WithoutQuery(const std::string& url) { return url.substr(0, url.find('?')); }

class CorpusRun : public ::testing::TestWithParam<Case> {};

TEST_P(CorpusRun, EngineRunsTheCaseToTheDocumentedEnd) {
  const Case& c = GetParam();
  const absl::Time start = absl::FromUnixSeconds(1700000000);
  VirtualClock clock(start);
  EngineOptions options;
  options.worker_threads = 2;
  options.clock = &clock;
  options.api_timeout = kApiTimeout;
  std::unique_ptr<LocalServer> server;
  std::unique_ptr<RoutingTransport> router;
  std::string base;  // what `{server}` stands for
  // What the requests must be, in order of arrival.
  std::vector<HttpExchange> expected;
  if (c.http) {
    for (int i = 0; i < c.http->requests; ++i) {
      expected.push_back({c.http->method, c.http->url, c.http->body, c.http->answer});
    }
    expected.insert(expected.end(), c.http->then.begin(), c.http->then.end());
    std::vector<std::string> answers;
    for (const HttpExchange& exchange : expected) answers.push_back(exchange.answer);
    if (answers.empty()) answers.push_back(c.http->answer);
    server = std::make_unique<LocalServer>(std::move(answers));
    ASSERT_TRUE(server->ok()) << "no loopback port";
    base = server->base();
    if (c.http->route) {
      absl::StatusOr<std::unique_ptr<HttpTransport>> real = NewCurlTransport();
      ASSERT_TRUE(real.ok()) << real.status();
      router = std::make_unique<RoutingTransport>(base, std::move(*real));
      options.http_transport = router.get();
    }
  }
  for (const std::string& variable : c.env) {
    const size_t equals = variable.find('=');
    ASSERT_NE(equals, std::string::npos) << variable;
    options.variables[variable.substr(0, equals)] =
        absl::StrReplaceAll(variable.substr(equals + 1), {{kServer, base}});
  }
  // Declared after the server and transport: destroyed before them.
  absl::StatusOr<std::unique_ptr<Engine>> opened = Engine::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Engine& engine = **opened;
  for (const std::string& file : c.files) {
    const std::string path = PathOf(file);
    ASSERT_FALSE(path.empty()) << "no single corpus file " << file << "_*.json";
    absl::StatusOr<DeployResult> deployed = engine.DeployFile(path);
    ASSERT_TRUE(deployed.ok()) << deployed.status();
  }
  const std::vector<std::string> tasks = TaskData(c);
  ASSERT_FALSE(tasks.empty()) << c.input;
  // As `convey run` does: every task starts at the same virtual instant.
  engine.HoldTime(true);
  for (size_t i = 0; i < tasks.size(); ++i) {
    const std::string data = absl::StrReplaceAll(tasks[i], {{kServer, base}});
    absl::StatusOr<std::string> created = engine.CreateTask(c.conv_id, absl::StrCat(i + 1), data);
    ASSERT_TRUE(created.ok()) << created.status() << ": " << tasks[i];
  }
  engine.HoldTime(false);
  ASSERT_TRUE(engine.WaitIdle(absl::Seconds(60)).ok()) << "case " << c.name << " never settled";

  std::vector<Ended> ended;
  engine.ForEachTask([&](const TaskSnapshot& task) {
    std::string state;
    if (task.status == TaskStatus::kProcessing) {
      state = std::string(ParkReasonName(task.park_reason));
    } else {
      state = std::string(TaskStatusName(task.status));
    }
    ended.push_back({task.conv_id, task.node_id, state, task.data});
  });
  ExpectOutcomes(c, ended, /*status_only=*/false);
  // Virtual time passes at real speed while an api node with a timer waits
  // for its answer (docs/engine.md): a few milliseconds of it.
  EXPECT_EQ(absl::Floor(clock.Now() - start, absl::Seconds(1)), absl::Seconds(c.virtual_seconds));
  EngineStats stats = engine.Stats();
  EXPECT_EQ(stats.tasks_queued, 0);
  EXPECT_EQ(stats.timers_pending, 0);

  if (!c.http) return;
  // What the process asked for: the recorded URLs (routed), or what reached
  // the server (the task's own URL).
  std::vector<Request> requests;
  if (router != nullptr) {
    requests = router->sent();
  } else {
    for (Request request : server->received()) {
      request.url = base + request.url;
      requests.push_back(std::move(request));
    }
  }
  EXPECT_EQ(server->received().size(), expected.size());
  ASSERT_EQ(requests.size(), expected.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& request = requests[i];
    EXPECT_EQ(request.method, expected[i].method) << "request " << i + 1;
    EXPECT_EQ(WithoutQuery(request.url), absl::StrReplaceAll(expected[i].url, {{kServer, base}}))
        << "request " << i + 1;
    if (!expected[i].body.empty()) {
      EXPECT_EQ(request.body, expected[i].body) << "request " << i + 1;
    }
  }
}

TEST_P(CorpusRun, ConveyRunGivesTheSameEnd) {
  const Case& c = GetParam();
  if (c.http) GTEST_SKIP() << "answered by a loopback server convey run cannot reach";
  std::vector<std::string> args = RunArgs(c, kCorpusDir);
  std::string name = c.name;
  std::replace(name.begin(), name.end(), ' ', '_');
  const std::string output = ::testing::TempDir() + "/compat_" + name + ".jsonl";
  args.insert(args.end(), {"--threads", "2", "--json", "--output", output});
  std::ostringstream out, err;
  ASSERT_EQ(tools::RunRun(args, out, err), 0) << err.str();

  simdjson::dom::parser parser;
  simdjson::dom::element summary;
  ASSERT_EQ(parser.parse(out.str()).get(summary), simdjson::SUCCESS) << out.str();
  double clock_seconds = -1;
  ASSERT_EQ(summary["clock_seconds"].get(clock_seconds), simdjson::SUCCESS) << out.str();
  EXPECT_EQ(std::floor(clock_seconds), static_cast<double>(c.virtual_seconds));
  int64_t created = -1;
  ASSERT_EQ(summary["tasks_created"].get(created), simdjson::SUCCESS);
  EXPECT_EQ(created, static_cast<int64_t>(TaskData(c).size()));

  std::vector<Ended> ended;
  std::istringstream lines(ReadFile(output));
  for (std::string line; std::getline(lines, line);) {
    simdjson::dom::element task;
    ASSERT_EQ(parser.parse(line).get(task), simdjson::SUCCESS) << line;
    int64_t conv_id = 0;
    std::string_view node_id, status;
    simdjson::dom::element data;
    ASSERT_EQ(task["conv_id"].get(conv_id), simdjson::SUCCESS) << line;
    ASSERT_EQ(task["node_id"].get(node_id), simdjson::SUCCESS) << line;
    ASSERT_EQ(task["status"].get(status), simdjson::SUCCESS) << line;
    ASSERT_EQ(task["data"].get(data), simdjson::SUCCESS) << line;
    ended.push_back({conv_id, std::string(node_id), std::string(status), simdjson::minify(data)});
  }
  ExpectOutcomes(c, ended, /*status_only=*/true);
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = "f" + info.param.name;
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusRun, ::testing::ValuesIn(CorpusCases()), CaseName);

TEST(CorpusCoverage, EveryFileWithOnlyImplementedLogicsHasACase) {
  const std::vector<std::string> files = CorpusFiles();
  ASSERT_EQ(files.size(), 51u);
  std::set<std::string> eligible;
  for (const std::string& name : files) {
    absl::StatusOr<FileRow> row = InspectCorpusFile(name);
    ASSERT_TRUE(row.ok()) << row.status();
    if (row->eligible) eligible.insert(name.substr(0, 3));
  }
  std::set<std::string> covered;
  for (const Case& c : CorpusCases()) {
    covered.insert(c.subject);
    EXPECT_TRUE(std::find(c.files.begin(), c.files.end(), c.subject) != c.files.end()) << c.name;
  }
  // A logic type that becomes implemented makes more files eligible: give
  // each a case in corpus_cases.cc (and its lines in docs/compatibility.md).
  std::vector<std::string> without_case, not_runnable;
  std::set_difference(eligible.begin(), eligible.end(), covered.begin(), covered.end(),
                      std::back_inserter(without_case));
  std::set_difference(covered.begin(), covered.end(), eligible.begin(), eligible.end(),
                      std::back_inserter(not_runnable));
  EXPECT_TRUE(without_case.empty())
      << "runnable corpus files without a case: " << absl::StrJoin(without_case, ", ");
  EXPECT_TRUE(not_runnable.empty())
      << "cases about files convey cannot run: " << absl::StrJoin(not_runnable, ", ");
}

}  // namespace
}  // namespace compat
}  // namespace convey
