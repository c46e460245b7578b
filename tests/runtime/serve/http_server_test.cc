// The server over a real loopback socket, with a real HTTP client (libcurl):
// every op and refusal as a client sees it, keep-alive, limits, slow
// clients, many clients at once, and draining.
#include "runtime/serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "convey/engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/serve/api_service.h"
#include "runtime/serve/signature.h"
#include "simdjson.h"
#include "tests/runtime/serve/test_client.h"
#include "tests/support/ops_processes.h"

namespace convey::serve {
namespace {

using ::testing::HasSubstr;

constexpr char kLogin[] = "4521";
constexpr char kSecret[] = "VjKyfIuVAFOGGZwLLFfkHvrTPFUTBBP6E3A8596vIj5jiwqSsK";

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions engine_options;
    engine_options.worker_threads = 2;
    auto engine = Engine::Open(engine_options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_
                    ->Deploy("ops.json", absl::StrCat("[", testing::kOpsPassProcess, ",",
                                                      testing::kOpsHoldProcess, ",",
                                                      testing::kOpsCallbackProcess, "]"))
                    .ok());
    metrics_ = std::make_unique<ServeMetrics>(Clock::Real());
  }

  void StartServer(HttpServerOptions options = {}) {
    ApiServiceOptions service_options;
    ASSERT_TRUE(service_options.keys.Add(absl::StrCat(kLogin, ":", kSecret), "test").ok());
    service_options.direct_url_secret = "direct";
    service_ = std::make_unique<ApiService>(*engine_, std::move(service_options), metrics_.get());
    options.port = 0;
    auto server = HttpServer::Start(options, service_.get(), metrics_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    base_ = absl::StrCat("http://127.0.0.1:", server_->port());
  }

  std::string SignedUrl(const std::string& body, int64_t time = 0,
                        const std::string& secret = kSecret) {
    if (time == 0) time = absl::ToUnixSeconds(absl::Now());
    const std::string unixtime = absl::StrCat(time);
    return absl::StrCat(base_, "/api/2/json/", kLogin, "/", unixtime, "/",
                        UrlSignature(unixtime, secret, body));
  }

  std::string Field(const std::string& json, const char* pointer) {
    simdjson::dom::element root;
    if (parser_.parse(json).get(root) != simdjson::SUCCESS) return "<not json>";
    std::string_view value;
    if (root.at_pointer(pointer).get(value) != simdjson::SUCCESS) return "<missing>";
    return std::string(value);
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ServeMetrics> metrics_;
  std::unique_ptr<ApiService> service_;
  std::unique_ptr<HttpServer> server_;
  std::string base_;
  simdjson::dom::parser parser_;
};

TEST_F(HttpServerTest, EveryTaskOpOverOneKeptAliveConnection) {
  StartServer();
  Client client;
  const std::string create =
      R"({"ops":[{"type":"create","obj":"task","conv_id":1003,"ref":"r1","data":{"a":1},"id":"c"}]})";
  Reply created = client.Send("POST", SignedUrl(create), create,
                              {"Content-Type: application/json; charset=utf8"});
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_THAT(created.headers, HasSubstr("Content-Type: application/json"));
  EXPECT_EQ(Field(created.body, "/ops/0/proc"), "ok") << created.body;
  EXPECT_EQ(Field(created.body, "/ops/0/id"), "c");
  const std::string obj_id = Field(created.body, "/ops/0/obj_id");
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());

  const std::string show = R"({"ops":[{"type":"show","obj":"task","conv_id":1003,"ref":"r1"}]})";
  Reply shown = client.Send("POST", SignedUrl(show), show);
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(shown.connects, 0) << "keep-alive: the connection is reused";
  EXPECT_EQ(Field(shown.body, "/ops/0/obj_id"), obj_id) << shown.body;
  EXPECT_EQ(Field(shown.body, "/ops/0/node_id"), "c00000000000000000000002") << shown.body;

  const std::string modify =
      R"({"ops":[{"type":"modify","obj":"task","conv_id":1003,"ref":"r1","data":{"ok":true}}]})";
  Reply modified = client.Send("POST", SignedUrl(modify), modify);
  EXPECT_EQ(Field(modified.body, "/ops/0/proc"), "ok") << modified.body;
  ASSERT_TRUE(engine_->WaitIdle(absl::Seconds(10)).ok());

  const std::string get =
      absl::StrCat(R"({"ops":[{"type":"get","obj":"task","obj_id":")", obj_id, R"("}]})");
  Reply got = client.Send("POST", SignedUrl(get), get);
  EXPECT_EQ(Field(got.body, "/ops/0/status"), "processed") << got.body;

  // Header-signed, on /api/1/json.
  const std::string create2 =
      R"({"ops":[{"type":"create","obj":"task","conv_id":1002,"ref":"r2","data":{}}]})";
  const std::string unixtime = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  Reply signed_in_headers =
      client.Send("POST", base_ + "/api/1/json", create2,
                  {absl::StrCat("X-API-Login: ", kLogin), "X-API-Timestamp: " + unixtime,
                   "X-API-Signature: " + HeaderSignature(unixtime, kSecret, create2)});
  EXPECT_EQ(signed_in_headers.status, 200) << signed_in_headers.body;
  EXPECT_EQ(Field(signed_in_headers.body, "/ops/0/proc"), "ok") << signed_in_headers.body;

  const std::string remove =
      R"({"ops":[{"type":"delete","obj":"task","conv_id":1002,"ref":"r2"}]})";
  Reply deleted = client.Send("POST", SignedUrl(remove), remove);
  EXPECT_EQ(Field(deleted.body, "/ops/0/proc"), "ok") << deleted.body;

  Reply direct = client.Send("POST",
                             absl::StrCat(base_, "/api/1/json/public/1002/",
                                          service_->DirectUrlHash(1002), "?ref=from%20a%20form"),
                             R"({"x":1})");
  EXPECT_EQ(Field(direct.body, "/ops/0/ref"), "from a form") << direct.body;
}

TEST_F(HttpServerTest, EveryRefusalHasItsStatus) {
  HttpServerOptions options;
  options.max_body_bytes = 1 << 20;
  StartServer(options);
  Client client;
  const std::string body =
      R"({"ops":[{"type":"show","obj":"task","obj_id":"000000000000000000000000"}]})";
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  std::string tampered = body;
  tampered[tampered.size() - 5] = '1';
  const std::string unixtime = absl::StrCat(now);
  struct Case {
    std::string name;
    std::string method;
    std::string url;
    std::string body;
    std::vector<std::string> headers;
    long status;
    std::string description;
  } cases[] = {
      {"wrong secret", "POST", SignedUrl(body, 0, "wrong"), body, {}, 401, "wrong signature"},
      {"unknown login",
       "POST",
       absl::StrCat(base_, "/api/2/json/777/", now, "/", UrlSignature(unixtime, kSecret, body)),
       body,
       {},
       401,
       "unknown API login"},
      {"old timestamp", "POST", SignedUrl(body, now - 3600), body, {}, 401, "s away from"},
      {"tampered body", "POST", SignedUrl(body), tampered, {}, 401, "wrong signature"},
      {"wrong HMAC",
       "POST",
       base_ + "/api/2/json",
       body,
       {absl::StrCat("X-API-Login: ", kLogin), "X-API-Timestamp: " + unixtime,
        "X-API-Signature: " + HeaderSignature(unixtime, "wrong", body)},
       401,
       "hmac_sha256"},
      {"malformed JSON",
       "POST",
       SignedUrl("{\"ops\":[}"),
       "{\"ops\":[}",
       {},
       400,
       "not valid JSON"},
      {"ops not an array",
       "POST",
       SignedUrl("{\"ops\":1}"),
       "{\"ops\":1}",
       {},
       400,
       "must be an array"},
      {"unknown path", "POST", base_ + "/api/2/xml", body, {}, 404, "no such path"},
      {"wrong method", "GET", SignedUrl(body), "", {}, 405, "not allowed"},
  };
  for (const Case& c : cases) {
    Reply reply = client.Send(c.method, c.url, c.body, c.headers);
    EXPECT_EQ(reply.status, c.status) << c.name << ": " << reply.body;
    EXPECT_THAT(reply.body, HasSubstr(c.description)) << c.name;
    EXPECT_EQ(Field(reply.body, "/request_proc"), c.status == 400 ? "format_error" : "error")
        << c.name;
  }

  std::string many = R"({"ops":[)";
  for (int i = 0; i < 10001; ++i) {
    absl::StrAppend(&many, i > 0 ? "," : "",
                    R"({"type":"show","obj":"task","obj_id":"000000000000000000000000"})");
  }
  many += "]}";
  Reply too_many = client.Send("POST", SignedUrl(many), many);
  EXPECT_EQ(too_many.status, 400);
  EXPECT_THAT(too_many.body, HasSubstr("at most 10000"));

  const std::string huge = std::string(2 << 20, ' ');
  Reply too_large = client.Send("POST", SignedUrl(huge), huge);
  EXPECT_EQ(too_large.status, 413) << too_large.body;
  EXPECT_THAT(too_large.body, HasSubstr("larger than 1048576 bytes"));
}

TEST_F(HttpServerTest, ASlowClientIsCutOffByTheHeaderTimeout) {
  HttpServerOptions options;
  options.header_timeout = absl::Milliseconds(800);
  StartServer(options);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server_->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string head = "POST /api/2/json/4521/1/abc HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaa";
  const absl::Time start = absl::Now();
  bool cut = false;
  for (char c : head) {
    if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
      cut = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));  // a byte every 100 ms keeps MHD's idle timer alive
    char buffer[64];
    if (recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) == 0) {
      cut = true;
      break;
    }
  }
  const absl::Duration took = absl::Now() - start;
  close(fd);
  EXPECT_TRUE(cut) << "the client was never cut off";
  EXPECT_LT(took, absl::Seconds(3));
  EXPECT_GE(took, absl::Milliseconds(700));
}

TEST_F(HttpServerTest, TwoHundredClientsAtOnce) {
  StartServer();
  constexpr int kClients = 200;
  constexpr int kRequests = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      Client client;
      for (int i = 0; i < kRequests; ++i) {
        const std::string body =
            absl::StrCat(R"({"ops":[{"type":"create","obj":"task","conv_id":1002,"ref":"c)", t, "-",
                         i, R"(","data":{}}]})");
        Reply reply = client.Send("POST", SignedUrl(body), body);
        if (reply.status == 200 && absl::StrContains(reply.body, R"("proc":"ok")")) ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
  EXPECT_EQ(engine_->Stats().tasks_created, kClients * kRequests);
}

TEST_F(HttpServerTest, DrainAnswersWhatIsInFlightThenRefusesConnections) {
  HttpServerOptions options;
  options.handler_threads = 4;
  StartServer(options);
  Client keep_alive;
  const std::string body = R"({"ops":[{"type":"create","obj":"task","conv_id":1002,"data":{}}]})";
  ASSERT_EQ(keep_alive.Send("POST", SignedUrl(body), body).status, 200);
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      Client client;
      for (int i = 0; i < 50; ++i) {
        Reply reply = client.Send("POST", SignedUrl(body), body);
        if (reply.code != CURLE_OK) break;  // refused once drained
        if (reply.status == 200) ++answered;
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(50));
  service_->StartDraining();
  EXPECT_EQ(server_->Drain(absl::Seconds(10)), 0);
  for (std::thread& thread : threads) thread.join();
  // Every answered create is in the engine, and nothing was created unanswered.
  EXPECT_EQ(engine_->Stats().tasks_created, answered.load() + 1);
  Client late;
  Reply refused = late.Send("POST", SignedUrl(body), body);
  EXPECT_NE(refused.code, CURLE_OK);
}

}  // namespace
}  // namespace convey::serve
