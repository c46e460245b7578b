// API v2 over ApiService (no network): building a process node by node as
// seed 001 does, deploying it with confirm commit, exporting it inline and
// by download URL, uploading an export (multipart, signed as seed 000's
// recipe signs), deleting and restoring, and the errors of each.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "convey/scheme.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/serve/api_service.h"
#include "runtime/serve/signature.h"
#include "simdjson.h"

namespace convey::serve {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "v2-secret";
const absl::Time kNow = absl::FromUnixSeconds(1764770000);

class ObjectOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions engine_options;
    engine_options.worker_threads = 1;
    engine_ = *Engine::Open(engine_options);
    metrics_ = std::make_unique<ServeMetrics>(Clock::Real());
    ApiServiceOptions options;
    ASSERT_TRUE(options.keys.Add(absl::StrCat("32:", kSecret), "test").ok());
    options.direct_url_secret = "direct";
    options.now = [] { return kNow; };
    service_ = std::make_unique<ApiService>(*engine_, std::move(options), metrics_.get());
  }

  // One signed request; returns the answer's body.
  std::string Call(const std::string& body, const std::string& route = "json") {
    const std::string unixtime = absl::StrCat(absl::ToUnixSeconds(kNow));
    path_ = absl::StrCat("/api/2/", route, "/32/", unixtime, "/",
                         UrlSignature(unixtime, kSecret, body));
    ServeRequest request;
    request.method = "POST";
    request.path = path_;
    request.body = body;
    request.host = "127.0.0.1:8080";
    last_ = service_->Handle(request);
    return last_.body;
  }

  std::string Str(const std::string& json, const char* pointer) {
    simdjson::dom::element root;
    if (parser_.parse(json).get(root) != simdjson::SUCCESS) return "<not json>";
    simdjson::dom::element value;
    if (root.at_pointer(pointer).get(value) != simdjson::SUCCESS) return "<missing>";
    std::string_view text;
    if (value.get(text) == simdjson::SUCCESS) return std::string(text);
    return simdjson::to_string(value);
  }

  // Builds the seed-001 way: a process, then Start -> Check -> (Big | Small).
  int64_t BuildProcess() {
    std::string reply = Call(R"({"ops":[{"id":"147","title":"Orders","description":null,
        "folder_id":0,"company_id":null,"obj":"conv","type":"create","obj_type":0,
        "conv_type":"process","create_mode":"without_nodes","status":"actived"}]})");
    EXPECT_EQ(Str(reply, "/ops/0/proc"), "ok") << reply;
    EXPECT_EQ(Str(reply, "/ops/0/id"), "147");
    EXPECT_EQ(Str(reply, "/ops/0/hash").size(), 40u) << reply;
    const int64_t conv_id = std::stoll(Str(reply, "/ops/0/obj_id"));
    reply = Call(absl::StrCat(R"({"ops":[
        {"id":"1","type":"create","obj":"node","conv_id":)",
                              conv_id, R"(,"title":"Start","obj_type":1,"version":1487321422},
        {"id":"2","type":"create","obj":"node","conv_id":)",
                              conv_id, R"(,"title":"Check","obj_type":0,"version":1487321422},
        {"id":"3","type":"create","obj":"node","conv_id":)",
                              conv_id, R"(,"title":"Big","obj_type":2,"version":1487321422},
        {"id":"4","type":"create","obj":"node","conv_id":)",
                              conv_id, R"(,"title":"Small","obj_type":2,"version":1487321422}]})"));
    for (int i = 0; i < 4; ++i) {
      const std::string pointer = absl::StrCat("/ops/", i, "/obj_id");
      nodes_[i] = Str(reply, pointer.c_str());
      EXPECT_EQ(nodes_[i].size(), 24u) << reply;
    }
    EXPECT_EQ(Str(reply, "/ops/0/version"), "1487321422");
    reply = Call(absl::StrCat(
        R"({"ops":[
        {"type":"modify","obj":"node","obj_id":")",
        nodes_[0], R"(","conv_id":)", conv_id,
        R"(,"title":"Start","obj_type":1,"description":"","logics":[{"type":"go","to_node_id":")",
        nodes_[1],
        R"("}],"semaphors":[],"position":[600,100],"extra":{"modeForm":"collapse","icon":""},"version":1487321422},
        {"type":"modify","obj":"node","obj_id":")",
        nodes_[1], R"(","conv_id":)", conv_id,
        R"(,"title":"Check","obj_type":0,"logics":[{"type":"go_if_const","to_node_id":")",
        nodes_[2],
        R"(","conditions":[{"param":"amount","const":"100","fun":"more","cast":"number"}]},{"type":"go","to_node_id":")",
        nodes_[3], R"("}],"semaphors":[],"position":[600,250],"version":1487321422},
        {"type":"modify","obj":"node","obj_id":")",
        nodes_[2], R"(","conv_id":)", conv_id,
        R"(,"title":"Big","obj_type":2,"logics":[],"semaphors":[],"position":[400,400],"extra":{"modeForm":"collapse","icon":"success"}}]})"));
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(Str(reply, absl::StrCat("/ops/", i, "/proc").c_str()), "ok") << reply;
    }
    EXPECT_EQ(Str(reply, "/ops/0/conv_id"), absl::StrCat(conv_id));
    return conv_id;
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ServeMetrics> metrics_;
  std::unique_ptr<ApiService> service_;
  simdjson::dom::parser parser_;
  std::string path_;
  ServeResponse last_;
  std::string nodes_[4];
};

TEST_F(ObjectOpsTest, BuildCommitRunAndExport) {
  const int64_t conv_id = BuildProcess();
  // Not deployed yet: no task.
  std::string reply = Call(absl::StrCat(R"({"ops":[{"type":"create","obj":"task","conv_id":)",
                                        conv_id, R"(,"data":{"amount":5}}]})"));
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "error") << reply;

  reply = Call(absl::StrCat(R"({"ops":[{"type":"confirm","obj":"commit","conv_id":)", conv_id,
                            R"(,"company_id":null,"version":1487321422}]})"));
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "ok") << reply;
  EXPECT_EQ(Str(reply, "/ops/0/version"), "1487321422");

  // Task ops and object ops mix in one request, in order.
  reply = Call(absl::StrCat(R"({"ops":[
      {"type":"create","obj":"task","conv_id":)",
                            conv_id, R"(,"ref":"big","data":{"amount":500}},
      {"type":"create","obj":"task","conv_id":)",
                            conv_id, R"(,"ref":"small","data":{"amount":5}},
      {"type":"get","obj":"obj_scheme","obj_id":)",
                            conv_id, R"(,"obj_type":"conv","async":false}]})"));
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "ok") << reply;
  EXPECT_EQ(Str(reply, "/ops/1/proc"), "ok") << reply;
  EXPECT_EQ(Str(reply, "/ops/2/proc"), "ok") << reply;
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());
  // Without a store a finished task is gone; the final node's counter says where it went.
  auto stats = engine_->StatsFor(conv_id);
  ASSERT_TRUE(stats.ok());
  for (const NodeStats& node : stats->nodes) {
    if (node.title == "Big" || node.title == "Small") {
      EXPECT_EQ(node.finished, 1) << node.title;
    }
  }

  // The export loads as a scheme file, with the editor's coordinates.
  const std::string scheme = Str(reply, "/ops/2/scheme");
  SchemeReport report = InspectScheme("export.json", scheme);
  EXPECT_TRUE(report.ok()) << (report.errors.empty() ? "" : report.errors[0].ToString());
  ASSERT_EQ(report.processes.size(), 1u);
  EXPECT_EQ(report.processes[0].conv_id, conv_id);
  EXPECT_EQ(report.processes[0].title, "Orders");
  EXPECT_EQ(report.processes[0].node_count, 4);
  EXPECT_THAT(scheme, HasSubstr(R"("x":600,"y":250)"));
  EXPECT_THAT(scheme, HasSubstr(R"("extra":"{\"modeForm\":\"collapse\",\"icon\":\"success\"}")"));

  // Round trip: import the export, export again: the same process.
  reply =
      Call(absl::StrCat(R"({"ops":[{"type":"create","obj":"obj_scheme","scheme":)", scheme, "}]}"));
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "ok") << reply;
  EXPECT_EQ(Str(reply, "/ops/0/conv_ids"), absl::StrCat("[", conv_id, "]"));
  reply = Call(absl::StrCat(R"({"ops":[{"type":"get","obj":"obj_scheme","obj_id":)", conv_id,
                            R"(,"obj_type":"conv"}]})"));
  EXPECT_EQ(Str(reply, "/ops/0/scheme"), scheme);
}

TEST_F(ObjectOpsTest, AsyncExportIsServedAtItsDownloadUrl) {
  const int64_t conv_id = BuildProcess();
  std::string reply = Call(absl::StrCat(R"({"ops":[{"obj":"obj_scheme","obj_id":)", conv_id,
                                        R"(,"obj_type":"conv","async":true}]})"),
                           "download");
  EXPECT_EQ(last_.route, Route::kDownload);
  const std::string url = Str(reply, "/ops/0/download_url");
  const std::string prefix = "http://127.0.0.1:8080/api/2/download/user_downloads/conv_";
  ASSERT_EQ(url.substr(0, prefix.size()), prefix) << reply;
  ServeRequest get;
  get.method = "GET";
  const std::string path = url.substr(std::string("http://127.0.0.1:8080").size());
  get.path = path;
  ServeResponse file = service_->Handle(get);
  EXPECT_EQ(file.status, 200);
  EXPECT_TRUE(InspectScheme("download.json", file.body).ok()) << file.body;
  const std::string missing_path = "/api/2/download/user_downloads/conv_0000.json";
  get.path = missing_path;
  EXPECT_EQ(service_->Handle(get).status, 404);
}

TEST_F(ObjectOpsTest, UploadSignedAsTheRecipeSignsIt) {
  const std::string file =
      R"([{"obj_type":1,"obj_id":4740,"title":"Uploaded","status":"active","conv_type":"process","scheme":{"nodes":[)"
      R"({"id":"58134741e44b60791c00199e","obj_type":2,"condition":{"logics":[],"semaphors":[]},"title":"Final"},)"
      R"({"id":"58134741e44b60791c00199f","obj_type":1,"condition":{"logics":[{"type":"go","to_node_id":"58134741e44b60791c00199e"}],"semaphors":[]},"title":"Start"}]}}])";
  const std::string boundary = "------------------------d74496d66958873e";
  auto field = [&](const std::string& name, const std::string& value) {
    return absl::StrCat("--", boundary, "\r\nContent-Disposition: form-data; name=\"", name,
                        "\"\r\n\r\n", value, "\r\n");
  };
  const std::string body =
      absl::StrCat(field("type", "create"), field("obj", "obj_scheme"), field("folder_id", "0"),
                   field("async", "false"), "--", boundary,
                   "\r\nContent-Disposition: form-data; name=\"scheme\"; filename=\"test.json\"\r\n"
                   "Content-Type: application/json\r\n\r\n",
                   file, "\r\n--", boundary, "--\r\n");
  // Seed 000: BODY="Content-Disposition: form-data; name=\"type\"\r\ncreate..." + the file.
  const std::string signed_text =
      absl::StrCat("Content-Disposition: form-data; name=\"type\"\r\ncreate",
                   "Content-Disposition: form-data; name=\"obj\"\r\nobj_scheme",
                   "Content-Disposition: form-data; name=\"folder_id\"\r\n0",
                   "Content-Disposition: form-data; name=\"async\"\r\nfalse",
                   "Content-Disposition: form-data; name=\"scheme\"; filename=\"test.json\"\r\n"
                   "Content-Type: application/json\r\n",
                   file);
  const std::string unixtime = absl::StrCat(absl::ToUnixSeconds(kNow));
  const std::string path = absl::StrCat("/api/2/upload/32/", unixtime, "/",
                                        UrlSignature(unixtime, kSecret, signed_text));
  const std::string content_type = absl::StrCat("multipart/form-data; boundary=", boundary);
  ServeRequest request;
  request.method = "POST";
  request.path = path;
  request.body = body;
  request.content_type = content_type;
  ServeResponse response = service_->Handle(request);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.route, Route::kUpload);
  EXPECT_EQ(Str(response.body, "/ops/0/proc"), "ok") << response.body;
  EXPECT_EQ(Str(response.body, "/ops/0/conv_ids"), "[4740]");
  EXPECT_TRUE(engine_->CreateTask(4740, "", "{}").ok());

  // Tampered file: refused.
  std::string tampered = body;
  tampered.replace(tampered.find("Uploaded"), 8, "Hijacked");
  request.body = tampered;
  EXPECT_EQ(service_->Handle(request).status, 401);
  // Not multipart.
  request.content_type = "application/json";
  response = service_->Handle(request);
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(Str(response.body, "/description"), HasSubstr("multipart/form-data"));
}

TEST_F(ObjectOpsTest, DeletedProcessesTakeNoTasksUntilRestored) {
  const int64_t conv_id = BuildProcess();
  Call(absl::StrCat(R"({"ops":[{"type":"confirm","obj":"commit","conv_id":)", conv_id, "}]}"));
  std::string reply =
      Call(absl::StrCat(R"({"ops":[{"type":"restore","obj":"conv","obj_id":)", conv_id, "}]}"));
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "error");
  EXPECT_EQ(Str(reply, "/ops/0/description"), "Deleted object with id does not exist");
  reply = Call(absl::StrCat(R"({"ops":[{"type":"delete","obj":"conv","obj_id":)", conv_id, "}]}"));
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "ok") << reply;
  const std::string create = absl::StrCat(R"({"ops":[{"type":"create","obj":"task","conv_id":)",
                                          conv_id, R"(,"data":{}}]})");
  reply = Call(create);
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "error");
  EXPECT_THAT(Str(reply, "/ops/0/description"), HasSubstr("is deleted"));
  reply = Call(absl::StrCat(R"({"ops":[{"type":"restore","obj":"conv","obj_id":)", conv_id, "}]}"));
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "ok") << reply;
  EXPECT_EQ(Str(reply, "/ops/0/parent_folder_id"), "0");
  reply = Call(create);
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "ok") << reply;
}

TEST_F(ObjectOpsTest, ErrorsSayWhatIsWrong) {
  const int64_t conv_id = BuildProcess();
  struct Case {
    std::string op;
    const char* description;
  } cases[] = {
      {R"({"type":"create","obj":"conv"})", "create conv needs a title"},
      {absl::StrCat(
           R"({"type":"modify","obj":"node","obj_id":"ffffffffffffffffffffffff","conv_id":)",
           conv_id, "}"),
       "does not exist in process"},
      {R"({"type":"create","obj":"node","conv_id":999999,"obj_type":0})",
       "process 999999 does not exist"},
      {R"({"type":"confirm","obj":"commit"})", "confirm commit needs conv_id"},
      {R"({"type":"get","obj":"obj_scheme","obj_id":1,"obj_type":"folder"})", "only conv"},
      {R"({"type":"fly","obj":"conv"})", "unknown type \"fly\" for obj conv"},
      {R"({"type":"create","obj":"obj_scheme","scheme":"[1"})", "invalid JSON"},
  };
  for (const Case& c : cases) {
    const std::string reply = Call(absl::StrCat(R"({"ops":[)", c.op, "]}"));
    EXPECT_EQ(Str(reply, "/ops/0/proc"), "error") << c.op << ": " << reply;
    EXPECT_THAT(Str(reply, "/ops/0/description"), HasSubstr(c.description)) << c.op;
  }
  // A commit whose links break: the engine's located error, nothing deployed.
  Call(absl::StrCat(R"({"ops":[{"type":"modify","obj":"node","obj_id":")", nodes_[0],
                    R"(","conv_id":)", conv_id,
                    R"(,"logics":[{"type":"go","to_node_id":"aaaaaaaaaaaaaaaaaaaaaaaa"}]}]})"));
  const std::string reply =
      Call(absl::StrCat(R"({"ops":[{"type":"confirm","obj":"commit","conv_id":)", conv_id, "}]}"));
  EXPECT_EQ(Str(reply, "/ops/0/proc"), "error") << reply;
  EXPECT_THAT(Str(reply, "/ops/0/description"), HasSubstr("aaaaaaaaaaaaaaaaaaaaaaaa"));
}

}  // namespace
}  // namespace convey::serve
