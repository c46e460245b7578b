// The web console's routes (runtime/serve/console.h) without a network:
// sign-in, pages and assets, the JSON views against the engine's own
// numbers, escaping of hostile titles and data, and who may write.
// tests/tools/console_browser_test runs the pages in a real browser.
#include "runtime/serve/console.h"

#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/json/json_writer.h"
#include "runtime/serve/api_service.h"
#include "simdjson.h"
#include "tests/support/ops_processes.h"
#include "tests/support/xml_reader.h"

namespace convey::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriter[] = "ops";
constexpr char kWriterSecret[] = "w-7f3a9c1e5b";
constexpr char kReader[] = "viewer";
constexpr char kReaderSecret[] = "r-2d8e6b4f0a";
constexpr char kHost[] = "127.0.0.1:8080";

// A title and texts that are markup.
constexpr char kHostile[] = R"(<script>alert("x")</script><img src=x onerror=alert(1)> & more)";

// 1004: paused by its file; its title and node titles are markup.
std::string HostileProcess() {
  std::string title;
  internal::AppendJsonString(&title, kHostile);
  return absl::StrCat(
      R"({"obj_type": 1, "obj_id": 1004, "status": "paused", "conv_type": "process", "title": )",
      title, R"(, "scheme": {"nodes": [
       {"id": "d00000000000000000000001", "obj_type": 1, "title": )",
      title, R"(, "x": 100, "y": 100,
        "condition": {"logics": [{"type": "go", "to_node_id": "d00000000000000000000002"}],
                      "semaphors": []}},
       {"id": "d00000000000000000000002", "obj_type": 2, "title": "Done", "x": 100, "y": 300,
        "condition": {"logics": [], "semaphors": []}}]}})");
}

struct Request {
  std::string method = "GET";
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  std::string authorization;
  std::string origin;
  std::string console_header;
};

std::string Basic(absl::string_view login, absl::string_view secret) {
  return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(login, ":", secret)));
}

std::string HeaderOf(const ServeResponse& response, absl::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "<none>";
}

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions engine_options;
    engine_options.worker_threads = 1;
    auto engine = Engine::Open(engine_options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    metrics_ = std::make_unique<ServeMetrics>(Clock::Real());
    ApiServiceOptions options;
    ASSERT_TRUE(options.keys.Add(absl::StrCat(kWriter, ":", kWriterSecret), "test").ok());
    ASSERT_TRUE(options.keys.Add(absl::StrCat(kReader, ":", kReaderSecret), "test").ok());
    ASSERT_TRUE(options.keys.AllowConsoleWrites(kWriter, "test").ok());
    service_ = std::make_unique<ApiService>(*engine_, std::move(options), metrics_.get());
    // Deployed as `convey serve FILE` does, so that the catalog has the
    // exports the pictures are drawn from.
    const std::string file = absl::StrCat(std::getenv("TEST_TMPDIR"), "/console.json");
    std::ofstream(file) << "[" << testing::kOpsPassProcess << "," << testing::kOpsHoldProcess << ","
                        << HostileProcess() << "]";
    auto deployed = service_->DeployFile(file);
    ASSERT_TRUE(deployed.ok()) << deployed.status();
  }

  ServeResponse Send(Request request) {
    ServeRequest call;
    call.method = request.method;
    call.path = request.path;
    call.query = &request.query;
    call.body = request.body;
    call.host = kHost;
    call.authorization = request.authorization;
    call.origin = request.origin;
    call.console_header = request.console_header;
    return service_->Handle(call);
  }

  ServeResponse Get(const std::string& path,
                    std::vector<std::pair<std::string, std::string>> query = {},
                    const std::string& authorization = Basic(kWriter, kWriterSecret)) {
    Request request;
    request.path = path;
    request.query = std::move(query);
    request.authorization = authorization;
    return Send(std::move(request));
  }

  // A write as the console's scripts send it.
  ServeResponse Post(const std::string& path, const std::string& body = "{}",
                     const std::string& authorization = Basic(kWriter, kWriterSecret)) {
    Request request;
    request.method = "POST";
    request.path = path;
    request.body = body;
    request.authorization = authorization;
    request.origin = absl::StrCat("http://", kHost);
    request.console_header = "1";
    return Send(std::move(request));
  }

  simdjson::dom::element Parse(const std::string& json) {
    simdjson::dom::element root;
    EXPECT_EQ(parsers_.emplace_back().parse(json).get(root), simdjson::SUCCESS) << json;
    return root;
  }

  std::string CreateHeld(const std::string& ref, const std::string& data = "{}") {
    auto created = engine_->CreateTask(1002, ref, data);
    EXPECT_TRUE(created.ok()) << created.status();
    EXPECT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
    return created.ok() ? *created : "";
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ServeMetrics> metrics_;
  std::unique_ptr<ApiService> service_;
  std::vector<simdjson::dom::parser> parsers_;
};

TEST_F(ConsoleTest, OffWithoutApiLoginsOrWhenTurnedOff) {
  ApiServiceOptions no_keys;
  ApiService bare(*engine_, std::move(no_keys), metrics_.get());
  ServeRequest request;
  request.method = "GET";
  request.path = "/";
  ServeResponse off = bare.Handle(request);
  EXPECT_EQ(off.status, 404);
  EXPECT_EQ(off.route, Route::kConsole);
  EXPECT_THAT(off.body, HasSubstr("--api-key"));

  ApiServiceOptions turned_off;
  ASSERT_TRUE(turned_off.keys.Add("a:b", "test").ok());
  turned_off.console = false;
  ApiService quiet(*engine_, std::move(turned_off), metrics_.get());
  request.authorization = "Basic YTpi";  // a:b
  EXPECT_THAT(quiet.Handle(request).body, HasSubstr("--no-console"));
  EXPECT_EQ(quiet.Handle(request).status, 404);
}

TEST_F(ConsoleTest, RefusesMissingAndWrongCredentials) {
  for (const std::string& authorization :
       {std::string(), Basic(kWriter, "wrong"), Basic("nobody", kWriterSecret),
        Basic(kWriter, absl::StrCat(kWriterSecret, "x")), std::string("Basic !!!not-base64"),
        std::string("Bearer ") + kWriterSecret, absl::StrCat("Basic ", absl::Base64Escape(kWriter)),
        Basic(kReader, kWriterSecret)}) {
    ServeResponse page = Get("/", {}, authorization);
    EXPECT_EQ(page.status, 401) << authorization;
    EXPECT_EQ(HeaderOf(page, "WWW-Authenticate"),
              "Basic realm=\"convey console\", charset=\"UTF-8\"");
    EXPECT_EQ(page.content_type, "text/plain; charset=utf-8");
    ServeResponse json = Get("/console/api/processes", {}, authorization);
    EXPECT_EQ(json.status, 401);
    EXPECT_THAT(json.body, HasSubstr(R"({"error":"sign in with an API login)"));
  }
  // The scheme's case does not matter (RFC 7617).
  std::string lower = Basic(kReader, kReaderSecret);
  lower.replace(0, 5, "basic");
  EXPECT_EQ(Get("/", {}, lower).status, 200);
}

TEST_F(ConsoleTest, BytesThatAreNotUtf8AreRefused) {
  // Found by serve_fuzzer: a node id that is not UTF-8 was echoed into JSON.
  ServeResponse json = Get("/console/api/process/1002/tasks", {{"node_id",
                                                                "b\xff\xfe"
                                                                "2"}});
  EXPECT_EQ(json.status, 400);
  EXPECT_EQ(json.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(json.body, R"({"error":"the method, the path or the query is not UTF-8"})");
  EXPECT_EQ(Get("/console/task/\xff").status, 400);
}

TEST_F(ConsoleTest, PagesAndAssetsWithTheirSecurityHeaders) {
  for (const char* path : {"/", "/console", "/console/"}) {
    ServeResponse index = Get(path);
    EXPECT_EQ(index.status, 200) << path;
    EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
    EXPECT_THAT(index.body, HasSubstr(R"(<script src="/console/assets/processes.js" defer>)"));
    EXPECT_EQ(index.route, Route::kConsole);
    EXPECT_THAT(HeaderOf(index, "Content-Security-Policy"),
                HasSubstr("script-src 'self'; style-src 'self' 'unsafe-inline'"));
    EXPECT_THAT(HeaderOf(index, "Content-Security-Policy"), HasSubstr("frame-ancestors 'none'"));
    EXPECT_EQ(HeaderOf(index, "X-Frame-Options"), "DENY");
    EXPECT_EQ(HeaderOf(index, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(HeaderOf(index, "Cache-Control"), "no-store");
  }
  EXPECT_EQ(Get("/console/assets/console.css").content_type, "text/css; charset=utf-8");
  for (const char* script : {"console.js", "processes.js", "process.js", "task.js"}) {
    ServeResponse asset = Get(absl::StrCat("/console/assets/", script));
    EXPECT_EQ(asset.status, 200) << script;
    EXPECT_EQ(asset.content_type, "text/javascript; charset=utf-8");
    EXPECT_THAT(asset.body, HasSubstr("'use strict';"));
  }
  for (const char* missing : {"/console/assets/index.html", "/console/assets/nope.js",
                              "/console/assets/../console.h", "/console/nothing"}) {
    EXPECT_EQ(Get(missing).status, 404) << missing;
  }

  ServeResponse process = Get("/console/process/1002");
  EXPECT_EQ(process.status, 200);
  EXPECT_THAT(process.body, HasSubstr("/console/assets/process.js"));
  EXPECT_EQ(Get("/console/process/4242").status, 404);
  EXPECT_EQ(Get("/console/process/abc").status, 404);
  EXPECT_EQ(Get("/console/process/+1002").status, 404);

  const std::string task = CreateHeld("page");
  ServeResponse task_page = Get(absl::StrCat("/console/task/", task));
  EXPECT_EQ(task_page.status, 200);
  EXPECT_THAT(task_page.body, HasSubstr("/console/assets/task.js"));
  EXPECT_EQ(Get("/console/task/000000000000000000000000").status, 404);
  EXPECT_EQ(Get("/console/task/%3Cscript%3E").status, 404);
}

TEST_F(ConsoleTest, ProcessesAndNodeCountsAreTheEngines) {
  for (int i = 0; i < 3; ++i) CreateHeld(absl::StrCat("h", i));
  ASSERT_TRUE(engine_->CreateTask(1001, "", "{}").ok());
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());

  const std::string list = Get("/console/api/processes").body;
  simdjson::dom::element root = Parse(list);
  simdjson::dom::array processes;
  ASSERT_EQ(root["processes"].get(processes), simdjson::SUCCESS) << list;
  ASSERT_EQ(processes.size(), 3u);
  EXPECT_EQ(int64_t(root.at_pointer("/processes/1/conv_id")), 1002);
  EXPECT_EQ(int64_t(root.at_pointer("/processes/1/created")), 3);
  EXPECT_EQ(int64_t(root.at_pointer("/processes/1/in_nodes")), 3);
  EXPECT_EQ(int64_t(root.at_pointer("/processes/0/finished")), 1);
  EXPECT_EQ(bool(root.at_pointer("/processes/1/paused")), false);
  // The file says paused; the title is kept as it is (escaped as JSON).
  EXPECT_EQ(bool(root.at_pointer("/processes/2/paused")), true);
  EXPECT_EQ(std::string_view(root.at_pointer("/processes/2/title")), kHostile);

  for (int64_t conv_id : {1001, 1002, 1004}) {
    ServeResponse answer = Get(absl::StrCat("/console/api/process/", conv_id));
    ASSERT_EQ(answer.status, 200) << answer.body;
    simdjson::dom::element process = Parse(answer.body);
    EXPECT_EQ(bool(process["has_picture"]), true);
    auto stats = engine_->StatsFor(conv_id);
    ASSERT_TRUE(stats.ok());
    simdjson::dom::array nodes = process["nodes"];
    ASSERT_EQ(nodes.size(), stats->nodes.size());
    size_t i = 0;
    for (simdjson::dom::element node : nodes) {
      const NodeStats& expected = stats->nodes[i++];
      EXPECT_EQ(std::string_view(node["node_id"]), expected.node_id);
      EXPECT_EQ(int64_t(node["count"]), expected.is_final ? expected.finished : expected.tasks);
    }
  }
  simdjson::dom::element hold = Parse(Get("/console/api/process/1002").body);
  EXPECT_EQ(int64_t(hold.at_pointer("/nodes/1/count")), 3);
  EXPECT_EQ(int64_t(hold.at_pointer("/nodes/1/parked/no_exit")), 3);

  ServeResponse unknown = Get("/console/api/process/4242");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.content_type, "application/json; charset=utf-8");
  EXPECT_THAT(unknown.body, HasSubstr(R"({"error":)"));
}

TEST_F(ConsoleTest, PictureIsEscapedWellFormedAndCounted) {
  CreateHeld("one");
  ServeResponse svg = Get("/console/process/1004.svg");
  ASSERT_EQ(svg.status, 200) << svg.body;
  EXPECT_EQ(svg.content_type, "image/svg+xml; charset=utf-8");
  EXPECT_THAT(svg.body, Not(HasSubstr("<script")));
  EXPECT_THAT(svg.body, Not(HasSubstr("<img")));
  EXPECT_THAT(svg.body, HasSubstr("&lt;script&gt;"));
  auto tree = testing::ParseXml(svg.body);
  ASSERT_TRUE(tree.ok()) << tree.status();
  auto headings = tree->FindAll([](const testing::XmlElement& e) { return e.HasClass("heading"); });
  ASSERT_EQ(headings.size(), 1u);
  EXPECT_EQ(headings[0]->text, absl::StrCat(kHostile, " (process 1004)"));

  auto hold = testing::ParseXml(Get("/console/process/1002.svg").body);
  ASSERT_TRUE(hold.ok());
  auto counts = hold->FindAll(
      [](const testing::XmlElement& e) { return e.name == "text" && e.HasClass("count"); });
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[1]->Attribute("data-node-id"), "b00000000000000000000002");
  EXPECT_EQ(counts[1]->text, "1");

  // A process the catalog has no export of (deployed around the server)
  // has no picture.
  ASSERT_TRUE(engine_->Deploy("x.json", absl::StrCat("[", testing::kOpsCallbackProcess, "]")).ok());
  EXPECT_EQ(Get("/console/process/1003.svg").status, 404);
  EXPECT_EQ(bool(Parse(Get("/console/api/process/1003").body)["has_picture"]), false);
}

TEST_F(ConsoleTest, TasksOfANodeAPageAtATime) {
  std::set<std::string> created;
  for (int i = 0; i < 25; ++i)
    created.insert(CreateHeld(absl::StrCat(i % 2 ? "odd-" : "even-", i)));
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    std::vector<std::pair<std::string, std::string>> query = {
        {"node_id", "b00000000000000000000002"}, {"limit", "10"}};
    if (!cursor.empty()) query.emplace_back("cursor", cursor);
    ServeResponse page = Get("/console/api/process/1002/tasks", query);
    ASSERT_EQ(page.status, 200) << page.body;
    simdjson::dom::element root = Parse(page.body);
    simdjson::dom::array tasks = root["tasks"];
    for (simdjson::dom::element task : tasks) {
      EXPECT_EQ(std::string_view(task["node_title"]), "Hold");
      EXPECT_EQ(std::string_view(task["status"]), "processing");
      seen.insert(std::string(std::string_view(task["obj_id"])));
    }
    EXPECT_EQ(tasks.size(), pages < 2 ? 10u : 5u);
    std::string_view next;
    cursor = root["next_cursor"].get(next) == simdjson::SUCCESS ? std::string(next) : "";
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);

  // Newest first; filtered by ref.
  simdjson::dom::element odd =
      Parse(Get("/console/api/process/1002/tasks", {{"ref_prefix", "odd-"}}).body);
  EXPECT_EQ(simdjson::dom::array(odd["tasks"]).size(), 12u);
  EXPECT_EQ(std::string_view(odd.at_pointer("/tasks/0/ref")), "odd-23");
  EXPECT_TRUE(odd["next_cursor"].is_null());
  simdjson::dom::element start =
      Parse(Get("/console/api/process/1002/tasks", {{"node_id", "b00000000000000000000001"}}).body);
  EXPECT_EQ(simdjson::dom::array(start["tasks"]).size(), 0u);

  EXPECT_EQ(Get("/console/api/process/1002/tasks", {{"cursor", "nonsense"}}).status, 400);
  EXPECT_EQ(Get("/console/api/process/1002/tasks", {{"limit", "0"}}).status, 400);
  EXPECT_EQ(Get("/console/api/process/1002/tasks", {{"limit", "101"}}).status, 400);
  EXPECT_EQ(Get("/console/api/process/4242/tasks").status, 404);
}

TEST_F(ConsoleTest, TaskDataAndHistory) {
  internal::JsonWriter out;
  out.BeginObject().Key("note").String(kHostile).Key("big").Raw("12345678901234567890").EndObject();
  const std::string obj_id = CreateHeld(kHostile, out.str());
  ServeResponse answer = Get(absl::StrCat("/console/api/task/", obj_id));
  ASSERT_EQ(answer.status, 200) << answer.body;
  simdjson::dom::element task = Parse(answer.body);
  EXPECT_EQ(std::string_view(task["ref"]), kHostile);
  EXPECT_EQ(std::string_view(task.at_pointer("/data/note")), kHostile);
  // The data as text too, numbers as written (the page indents it).
  EXPECT_THAT(std::string(std::string_view(task["data_text"])),
              HasSubstr("\"big\":12345678901234567890"));
  EXPECT_EQ(std::string_view(task["node_title"]), "Hold");
  EXPECT_EQ(std::string_view(task["process_title"]), "Hold");
  auto history = engine_->GetTaskHistory(TaskKey::ByObjId(obj_id));
  ASSERT_TRUE(history.ok());
  simdjson::dom::array entries = task["history"];
  ASSERT_EQ(entries.size(), history->entries.size());
  size_t i = 0;
  for (simdjson::dom::element entry : entries) {
    EXPECT_EQ(std::string_view(entry["kind"]), history->entries[i++].kind);
  }
  EXPECT_EQ(std::string_view(task.at_pointer("/history/0/kind")), "created");
  EXPECT_EQ(std::string_view(task.at_pointer("/history/0/node_title")), "Start");
  EXPECT_EQ(simdjson::dom::array(task["nodes"]).size(), 3u);

  EXPECT_EQ(Get("/console/api/task/000000000000000000000000").status, 404);
  EXPECT_EQ(Get("/console/api/task/not-an-id").status, 404);
}

TEST_F(ConsoleTest, OnlyWritersWriteAndOnlyFromTheConsole) {
  ServeResponse reader =
      Post("/console/api/process/1002/pause", "{}", Basic(kReader, kReaderSecret));
  EXPECT_EQ(reader.status, 403);
  EXPECT_THAT(reader.body, HasSubstr("--console-writer viewer"));
  EXPECT_EQ(
      bool(Parse(Get("/console/api/session", {}, Basic(kReader, kReaderSecret)).body)["may_write"]),
      false);
  EXPECT_EQ(bool(Parse(Get("/console/api/session").body)["may_write"]), true);

  Request forged;
  forged.method = "POST";
  forged.path = "/console/api/process/1002/pause";
  forged.authorization = Basic(kWriter, kWriterSecret);
  EXPECT_EQ(Send(forged).status, 403);  // no X-Convey-Console: a form on another site
  forged.console_header = "1";
  forged.origin = "http://evil.example";
  EXPECT_EQ(Send(forged).status, 403);
  EXPECT_EQ(bool(Parse(Get("/console/api/process/1002").body)["paused"]), false);

  EXPECT_EQ(Post("/console/api/process/1002/pause").status, 200);
  EXPECT_EQ(bool(Parse(Get("/console/api/process/1002").body)["paused"]), true);
  EXPECT_EQ(Post("/console/api/process/1002/resume").status, 200);
  EXPECT_EQ(bool(Parse(Get("/console/api/process/1002").body)["paused"]), false);
  EXPECT_EQ(Post("/console/api/process/4242/pause").status, 404);

  ServeResponse read_with_post = Post("/console/api/processes");
  EXPECT_EQ(read_with_post.status, 405);
  EXPECT_EQ(HeaderOf(read_with_post, "Allow"), "GET, HEAD");
  ServeResponse write_with_get = Get("/console/api/process/1002/pause");
  EXPECT_EQ(write_with_get.status, 405);
  EXPECT_EQ(HeaderOf(write_with_get, "Allow"), "POST");
  Request put;
  put.method = "PUT";
  put.path = "/";
  put.authorization = Basic(kWriter, kWriterSecret);
  EXPECT_EQ(Send(put).status, 405);
}

TEST_F(ConsoleTest, MoveAndDeleteATask) {
  const std::string obj_id = CreateHeld("mover");
  const std::string base = absl::StrCat("/console/api/task/", obj_id);
  auto entries = [&] { return simdjson::dom::array(Parse(Get(base).body)["history"]).size(); };
  const size_t before = entries();
  EXPECT_EQ(Post(base + "/move", "{}").status, 400);
  EXPECT_EQ(Post(base + "/move", R"({"node_id":"b00000000000000000000099"})").status, 400);
  EXPECT_EQ(Post(base + "/move", R"({"node_id":"b00000000000000000000003"})").status, 400);
  EXPECT_EQ(Post(base + "/move", R"({"node_id":"b00000000000000000000001"})",
                 Basic(kReader, kReaderSecret))
                .status,
            403);
  ServeResponse moved = Post(base + "/move", R"({"node_id":"b00000000000000000000001"})");
  EXPECT_EQ(moved.status, 200) << moved.body;
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  // It ran Start again and came back to Hold.
  EXPECT_GT(entries(), before);
  EXPECT_EQ(std::string_view(Parse(Get(base).body)["node_title"]), "Hold");

  EXPECT_EQ(Post(base + "/delete").status, 200);
  EXPECT_EQ(std::string_view(Parse(Get(base).body)["status"]), "deleted");
  EXPECT_EQ(Post("/console/api/task/000000000000000000000000/delete").status, 404);
}

}  // namespace
}  // namespace convey::serve
