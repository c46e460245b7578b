// The api logic end to end: the engine, the built-in libcurl transport and
// a real HTTP server on loopback started by the test. Tagged "stress": it
// also runs under ThreadSanitizer and AddressSanitizer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "convey/engine.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "simdjson.h"
#include "tests/support/json_field.h"
#include "tests/support/scheme_text.h"

namespace convey {
namespace {

using ::convey::testing::Field;
using ::convey::testing::GoJson;
using ::convey::testing::Kind;
using ::convey::testing::NodeJson;
using ::convey::testing::ProcessJson;

constexpr int64_t kConv = 1;

// A loopback server with 4 threads that records how many requests it
// handles at once.
class Server {
 public:
  Server() : server_(), in_flight_(0), max_in_flight_(0) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(4); };
    // Else headers and body go out in two segments and the second waits
    // for the client's delayed ACK (40 ms).
    server_.set_tcp_nodelay(true);
    server_.Get("/echo", [this](const httplib::Request& request, httplib::Response& response) {
      const int now = in_flight_.fetch_add(1) + 1;
      int seen = max_in_flight_.load();
      while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      response.set_content(absl::StrCat(R"({"echo":")", request.get_param_value("n"), R"("})"),
                           "application/json");
      in_flight_.fetch_sub(1);
    });
    server_.Get("/html500", [](const httplib::Request&, httplib::Response& response) {
      response.status = 500;
      response.set_content("<html><body>oops</body></html>", "text/html");
    });
    server_.Get("/notjson", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("hello", "text/plain");
    });
    server_.Get("/stall", [](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(
          "application/json", [](size_t offset, httplib::DataSink& sink) {
            if (offset == 0) {
              sink.write("{\"a\":", 5);
              return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            return sink.is_writable();  // stalls until the client gives up
          });
    });
    // Past the cap FailuresTakeTheErrorExitWithThePlatformsTags sets (64 KB).
    server_.Get("/big", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(size_t{256} << 10, 'x'), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Server() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int max_in_flight() const { return max_in_flight_.load(); }

 private:
  httplib::Server server_;
  std::atomic<int> in_flight_;
  std::atomic<int> max_in_flight_;
  int port_ = 0;
  std::thread thread_;
};

// start -> call [api GET `url` with extra n, max_threads 5, go -> done];
// errors -> failed.
std::string ApiScheme(const std::string& url) {
  return ProcessJson(
      kConv,
      {NodeJson("start", Kind::kStart, "[" + GoJson("call") + "]"),
       NodeJson(
           "call", Kind::kNormal,
           absl::StrCat(
               R"j([{"type":"api","method":"GET","url":")j", url,
               R"j(","extra":{"n":"{{n}}"},"extra_type":{"n":"string"},"max_threads":5,"err_node_id":"failed"},)j",
               GoJson("done"), "]")),
       NodeJson("done", Kind::kFinal, "[]"), NodeJson("failed", Kind::kFinal, "[]")});
}

std::unique_ptr<Engine> Open(absl::Duration timeout = absl::Seconds(60),
                             size_t max_response_bytes = EngineOptions().api_max_response_bytes) {
  EngineOptions options;
  options.worker_threads = 2;
  options.api_timeout = timeout;
  options.api_max_response_bytes = max_response_bytes;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return *std::move(engine);
}

TEST(ApiEndToEndTest, TenThousandTasksNeverMoreThanFiveInFlight) {
  Server server;
  auto engine = Open();
  ASSERT_TRUE(
      engine
          ->Deploy("api.json", ApiScheme(absl::StrCat("http://127.0.0.1:", server.port(), "/echo")))
          .ok());
  constexpr int kTasks = 10000;
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(
        engine->CreateTask(kConv, absl::StrCat("r", i), absl::StrCat("{\"n\":\"v", i, "\"}")).ok());
  }
  ASSERT_TRUE(engine->WaitIdle(absl::Seconds(300)).ok());
  absl::StatusOr<ProcessStats> stats = engine->StatsFor(kConv);
  EXPECT_EQ(stats->nodes[2].finished, kTasks);
  EXPECT_EQ(stats->nodes[3].finished, 0);
  EXPECT_LE(server.max_in_flight(), 5);
  EXPECT_GE(server.max_in_flight(), 2);  // they did overlap
  // Each task got its own answer merged.
  int checked = 0;
  engine->ForEachTask([&](const TaskSnapshot& task) {
    ++checked;
    EXPECT_EQ(Field(task.data, "echo"), Field(task.data, "n")) << task.data;
  });
  EXPECT_EQ(checked, kTasks);
}

struct ErrorCase {
  std::string path;
  std::string tag;
  std::string description_part;
  std::string http_code;
};

TEST(ApiEndToEndTest, FailuresTakeTheErrorExitWithThePlatformsTags) {
  Server server;
  // A small cap: a ThreadSanitizer build on two vCPUs far apart moves
  // loopback data at a few MB/s, and the answer past the cap must arrive
  // within the 500 ms the stalling case waits.
  auto engine = Open(absl::Milliseconds(500), size_t{64} << 10);
  const std::string base = absl::StrCat("http://127.0.0.1:", server.port());
  // A port nobody listens on: bind one and close it.
  int closed_port = 0;
  {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    closed_port = ntohs(address.sin_port);
    close(fd);
  }
  const ErrorCase cases[] = {
      {base + "/html500", "api_bad_answer", "", "500"},
      {base + "/notjson", "api_no_valid_json", "", "200"},
      {base + "/stall", "api_bad_answer", "timeout", "<missing>"},
      {base + "/big", "api_bad_answer", "too large", "<missing>"},
      {absl::StrCat("http://127.0.0.1:", closed_port, "/x"), "api_bad_answer", "failed_connect",
       "<missing>"},
  };
  int64_t conv = 10;
  for (const ErrorCase& c : cases) {
    ++conv;
    std::string scheme = ApiScheme(c.path);
    scheme.replace(scheme.find("\"obj_id\":1"), 10, absl::StrCat("\"obj_id\":", conv));
    ASSERT_TRUE(engine->Deploy("api.json", scheme).ok());
    absl::StatusOr<std::string> id = engine->CreateTask(conv, "", R"({"n":"x"})");
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(engine->WaitIdle(absl::Seconds(30)).ok());
    absl::StatusOr<TaskSnapshot> task = engine->ShowTask(TaskKey::ByObjId(*id));
    ASSERT_TRUE(task.ok());
    EXPECT_EQ(task->node_id, "failed") << c.path;
    EXPECT_EQ(Field(task->data, "__conveyor_api_return_type_tag__"),
              absl::StrCat("\"", c.tag, "\""))
        << c.path << " " << task->data;
    EXPECT_NE(Field(task->data, "__conveyor_api_return_description__").find(c.description_part),
              std::string::npos)
        << c.path << " " << task->data;
    EXPECT_EQ(Field(task->data, "__conveyor_api_return_http_code__"), c.http_code) << c.path;
  }
}

TEST(ApiEndToEndTest, RefusedPrivateAddressWhenAsked) {
  Server server;
  EngineOptions options;
  options.worker_threads = 2;
  options.api_refuse_private_addresses = true;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(options);
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE(
      (*engine)
          ->Deploy("api.json", ApiScheme(absl::StrCat("http://127.0.0.1:", server.port(), "/echo")))
          .ok());
  absl::StatusOr<std::string> id = (*engine)->CreateTask(kConv, "", R"({"n":"x"})");
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE((*engine)->WaitIdle(absl::Seconds(30)).ok());
  absl::StatusOr<TaskSnapshot> task = (*engine)->ShowTask(TaskKey::ByObjId(*id));
  EXPECT_EQ(task->node_id, "failed");
  EXPECT_EQ(server.max_in_flight(), 0);  // never reached the server
}

}  // namespace
}  // namespace convey
